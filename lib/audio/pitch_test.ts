import assert from "node:assert/strict";
import { frameCount } from "./constants.ts";
import { decodeAudio } from "./wav.ts";
import { extractFeatures } from "./features.ts";
import { extractFeaturesWithPitch, pitchFeatures, yinPitch } from "./pitch.ts";

const RATE = 16000;

function tone(f0Hz: number, seconds: number, harmonics = 1): Float32Array {
  const x = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < x.length; i++) {
    for (let h = 1; h <= harmonics; h++) {
      x[i] += (0.5 / h) * Math.sin(2 * Math.PI * f0Hz * h * i / RATE);
    }
  }
  return x;
}

/** Interior frames: those whose whole frame lies inside the signal. */
function interior<T>(values: ArrayLike<T>, samples: number): T[] {
  const out: T[] = [];
  for (let t = 0; t < values.length; t++) {
    if (t * 512 - 1024 >= 0 && t * 512 + 1024 <= samples) out.push(values[t]);
  }
  return out;
}

Deno.test("yin finds the fundamental of pure and harmonic tones", () => {
  for (const [f0, harmonics] of [[110, 1], [200, 1], [220, 5], [330, 3]]) {
    const x = tone(f0, 1, harmonics);
    const track = yinPitch(x);
    assert.equal(track.frames, frameCount(x.length));
    for (const f of interior(track.f0Hz, x.length)) {
      assert.ok(Math.abs(f - f0) / f0 < 0.005, `${f0} Hz tone (${harmonics} harmonics): ${f}`);
    }
    for (const p of interior(track.periodicity, x.length)) assert.ok(p > 0.95, `periodicity ${p}`);
  }
});

Deno.test("yin on the 440 Hz fixture, and its subharmonic when 440 Hz is out of range", async () => {
  const { samples } = decodeAudio(
    await Deno.readFile(
      new URL("../../../shared/fixtures/golden/audio/sine440_16k.wav", import.meta.url),
    ),
  );
  const track = yinPitch(samples);
  for (const f of interior(track.f0Hz, samples.length)) {
    assert.ok(Math.abs(f - 440) < 2, `440 Hz fixture: ${f}`);
  }
  // A period search that excludes 440 Hz (fmax 300 Hz) lands on the subharmonic 220 Hz.
  const low = yinPitch(samples, { fmaxHz: 300 });
  for (const f of interior(low.f0Hz, samples.length)) {
    assert.ok(Math.abs(f - 220) < 1.5, `fmax 300: ${f}`);
  }
});

Deno.test("noise is aperiodic, silence gives zeros, and bad options are refused", () => {
  let state = 7;
  const noise = new Float32Array(RATE).map(() => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
  const track = yinPitch(noise);
  const periodic = interior(track.periodicity, noise.length).filter((p) => p > 0.5).length;
  assert.ok(periodic === 0, `${periodic} noise frames look periodic`);
  const silent = pitchFeatures(new Float32Array(RATE));
  assert.equal(silent.frames, frameCount(RATE));
  assert.ok(silent.data.every((v) => v === 0));
  assert.throws(() => yinPitch(noise, { fminHz: 400, fmaxHz: 300 }), /fminHz < fmaxHz/);
  assert.throws(() => yinPitch(noise, { hopLength: 0 }), /hopLength/);
});

Deno.test("pitch features are semitones above 55 Hz and periodicity, frame by frame", () => {
  const x = tone(220, 1, 3);
  const { data, frames } = pitchFeatures(x);
  assert.equal(frames, frameCount(x.length));
  const mid = Math.floor(frames / 2);
  assert.ok(Math.abs(data[2 * mid] - 24) < 0.05, `two octaves above 55 Hz: ${data[2 * mid]}`);
  assert.ok(data[2 * mid + 1] > 0.95);
});

Deno.test("extractFeaturesWithPitch appends the pitch columns to the 15 features", () => {
  const x = tone(180, 1.5, 4);
  const base = extractFeatures(x);
  const pitch = pitchFeatures(x);
  const both = extractFeaturesWithPitch(x);
  assert.equal(both.featureCount, 17);
  assert.equal(both.frames, base.frames);
  for (let t = 0; t < both.frames; t++) {
    assert.deepEqual(
      both.data.subarray(t * 17, t * 17 + 15),
      base.data.subarray(t * 15, t * 15 + 15),
    );
    assert.deepEqual(
      both.data.subarray(t * 17 + 15, t * 17 + 17),
      pitch.data.subarray(t * 2, t * 2 + 2),
    );
  }
});
