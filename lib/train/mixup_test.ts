import assert from "node:assert/strict";
import { betaSample, gammaSample, mixupBatch } from "./mixup.ts";
import { seededRandom } from "./rng.ts";

function moments(draw: () => number, n: number) {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const v = draw();
    sum += v;
    squares += v * v;
  }
  const mean = sum / n;
  return { mean, variance: squares / n - mean * mean };
}

Deno.test("gammaSample has the gamma distribution's mean and variance (both = shape)", () => {
  for (const shape of [0.2, 0.5, 1, 2.5, 7]) {
    const random = seededRandom(11);
    const { mean, variance } = moments(() => gammaSample(shape, random), 40_000);
    assert.ok(Math.abs(mean - shape) < 0.04 * Math.max(1, shape), `mean ${mean} for ${shape}`);
    assert.ok(
      Math.abs(variance - shape) < 0.08 * Math.max(1, shape),
      `variance ${variance} for ${shape}`,
    );
  }
  assert.throws(() => gammaSample(0, seededRandom(1)), /gamma shape > 0, but got 0/);
});

Deno.test("betaSample(α, α) lies in [0, 1] with mean 1/2 and variance 1/(4(2α + 1))", () => {
  for (const alpha of [0.2, 0.4, 1, 4]) {
    const random = seededRandom(3);
    const draws: number[] = [];
    const { mean, variance } = moments(() => {
      const v = betaSample(alpha, alpha, random);
      draws.push(v);
      return v;
    }, 30_000);
    assert.ok(draws.every((v) => v >= 0 && v <= 1));
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean} for α ${alpha}`);
    const expected = 1 / (4 * (2 * alpha + 1));
    assert.ok(Math.abs(variance - expected) < 0.08 * expected, `variance ${variance} for ${alpha}`);
  }
  // Small α puts most draws near 0 or 1, large α near 1/2.
  const near = (alpha: number) => {
    const random = seededRandom(5);
    let edge = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = betaSample(alpha, alpha, random);
      if (v < 0.1 || v > 0.9) edge++;
    }
    return edge / 10_000;
  };
  assert.ok(near(0.2) > 0.5);
  assert.ok(near(4) < 0.05);
});

Deno.test("mixupBatch blends inputs and one-hot targets with the same λ and partner", () => {
  const classes = 4;
  const n = 6;
  const frames = 3;
  const y = Int32Array.from([0, 1, 2, 3, 1, 2]);
  // Each clip's every frame is its label's one-hot vector plus a clip-specific offset, so a blend
  // of inputs and a blend of targets can be compared directly.
  const x = new Float32Array(n * frames * classes);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < frames; t++) {
      for (let k = 0; k < classes; k++) {
        x[(i * frames + t) * classes + k] = (k === y[i] ? 1 : 0) + 10 * i;
      }
    }
  }
  const before = x.slice();
  const mixed = mixupBatch({ x, y }, classes, 0.4, seededRandom(9));
  assert.deepEqual(x, before, "the batch itself is left alone");
  assert.ok(mixed.lambda > 0 && mixed.lambda < 1);
  assert.deepEqual([...mixed.partner].sort(), [0, 1, 2, 3, 4, 5]);
  assert.ok(mixed.partner.some((p, i) => p !== i), "some clip gets another partner");
  for (let i = 0; i < n; i++) {
    const j = mixed.partner[i];
    const offset = mixed.lambda * 10 * i + (1 - mixed.lambda) * 10 * j;
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const target = mixed.targets[i * classes + k];
      sum += target;
      const expected = mixed.lambda * (k === y[i] ? 1 : 0) +
        (1 - mixed.lambda) * (k === y[j] ? 1 : 0);
      assert.ok(Math.abs(target - expected) < 1e-6);
      for (let t = 0; t < frames; t++) {
        assert.ok(Math.abs(mixed.x[(i * frames + t) * classes + k] - (target + offset)) < 1e-4);
      }
    }
    assert.ok(Math.abs(sum - 1) < 1e-6);
  }
  // Seeded: the same random source gives the same blend.
  assert.deepEqual(mixupBatch({ x, y }, classes, 0.4, seededRandom(9)), mixed);
  assert.throws(() => mixupBatch({ x, y }, classes, 0, seededRandom(9)), /alpha > 0, but got 0/);
});

Deno.test("mixupBatch blends a batch's soft targets when it has them", () => {
  const y = Int32Array.from([0, 1]);
  const targets = Float32Array.from([0.7, 0.3, 0.2, 0.8]);
  const x = Float32Array.from([1, 2]);
  const mixed = mixupBatch({ x, y, targets }, 2, 1, seededRandom(4));
  for (let i = 0; i < 2; i++) {
    const j = mixed.partner[i];
    for (let k = 0; k < 2; k++) {
      const expected = mixed.lambda * targets[i * 2 + k] + (1 - mixed.lambda) * targets[j * 2 + k];
      assert.ok(Math.abs(mixed.targets[i * 2 + k] - expected) < 1e-6);
    }
  }
});
