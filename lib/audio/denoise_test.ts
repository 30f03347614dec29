/**
 * The spectral gate against noisereduce 3.0.3 (fixture made by noisereduce itself) and against
 * a literal, unoptimised re-statement of its algorithm written here for small inputs.
 */

import assert from "node:assert/strict";
import FFT from "fft.js";
import { assertAllClose, compareAllClose } from "../testing/all_close.ts";
import { noiseThresholdDb, reduceNoiseStationary, type SpectralGateOptions } from "./denoise.ts";
import { rms } from "./features.ts";
import { seededRandom, speechLikeSignal } from "./synth.ts";
import { decodeAudio } from "./wav.ts";

const FIXTURE = new URL(
  "../../../shared/fixtures/golden/noisereduce/speech_a_noisy10db_16k_stationary.json",
  import.meta.url,
);

/**
 * Tolerances against the noisereduce fixture. noisereduce computes the noise statistics in
 * float32 and rounds its output to float32; this port works in float64, so thresholds differ
 * by ~5e-5 dB and output samples by ~5e-8 (for samples up to ~0.7).
 */
const NOISEREDUCE_TOLERANCE = {
  thresholdDb: 2e-4,
  sampleAtol: 1e-6,
  rmsRtol: 1e-5,
};

Deno.test("noisereduce fixture: thresholds, samples and RMS frames match", () => {
  const fx = JSON.parse(Deno.readTextFileSync(FIXTURE));
  const y = decodeAudio(Deno.readFileSync(new URL(`../${fx.file}`, FIXTURE))).samples;
  assert.equal(y.length, fx.load.n_samples);

  const threshold = noiseThresholdDb(y, 16000);
  assertAllClose(threshold, fx.noise_thresh_db.values, {
    atol: NOISEREDUCE_TOLERANCE.thresholdDb,
    label: "noise_thresh_db",
  });

  const out = reduceNoiseStationary(y, 16000);
  const expected = fx.output;
  assert.equal(out.length, expected.length);
  const mid = expected.mid_start;
  assertAllClose(out.subarray(0, 400), expected.first_400, {
    atol: NOISEREDUCE_TOLERANCE.sampleAtol,
    label: "output first_400",
  });
  assertAllClose(out.subarray(mid, mid + 400), expected.mid_400, {
    atol: NOISEREDUCE_TOLERANCE.sampleAtol,
    label: "output mid_400",
  });
  let squares = 0;
  for (const v of out) squares += v * v;
  assertAllClose([Math.sqrt(squares / out.length)], [expected.rms], {
    rtol: NOISEREDUCE_TOLERANCE.rmsRtol,
    label: "output rms",
  });
  const frames = rms(out);
  assertAllClose(frames, fx.output_rms_frames.values[0], {
    rtol: NOISEREDUCE_TOLERANCE.rmsRtol,
    label: "output rms frames",
  });
  const achieved = [
    `threshold ${
      compareAllClose(threshold, fx.noise_thresh_db.values).maxAbsDiff.toExponential(2)
    } dB`,
    `samples ${
      Math.max(
        compareAllClose(out.subarray(0, 400), expected.first_400).maxAbsDiff,
        compareAllClose(out.subarray(mid, mid + 400), expected.mid_400).maxAbsDiff,
      ).toExponential(2)
    }`,
    `rms frames rel ${
      compareAllClose(frames, fx.output_rms_frames.values[0]).maxRelDiff.toExponential(2)
    }`,
  ];
  console.log(`max differences vs noisereduce: ${achieved.join(", ")}`);
});

// ---------------------------------------------------------------------------------------------
// A literal re-statement of noisereduce + scipy for small inputs: every frame transformed,
// direct 2-D convolution, one inverse FFT per frame, no shortcuts.

/** numpy.fft.rfft of a frame zero-padded to nFft, via fft.js's plain real transform. */
function rfft(frame: Float64Array, nFft: number): Float64Array {
  const fft = new FFT(nFft);
  const input = new Float64Array(nFft);
  input.set(frame);
  const out = fft.createComplexArray();
  fft.realTransform(out, input);
  return Float64Array.from(out.slice(0, nFft + 2));
}

/** numpy.fft.irfft: Hermitian extension, imaginary parts of DC and Nyquist ignored. */
function irfft(spectrum: Float64Array, nFft: number): Float64Array {
  const fft = new FFT(nFft);
  const full = fft.createComplexArray();
  for (let k = 0; k <= nFft / 2; k++) {
    const edge = k === 0 || k === nFft / 2;
    full[2 * k] = spectrum[2 * k];
    full[2 * k + 1] = edge ? 0 : spectrum[2 * k + 1];
    if (!edge) {
      full[2 * (nFft - k)] = spectrum[2 * k];
      full[2 * (nFft - k) + 1] = -spectrum[2 * k + 1];
    }
  }
  const out = fft.createComplexArray();
  fft.inverseTransform(out, full);
  return Float64Array.from({ length: nFft }, (_, n) => out[2 * n]);
}

function hann(length: number): Float64Array {
  return Float64Array.from({ length }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / length));
}

/** scipy.signal.stft(x, nperseg=W, noverlap=W−H, nfft, boundary='zeros', padded=False). */
function scipyStft(x: Float64Array, W: number, H: number, nFft: number): Float64Array[] {
  const window = hann(W);
  const windowSum = window.reduce((a, b) => a + b, 0);
  const ext = new Float64Array(x.length + 2 * Math.floor(W / 2));
  ext.set(x, Math.floor(W / 2));
  const frames: Float64Array[] = [];
  for (let start = 0; start + W <= ext.length; start += H) {
    const seg = Float64Array.from({ length: W }, (_, i) => ext[start + i] * window[i]);
    const spectrum = rfft(seg, nFft);
    for (let i = 0; i < spectrum.length; i++) spectrum[i] /= windowSum;
    frames.push(spectrum);
  }
  return frames;
}

/** scipy.signal.istft with the same settings. */
function scipyIstft(frames: Float64Array[], W: number, H: number, nFft: number): Float64Array {
  const window = hann(W);
  const windowSum = window.reduce((a, b) => a + b, 0);
  const length = W + (frames.length - 1) * H;
  const x = new Float64Array(length);
  const norm = new Float64Array(length);
  frames.forEach((spectrum, t) => {
    const sub = irfft(spectrum, nFft);
    for (let i = 0; i < W; i++) {
      x[t * H + i] += sub[i] * windowSum * window[i];
      norm[t * H + i] += window[i] * window[i];
    }
  });
  const half = Math.floor(W / 2);
  const out = x.slice(half, length - half);
  const n = norm.slice(half, length - half);
  for (let i = 0; i < out.length; i++) if (n[i] > 1e-10) out[i] /= n[i];
  return out;
}

function ampToDbRows(frames: Float64Array[], bins: number): number[][] {
  const db = frames.map((s) =>
    Array.from(
      { length: bins },
      (_, k) => 20 * Math.log10(Math.hypot(s[2 * k], s[2 * k + 1]) + Number.EPSILON),
    )
  );
  for (let k = 0; k < bins; k++) {
    const max = Math.max(...db.map((row) => row[k]));
    for (const row of db) row[k] = Math.max(row[k], max - 80);
  }
  return db;
}

function linspace(a: number, b: number, n: number, endpoint = true): number[] {
  const step = (b - a) / (endpoint ? n - 1 : n);
  return Array.from({ length: n }, (_, i) => a + i * step);
}

function triangle(h: number): number[] {
  return [...linspace(0, 1, h + 1, false), ...linspace(1, 0, h + 2)].slice(1, -1);
}

function referenceGate(y: Float32Array, sr: number, options: SpectralGateOptions): Float64Array {
  const nFft = options.nFft ?? 1024;
  const W = options.winLength ?? nFft;
  const H = options.hopLength ?? Math.floor(W / 4);
  const bins = nFft / 2 + 1;
  const chunkSize = options.chunkSize ?? 600000;
  const padding = options.paddingSamples ?? 30000;
  const p = options.propDecrease ?? 1;
  const noise = Float64Array.from(y.subarray(0, chunkSize));
  const noiseDb = ampToDbRows(scipyStft(noise, W, H, nFft), bins);
  const thresh = Array.from({ length: bins }, (_, k) => {
    const column = noiseDb.map((row) => row[k]);
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    const std = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length);
    return mean + (options.nStdThresh ?? 1.5) * std;
  });
  const freqHz = options.freqMaskSmoothHz === undefined ? 500 : options.freqMaskSmoothHz;
  const timeMs = options.timeMaskSmoothMs === undefined ? 50 : options.timeMaskSmoothMs;
  const nGradFreq = freqHz === null ? 1 : Math.trunc(freqHz / (sr / (nFft / 2)));
  const nGradTime = timeMs === null ? 1 : Math.trunc(timeMs / ((H / sr) * 1000));
  const smooth = !(freqHz === null && timeMs === null) && !(nGradFreq === 1 && nGradTime === 1);
  const tf = triangle(nGradFreq);
  const tt = triangle(nGradTime);
  const filterSum = tf.reduce((a, b) => a + b, 0) * tt.reduce((a, b) => a + b, 0);

  const filterChunk = (start: number, end: number): Float64Array => {
    const chunk = new Float64Array(end - start + 2 * padding);
    for (let i = 0; i < chunk.length; i++) {
      const j = start - padding + i;
      if (j >= 0 && j < y.length) chunk[i] = y[j];
    }
    const stft = scipyStft(chunk, W, H, nFft);
    const db = ampToDbRows(stft, bins);
    let mask = db.map((row) => row.map((v, k) => (v > thresh[k] ? 1 : 0) * p + (1 - p)));
    if (smooth) {
      const cf = Math.floor(tf.length / 2);
      const ct = Math.floor(tt.length / 2);
      mask = mask.map((row, t) =>
        row.map((_, k) => {
          let sum = 0;
          for (let a = 0; a < tf.length; a++) {
            for (let b = 0; b < tt.length; b++) {
              const kk = k + a - cf;
              const t2 = t + b - ct;
              if (kk >= 0 && kk < bins && t2 >= 0 && t2 < mask.length) {
                sum += mask[t2][kk] * tf[a] * tt[b];
              }
            }
          }
          return sum / filterSum;
        })
      );
    }
    const masked = stft.map((s, t) => s.map((v, i) => v * mask[t][i >> 1]));
    const x = scipyIstft(masked, W, H, nFft);
    const out = new Float64Array(chunk.length);
    out.set(x.subarray(0, Math.min(x.length, out.length)));
    return out.subarray(padding, padding + end - start);
  };
  const result = new Float64Array(y.length);
  if (y.length <= chunkSize) result.set(filterChunk(0, y.length));
  else {
    for (let start = 0; start < y.length; start += chunkSize) {
      const part = filterChunk(start, start + chunkSize);
      result.set(part.subarray(0, Math.min(chunkSize, y.length - start)), start);
    }
  }
  return result;
}

function noisySpeech(length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const speech = speechLikeSignal({ durationS: length / 8000, sampleRateHz: 8000, seed });
  return speech.map((v) => v + 0.05 * (random() - 0.5));
}

Deno.test("optimised gate equals a literal restatement of noisereduce", async (t) => {
  const base = { nFft: 128, freqMaskSmoothHz: 250, timeMaskSmoothMs: 16 };
  const configs: Array<[string, SpectralGateOptions, number]> = [
    ["one chunk", { ...base, paddingSamples: 300 }, 1500],
    ["several chunks, padding > window", { ...base, chunkSize: 700, paddingSamples: 200 }, 2000],
    ["several chunks, padding < window", { ...base, chunkSize: 500, paddingSamples: 40 }, 1600],
    ["no padding", { ...base, paddingSamples: 0 }, 900],
    ["half strength", { ...base, paddingSamples: 100, propDecrease: 0.5 }, 1000],
    ["no smoothing", { nFft: 128, freqMaskSmoothHz: null, timeMaskSmoothMs: null }, 800],
    ["frequency smoothing only", { nFft: 128, freqMaskSmoothHz: 250, timeMaskSmoothMs: null }, 800],
    ["window shorter than FFT", { ...base, winLength: 96, hopLength: 24 }, 900],
  ];
  for (const [name, options, length] of configs) {
    await t.step(name, () => {
      const y = noisySpeech(length, length);
      const expected = referenceGate(y, 8000, options);
      const actual = reduceNoiseStationary(y, 8000, options);
      // Equal up to the float32 rounding of the output.
      assertAllClose(actual, expected, { atol: 1e-9, rtol: 1e-7, label: name });
    });
  }
});

Deno.test("silence stays silent and constant input stays finite", () => {
  assert.deepEqual(reduceNoiseStationary(new Float32Array(5000), 16000), new Float32Array(5000));
  assert.equal(reduceNoiseStationary(new Float32Array(0), 16000).length, 0);
  const constant = reduceNoiseStationary(new Float32Array(3000).fill(0.3), 16000);
  assert.ok(constant.every(Number.isFinite));
  assert.ok(noiseThresholdDb(new Float32Array(10), 16000).every(Number.isFinite));
});

Deno.test("gating removes far more noise in pauses than signal in speech", () => {
  const clean = speechLikeSignal({ durationS: 3, seed: 8, noiseLevel: 0 });
  const random = seededRandom(8);
  const noise = clean.map(() => 0.01 * (random() + random() + random() - 1.5));
  const noisy = clean.map((v, i) => v + noise[i]);
  const out = reduceNoiseStationary(noisy, 16000);
  // Compare frame energies: frames where the clean signal is silent vs loud.
  const frameClean = rms(clean);
  const frameNoisy = rms(noisy);
  const frameOut = rms(out);
  let pauseKept = 0;
  let pauseCount = 0;
  let speechKept = 0;
  let speechCount = 0;
  const loudest = Math.max(...frameClean);
  for (let t = 0; t < frameClean.length; t++) {
    const kept = (frameOut[t] / frameNoisy[t]) ** 2;
    if (frameClean[t] === 0) {
      pauseKept += kept;
      pauseCount++;
    } else if (frameClean[t] > 0.3 * loudest) {
      speechKept += kept;
      speechCount++;
    }
  }
  assert.ok(pauseCount > 3 && speechCount > 3, `${pauseCount} pause, ${speechCount} speech frames`);
  pauseKept /= pauseCount;
  speechKept /= speechCount;
  assert.ok(pauseKept < 0.05, `pauses keep ${pauseKept} of their energy`);
  assert.ok(speechKept > 5 * pauseKept, `speech keeps ${speechKept}, pauses ${pauseKept}`);
});

Deno.test("bad gate parameters are RangeErrors", () => {
  const y = new Float32Array(100);
  assert.throws(() => reduceNoiseStationary(y, 16000, { nFft: 1000 }), /power of two/);
  assert.throws(() => reduceNoiseStationary(y, 16000, { hopLength: 0 }), {
    name: "RangeError",
    message: "Expected hopLength > 0, but got 0",
  });
  assert.throws(() => reduceNoiseStationary(y, 16000, { winLength: 2048 }), /winLength <= nFft/);
  assert.throws(() => reduceNoiseStationary(y, 16000, { propDecrease: 2 }), /propDecrease/);
  assert.throws(
    () => reduceNoiseStationary(y, 16000, { freqMaskSmoothHz: 1 }),
    /Expected freqMaskSmoothHz >= 31.25, but got 1/,
  );
  assert.throws(() => reduceNoiseStationary(y, 0), /Expected sampleRateHz > 0, but got 0/);
  assert.throws(() => reduceNoiseStationary(y, 16000, { chunkSize: 0 }), /chunkSize > 0/);
});

Deno.test("reduceNoiseStationary writes into a given output array of the input's length", () => {
  const y = noisySpeech(3000, 5);
  const expected = reduceNoiseStationary(y, 8000, { nFft: 128 });
  const out = new Float32Array(y.length).fill(7);
  assert.equal(reduceNoiseStationary(y, 8000, { nFft: 128 }, out), out);
  assert.deepEqual(out, expected);
  assert.throws(
    () => reduceNoiseStationary(y, 8000, {}, new Float32Array(10)),
    /Expected an output of 3000 samples, but got 10/,
  );
});
