import assert from "node:assert/strict";
import { DEFAULT_MASK, maskBatch } from "./mask.ts";
import { seededRandom } from "./rng.ts";

const FRAMES = 30, WIDTH = 6;

function clips(n: number): Float32Array {
  const random = seededRandom(1);
  return Float32Array.from({ length: n * FRAMES * WIDTH }, () => random() * 10 - 5);
}

function featureMeans(x: Float32Array, clip: number): number[] {
  const means = new Array(WIDTH).fill(0);
  for (let t = 0; t < FRAMES; t++) {
    for (let k = 0; k < WIDTH; k++) means[k] += x[(clip * FRAMES + t) * WIDTH + k] / FRAMES;
  }
  return means;
}

Deno.test("maskBatch replaces stretches of frames and bands of features by the clip's means", () => {
  const original = clips(3);
  const options = { timeMasks: 1, maxFrames: 8, featureMasks: 1, maxFeatures: 2 };
  let frameMasks = 0, bandMasks = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const x = original.slice();
    maskBatch(x, 3, FRAMES, WIDTH, seededRandom(seed), options);
    for (let c = 0; c < 3; c++) {
      const means = featureMeans(original, c);
      const changed = (t: number, k: number) => {
        const i = (c * FRAMES + t) * WIDTH + k;
        if (x[i] === original[i]) return false;
        assert.equal(x[i], Math.fround(means[k]), `clip ${c} frame ${t} feature ${k}`);
        return true;
      };
      // Whole frames changed: one stretch of at most 8; whole features: one band of at most 2.
      const frames = [...Array(FRAMES).keys()].filter((t) =>
        [...Array(WIDTH).keys()].every((k) => changed(t, k))
      );
      const bands = [...Array(WIDTH).keys()].filter((k) =>
        [...Array(FRAMES).keys()].every((t) => changed(t, k))
      );
      assert.ok(frames.length <= 8 || bands.length === WIDTH, `${frames.length} frames`);
      assert.ok(bands.length <= 2 || frames.length === FRAMES, `${bands.length} features`);
      if (frames.length > 0) assert.equal(frames.at(-1)! - frames[0] + 1, frames.length);
      frameMasks += frames.length > 0 ? 1 : 0;
      bandMasks += bands.length > 0 ? 1 : 0;
      // Every changed value lies in a masked frame or band.
      for (let t = 0; t < FRAMES; t++) {
        for (let k = 0; k < WIDTH; k++) {
          if (changed(t, k)) assert.ok(frames.includes(t) || bands.includes(k), `${t},${k}`);
        }
      }
    }
  }
  // Spans are 0 to the maximum long, so most draws mask something.
  assert.ok(frameMasks > 60 && bandMasks > 40, `${frameMasks} ${bandMasks}`);
});

Deno.test("maskBatch is seeded and leaves rows past n alone", () => {
  const a = clips(2), b = clips(2);
  maskBatch(a, 1, FRAMES, WIDTH, seededRandom(7), DEFAULT_MASK);
  maskBatch(b, 1, FRAMES, WIDTH, seededRandom(7), DEFAULT_MASK);
  assert.deepEqual(a, b);
  const untouched = clips(2).subarray(FRAMES * WIDTH);
  assert.deepEqual(a.subarray(FRAMES * WIDTH), untouched);
  assert.notDeepEqual(a.subarray(0, FRAMES * WIDTH), clips(1));
});
