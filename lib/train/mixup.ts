/**
 * Mixup for training (Zhang et al. 2018): every clip of a batch is blended with another clip of
 * the same batch, `λ × clip + (1 − λ) × partner`, and its target becomes the same blend of the
 * two clips' label distributions. One λ per batch, drawn from Beta(α, α); small α keeps most
 * blends close to one of the two clips. Training only; inference sees real clips.
 *
 * @module
 */

import { gaussian, type Random } from "./rng.ts";

/** A Gamma(shape, 1) sample (Marsaglia and Tsang 2000; shape < 1 boosted by U^(1/shape)). */
export function gammaSample(shape: number, random: Random): number {
  if (!(shape > 0)) throw new RangeError(`Expected a gamma shape > 0, but got ${shape}`);
  if (shape < 1) return gammaSample(shape + 1, random) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = gaussian(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(a, b) sample, as the ratio of two gamma samples. */
export function betaSample(a: number, b: number, random: Random): number {
  const x = gammaSample(a, random);
  const y = gammaSample(b, random);
  return x / (x + y);
}

/** Inputs of a batch (`n` rows) and, when it has them, its soft targets. */
export interface MixBatch {
  x: Float32Array;
  y: Int32Array;
  targets?: Float32Array;
}

/**
 * Blends the `n = y.length` clips of `batch` with a random permutation of themselves, one
 * λ ~ Beta(α, α) for the batch. Returns new inputs and targets (the batch's own targets, or its
 * one-hot labels, blended the same way) and the λ and partners used; `batch` is not changed.
 */
export function mixupBatch(
  batch: MixBatch,
  classes: number,
  alpha: number,
  random: Random,
): { x: Float32Array; y: Int32Array; targets: Float32Array; lambda: number; partner: number[] } {
  if (!(alpha > 0)) throw new RangeError(`Expected a mixup alpha > 0, but got ${alpha}`);
  const n = batch.y.length;
  const stride = n === 0 ? 0 : batch.x.length / n;
  const lambda = betaSample(alpha, alpha, random);
  const partner = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [partner[i], partner[j]] = [partner[j], partner[i]];
  }
  const source = batch.targets ?? oneHot(batch.y, classes);
  const x = new Float32Array(batch.x.length);
  const targets = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    const a = i * stride;
    const b = partner[i] * stride;
    for (let k = 0; k < stride; k++) {
      x[a + k] = lambda * batch.x[a + k] + (1 - lambda) * batch.x[b + k];
    }
    for (let k = 0; k < classes; k++) {
      targets[i * classes + k] = lambda * source[i * classes + k] +
        (1 - lambda) * source[partner[i] * classes + k];
    }
  }
  return { x, y: batch.y, targets, lambda, partner };
}

function oneHot(y: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(y.length * classes);
  y.forEach((label, i) => out[i * classes + label] = 1);
  return out;
}
