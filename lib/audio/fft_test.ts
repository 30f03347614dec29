/**
 * The paired real FFT against a direct DFT, its inverse against its forward transform, and
 * the WebAssembly SIMD route against the scalar route (which must agree bit for bit).
 */

import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import { PairedRealFft } from "./fft.ts";
import { hannWindow } from "./features.ts";
import { seededRandom } from "./synth.ts";

function randomFrame(length: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length }, () => random() - 0.5);
}

/** X[k] = Σ x[n]·e^(−2πikn/N) for k = 0 … N/2, by direct summation. */
function directDft(x: Float64Array): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const re = new Float64Array(n / 2 + 1);
  const im = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    for (let t = 0; t < n; t++) {
      const angle = (-2 * Math.PI * ((k * t) % n)) / n;
      re[k] += x[t] * Math.cos(angle);
      im[k] += x[t] * Math.sin(angle);
    }
  }
  return { re, im };
}

const SIZES = [2, 4, 8, 16, 32, 64, 128, 256, 1024, 2048];

Deno.test("forward: both lanes equal a direct DFT of the windowed frames", () => {
  for (const size of SIZES) {
    const fft = new PairedRealFft(size);
    const a = randomFrame(size, size);
    const b = randomFrame(size, size + 1);
    const window = hannWindow(size);
    fft.frame[0].set(a);
    fft.frame[1].set(b);
    const scale = 0.25;
    fft.forward(window, scale, true);
    [a, b].forEach((frame, lane) => {
      const expected = directDft(frame.map((v, i) => v * window[i] * scale));
      const tolerance = { atol: 1e-13 * size, label: `size ${size} lane ${lane}` };
      assertAllClose(fft.spectrumRe[lane], expected.re, tolerance);
      assertAllClose(fft.spectrumIm[lane], expected.im, tolerance);
      const power = expected.re.map((re, k) => re * re + expected.im[k] ** 2);
      assertAllClose(fft.power[lane], power, tolerance);
    });
    assert.equal(fft.spectrumIm[0][0], 0);
    assert.equal(fft.spectrumIm[0][size / 2], 0);
  }
});

Deno.test("forward: a window shorter than the FFT is zero-extended", () => {
  const fft = new PairedRealFft(64);
  const a = randomFrame(64, 1);
  fft.frame[0].set(a);
  fft.frame[1].fill(0);
  const window = hannWindow(48);
  fft.forward(window, 1, true);
  const expected = directDft(a.map((v, i) => (i < 48 ? v * window[i] : 0)));
  assertAllClose(fft.spectrumRe[0], expected.re, { atol: 1e-13 });
  assertAllClose(fft.spectrumIm[0], expected.im, { atol: 1e-13 });
  assert.ok(fft.power[1].every((p) => p === 0), "a silent lane has an all-zero spectrum");
});

Deno.test("inverse: round trip, gains, window and irfft's treatment of DC and Nyquist", () => {
  for (const size of SIZES) {
    const fft = new PairedRealFft(size);
    const bins = size / 2 + 1;
    const a = randomFrame(size, 7 * size);
    const b = randomFrame(size, 7 * size + 1);
    const ones = new Float64Array(size).fill(1);
    fft.frame[0].set(a);
    fft.frame[1].set(b);
    fft.forward(ones, 1, true);
    fft.gain[0].fill(1);
    fft.gain[1].fill(1);
    // Imaginary parts at DC and Nyquist are ignored, as numpy's irfft does.
    fft.spectrumIm[0][0] = 5;
    fft.spectrumIm[1][bins - 1] = -3;
    fft.inverse(ones, 1);
    assertAllClose(fft.frame[0], a, { atol: 1e-15, label: `round trip ${size}` });
    assertAllClose(fft.frame[1], b, { atol: 1e-15, label: `round trip ${size}` });

    // A zero gain on lane 1 silences it; scale and window multiply the output.
    fft.frame[0].set(a);
    fft.forward(ones, 1, true);
    fft.gain[0].fill(1);
    fft.gain[1].fill(0);
    const window = hannWindow(size);
    fft.inverse(window, 3);
    assertAllClose(fft.frame[0], a.map((v, i) => 3 * v * window[i]), { atol: 1e-14 });
    assert.ok(fft.frame[1].every((v) => v === 0));
  }
});

Deno.test("inverse: a gain applied in frequency equals the direct inverse DFT", () => {
  const size = 32;
  const fft = new PairedRealFft(size);
  const bins = size / 2 + 1;
  const random = seededRandom(11);
  const re = Float64Array.from({ length: bins }, () => random() - 0.5);
  const im = Float64Array.from({ length: bins }, () => random() - 0.5);
  const gain = Float64Array.from({ length: bins }, () => random());
  fft.spectrumRe[0].set(re);
  fft.spectrumIm[0].set(im);
  fft.gain[0].set(gain);
  fft.gain[1].fill(0);
  fft.inverse(new Float64Array(size).fill(1), 1);
  const expected = Float64Array.from({ length: size }, (_, t) => {
    let sum = 0;
    for (let k = 0; k < bins; k++) {
      const weight = k === 0 || k === bins - 1 ? 1 : 2;
      const angle = (2 * Math.PI * k * t) / size;
      const xr = re[k] * gain[k];
      const xi = k === 0 || k === bins - 1 ? 0 : im[k] * gain[k];
      sum += weight * (xr * Math.cos(angle) - xi * Math.sin(angle));
    }
    return sum / size;
  });
  assertAllClose(fft.frame[0], expected, { atol: 1e-15 });
});

Deno.test("the SIMD route and the scalar route give bit-identical results", () => {
  for (const size of SIZES) {
    const routes = [new PairedRealFft(size, true), new PairedRealFft(size, false)];
    const outputs = routes.map((fft) => {
      fft.frame[0].set(randomFrame(size, 3));
      fft.frame[1].set(randomFrame(size, 4));
      const window = hannWindow(size);
      fft.forward(window, 0.5, true);
      const forward = [...fft.spectrumRe, ...fft.spectrumIm, ...fft.power].map((a) => a.slice());
      fft.forward(window, 0.5, false);
      const powerOnly = fft.power.map((a) => a.slice());
      fft.gain[0].set(randomFrame(size / 2 + 1, 5));
      fft.gain[1].set(randomFrame(size / 2 + 1, 6));
      fft.inverse(window, 2);
      return [...forward, ...powerOnly, ...fft.frame.map((a) => a.slice())];
    });
    outputs[0].forEach((values, i) => {
      assert.deepEqual(values, outputs[1][i], `size ${size}, output ${i}`);
    });
  }
});

Deno.test("forwardFrom and inverseToAccumulator: an STFT and its overlap-add from the regions", () => {
  for (const size of [8, 64, 1024]) {
    const routes = [true, false].map((useSimd) => {
      const fft = new PairedRealFft(size, useSimd);
      const hop = size / 4;
      const frames = 7;
      const random = seededRandom(size);
      const { signal, accumulator } = fft.prepareRegions(
        (frames - 1) * hop + size,
        4,
        (frames - 1) * hop + size,
      );
      for (let i = 0; i < signal.length; i++) signal[i] = random() - 0.5;
      const window = hannWindow(size);
      const powers: Float64Array[] = [];
      for (let p = 0; p < 4; p++) {
        const a = 2 * p, b = Math.min(2 * p + 1, frames - 1);
        fft.forwardFrom(window, 0.5, a * hop, b * hop, p);
        powers.push(fft.power[0].slice(), fft.power[1].slice());
      }
      // The same frames through frame[] and forward give the same powers.
      const reference = new PairedRealFft(size, useSimd);
      for (let p = 0; p < 4; p++) {
        reference.frame[0].set(signal.subarray(2 * p * hop, 2 * p * hop + size));
        const b = Math.min(2 * p + 1, frames - 1);
        reference.frame[1].set(signal.subarray(b * hop, b * hop + size));
        reference.forward(window, 0.5, true);
        assert.deepEqual(powers[2 * p], reference.power[0]);
        assert.deepEqual(powers[2 * p + 1], reference.power[1]);
      }
      // Unit gains give back the windowed frames (×2 to undo the scale), overlap-added.
      accumulator.fill(0);
      const expected = new Float64Array(accumulator.length);
      for (let p = 0; p < 4; p++) {
        const lanes = 2 * p + 1 < frames ? 2 : 1;
        fft.gain[0].fill(1);
        fft.gain[1].fill(lanes === 2 ? 1 : 0);
        const b = lanes === 2 ? 2 * p + 1 : 2 * p;
        fft.inverseToAccumulator(window, 2, p, 2 * p * hop, b * hop);
        for (let lane = 0; lane < lanes; lane++) {
          const at = (2 * p + lane) * hop;
          for (let i = 0; i < size; i++) expected[at + i] += signal[at + i] * window[i] * window[i];
        }
      }
      assertAllClose(accumulator, expected, { atol: 1e-14, label: `size ${size}` });
      return [...powers, accumulator.slice()];
    });
    routes[0].forEach((values, i) => assert.deepEqual(values, routes[1][i], `size ${size} ${i}`));
  }
});

Deno.test("prepareRegions grows the memory and keeps the tables", () => {
  const fft = new PairedRealFft(64);
  const window = hannWindow(64);
  fft.frame[0].set(randomFrame(64, 1));
  fft.frame[1].set(randomFrame(64, 2));
  fft.forward(window, 1, false);
  const before = fft.power.map((p) => p.slice());
  const { signal } = fft.prepareRegions(1_000_000, 10, 10);
  assert.equal(signal.length, 1_000_000);
  fft.frame[0].set(randomFrame(64, 1));
  fft.frame[1].set(randomFrame(64, 2));
  fft.forward(window, 1, false);
  assert.deepEqual(fft.power.map((p) => p.slice()), before);
});

Deno.test("bad FFT sizes and windows are RangeErrors", () => {
  assert.throws(() => new PairedRealFft(12), RangeError);
  assert.throws(() => new PairedRealFft(1), RangeError);
  assert.throws(() => new PairedRealFft(8).forward(new Float64Array(9), 1, false), RangeError);
});

Deno.test("projectPower: weighted sums of both lanes' powers, SIMD equal to scalar", () => {
  const size = 256;
  const bins = size / 2 + 1;
  const random = seededRandom(21);
  const rows = 20;
  const start = Int32Array.from({ length: rows }, (_, m) => (m === 3 ? 0 : 6 * m));
  const stop = Int32Array.from({ length: rows }, (_, m) => (m === 3 ? 0 : 6 * m + 11));
  const weights = Float64Array.from({ length: rows * bins }, () => random());
  const filter = { weights, start, stop };
  const results = [true, false].map((useSimd) => {
    const fft = new PairedRealFft(size, useSimd);
    fft.frame[0].set(randomFrame(size, 1));
    fft.frame[1].set(randomFrame(size, 2));
    fft.forward(hannWindow(size), 1, false);
    const a = new Float64Array(rows + 2);
    const b = new Float64Array(rows + 2);
    fft.projectPower(filter, a, 1, b, 2);
    const expected = [0, 1].map((lane) =>
      Array.from({ length: rows }, (_, m) => {
        let sum = 0;
        for (let k = start[m]; k < stop[m]; k++) sum += weights[m * bins + k] * fft.power[lane][k];
        return sum;
      })
    );
    assert.deepEqual([...a.subarray(1, rows + 1)], expected[0]);
    assert.deepEqual([...b.subarray(2, rows + 2)], expected[1]);
    return [a, b];
  });
  assert.deepEqual(results[0], results[1]);
});
