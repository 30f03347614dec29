import assert from "node:assert/strict";
import { decodeBase64 } from "../encoding.ts";
import { assertAllClose } from "../testing/all_close.ts";
import {
  frameDescriptors,
  FUNCTIONAL_COUNT,
  functionalNames,
  functionalsAudio,
  functionalsOf,
  percentile,
  savgolDelta,
  utteranceFunctionals,
  voicedFrames,
  yin011,
} from "./functionals.ts";

/** librosa 0.11 references on a synthetic clip, from `research/golden_functionals.py`. */
const golden = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/functionals_golden.json", import.meta.url)),
);
const clip = new Float32Array(decodeBase64(golden.samplesFloat32Base64).buffer);

Deno.test("functionalsAudio removes the mean, peak-normalises and trims as librosa", () => {
  const audio = functionalsAudio(clip);
  const [start, end] = golden.trim;
  assert.equal(audio.length, end - start);
  let peak = 0;
  for (const v of audio) peak = Math.max(peak, Math.abs(v));
  assert.ok(Math.abs(peak - 1) < 1e-12, `peak ${peak}`);
  assert.equal(functionalsAudio(new Float32Array(800)).length, 0);
  assert.equal(functionalsAudio(new Float32Array(800).fill(0.25)).length, 0);
});

Deno.test("frameDescriptors match librosa frame by frame", () => {
  const d = frameDescriptors(functionalsAudio(clip));
  assert.equal(d.frames, golden.frames);
  const close = (name: string, actual: ArrayLike<number>, atol: number, rtol = 1e-6) =>
    assertAllClose(actual, golden[name], { atol, rtol, label: name });
  close("melDb", d.melDb, 1e-6);
  close("mfcc", d.mfcc, 1e-5);
  close("delta", d.delta, 1e-6);
  close("rmsDb", d.rmsDb, 1e-6);
  close("centroid", d.centroid, 1e-6);
  close("bandwidth", d.bandwidth, 1e-6);
  close("flatness", d.flatness, 1e-9);
  close("rolloff", d.rolloff, 1e-9);
  close("zcr", d.zcr, 1e-12);
  close("contrast", d.contrast, 1e-6);
  // Pitch is tracked on voiced frames only; YIN itself matches on every frame.
  const voiced = (golden.voiced as boolean[]).flatMap((v, t) => (v ? [t] : []));
  assert.deepEqual(voicedFrames(d.rmsDb), golden.voiced);
  assertAllClose(voiced.map((t) => d.f0[t]), voiced.map((t) => golden.f0[t]), {
    atol: 1e-6,
    rtol: 1e-6,
    label: "f0 (voiced frames)",
  });
  assert.ok(d.f0.every((f, t) => golden.voiced[t] || Number.isNaN(f)));
  close("f0", yin011(functionalsAudio(clip), 16000, 60, 500, 1024, 160), 1e-6);
});

Deno.test("utteranceFunctionals match librosa's and numpy's statistics", () => {
  const x = utteranceFunctionals(clip);
  assert.ok(x);
  assert.equal(x.length, FUNCTIONAL_COUNT);
  assert.equal(FUNCTIONAL_COUNT, 378);
  assertAllClose(x, golden.functionals, { atol: 1e-5, rtol: 1e-5, label: "functionals" });
});

Deno.test("utteranceFunctionals: silence gives null; level and a DC offset change nothing", () => {
  assert.equal(utteranceFunctionals(new Float32Array(16000)), null);
  assert.equal(utteranceFunctionals(new Float32Array(1).fill(0.5)), null);
  const x = utteranceFunctionals(clip)!;
  // Halving is exact in float32, so only the peak normalisation's rounding differs.
  const quieter = utteranceFunctionals(clip.map((v) => 0.5 * v))!;
  assertAllClose(quieter, x, { atol: 1e-6, rtol: 1e-6, label: "gain" });
  // An offset rounds the samples to float32 again: the quietest bins (the contrast valleys of
  // this synthetic clip) then see that rounding, the rest must not move.
  const shifted = utteranceFunctionals(clip.map((v) => v + 0.01))!;
  const names = functionalNames();
  const kept = names.map((_, i) => i).filter((i) => !names[i].startsWith("contrast"));
  assertAllClose(kept.map((i) => shifted[i]), kept.map((i) => x[i]), {
    atol: 1e-3,
    rtol: 1e-4,
    label: "offset",
  });
});

Deno.test("utteranceFunctionals: very short clips give finite values", () => {
  for (const n of [2, 100, 700, 1500]) {
    const piece = clip.subarray(8000, 8000 + n);
    const x = utteranceFunctionals(piece);
    assert.ok(x, `${n} samples`);
    assert.ok(x.every(Number.isFinite), `${n} samples`);
  }
});

Deno.test("functionalNames: one unique name per number", () => {
  const names = functionalNames();
  assert.equal(names.length, FUNCTIONAL_COUNT);
  assert.equal(new Set(names).size, names.length);
  assert.equal(names[0], "mel0.mean");
  assert.equal(names[40], "mel0.std");
  assert.equal(names[160], "mfcc0.mean");
  assert.equal(names.at(-3), "durationS");
});

Deno.test("functionalsOf: with fewer than 3 voiced frames every frame counts", () => {
  const d = frameDescriptors(functionalsAudio(clip));
  const quiet = { ...d, rmsDb: d.rmsDb.map((_, t) => (t === 5 ? 0 : -100)) };
  const x = functionalsOf(quiet, 1);
  const voicedShare = functionalNames().indexOf("voicedShare");
  assert.equal(x[voicedShare], 1);
});

Deno.test("percentile interpolates linearly as numpy", () => {
  const sorted = [1, 2, 4, 8];
  assert.equal(percentile(sorted, 0), 1);
  assert.equal(percentile(sorted, 100), 8);
  assert.ok(Math.abs(percentile(sorted, 10) - 1.3) < 1e-12);
  assert.ok(Math.abs(percentile(sorted, 90) - 6.8) < 1e-12);
  assert.equal(percentile([5], 90), 5);
});

Deno.test("savgolDelta: slope of a line is exact everywhere; short inputs fit one line", () => {
  const frames = 12, width = 2;
  const line = Float64Array.from(
    { length: frames * width },
    (_, i) => (i % 2 ? -0.5 : 3) * Math.floor(i / 2) + 1,
  );
  const d = savgolDelta(line, frames, width);
  for (let t = 0; t < frames; t++) {
    assert.ok(Math.abs(d[t * 2] - 3) < 1e-12);
    assert.ok(Math.abs(d[t * 2 + 1] + 0.5) < 1e-12);
  }
  const short = savgolDelta(Float64Array.from([0, 2, 4, 6]), 4, 1);
  assert.deepEqual([...short], [2, 2, 2, 2]);
  assert.deepEqual([...savgolDelta(Float64Array.from([7]), 1, 1)], [0]);
  // A quadratic's edges take the end windows' slopes (mode "interp"), not a shrunk window.
  const square = Float64Array.from({ length: frames }, (_, t) => t * t);
  const q = savgolDelta(square, frames, 1);
  assert.equal(q[0], q[4]);
  assert.equal(q[frames - 1], q[frames - 5]);
  assert.ok(Math.abs(q[6] - 12) < 1e-12);
});
