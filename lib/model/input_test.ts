import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import {
  baseWidth,
  deltas,
  featureSetOf,
  inputWidth,
  modelInput,
  normaliseSpeaker,
  normaliseUtterance,
  publishedInputConfig,
  speakerStats,
  VOICED_RMS,
} from "./input.ts";
import { featureColumns, PIPELINE_VERSION } from "../audio/constants.ts";

Deno.test("deltas of a ramp are its slope; of a constant, zero", () => {
  const frames = 10;
  const ramp = Float32Array.from({ length: frames }, (_, t) => 3 * t);
  const d = deltas(ramp, frames, 1);
  // interior frames see the full ±2 window: slope exactly 3
  assertAllClose(d.subarray(2, 8), new Float32Array(6).fill(3), { atol: 1e-6 });
  assertAllClose(deltas(new Float32Array(frames).fill(7), frames, 1), new Float32Array(frames), {
    atol: 0,
  });
});

Deno.test("utterance normalisation: voiced frames get mean 0 / std 1, others 0", () => {
  const frames = 6;
  const width = 2;
  // column 0 is RMS; frames 4 and 5 are silent padding.
  const data = Float32Array.from([0.1, 10, 0.3, 20, 0.1, 30, 0.3, 40, 0, -50, 0, -50]);
  const out = normaliseUtterance(data, frames, width);
  const col = (c: number, ts: number[]) => ts.map((t) => out[t * width + c]);
  assertAllClose(col(0, [0, 1, 2, 3]), [-1, 1, -1, 1], { atol: 1e-6 });
  const c1 = col(1, [0, 1, 2, 3]);
  const mean = c1.reduce((a, b) => a + b) / 4;
  const std = Math.sqrt(c1.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
  assertAllClose([mean, std], [0, 1], { atol: 1e-6 });
  assert.deepEqual(col(1, [4, 5]), [0, 0]);
  assert.ok(VOICED_RMS > 0);
});

Deno.test("modelInput stacks base features and deltas per frame, and checks the shape", () => {
  const frames = 4;
  const data = Float32Array.from({ length: frames * 15 }, (_, i) => i);
  const cfg = {
    pipelineVersion: PIPELINE_VERSION,
    frames,
    normalisation: "none",
    deltas: 1,
  } as const;
  const x = modelInput({ data, frames, featureCount: 15 }, cfg);
  assert.equal(inputWidth(cfg), 30);
  assert.equal(x.length, frames * 30);
  assert.deepEqual(Array.from(x.subarray(0, 15)), Array.from(data.subarray(0, 15)));
  const d = deltas(data, frames, 15);
  assert.deepEqual(Array.from(x.subarray(45, 60)), Array.from(d.subarray(15, 30)));
  assert.throws(
    () => modelInput({ data, frames, featureCount: 15 }, { ...cfg, frames: 5 }),
    /Expected features \[5, 15\] but got \[4, 15\]/,
  );
});

/** A `[rms.length, 15]` matrix: RMS `rms[t]`, every other column `value(t, f)`. */
function matrix(rms: number[], value: (t: number, f: number) => number) {
  const frames = rms.length;
  const data = new Float32Array(frames * 15);
  for (let t = 0; t < frames; t++) {
    data[t * 15] = rms[t];
    for (let f = 1; f < 15; f++) data[t * 15 + f] = value(t, f);
  }
  return { data, frames, featureCount: 15 };
}

Deno.test("speaker statistics cover the voiced frames of all of a speaker's clips", () => {
  // Voiced values of column 1: 1, 2, 3 (clip a) and 6 (clip b); silent frames hold 100.
  const colA = [1, 2, 100, 3];
  const a = matrix([0.1, 0.2, 0, 0.3], (t, f) => f === 1 ? colA[t] : t === 2 ? 100 : 5);
  const b = matrix([0, 0.4], (t, f) => t === 0 ? 100 : f === 1 ? 6 : 5);
  const stats = speakerStats([a, b]);
  assert.equal(stats.frames, 4);
  // column 1: mean (1+2+3+6)/4 = 3, population variance (4+1+0+9)/4 = 3.5
  assertAllClose([stats.mean[1], stats.std[1]], [3, Math.sqrt(3.5)], { atol: 1e-9 });
  // RMS column: 0.1, 0.2, 0.3, 0.4
  assertAllClose([stats.mean[0], stats.std[0]], [0.25, Math.sqrt(0.0125)], { atol: 1e-7 });
  // a constant column has std 0
  assertAllClose([stats.mean[7], stats.std[7]], [5, 0], { atol: 1e-9 });
  assert.throws(() => speakerStats([matrix([0, 0], () => 1)]), /voiced frames/);
});

Deno.test("speaker normalisation: the speaker's voiced frames get mean 0 / std 1, others 0", () => {
  const random = (() => {
    let s = 7;
    return () => (s = (s * 16807) % 2147483647) / 2147483647;
  })();
  const clips = [6, 9, 4].map((frames, c) =>
    matrix(
      Array.from({ length: frames }, (_, t) => t % 3 === 2 ? 0 : 0.01 + random()),
      (_, f) => 10 * c + f * random() - 40,
    )
  );
  const stats = speakerStats(clips);
  const out = clips.map((m) => normaliseSpeaker(m.data, m.frames, 15, stats));
  for (let f = 0; f < 15; f++) {
    const voiced: number[] = [];
    out.forEach((o, c) => {
      for (let t = 0; t < clips[c].frames; t++) {
        if (t % 3 === 2) assert.equal(o[t * 15 + f], 0, "silent frames become 0");
        else voiced.push(o[t * 15 + f]);
      }
    });
    const mean = voiced.reduce((x, y) => x + y) / voiced.length;
    const std = Math.sqrt(voiced.reduce((x, y) => x + (y - mean) ** 2, 0) / voiced.length);
    assertAllClose([mean, std], [0, 1], { atol: 1e-5, label: `column ${f}` });
  }
  // one clip alone is not standardised by the speaker's statistics the way its own would be
  const own = normaliseUtterance(clips[2].data, clips[2].frames, 15);
  assert.notDeepEqual(Array.from(out[2]), Array.from(own));
});

Deno.test("modelInput with speaker normalisation needs the speaker's statistics", () => {
  const m = matrix([0.1, 0.2, 0.3, 0], (t, f) => t * f);
  const cfg = {
    pipelineVersion: PIPELINE_VERSION,
    frames: 4,
    normalisation: "speaker",
    deltas: 0,
  } as const;
  assert.throws(() => modelInput(m, cfg), /speaker's statistics .* "speaker"/);
  const stats = speakerStats([m]);
  assert.deepEqual(
    Array.from(modelInput(m, cfg, stats)),
    Array.from(normaliseSpeaker(m.data, 4, 15, stats)),
  );
  // with its own clip as the only one, speaker normalisation is utterance normalisation
  assertAllClose(modelInput(m, cfg, stats), normaliseUtterance(m.data, 4, 15), { atol: 1e-5 });
});

Deno.test("modelInput of a pitch model reads 17 columns and normalises them all", () => {
  const frames = 3;
  const cfg = {
    pipelineVersion: PIPELINE_VERSION,
    frames,
    normalisation: "none",
    deltas: 1,
    pitch: true,
  } as const;
  assert.equal(inputWidth(cfg), 34);
  const data = Float32Array.from({ length: frames * 17 }, (_, i) => i);
  const x = modelInput({ data, frames, featureCount: 17 }, cfg);
  assert.deepEqual(Array.from(x.subarray(34, 51)), Array.from(data.subarray(17, 34)));
  assert.throws(
    () => modelInput({ data: new Float32Array(frames * 15), frames, featureCount: 15 }, cfg),
    /Expected features \[3, 17\] but got \[3, 15\]/,
  );
  const rms = Float32Array.from(data, (v, i) => i % 17 === 0 ? 0.1 * (1 + i / 17) : v * v);
  const normalised = modelInput({ data: rms, frames, featureCount: 17 }, {
    ...cfg,
    normalisation: "utterance",
    deltas: 0,
  });
  for (let f = 0; f < 17; f++) {
    const column = [0, 1, 2].map((t) => normalised[t * 17 + f]);
    assert.ok(Math.abs(column.reduce((a, b) => a + b, 0)) < 1e-5, `column ${f} centred`);
  }
});

Deno.test("an input config with 40 MFCCs reads 42 columns, 44 with pitch", () => {
  const frames = 2;
  const cfg = { ...publishedInputConfig(frames), mfcc: 40 };
  assert.equal(baseWidth(cfg), 42);
  assert.deepEqual(featureSetOf({ ...cfg, pitch: true }), { mfcc: 40, pitch: true });
  assert.equal(featureColumns(featureSetOf(cfg)), 42);
  assert.equal(inputWidth({ ...cfg, deltas: 1 }), 84);
  assert.equal(inputWidth({ ...cfg, pitch: true }), 44);
  const data = Float32Array.from({ length: frames * 42 }, (_, i) => i);
  assert.deepEqual(modelInput({ data, frames, featureCount: 42 }, cfg), data);
  assert.throws(
    () => modelInput({ data: new Float32Array(frames * 15), frames, featureCount: 15 }, cfg),
    /Expected features \[2, 42\] but got \[2, 15\]/,
  );
});
