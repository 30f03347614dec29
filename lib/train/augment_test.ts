import assert from "node:assert/strict";
import { sine } from "../audio/synth.ts";
import { augmentClip, augmentSpecs } from "./augment.ts";

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
