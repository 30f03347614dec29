import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import { rms } from "./features.ts";
import {
  besselI0,
  KAISER_BEST_ROLLOFF,
  kaiserBestFilter,
  resample,
  resampledLength,
  resampleFromTable,
} from "./resample.ts";
import { seededRandom, sine } from "./synth.ts";

Deno.test("Bessel I0 matches known values", () => {
  assert.equal(besselI0(0), 1);
  // Abramowitz & Stegun, table 9.8.
  assertAllClose([besselI0(1), besselI0(2), besselI0(5)], [
    1.266065878,
    2.279585302,
    27.23987182,
  ], { rtol: 1e-9 });
  // I0 is even and grows like e^x / sqrt(2πx).
  assert.equal(besselI0(-3), besselI0(3));
  const x = 12.9846;
  const asymptotic = Math.exp(x) / Math.sqrt(2 * Math.PI * x) *
    (1 + 1 / (8 * x) + 9 / (128 * x * x));
  assertAllClose([besselI0(x)], [asymptotic], { rtol: 1e-4 });
});

Deno.test("kaiser_best table: 409 601 points, peak = rolloff, zero crossings every 8192/rolloff", () => {
  const { wing, delta } = kaiserBestFilter();
  assert.equal(wing.length, 50 * 8192 + 1);
  assert.equal(wing[0], KAISER_BEST_ROLLOFF);
  // The Kaiser window ends at 1 / I0(β) ≈ 2e-5 of its peak.
  assert.ok(Math.abs(wing[wing.length - 1]) < 1e-6);
  for (let i = 1; i < wing.length; i++) assert.ok(wing[i] <= wing[0]);
  // sinc(rolloff·j/8192) vanishes at j = 8192·m / rolloff.
  for (const m of [1, 2, 10]) {
    const j = (8192 * m) / KAISER_BEST_ROLLOFF;
    const lo = Math.floor(j);
    assert.ok(Math.sign(wing[lo]) !== Math.sign(wing[lo + 1]), `crossing ${m}`);
  }
  assert.equal(delta[delta.length - 1], 0);
  assert.equal(delta[10], wing[11] - wing[10]);
  assert.equal(kaiserBestFilter(), kaiserBestFilter(), "built once");
});

Deno.test("output length is ceil(n · to / from), as librosa's fix_length", () => {
  assert.equal(resampledLength(77412, 22050, 16000), 56172);
  assert.equal(resampledLength(48000, 48000, 16000), 16000);
  assert.equal(resampledLength(10, 16000, 48000), 30);
  assert.equal(resample(new Float32Array(77412), 22050, 16000).length, 56172);
  assert.equal(resample(new Float32Array(0), 44100, 16000).length, 0);
});

Deno.test("equal rates return a copy", () => {
  const x = new Float32Array([1, 2, 3]);
  const y = resample(x, 16000, 16000);
  assert.deepEqual(y, x);
  assert.notEqual(y, x);
});

Deno.test("a sine keeps its amplitude through up- and downsampling", () => {
  for (const [from, to] of [[48000, 16000], [22050, 16000], [8000, 16000], [44100, 16000]]) {
    const x = sine(from, 440, from, 0.5); // 1 s
    const y = resample(x, from, to);
    const reference = sine(y.length, 440, to, 0.5);
    // Away from the ends (where the filter runs out of signal) the result is the sine.
    const margin = Math.ceil(0.01 * to);
    const inner = y.subarray(margin, y.length - margin);
    assertAllClose(inner, reference.subarray(margin, y.length - margin), {
      atol: 2e-3,
      label: `${from} → ${to}`,
    });
  }
});

Deno.test("downsampling removes content above the new Nyquist frequency", () => {
  // 7 kHz survives 48 → 16 kHz (Nyquist 8 kHz); 11 kHz must be filtered, not aliased to 5 kHz.
  const keep = resample(sine(48000, 7000, 48000, 0.5), 48000, 16000);
  const drop = resample(sine(48000, 11000, 48000, 0.5), 48000, 16000);
  const mid = (values: Float64Array) => values[Math.floor(values.length / 2)];
  assert.ok(mid(rms(keep)) > 0.3, `7 kHz kept: ${mid(rms(keep))}`);
  assert.ok(mid(rms(drop)) < 1e-3, `11 kHz removed: ${mid(rms(drop))}`);
});

Deno.test("bad rates are RangeErrors", () => {
  const x = new Float32Array(10);
  assert.throws(() => resample(x, 0, 16000), {
    name: "RangeError",
    message: "Expected fromHz > 0, but got 0",
  });
  assert.throws(() => resample(x, 16000, -1), /Expected toHz > 0, but got -1/);
  assert.throws(() => resample(x, 16000, NaN), /Expected toHz > 0, but got NaN/);
  assert.throws(() => resample(x, 1e9, 16000), /Expected toHz \/ fromHz >= /);
  assert.throws(() => resample(new Float32Array(1e6), 1, 16000), /Expected a resampled length/);
});

Deno.test("whole-number rates use per-phase taps: the table's results within float32 rounding", () => {
  const random = seededRandom(11);
  const samples = Float32Array.from({ length: 5003 }, () => 2 * random() - 1);
  // Speeds of test-time augmentation, common device rates, and a pair too large for a table.
  const pairs: [number, number][] = [
    [14800, 16000],
    [17200, 16000],
    [14400, 16000],
    [17600, 16000],
    [44100, 16000],
    [48000, 16000],
    [22050, 16000],
    [8000, 16000],
    [16000, 44100],
    [15999, 16000],
  ];
  for (const [from, to] of pairs) {
    const fast = resample(samples, from, to);
    const reference = resampleFromTable(samples, from, to);
    assert.equal(fast.length, reference.length);
    let worst = 0;
    for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i] - reference[i]));
    assert.ok(worst <= 1e-6, `${from} → ${to}: largest difference ${worst}`);
  }
});
