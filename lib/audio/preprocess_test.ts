import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import { MODEL_INPUT_SAMPLES } from "./constants.ts";
import { reduceNoiseStationary } from "./denoise.ts";
import { extractFeatures } from "./features.ts";
import {
  loudestWindowStart,
  padOrCrop,
  peakNormalize,
  preprocess,
  removeDcOffset,
  trimBounds,
  trimSilence,
} from "./preprocess.ts";
import { resample } from "./resample.ts";
import { seededRandom, sine, speechLikeSignal } from "./synth.ts";
import { decodeAudio } from "./wav.ts";

const AUDIO = new URL("../../../shared/fixtures/golden/audio/", import.meta.url);

function peak(x: Float32Array): number {
  let p = 0;
  for (const v of x) p = Math.max(p, Math.abs(v));
  return p;
}

Deno.test("removeDcOffset: mean becomes zero, a constant becomes exact zeros", () => {
  const x = Float32Array.from({ length: 1000 }, (_, i) => 0.3 + 0.1 * Math.sin(i));
  const y = removeDcOffset(x);
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  assert.ok(Math.abs(mean) < 1e-7);
  for (const c of [0.1, -0.7331, 1e-3, 0.123456789]) {
    assert.ok(removeDcOffset(new Float32Array(48001).fill(c)).every((v) => v === 0), `${c}`);
  }
  assert.equal(removeDcOffset(new Float32Array(0)).length, 0);
});

Deno.test("peakNormalize: peak lands headroomDb below full scale; zeros stay zeros", () => {
  const x = Float32Array.from([0.01, -0.2, 0.05]);
  const y = peakNormalize(x, 1);
  assertAllClose([peak(y)], [10 ** (-1 / 20)], { rtol: 1e-6 });
  assertAllClose(y, [0.01 / 0.2, -1, 0.05 / 0.2].map((v) => v * 10 ** (-1 / 20)), { rtol: 1e-6 });
  assertAllClose([peak(peakNormalize(x, 0))], [1], { rtol: 1e-7 });
  assert.deepEqual(peakNormalize(new Float32Array(4)), new Float32Array(4));
  assert.throws(() => peakNormalize(x, -1), /Expected headroomDb >= 0, but got -1/);
});

Deno.test("trim: silence around a tone is cut at hop multiples, like librosa", () => {
  const tone = sine(8000, 440, 16000, 0.5);
  const x = new Float32Array(24000);
  x.set(tone, 8000);
  const { start, end } = trimBounds(x);
  // Frames centred up to ~1024 samples before the tone already see it (60 dB is a lot).
  assert.ok(start % 512 === 0 && start > 8000 - 2048 && start <= 8000, `start ${start}`);
  assert.ok(end % 512 === 0 && end >= 16000 && end < 16000 + 2048, `end ${end}`);
  assert.equal(trimSilence(x).length, end - start);
  // The golden file with 0.5 s of digital silence at each end: librosa gives 7168 … 43008
  // (speech_a_padded_16k.json; all fixtures are checked in golden_test.ts).
  const padded = decodeAudio(Deno.readFileSync(new URL("speech_a_padded_16k.wav", AUDIO)));
  assert.deepEqual(trimBounds(padded.samples), { start: 7168, end: 43008 });
});

Deno.test("trim: all-zero input is all 'non-silent' (librosa), a quiet tail is cut", () => {
  assert.deepEqual(trimBounds(new Float32Array(3000)), { start: 0, end: 3000 });
  assert.deepEqual(trimBounds(new Float32Array(0)), { start: 0, end: 0 });
  const x = sine(16000, 300, 16000, 0.5);
  for (let i = 8000; i < 16000; i++) x[i] *= 1e-4; // −80 dB
  const { end } = trimBounds(x);
  assert.ok(end < 8000 + 2048, `end ${end}`);
  assert.throws(() => trimBounds(x, { topDb: -5 }), /Expected topDb >= 0, but got -5/);
  assert.throws(() => trimBounds(x, { hopLength: 0 }), /Expected hopLength > 0, but got 0/);
});

Deno.test("padOrCrop: pads with zeros at the end, crops to the loudest window", () => {
  const x = Float32Array.from([1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(padOrCrop(x, 7)), [1, 2, 3, 4, 5, 0, 0]);
  assert.deepEqual(Array.from(padOrCrop(x, 3)), [3, 4, 5]);
  assert.deepEqual(Array.from(padOrCrop(x, 3, "start")), [1, 2, 3]);
  assert.deepEqual(Array.from(padOrCrop(x, 3, "center")), [2, 3, 4]);
  assert.deepEqual(Array.from(padOrCrop(x, 5)), [1, 2, 3, 4, 5]);
  assert.throws(() => padOrCrop(x, 0), /Expected lengthSamples > 0, but got 0/);
  // A burst in low-level noise: the window lands on the burst.
  const noise = Float32Array.from({ length: 10000 }, (_, i) => 1e-3 * Math.sin(i));
  noise.set(sine(2000, 300, 16000, 0.5), 6000);
  assert.ok(Math.abs(loudestWindowStart(noise, 2000) - 6000) <= 1);
  assert.equal(loudestWindowStart(new Float32Array(100), 10), 0, "ties keep the earliest");
  assert.equal(loudestWindowStart(new Float32Array(5), 10), 0);
});

Deno.test("preprocess: fixed length at 16 kHz, peak at −1 dBFS, finite", () => {
  for (const name of ["speech_a_16k.wav", "speech_b_22050.wav", "speech_c_48k_stereo.wav"]) {
    const { samples, sampleRateHz } = decodeAudio(Deno.readFileSync(new URL(name, AUDIO)));
    const y = preprocess(samples, sampleRateHz);
    assert.equal(y.length, MODEL_INPUT_SAMPLES, name);
    assert.ok(y.every(Number.isFinite), name);
    assertAllClose([peak(y)], [10 ** (-1 / 20)], { rtol: 1e-6, label: name });
    assert.ok(extractFeatures(y).data.every(Number.isFinite));
  }
});

Deno.test("preprocess: silent, constant and empty input give zeros, never NaN", () => {
  for (
    const x of [
      new Float32Array(20000),
      new Float32Array(20000).fill(0.42),
      new Float32Array(20000).fill(-1),
      new Float32Array(0),
      new Float32Array(1).fill(0.5),
    ]
  ) {
    for (const rate of [16000, 44100]) {
      const y = preprocess(x, rate);
      assert.equal(y.length, MODEL_INPUT_SAMPLES);
      assert.ok(y.every((v) => v === 0), `length ${x.length} value ${x[0]} at ${rate} Hz`);
    }
  }
  // Near-silence (one LSB of noise) is still audio, and stays finite.
  const random = seededRandom(1);
  const faint = Float32Array.from({ length: 16000 }, () => (random() < 0.5 ? -1 : 1) / 32768);
  assert.ok(preprocess(faint, 16000).every(Number.isFinite));
});

Deno.test("preprocess: stages compose in the documented order", () => {
  const clean = speechLikeSignal({ durationS: 2, sampleRateHz: 22050, seed: 3 });
  const x = clean.map((v) => v + 0.05); // DC offset
  const manual = (() => {
    let y = removeDcOffset(x);
    y = resample(y, 22050, 16000);
    y = reduceNoiseStationary(y, 16000);
    y = trimSilence(y);
    y = padOrCrop(y, MODEL_INPUT_SAMPLES);
    return peakNormalize(y, 1);
  })();
  assert.deepEqual(preprocess(x, 22050), manual);
  // Stages can be switched off.
  const plain = preprocess(x, 22050, { denoise: false, trimTopDb: null, removeDc: false });
  const expected = peakNormalize(padOrCrop(resample(x, 22050, 16000), MODEL_INPUT_SAMPLES), 1);
  assert.deepEqual(plain, expected);
  const short = preprocess(x, 22050, { lengthSamples: 16000, cropFrom: "center" });
  assert.equal(short.length, 16000);
});

Deno.test("preprocess: bad parameters are RangeErrors", () => {
  const x = new Float32Array(100);
  assert.throws(() => preprocess(x, 0), {
    name: "RangeError",
    message: "Expected sampleRateHz > 0, but got 0",
  });
  assert.throws(() => preprocess(x, 16000, { lengthSamples: 0 }), /lengthSamples > 0/);
  assert.throws(() => preprocess(x, 16000, { headroomDb: -1 }), /headroomDb >= 0/);
  assert.throws(() => preprocess(x, 16000, { trimTopDb: -1 }), /trimTopDb >= 0/);
  assert.throws(() => preprocess(Float32Array.of(0, NaN), 16000), /sample 1 is NaN/);
});
