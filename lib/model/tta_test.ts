import assert from "node:assert/strict";
import { sine } from "../audio/synth.ts";
import { augmentClip, gaussianNoise } from "../train/augment.ts";
import {
  checkTtaCopies,
  MAX_TTA_COPIES,
  meanOfGroups,
  TTA_SPECS,
  ttaCopiesOf,
  ttaNoise,
} from "./tta.ts";

Deno.test("test-time copies lie inside the training copies' speeds and noise, with whole-number rates", () => {
  assert.equal(MAX_TTA_COPIES, 6);
  const seeds = new Set<number>();
  TTA_SPECS.forEach((spec, k) => {
    const slower = k % 2 === 0;
    if (slower) assert.ok(spec.speed >= 0.9 && spec.speed <= 0.95, `copy ${k} speed ${spec.speed}`);
    else assert.ok(spec.speed >= 1.05 && spec.speed <= 1.1, `copy ${k} speed ${spec.speed}`);
    assert.ok(Number.isInteger(16000 * spec.speed), `copy ${k}: 16 kHz × speed is whole`);
    assert.ok(spec.snrDb !== null && spec.snrDb >= 5 && spec.snrDb <= 20);
    seeds.add(spec.seed);
  });
  assert.equal(seeds.size, TTA_SPECS.length, "every copy has its own noise");
});

Deno.test("ttaCopiesOf gives the first copies, the same every time, as training makes them", () => {
  const clip = sine(16000, 220, 16000, 0.5);
  const copies = ttaCopiesOf(clip, 6);
  assert.equal(copies.length, 6);
  copies.forEach((copy, k) => {
    // Training's copy, from the float64 resampler and freshly drawn noise.
    const training = augmentClip(clip, TTA_SPECS[k]);
    assert.equal(copy.length, training.length);
    assert.equal(copy.length, Math.ceil(clip.length * (16000 / (16000 * TTA_SPECS[k].speed))));
    let diff = 0;
    for (let i = 0; i < copy.length; i++) diff = Math.max(diff, Math.abs(copy[i] - training[i]));
    assert.ok(diff <= 1e-6, `copy ${k} differs from training's by ${diff}`);
  });
  assert.deepEqual(ttaCopiesOf(clip, 6), copies);
  assert.deepEqual(ttaCopiesOf(clip, 2), copies.slice(0, 2));
  assert.deepEqual(ttaCopiesOf(clip, 0), []);
});

Deno.test("ttaNoise keeps each copy's noise: shorter windows get the start of one draw", () => {
  const seed = TTA_SPECS[0].seed;
  // Other tests may have kept a draw for this seed already; each step asks for more.
  const long = ttaNoise(seed, 200_000);
  assert.deepEqual(long, gaussianNoise(seed, 200_000));
  assert.equal(ttaNoise(seed, 1000), long, "a shorter window reuses the kept draw");
  assert.deepEqual(ttaNoise(seed, 1000).subarray(0, 1000), gaussianNoise(seed, 1000));
  const longer = ttaNoise(seed, 210_000);
  assert.deepEqual(longer, gaussianNoise(seed, 210_000));
  assert.equal(ttaNoise(seed, 200_000), longer, "the longer draw is kept instead");
  // Beyond what is kept (16 s), a draw is made for the call and not kept.
  const huge = ttaNoise(seed, 2 ** 18 + 1);
  assert.equal(huge.length, 2 ** 18 + 1);
  assert.equal(ttaNoise(seed, 1000), longer);
  // A seed that is not a copy's is drawn each time, not kept.
  assert.notEqual(ttaNoise(999, 100), ttaNoise(999, 100));
});

Deno.test("bad numbers of copies are RangeErrors that say what was expected", () => {
  for (const bad of [-1, 7, 1.5, NaN]) {
    assert.throws(
      () => checkTtaCopies(bad),
      /Expected test-time augmentation copies to be a whole number from 0 to 6, but got/,
    );
  }
  assert.equal(checkTtaCopies(6), 6);
});

Deno.test("meanOfGroups averages each group's rows", () => {
  const rows = [[1, 0], [0, 1], [0.5, 0.5], [0.2, 0.8]].map((r) => Float32Array.from(r));
  const [a, b] = meanOfGroups(rows, [3, 1]);
  assert.deepEqual(Array.from(a), [0.5, 0.5]);
  assert.deepEqual(Array.from(b), Array.from(Float32Array.from([0.2, 0.8])));
  assert.throws(() => meanOfGroups(rows, [2, 1]), /Expected 3 probability rows but got 4/);
  assert.throws(() => meanOfGroups(rows, [4, 0]), /at least one row/);
});
