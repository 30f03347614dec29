/**
 * Feature masking for training (after SpecAugment, Park et al. 2019): in each clip of a batch,
 * a few random stretches of frames and a few random bands of adjacent features are replaced
 * by the clip's own mean of each feature, so the model cannot lean on any one moment or
 * coefficient. Training only; inference and live prediction see unmasked features.
 *
 * @module
 */

import type { Random } from "./rng.ts";

/** How much {@link maskBatch} masks per clip. */
export interface MaskOptions {
  /** Stretches of frames masked per clip. */
  timeMasks: number;
  /** Longest stretch, in frames (each is 0 to this long). */
  maxFrames: number;
  /** Bands of adjacent features masked per clip. */
  featureMasks: number;
  /** Widest band, in features (each is 0 to this wide). */
  maxFeatures: number;
}

/** Two stretches of up to 10 frames (0.3 s each) and one band of up to 2 features. */
export const DEFAULT_MASK: MaskOptions = {
  timeMasks: 2,
  maxFrames: 10,
  featureMasks: 1,
  maxFeatures: 2,
};

function span(random: Random, max: number, total: number): [number, number] {
  const length = Math.floor(random() * (Math.min(max, total) + 1));
  const start = Math.floor(random() * (total - length + 1));
  return [start, start + length];
}

/**
 * Masks `n` clips of `[frames, width]` features in `x` in place, drawing positions from
 * `random`. A masked value becomes the mean of its feature over the clip's frames (computed
 * before any masking), so masking changes no clip's mean.
 */
export function maskBatch(
  x: Float32Array,
  n: number,
  frames: number,
  width: number,
  random: Random,
  options: MaskOptions = DEFAULT_MASK,
): void {
  const mean = new Float64Array(width);
  for (let c = 0; c < n; c++) {
    const base = c * frames * width;
    mean.fill(0);
    for (let t = 0; t < frames; t++) {
      for (let k = 0; k < width; k++) mean[k] += x[base + t * width + k];
    }
    for (let k = 0; k < width; k++) mean[k] /= frames;
    for (let m = 0; m < options.timeMasks; m++) {
      const [from, to] = span(random, options.maxFrames, frames);
      for (let t = from; t < to; t++) {
        for (let k = 0; k < width; k++) x[base + t * width + k] = mean[k];
      }
    }
    for (let m = 0; m < options.featureMasks; m++) {
      const [from, to] = span(random, options.maxFeatures, width);
      for (let t = 0; t < frames; t++) {
        for (let k = from; k < to; k++) x[base + t * width + k] = mean[k];
      }
    }
  }
}
