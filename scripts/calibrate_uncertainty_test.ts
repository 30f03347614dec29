/**
 * `scripts/calibrate_uncertainty.ts` run as a person would: on the RAVDESS validation
 * actors it must reproduce the committed `models/default/uncertainty.json`. Skipped where the
 * corpora are not unpacked (`~/.cache/ser-data/ravdess`); a bad `--target` is a usage error.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("calibrate_uncertainty.ts", import.meta.url));
const COMMITTED = new URL("../models/default/uncertainty.json", import.meta.url);
const RAVDESS = `${Deno.env.get("HOME") ?? ""}/.cache/ser-data/ravdess`;

function hasCorpus(): boolean {
  try {
    return Deno.statSync(`${RAVDESS}/Actor_15`).isDirectory;
  } catch {
    return false;
  }
}

async function run(...args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", SCRIPT, ...args],
    // The feature cache is `.cache/features` under the repository root.
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("calibrate_uncertainty rejects a target outside (0, 1]", async () => {
  const { code, stderr } = await run("--target", "1.5");
  assert.equal(code, 2);
  assert.match(stderr, /--target must be in \(0, 1\]/);
});

Deno.test({
  name: "calibrate_uncertainty reproduces the committed thresholds",
  ignore: !hasCorpus(),
  async fn() {
    const out = await Deno.makeTempFile({ suffix: ".json" });
    try {
      const { code, stdout, stderr } = await run("--out", out);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /minConfidence [\d.]+, minMargin [\d.]+: accepts \d+/);
      const fresh = JSON.parse(await Deno.readTextFile(out));
      const committed = JSON.parse(await Deno.readTextFile(COMMITTED));
      assert.deepEqual(fresh, committed);
    } finally {
      await Deno.remove(out);
    }
  },
});
