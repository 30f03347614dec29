/**
 * Test-time augmentation: a window is classified from the mean of the model's probabilities for
 * the window and for copies of it changed as the training copies were (speed perturbation and
 * white noise, `lib/train/augment.ts`, applied before preprocessing). The recipe's networks
 * learned RAVDESS mostly from such copies (six for each original clip), and averaging over a
 * few views of a voice steadies the prediction for a voice never heard, as averaging over
 * networks does (`models/MODEL_CARD.md`).
 *
 * The copies are fixed ({@link TTA_SPECS}: the same speeds, noise levels and noise for every
 * window), so the same audio always gets the same result.
 *
 * @module
 */
import { resampleSimd } from "../audio/resample_simd.ts";
import { augmentClip, type AugmentSpec, gaussianNoise } from "../train/augment.ts";

/**
 * The copies, in the order they are used: speeds alternate slower and faster than the clip,
 * inside the training copies' range (0.9–0.95 and 1.05–1.1), the middle of each side first;
 * noise levels inside the training copies' 5–20 dB SNR; fixed noise seeds. Every speed times
 * 16 kHz is a whole number, so the resampler's per-phase taps apply (`resample.ts`).
 */
export const TTA_SPECS: readonly AugmentSpec[] = [
  { speed: 0.925, snrDb: 12.5, seed: 1 },
  { speed: 1.075, snrDb: 12.5, seed: 2 },
  { speed: 0.9, snrDb: 7.5, seed: 3 },
  { speed: 1.1, snrDb: 17.5, seed: 4 },
  { speed: 0.95, snrDb: 17.5, seed: 5 },
  { speed: 1.05, snrDb: 7.5, seed: 6 },
];

/** Most copies a window can be classified from. */
export const MAX_TTA_COPIES = TTA_SPECS.length;

/**
 * Checks a number of copies: a whole number from 0 (the window alone) to
 * {@link MAX_TTA_COPIES}; throws a `RangeError` otherwise.
 */
export function checkTtaCopies(copies: number): number {
  if (!Number.isInteger(copies) || copies < 0 || copies > MAX_TTA_COPIES) {
    throw new RangeError(
      `Expected test-time augmentation copies to be a whole number from 0 to ${MAX_TTA_COPIES}, but got ${copies}`,
    );
  }
  return copies;
}

/** A number of copies written as text (a command-line flag); throws as {@link checkTtaCopies}. */
export function parseTtaCopies(text: string): number {
  return checkTtaCopies(/^\s*\d+\s*$/.test(text) ? Number(text) : NaN);
}

/**
 * Longest noise kept per copy: 16 s at 16 kHz, beyond the 6 s a window can be after the
 * slowest copy (about 800 KB of float64 for each of the six).
 */
const KEPT_NOISE_SAMPLES = 2 ** 18;
const keptNoise = new Map<number, Float64Array>();

/**
 * {@link gaussianNoise}, kept for the copies' fixed seeds: a copy's noise is the first samples
 * of its seed's sequence, so one longer draw serves every shorter window. Drawing it costs
 * more than the rest of the noise step. The array returned may be the kept one: read it only.
 */
export function ttaNoise(seed: number, length: number): Float64Array {
  const kept = keptNoise.get(seed);
  if (kept && kept.length >= length) return kept;
  const noise = gaussianNoise(seed, length);
  if (length <= KEPT_NOISE_SAMPLES && TTA_SPECS.some((spec) => spec.seed === seed)) {
    keptNoise.set(seed, noise);
  }
  return noise;
}

/**
 * The first `copies` augmented copies of 16 kHz `samples`: `augmentClip` with the SIMD
 * resampler (`resample_simd.ts`, within a few 1e-7 of training's) and the kept noise
 * ({@link ttaNoise}, the same noise).
 */
export function ttaCopiesOf(samples: Float32Array, copies: number): Float32Array[] {
  checkTtaCopies(copies);
  return TTA_SPECS.slice(0, copies).map((spec) =>
    augmentClip(samples, spec, { resample: resampleSimd, noise: ttaNoise })
  );
}

/**
 * Mean of groups of probability rows: `probs` holds the rows of every group in order, `sizes`
 * how many rows each group has. Returns one row per group.
 */
export function meanOfGroups(
  probs: readonly Float32Array[],
  sizes: readonly number[],
): Float32Array[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== probs.length) {
    throw new RangeError(`Expected ${total} probability rows but got ${probs.length}`);
  }
  const out: Float32Array[] = [];
  let at = 0;
  for (const size of sizes) {
    if (size < 1) throw new RangeError(`Expected groups of at least one row, but got ${size}`);
    const mean = new Float32Array(probs[at].length);
    for (let r = at; r < at + size; r++) {
      for (let k = 0; k < mean.length; k++) mean[k] += probs[r][k];
    }
    for (let k = 0; k < mean.length; k++) mean[k] /= size;
    out.push(mean);
    at += size;
  }
  return out;
}
