import assert from "node:assert/strict";
import { sine } from "../audio/synth.ts";
import { resample } from "../audio/resample.ts";
import { gaussian, seededRandom } from "./rng.ts";
import { augmentClip, augmentSpecs, gaussianNoise, parseSpeedRange } from "./augment.ts";

function power(x: Float32Array) {
  return x.reduce((a, v) => a + v * v, 0) / x.length;
}

Deno.test("speed perturbation changes length by 1/speed and scales pitch by speed", () => {
  const tone = sine(16000, 200, 16000, 0.5);
  const fast = augmentClip(tone, { speed: 1.25, snrDb: null, seed: 1 });
  assert.equal(fast.length, Math.ceil(16000 / 1.25));
  // zero crossings per second grow by the speed factor: 400/s → 500/s
  let crossings = 0;
  for (let i = 1; i < fast.length; i++) if ((fast[i - 1] < 0) !== (fast[i] < 0)) crossings++;
  assert.ok(Math.abs(crossings / (fast.length / 16000) - 500) < 5, `${crossings}`);
});

Deno.test("noise is added at the requested SNR and is reproducible by seed", () => {
  const tone = sine(32000, 300, 16000, 0.5);
  const a = augmentClip(tone, { speed: 1, snrDb: 10, seed: 3 });
  const b = augmentClip(tone, { speed: 1, snrDb: 10, seed: 3 });
  assert.deepEqual(a, b);
  const noise = a.map((v, i) => v - tone[i]);
  const snr = 10 * Math.log10(power(tone) / power(noise));
  assert.ok(Math.abs(snr - 10) < 0.2, `SNR ${snr}`);
});

Deno.test("augment specs stay in range and repeat for the same seed", () => {
  const specs = augmentSpecs(5, 4, 1);
  assert.deepEqual(specs, augmentSpecs(5, 4, 1));
  for (const s of specs) {
    assert.ok(s.speed >= 0.9 && s.speed <= 1.1);
    assert.ok(s.snrDb! >= 5 && s.snrDb! <= 20);
  }
  assert.throws(() => augmentClip(new Float32Array(10), { speed: 3, snrDb: null, seed: 1 }));
});

Deno.test("the default speed range draws what the recipe always drew", () => {
  // The draws before the range could be chosen; cached features and models depend on them.
  const random = seededRandom(3 * 7919 + 11);
  const before = Array.from({ length: 6 }, (_, k) => ({
    speed: k % 2 === 0 ? 0.9 + 0.05 * random() : 1.05 + 0.05 * random(),
    snrDb: 5 + 15 * random(),
    seed: Math.floor(random() * 2 ** 31),
  }));
  assert.deepEqual(augmentSpecs(11, 6, 3), before);
  assert.deepEqual(augmentSpecs(11, 6, 3, { slow: 0.9, fast: 1.1 }), before);
});

Deno.test("a wider speed range spreads copies over it, alternating slower and faster", () => {
  const range = parseSpeedRange("0.8-1.25");
  assert.deepEqual(range, { slow: 0.8, fast: 1.25 });
  const speeds = Array.from({ length: 200 }, (_, i) => augmentSpecs(i, 4, 1, range))
    .flat().map((s) => s.speed);
  const slow = speeds.filter((_, i) => i % 2 === 0);
  const fast = speeds.filter((_, i) => i % 2 === 1);
  assert.ok(slow.every((v) => v >= 0.8 && v <= 0.95), "slower copies in 0.8–0.95");
  assert.ok(fast.every((v) => v >= 1.05 && v <= 1.25), "faster copies in 1.05–1.25");
  // They use the whole range, not only the default's part of it.
  assert.ok(Math.min(...slow) < 0.82 && Math.max(...fast) > 1.23, `${Math.min(...slow)}`);
  // The noise and its seed are drawn as with the default range.
  assert.deepEqual(
    augmentSpecs(7, 4, 2, range).map((s) => s.snrDb),
    augmentSpecs(7, 4, 2).map((s) => s.snrDb),
  );
});

Deno.test("a speed range outside what resampling allows is refused with the reason", () => {
  for (const bad of ["0.4-1.2", "0.97-1.2", "0.8-1.02", "0.8-2.5", "fast", "0.8", "1.2-0.8"]) {
    assert.throws(() => parseSpeedRange(bad), RangeError, bad);
  }
  assert.throws(() => parseSpeedRange("0.4-1.2"), /slowest speed in \(0\.5, 0\.95\]/);
});

Deno.test("training copies are what they always were, so cached features and seeded runs hold", () => {
  const clip = sine(8000, 220, 16000, 0.4);
  // The formula the feature cache and the trained models were made with.
  const sped = resample(clip, 16000 * 0.925, 16000);
  let p = 0;
  for (const v of sped) p += v * v;
  const sigma = Math.sqrt(p / sped.length / 10 ** (12.5 / 10));
  const random = seededRandom(7);
  const expected = sped.map((v) => v + sigma * gaussian(random));
  assert.deepEqual(augmentClip(clip, { speed: 0.925, snrDb: 12.5, seed: 7 }), expected);
});

Deno.test("gaussianNoise is the seed's draws in order, so a longer draw begins with a shorter one", () => {
  const random = seededRandom(3);
  const draws = Float64Array.from({ length: 50 }, () => gaussian(random));
  assert.deepEqual(gaussianNoise(3, 50), draws);
  assert.deepEqual(gaussianNoise(3, 20), draws.subarray(0, 20));
  assert.notDeepEqual(gaussianNoise(4, 20), draws.subarray(0, 20));
});

Deno.test("augmentClip uses the resampler and noise it is given, and refuses noise too short", () => {
  const clip = sine(1600, 220, 16000, 0.4);
  const calls: number[][] = [];
  const resampler = (x: Float32Array, from: number, to: number) => {
    calls.push([x.length, from, to]);
    return new Float32Array(100).fill(0.5);
  };
  const ones = (_seed: number, length: number) => new Float64Array(length).fill(1);
  const out = augmentClip(clip, { speed: 1.1, snrDb: 0, seed: 1 }, {
    resample: resampler,
    noise: ones,
  });
  assert.deepEqual(calls, [[1600, 17600, 16000]]);
  // Signal power 0.25 at 0 dB SNR: sigma 0.5, so every sample is 0.5 + 0.5.
  assert.deepEqual(out, new Float32Array(100).fill(1));
  assert.throws(
    () => augmentClip(clip, { speed: 1, snrDb: 10, seed: 1 }, { noise: () => new Float64Array(5) }),
    /Expected 1600 noise samples, but got 5/,
  );
});
