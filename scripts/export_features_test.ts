/**
 * `deno task export-features`: the row layout, the float16 packing, and the CLI on a tiny
 * generated corpus (its array read back against the features `train` would load).
 */
import assert from "node:assert/strict";
import { encodeWav } from "../lib/audio/encode.ts";
import { EMOTION_LABELS } from "../lib/data/labels.ts";
import type { DatasetItem } from "../lib/data/types.ts";
import { FeatureStore } from "../lib/data/feature_store.ts";
import { augmentSpecs } from "../lib/train/augment.ts";
import { loadFeatures } from "../lib/train/dataset.ts";
import { exportJobs, packFloat16 } from "./export_features.ts";

const root = new URL("..", import.meta.url).pathname;

Deno.test("exportJobs: every RAVDESS clip is followed by its copies, TESS clips stand alone", () => {
  const items: DatasetItem[] = [
    { path: "r/Actor_01/a.wav", label: "sad", speaker: "Actor_01", corpus: "ravdess" },
    { path: "r/Actor_02/b.wav", label: "calm", speaker: "Actor_02", corpus: "ravdess" },
    { path: "t/OAF_x_angry.wav", label: "angry", speaker: "OAF", corpus: "tess" },
  ];
  const { jobs, rows } = exportJobs(items, 2, 9);
  assert.equal(jobs.length, 7);
  assert.deepEqual(rows.map((r) => r.augment), [0, 1, 2, 0, 1, 2, 0]);
  assert.deepEqual(rows.map((r) => r.speaker), [
    ...Array(3).fill("ravdess:Actor_01"),
    ...Array(3).fill("ravdess:Actor_02"),
    "tess:OAF",
  ]);
  assert.deepEqual(
    rows.map((r) => EMOTION_LABELS[r.label]),
    ["sad", "sad", "sad", "calm", "calm", "calm", "angry"],
  );
  // The copies are the training loop's specs for the clip's place in the sorted list.
  assert.deepEqual(jobs[4].augment, augmentSpecs(1, 2, 9)[0]);
  // A speed range gives the copies `train --speed` would give them.
  const wide = exportJobs(items, 2, 9, { slow: 0.8, fast: 1.25 });
  assert.deepEqual(wide.jobs[4].augment, augmentSpecs(1, 2, 9, { slow: 0.8, fast: 1.25 })[0]);
  assert.notDeepEqual(wide.jobs[4].augment, jobs[4].augment);
  assert.deepEqual(wide.rows, rows);
  assert.equal(jobs[6].augment, undefined);
  assert.deepEqual(jobs.map((j) => j.path), [
    ...Array(3).fill(items[0].path),
    ...Array(3).fill(items[1].path),
    items[2].path,
  ]);
});

Deno.test("packFloat16: row-major float16, rounded to nearest; other shapes are refused", () => {
  const m = {
    data: Float32Array.from([1, -2.5, 1 / 3, 65504, 1e-3, 0]),
    frames: 3,
    featureCount: 2,
  };
  const bytes = packFloat16([m, m], 3, 2);
  assert.equal(bytes.byteLength, 2 * 6 * 2);
  const back = new Float16Array(bytes.buffer, bytes.byteOffset, 12);
  assert.deepEqual(Array.from(back.subarray(6)), Array.from(back.subarray(0, 6)));
  assert.deepEqual(Array.from(back.subarray(0, 2)), [1, -2.5]);
  assert.ok(Math.abs(back[2] - 1 / 3) < 2e-4);
  assert.equal(back[3], 65504);
  assert.throws(() => packFloat16([m], 2, 3), /Expected 2 × 3 features but got 3 × 2/);
});

Deno.test({
  name: "export-features: the array holds each row's features; bad flags fail in one line",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const x = (f0: number) =>
        Float32Array.from(
          { length: 16000 },
          (_, i) => 0.4 * Math.sin(Math.PI * i / 16000) * Math.sin(2 * Math.PI * f0 * i / 16000),
        );
      for (const actor of ["01", "02"]) {
        await Deno.mkdir(`${dir}/ravdess/Actor_${actor}`, { recursive: true });
        await Deno.writeFile(
          `${dir}/ravdess/Actor_${actor}/03-01-04-01-01-01-${actor}.wav`,
          encodeWav(x(150 + 30 * Number(actor)), 16000),
        );
      }
      await Deno.mkdir(`${dir}/tess/OAF_angry`, { recursive: true });
      await Deno.writeFile(`${dir}/tess/OAF_angry/OAF_back_angry.wav`, encodeWav(x(300), 16000));
      const args = ["--ravdess", `${dir}/ravdess`, "--tess", `${dir}/tess`];
      const cli = (extra: string[]) =>
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--config",
            `${root}deno.json`,
            `${root}scripts/export_features.ts`,
            ...args,
            ...extra,
          ],
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
        }).output();
      const out = await cli(["--augment", "1", "--workers", "1", "--out", "export"]);
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const meta = JSON.parse(await Deno.readTextFile(`${dir}/export/rows.json`));
      assert.deepEqual(meta.labels, [...EMOTION_LABELS]);
      assert.deepEqual(meta.augment, {
        copies: 1,
        seed: 17,
        speeds: { slow: 0.9, fast: 1.1 },
        keepTempo: false,
      });
      assert.deepEqual(meta.rows.map((r: { augment: number }) => r.augment), [0, 1, 0, 1, 0]);
      assert.equal(meta.rows[0].label, EMOTION_LABELS.indexOf("sad"));
      const bytes = await Deno.readFile(`${dir}/export/features.f16`);
      const values = new Float16Array(bytes.buffer, 0, bytes.byteLength / 2);
      assert.equal(values.length, 5 * meta.frames * meta.width);

      // Row 1 is the first clip's augmented copy: the features `train` would load for it.
      const { jobs } = exportJobs(
        [
          {
            path: `${dir}/ravdess/Actor_01/03-01-04-01-01-01-01.wav`,
            label: "sad",
            speaker: "Actor_01",
            corpus: "ravdess",
          },
        ],
        1,
        17,
      );
      const [copy] = await loadFeatures(
        [jobs[1]],
        new FeatureStore({ dir: `${dir}/.cache/features` }),
      );
      const row = values.subarray(meta.frames * meta.width, 2 * meta.frames * meta.width);
      let worst = 0;
      copy.data.forEach((v, i) =>
        worst = Math.max(worst, Math.abs(v - row[i]) / Math.max(1, Math.abs(v)))
      );
      assert.ok(worst < 1e-3, `float16 row differs from the features by ${worst}`);

      // Voice shifts in a wider range: the originals stay, the copies change, rows.json says so.
      const shifted = await cli([
        "--augment",
        "1",
        "--workers",
        "1",
        "--speed",
        "0.8-1.25",
        "--keep-tempo",
        "--out",
        "export4",
      ]);
      assert.ok(shifted.success, new TextDecoder().decode(shifted.stderr));
      const meta4 = JSON.parse(await Deno.readTextFile(`${dir}/export4/rows.json`));
      assert.deepEqual(meta4.augment.speeds, { slow: 0.8, fast: 1.25 });
      assert.equal(meta4.augment.keepTempo, true);
      const bytes4 = await Deno.readFile(`${dir}/export4/features.f16`);
      const values4 = new Float16Array(bytes4.buffer, 0, bytes4.byteLength / 2);
      const rowSize = meta.frames * meta.width;
      assert.deepEqual(values4.subarray(0, rowSize), values.subarray(0, rowSize));
      assert.notDeepEqual(values4.subarray(rowSize, 2 * rowSize), row);

      const bad = await cli(["--augment", "x", "--out", "export2"]);
      assert.equal(bad.success, false);
      const lines = new TextDecoder().decode(bad.stderr).trim().split("\n");
      assert.equal(lines.length, 1);
      assert.match(lines[0], /augment/);

      const badSpeed = await cli(["--speed", "0.3-1.2", "--out", "export3"]);
      assert.equal(badSpeed.code, 2);
      const reason = new TextDecoder().decode(badSpeed.stderr).trim().split("\n");
      assert.equal(reason.length, 1);
      assert.match(reason[0], /--speed: .*0\.3-1\.2/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
