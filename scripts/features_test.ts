/**
 * `deno task features` against librosa: the CLI (run as a subprocess, as a person would) and
 * its library function on every fixture WAV.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { assertAllClose } from "../lib/testing/all_close.ts";
import { decodeAudio } from "../lib/audio/mod.ts";
import { type FileFeatures, fileFeatures, formatTable } from "./features.ts";

const GOLDEN = new URL("../../shared/fixtures/golden/", import.meta.url);
const SCRIPT = fileURLToPath(new URL("features.ts", import.meta.url));

async function runCli(...args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

function golden(name: string) {
  return JSON.parse(Deno.readTextFileSync(new URL(`librosa/${name}.json`, GOLDEN)));
}

function assertMatchesGolden(features: FileFeatures, name: string, mfccAtol: number): void {
  const fx = golden(name);
  assert.equal(features.sampleRateHz, 16000);
  assert.equal(features.frames, fx.expected_n_frames, name);
  assertAllClose(features.rms, fx.rms.values[0], { atol: 1e-6, label: `${name} rms` });
  assertAllClose(features.zcr, fx.zcr.values[0], { atol: 1e-6, label: `${name} zcr` });
  assert.equal(features.mfcc.length, features.frames);
  for (let k = 0; k < 13; k++) {
    assertAllClose(features.mfcc.map((row) => row[k]), fx.mfcc.values[k], {
      atol: mfccAtol,
      label: `${name} mfcc${k}`,
    });
  }
}

Deno.test("features --json (subprocess) matches librosa's MFCC within 2e-3", async () => {
  for (const name of ["speech_a_16k", "white_noise_16k"]) {
    const path = fileURLToPath(new URL(`audio/${name}.wav`, GOLDEN));
    const { code, stdout, stderr } = await runCli("--json", path);
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split("\n");
    assert.equal(lines.length, 1, "exactly one JSON line");
    const features = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(features), ["sampleRateHz", "frames", "rms", "zcr", "mfcc"]);
    assertMatchesGolden(features, name, 2e-3);
  }
});

Deno.test("features on every 16 kHz fixture WAV agree with librosa", () => {
  const names = [...Deno.readDirSync(new URL("librosa/", GOLDEN))]
    .map((e) => e.name.replace(/\.json$/, ""))
    .filter((n) => n.endsWith("_16k"));
  assert.equal(names.length, 7);
  for (const name of names) {
    const decoded = decodeAudio(Deno.readFileSync(new URL(`audio/${name}.wav`, GOLDEN)));
    // The printed values carry 8 significant digits; librosa's MFCC agree to ~1e-4.
    assertMatchesGolden(fileFeatures(decoded), name, 1e-3);
  }
});

Deno.test("features resamples other rates and downmixes stereo first", () => {
  for (const [name, length] of [["speech_b_22050", 56172], ["speech_c_48k_stereo", 16000]]) {
    const decoded = decodeAudio(Deno.readFileSync(new URL(`audio/${name}.wav`, GOLDEN)));
    const features = fileFeatures(decoded);
    assert.equal(features.frames, 1 + Math.floor((length as number) / 512), name as string);
    assert.ok(features.mfcc.flat().every(Number.isFinite));
    const table = formatTable(name as string, decoded, features);
    assert.match(table, /mfcc12/);
    assert.equal(table.split("\n").length, 7 + 13); // 3 header lines, blank, column titles, rms, zcr
  }
});

Deno.test("features: unreadable or undecodable files exit 1 with one line on stderr", async () => {
  const missing = await runCli("--json", "/no/such/file.wav");
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, "");
  assert.equal(missing.stderr.trim().split("\n").length, 1);
  assert.match(missing.stderr, /^features: cannot read \/no\/such\/file\.wav: /);

  const notAudio = await runCli(SCRIPT);
  assert.equal(notAudio.code, 1);
  assert.equal(notAudio.stderr.trim().split("\n").length, 1);
  assert.match(notAudio.stderr, /is not decodable audio \(unknown_container\)/);

  const noArgs = await runCli();
  assert.equal(noArgs.code, 2);
  assert.match(noArgs.stderr, /usage: deno task features \[--json\] FILE/);
});
