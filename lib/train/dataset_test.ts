import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import { PIPELINE_VERSION } from "../audio/constants.ts";
import type { FeatureMatrix } from "../audio/features.ts";
import type { DatasetItem } from "../data/types.ts";
import type { InputConfig } from "../model/input.ts";
import { distillationTargets, speakerKey, speakerStatsBy, toArraySet } from "./dataset.ts";
import { gather } from "./trainer.ts";

const FRAMES = 5;
const config: InputConfig = {
  pipelineVersion: PIPELINE_VERSION,
  frames: FRAMES,
  normalisation: "speaker",
  deltas: 0,
};

/** A clip whose voiced frames (all but the last) hold `offset + scale·t` in every column but RMS. */
function clip(offset: number, scale: number): FeatureMatrix {
  const data = new Float32Array(FRAMES * 15);
  for (let t = 0; t < FRAMES; t++) {
    data[t * 15] = t === FRAMES - 1 ? 0 : 0.1 + 0.01 * t;
    for (let f = 1; f < 15; f++) data[t * 15 + f] = t === FRAMES - 1 ? -999 : offset + scale * t;
  }
  return { data, frames: FRAMES, featureCount: 15 };
}

function item(corpus: string, speaker: string | null, n: number): DatasetItem {
  return { path: `${corpus}/${speaker}/${n}.wav`, label: "happy", speaker, corpus };
}

Deno.test("speaker statistics are grouped per corpus and speaker", () => {
  const items = [item("ravdess", "A", 0), item("ravdess", "A", 1), item("tess", "A", 0)];
  const features = [clip(0, 1), clip(10, 1), clip(-50, 3)];
  const stats = speakerStatsBy(items, features);
  assert.deepEqual([...stats.keys()].sort(), ["ravdess:A", "tess:A"]);
  // ravdess:A column 1: 0, 1, 2, 3, 10, 11, 12, 13 → mean 6.5
  assertAllClose([stats.get("ravdess:A")!.mean[1]], [6.5], { atol: 1e-9 });
  assert.equal(stats.get("ravdess:A")!.frames, 8);
  // tess:A column 1: -50, -47, -44, -41 → mean -45.5
  assertAllClose([stats.get("tess:A")!.mean[1]], [-45.5], { atol: 1e-9 });
  assert.throws(() => speakerKey(item("x", null, 0)), /Expected a speaker for x\/null\/0.wav/);
  assert.throws(() => speakerStatsBy(items, features.slice(1)), /Expected 3 feature matrices/);
});

Deno.test("toArraySet normalises each clip with its own speaker's statistics", () => {
  const items = [item("ravdess", "A", 0), item("ravdess", "A", 1), item("ravdess", "B", 0)];
  const features = [clip(0, 1), clip(10, 1), clip(1000, 100)];
  const set = toArraySet(items, features, config, speakerStatsBy(items, features));
  const stride = FRAMES * 15;
  const voicedOf = (clips: number[], f: number) =>
    clips.flatMap((c) =>
      Array.from({ length: FRAMES - 1 }, (_, t) => set.x[c * stride + t * 15 + f])
    );
  for (const group of [[0, 1], [2]]) {
    for (const f of [0, 1, 14]) {
      const v = voicedOf(group, f);
      const mean = v.reduce((a, b) => a + b) / v.length;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      assertAllClose([mean, std], [0, 1], { atol: 1e-5, label: `clips ${group} column ${f}` });
    }
  }
  // silent last frames are 0
  for (let c = 0; c < 3; c++) {
    assert.ok(
      set.x.subarray(c * stride + (FRAMES - 1) * 15, (c + 1) * stride).every((v) => v === 0),
    );
  }
  // speaker A's two clips keep their offset from each other (not each centred on its own)
  assert.ok(set.x[1 * stride + 1] > set.x[0 * stride + 1] + 1);
  assert.throws(
    () => toArraySet(items, features, config),
    /Expected statistics of speaker ravdess:A/,
  );
  assert.throws(
    () =>
      toArraySet(items, features, config, speakerStatsBy(items.slice(0, 2), features.slice(0, 2))),
    /Expected statistics of speaker ravdess:B/,
  );
});

Deno.test("distillationTargets mixes one-hot labels with the teacher's probabilities", () => {
  const labels = Int32Array.from([2, 0]);
  const teacher = Float32Array.from([0.1, 0.2, 0.7, 0.5, 0.25, 0.25]);
  const mixed = distillationTargets(labels, teacher, 3, 0.4);
  const expected = [0.04, 0.08, 0.88, 0.8, 0.1, 0.1];
  mixed.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${i}: ${v}`));
  assert.deepEqual(Array.from(distillationTargets(labels, teacher, 3, 0)), [0, 0, 1, 1, 0, 0]);
  assert.deepEqual(distillationTargets(labels, teacher, 3, 1), teacher);
  assert.throws(() => distillationTargets(labels, teacher, 3, 1.5), /teacher weight in \[0, 1\]/);
  assert.throws(
    () => distillationTargets(labels, teacher.subarray(1), 3, 0.5),
    /Expected 2 × 3 teacher probabilities, but got 5/,
  );
});

Deno.test("gather carries soft targets with their rows", () => {
  const set = {
    x: Float32Array.from([1, 2, 3]),
    y: Int32Array.from([0, 1, 1]),
    targets: Float32Array.from([0.9, 0.1, 0.3, 0.7, 0.2, 0.8]),
    count: 3,
    frames: 1,
    width: 1,
  };
  const batch = gather(set, [2, 0]);
  assert.deepEqual(Array.from(batch.x), [3, 1]);
  assert.deepEqual(Array.from(batch.y), [1, 0]);
  assert.deepEqual(Array.from(batch.targets!), [
    Math.fround(0.2),
    Math.fround(0.8),
    Math.fround(0.9),
    Math.fround(0.1),
  ]);
  assert.equal(gather({ ...set, targets: undefined }, [1]).targets, undefined);
});
