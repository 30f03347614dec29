/**
 * Exact-answer and property tests of the feature code; the librosa reference values are in
 * golden_test.ts.
 */

import assert from "node:assert/strict";
import FFT from "fft.js";
import { assertAllClose } from "../testing/all_close.ts";
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  featureColumns,
  featureSetSuffix,
  frameCount,
  MODEL_INPUT_FRAMES,
  MODEL_INPUT_SAMPLES,
} from "./constants.ts";
import {
  extractFeatures,
  framesFor,
  hannWindow,
  hzToMel,
  matrixColumn,
  melFilterbank,
  melSpectrogram,
  melToHz,
  mfcc,
  mfccFromDb,
  powerToDb,
  rms,
  rmsDirect,
  stftPower,
  zeroCrossingRate,
} from "./features.ts";
import { seededRandom, sine, speechLikeSignal } from "./synth.ts";

Deno.test("frame counts follow 1 + floor(n / hop) for centred even frames", () => {
  assert.equal(frameCount(0), 1);
  assert.equal(frameCount(511), 1);
  assert.equal(frameCount(512), 2);
  assert.equal(frameCount(39732), 78);
  assert.equal(MODEL_INPUT_FRAMES, 1 + Math.floor(MODEL_INPUT_SAMPLES / 512));
  assert.equal(framesFor(1000, 2048, 512, false), 0);
  assert.equal(framesFor(2048 + 1024, 2048, 512, false), 3);
  assert.equal(framesFor(10, 5, 2, true), 1 + Math.floor((10 + 4 - 5) / 2));
  assert.deepEqual(FEATURE_NAMES.slice(0, 3), ["rms", "zcr", "mfcc0"]);
  assert.equal(FEATURE_NAMES.length, FEATURE_COUNT);
});

Deno.test("sine RMS is A/√2 in every frame that lies inside the signal", () => {
  // 500 Hz at 16 kHz: exactly 64 periods per 2048-sample frame.
  const amplitude = 0.7;
  const y = sine(16000, 500, 16000, amplitude);
  const values = rms(y);
  for (let t = 2; t < values.length - 4; t++) {
    assert.ok(Math.abs(values[t] - amplitude / Math.SQRT2) < 1e-7, `frame ${t}: ${values[t]}`);
  }
  // Frame 0 sees 1024 padded zeros and 1024 samples (16 whole periods): A/2 exactly.
  assert.ok(Math.abs(values[0] - amplitude / 2) < 1e-7);
});

Deno.test("RMS: block route, direct route and Parseval agree", () => {
  const random = seededRandom(7);
  const y = Float32Array.from({ length: 12345 }, () => random() - 0.5);
  const viaBlocks = rms(y);
  const direct = rmsDirect(y, 2048, 512);
  assertAllClose(viaBlocks, direct, { rtol: 1e-12 });
  // Parseval on a rectangular-window DFT: Σx² = Σ|X|² / N over the full spectrum.
  const fft = new FFT(2048);
  const spectrum = fft.createComplexArray();
  const frame = new Float64Array(2048);
  for (const t of [0, 5, 12, viaBlocks.length - 1]) {
    for (let i = 0; i < 2048; i++) {
      const j = t * 512 - 1024 + i;
      frame[i] = j >= 0 && j < y.length ? y[j] : 0;
    }
    fft.realTransform(spectrum, frame);
    fft.completeSpectrum(spectrum);
    let energy = 0;
    for (let k = 0; k < 2048; k++) energy += spectrum[2 * k] ** 2 + spectrum[2 * k + 1] ** 2;
    const parseval = Math.sqrt(energy / 2048 / 2048);
    assert.ok(Math.abs(parseval - viaBlocks[t]) < 1e-12, `frame ${t}`);
  }
  // Non-default framing falls back to the direct route and still agrees with it.
  assertAllClose(rms(y, { frameLength: 1000, hopLength: 300 }), rmsDirect(y, 1000, 300), {
    rtol: 1e-12,
  });
  assertAllClose(
    rms(y, { center: false }),
    rmsDirect(y, 2048, 512, false),
    { rtol: 1e-12 },
  );
});

Deno.test("ZCR of a 500 Hz sine: 127 crossings per 2048-sample frame", () => {
  // sin(πn/16) is (numerically) zero at n ≡ 0 mod 16; zero counts as positive, so each
  // 32-sample period has one +→− crossing (n ≡ 17) and one −→+ crossing (n ≡ 0 mod 32).
  const y = sine(16000, 500, 16000, 1);
  const values = zeroCrossingRate(y);
  for (let t = 2; t < values.length - 4; t++) assert.equal(values[t], 127 / 2048, `frame ${t}`);
  assert.ok(values.every((v) => v * 2048 === Math.round(v * 2048)));
});

Deno.test("ZCR: threshold, zero as positive, edge padding adds no crossings", () => {
  const y = new Float32Array([0.5, -0.5, 1e-12, -1e-12, 0.5, -0.5]);
  // Signs with |x| ≤ 1e-10 as zero (positive): + − + + + − → 3 crossings.
  const whole = { frameLength: 6, hopLength: 6, center: false };
  assert.deepEqual(Array.from(zeroCrossingRate(y, whole)), [3 / 6]);
  // Without the threshold the tiny values keep their signs: + − + − + − → 5 crossings.
  assert.deepEqual(Array.from(zeroCrossingRate(y, { ...whole, threshold: 0 })), [5 / 6]);
  // Centred: frame 0 covers samples −4 … 3, edge-padded with x0 (no extra crossings).
  assert.deepEqual(Array.from(zeroCrossingRate(y, { frameLength: 8, hopLength: 8 })), [2 / 8]);
  assert.deepEqual(Array.from(zeroCrossingRate(new Float32Array(0))), [0]);
});

Deno.test("mel filters peak at their centre frequencies and have unit area", () => {
  const fb = melFilterbank();
  const binHz = 16000 / 2048;
  for (let m = 0; m < fb.nMels; m++) {
    let best = 0;
    for (let k = 1; k < fb.bins; k++) {
      if (fb.weights[m * fb.bins + k] > fb.weights[m * fb.bins + best]) best = k;
    }
    const centreHz = fb.edgesHz[m + 1];
    assert.ok(Math.abs(best * binHz - centreHz) <= binHz, `filter ${m} peaks at bin ${best}`);
    // Slaney normalisation: ∫ w df = 1, so Σ w·Δf ≈ 1 once a filter spans several bins.
    const width = fb.edgesHz[m + 2] - fb.edgesHz[m];
    if (width > 8 * binHz) {
      let area = 0;
      for (let k = fb.start[m]; k < fb.stop[m]; k++) area += fb.weights[m * fb.bins + k] * binHz;
      assert.ok(Math.abs(area - 1) < 0.02, `filter ${m} area ${area}`);
    }
  }
  // Edges are evenly spaced in mel.
  const step = hzToMel(fb.edgesHz[1]) - hzToMel(fb.edgesHz[0]);
  for (let i = 1; i < fb.edgesHz.length; i++) {
    assert.ok(Math.abs(hzToMel(fb.edgesHz[i]) - hzToMel(fb.edgesHz[i - 1]) - step) < 1e-9);
  }
  assert.equal(melFilterbank(), fb, "cached");
});

Deno.test("Slaney mel scale: linear below 1 kHz, 27 steps per factor 6.4 above", () => {
  assert.equal(hzToMel(200 / 3), 1);
  assert.ok(Math.abs(hzToMel(1000) - 15) < 1e-12);
  assert.ok(Math.abs(hzToMel(6400) - 42) < 1e-12);
  for (const f of [0, 123.4, 999.99, 1000, 4321, 8000]) {
    assert.ok(Math.abs(melToHz(hzToMel(f)) - f) < 1e-9);
  }
});

Deno.test("STFT power of a bin-centred sine peaks in that bin with the expected height", () => {
  // 64 cycles per frame → bin 64; periodic Hann gain 0.5 → |X| = A·N/4.
  const amplitude = 0.5;
  const y = sine(8192, 500, 16000, amplitude);
  const { power, frames, bins } = stftPower(y);
  const t = Math.floor(frames / 2);
  let best = 0;
  for (let k = 0; k < bins; k++) if (power[t * bins + k] > power[t * bins + best]) best = k;
  assert.equal(best, 64);
  assertAllClose([Math.sqrt(power[t * bins + 64])], [(amplitude * 2048) / 4], { rtol: 1e-6 });
});

Deno.test("paired-frame FFT gives the same power as one real FFT per frame", () => {
  const random = seededRandom(3);
  const y = Float32Array.from({ length: 5000 }, () => random() - 0.5);
  const { power, frames, bins } = stftPower(y);
  const fft = new FFT(2048);
  const out = fft.createComplexArray();
  const frame = new Float64Array(2048);
  const window = hannWindow(2048);
  for (let t = 0; t < frames; t++) {
    for (let i = 0; i < 2048; i++) {
      const j = t * 512 - 1024 + i;
      frame[i] = (j >= 0 && j < y.length ? y[j] : 0) * window[i];
    }
    fft.realTransform(out, frame);
    const expected = Array.from({ length: bins }, (_, k) => out[2 * k] ** 2 + out[2 * k + 1] ** 2);
    assertAllClose(power.subarray(t * bins, (t + 1) * bins), expected, {
      rtol: 1e-9,
      atol: 1e-12,
      label: `frame ${t}`,
    });
  }
});

Deno.test("periodic Hann window", () => {
  const w = hannWindow(8);
  assertAllClose(w, [0, 0.1464466, 0.5, 0.8535534, 1, 0.8535534, 0.5, 0.1464466], {
    atol: 1e-7,
  });
  assert.throws(() => hannWindow(0), /Expected length > 0, but got 0/);
});

Deno.test("power_to_db: reference, amin floor and global top_db", () => {
  assertAllClose(powerToDb([1, 10, 100, 0], { topDb: null }), [0, 10, 20, -100], {
    atol: 1e-12,
  });
  assertAllClose(powerToDb([1, 10, 100], { ref: 10, topDb: null }), [-10, 0, 10], {
    atol: 1e-12,
  });
  // The floor is the maximum over the whole input minus top_db.
  assertAllClose(powerToDb([1e3, 1e-9, 1]), [30, -50, 0], { atol: 1e-12 });
  assertAllClose(powerToDb([0, 0]), [-100, -100]);
  assert.throws(() => powerToDb([1], { amin: 0 }), /Expected amin > 0, but got 0/);
  assert.throws(() => powerToDb([1], { topDb: -1 }), /Expected topDb >= 0, but got -1/);
});

Deno.test("orthonormal DCT-II: constant dB rows give only c0 = √M · value", () => {
  const nMels = 128;
  const db = new Float64Array(2 * nMels).fill(-80);
  const c = mfccFromDb(db, 2, nMels, 13);
  assertAllClose([c[0], c[13]], [Math.sqrt(nMels) * -80, Math.sqrt(nMels) * -80], {
    rtol: 1e-12,
  });
  for (let k = 1; k < 13; k++) assert.ok(Math.abs(c[k]) < 1e-9);
  // With all 128 coefficients the transform preserves energy (orthonormal).
  const random = seededRandom(11);
  const row = Float64Array.from({ length: nMels }, () => random() * 10 - 5);
  const full = mfccFromDb(row, 1, nMels, nMels);
  const energy = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v * v, 0);
  assertAllClose([energy(full)], [energy(row)], { rtol: 1e-12 });
  assert.throws(() => mfccFromDb(row, 2, nMels), /Expected 256 dB values, but got 128/);
});

Deno.test("silent and constant input give finite features", () => {
  for (const y of [new Float32Array(5000), new Float32Array(5000).fill(0.25)]) {
    const { data, frames } = extractFeatures(y);
    assert.equal(frames, 1 + Math.floor(5000 / 512));
    assert.ok(data.every(Number.isFinite));
  }
  const silent = extractFeatures(new Float32Array(5000));
  // Silence: every mel bin sits at the amin floor (−100 dB), c0 = √128 · −100.
  assert.ok(Math.abs(silent.data[2] - Math.sqrt(128) * -100) < 1e-3);
  assert.equal(silent.data[0], 0);
  assert.equal(silent.data[1], 0);
  const empty = extractFeatures(new Float32Array(0));
  assert.equal(empty.frames, 1);
  assert.ok(empty.data.every(Number.isFinite));
});

Deno.test("feature matrix layout: [frames, 15], rms, zcr, then 13 MFCCs", () => {
  const y = speechLikeSignal({ durationS: 1.5, seed: 5 });
  const features = extractFeatures(y);
  assert.equal(features.featureCount, 15);
  assert.equal(features.data.length, features.frames * 15);
  assertAllClose(matrixColumn(features.data, 15, 0), rms(y), { rtol: 1e-6 });
  assertAllClose(matrixColumn(features.data, 15, 1), zeroCrossingRate(y), { atol: 1e-7 });
  const coefficients = mfcc(y);
  for (let k = 0; k < 13; k++) {
    assertAllClose(
      matrixColumn(features.data, 15, 2 + k),
      matrixColumn(coefficients.values, 13, k),
      { atol: 1e-4, rtol: 1e-6 },
    );
  }
  // melSpectrogram over stftPower is the same mel path mfcc uses internally.
  const db = powerToDb(melSpectrogram(stftPower(y)));
  assertAllClose(mfccFromDb(db, coefficients.frames, 128), coefficients.values, { atol: 1e-9 });
});

Deno.test("nMfcc: 40 MFCCs per frame, the first 13 the recipe's, the rest the same DCT's", () => {
  const y = speechLikeSignal({ durationS: 1, seed: 6 });
  const recipe = extractFeatures(y);
  const wide = extractFeatures(y, { nMfcc: 40 });
  assert.equal(wide.featureCount, 42);
  assert.equal(wide.frames, recipe.frames);
  const db = powerToDb(melSpectrogram(stftPower(y)));
  const all = mfccFromDb(db, wide.frames, 128, 40);
  for (let t = 0; t < wide.frames; t++) {
    assert.deepEqual(
      wide.data.subarray(t * 42, t * 42 + 15),
      recipe.data.subarray(t * 15, t * 15 + 15),
    );
    assertAllClose(wide.data.subarray(t * 42 + 2, t * 42 + 42), all.subarray(t * 40, t * 40 + 40), {
      atol: 1e-4,
      rtol: 1e-6,
    });
  }
  assert.throws(() => extractFeatures(y, { nMfcc: 0 }), /MFCC count from 1 to 128, but got 0/);
  assert.throws(() => extractFeatures(y, { nMfcc: 129 }), /but got 129/);
});

Deno.test("feature sets: columns and cache-folder suffixes", () => {
  assert.equal(featureColumns(), 15);
  assert.equal(featureColumns({ mfcc: 13 }), 15);
  assert.equal(featureColumns({ mfcc: 40 }), 42);
  assert.equal(featureColumns({ pitch: true }), 17);
  assert.equal(featureColumns({ mfcc: 40, pitch: true }), 44);
  assert.equal(featureSetSuffix({}), "");
  assert.equal(featureSetSuffix({ mfcc: 13 }), "", "the recipe's count is the recipe");
  assert.equal(featureSetSuffix({ pitch: true }), "+pitch");
  assert.equal(featureSetSuffix({ mfcc: 40, pitch: true }), "+mfcc40+pitch");
  assert.throws(() => featureColumns({ mfcc: 2.5 }), RangeError);
});

Deno.test("reflect padding mirrors without repeating the edge sample", () => {
  // A ramp: with reflect padding the first frame is symmetric around sample 0.
  const y = Float32Array.from({ length: 4096 }, (_, i) => i / 4096);
  const constant = stftPower(y, { padMode: "constant" });
  const reflect = stftPower(y, { padMode: "reflect" });
  assert.notDeepEqual(constant.power.subarray(0, 10), reflect.power.subarray(0, 10));
  // Interior frames do not touch the padding and are identical.
  const bins = constant.bins;
  assertAllClose(
    reflect.power.subarray(4 * bins, 5 * bins),
    constant.power.subarray(4 * bins, 5 * bins),
  );
  // Short signals (shorter than the pad) still work.
  assert.ok(
    stftPower(new Float32Array([1, 2, 3]), { padMode: "reflect" }).power.every(
      Number.isFinite,
    ),
  );
});

Deno.test("bad parameters are RangeErrors naming the parameter", () => {
  const y = new Float32Array(100);
  assert.throws(() => rms(y, { hopLength: 0 }), {
    name: "RangeError",
    message: "Expected hopLength > 0, but got 0",
  });
  assert.throws(() => rms(y, { frameLength: -2 }), /Expected frameLength > 0, but got -2/);
  assert.throws(() => zeroCrossingRate(y, { hopLength: 1.5 }), /Expected hopLength > 0/);
  assert.throws(() => stftPower(y, { nFft: 1000 }), /Expected nFft to be a power of two/);
  assert.throws(() => melFilterbank({ nMels: 0 }), /Expected nMels > 0, but got 0/);
  assert.throws(() => melFilterbank({ fMinHz: 5000, fMaxHz: 100 }), /Expected fMaxHz > fMinHz/);
  assert.throws(() => melFilterbank({ sampleRateHz: 0 }), /Expected sampleRateHz > 0, but got 0/);
  assert.throws(() => frameCount(100, 0), /Expected hopLength > 0, but got 0/);
  assert.throws(() => matrixColumn(y, 15, 15), /Expected 0 <= column < 15, but got 15/);
});
