/**
 * `scripts/calibrate_uncertainty.ts` run as a person would: with the shipped recipe's held-out
 * version (`models/ens3-speakers`) on its RAVDESS validation actors it must reproduce the
 * committed `models/default/uncertainty.json`. Skipped where the corpora are not unpacked
 * (`~/.cache/ser-data/ravdess`); a bad `--target` is a usage error, and the shipped model,
 * which trained on every voice, is refused for having no validation clips.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("calibrate_uncertainty.ts", import.meta.url));
const COMMITTED = new URL("../models/default/uncertainty.json", import.meta.url);
const HELD_OUT = fileURLToPath(new URL("../models/ens3-speakers", import.meta.url));
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

Deno.test("calibrate_uncertainty refuses a model without validation clips, saying what to give", async () => {
  const { code, stdout, stderr } = await run();
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    /^calibrate_uncertainty: .*models\/default has no validation clips \(it trained on every voice\); give --model .*models\/ens3-speakers/,
  );
  assert.equal(stderr.trim().split("\n").length, 1, "one line");
});

Deno.test({
  name: "calibrate_uncertainty reproduces the committed thresholds",
  ignore: !hasCorpus(),
  async fn() {
    const out = await Deno.makeTempFile({ suffix: ".json" });
    try {
      const { code, stdout, stderr } = await run("--model", HELD_OUT, "--out", out);
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
