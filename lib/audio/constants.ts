/**
 * Fixed parameters shared by training, file classification and live audio. Changing any of
 * them changes the features the model sees, so {@link PIPELINE_VERSION} must change with them
 * (it keys the feature cache).
 */

import { expectPositiveInteger } from "./errors.ts";

/**
 * Version of the whole bytes → features pipeline. Cached features are stored under this
 * version, so bump it whenever decoding, preprocessing or feature code changes its output.
 */
export const PIPELINE_VERSION = "audio-v2";

/** Sample rate of everything after resampling and of the model input, in Hz. */
export const MODEL_SAMPLE_RATE_HZ = 16000;

/**
 * Fixed model input length in samples at {@link MODEL_SAMPLE_RATE_HZ}: 3 s. The speech of a
 * RAVDESS or TESS utterance (within 30 dB of its peak) lasts at most about 2.9 s; clips that
 * are longer after trimming carry low-level noise at their ends and are cropped to their
 * loudest 3 s, shorter ones are zero-padded.
 */
export const MODEL_INPUT_SAMPLES = 48000;

/** FFT size and frame length of the feature STFT, RMS and ZCR, in samples. */
export const N_FFT = 2048;

/** Hop between feature frames, in samples (32 ms at 16 kHz). */
export const HOP_LENGTH = 512;

/** Number of Slaney mel bands the MFCCs are computed from. */
export const N_MELS = 128;

/** Number of MFCC coefficients the recipe keeps (c0 … c12). */
export const N_MFCC = 13;

/** Columns of the recipe's feature matrix: RMS, ZCR, then {@link N_MFCC} MFCCs. */
export const FEATURE_COUNT = 2 + N_MFCC;

/** Columns `lib/audio/pitch.ts` adds for models that read pitch: semitones, periodicity. */
export const PITCH_FEATURE_COUNT = 2;

/** Most MFCCs a feature set may ask for: one per mel band. */
export const MAX_MFCC = N_MELS;

/**
 * Which columns a feature matrix has: RMS, ZCR, `mfcc` MFCCs (default {@link N_MFCC}, the
 * recipe), then the two pitch columns when `pitch` is set. Saved in a model's input config.
 */
export interface FeatureSet {
  /** MFCCs per frame (c0 … c(mfcc−1)); absent means {@link N_MFCC}. */
  mfcc?: number;
  /** Pitch and periodicity after the MFCCs (`lib/audio/pitch.ts`); absent means none. */
  pitch?: boolean;
}

/** The MFCC count of a feature set; throws for a count outside 1 … {@link MAX_MFCC}. */
export function mfccCount(set: FeatureSet = {}): number {
  const n = set.mfcc ?? N_MFCC;
  if (!Number.isInteger(n) || n < 1 || n > MAX_MFCC) {
    throw new RangeError(`Expected an MFCC count from 1 to ${MAX_MFCC}, but got ${n}`);
  }
  return n;
}

/** Columns of a feature matrix of this set: 2 + MFCCs, plus the pitch columns when asked. */
export function featureColumns(set: FeatureSet = {}): number {
  return 2 + mfccCount(set) + (set.pitch ? PITCH_FEATURE_COUNT : 0);
}

/**
 * Suffix naming a feature set in file names (the feature cache's folders): `""` for the recipe,
 * else `+mfcc40`, `+pitch` or both.
 */
export function featureSetSuffix(set: FeatureSet = {}): string {
  const n = mfccCount(set);
  return `${n === N_MFCC ? "" : `+mfcc${n}`}${set.pitch ? "+pitch" : ""}`;
}

/** Column names of the feature matrix in order, for reports and model cards. */
export const FEATURE_NAMES: readonly string[] = Object.freeze([
  "rms",
  "zcr",
  ...Array.from({ length: N_MFCC }, (_, k) => `mfcc${k}`),
]);

/**
 * Number of centred feature frames for `nSamples` input samples:
 * `1 + floor(nSamples / hopLength)` (librosa's count for `center=True` and an even frame length).
 */
export function frameCount(nSamples: number, hopLength: number = HOP_LENGTH): number {
  expectPositiveInteger("hopLength", hopLength);
  if (!Number.isInteger(nSamples) || nSamples < 0) {
    throw new RangeError(`Expected nSamples >= 0, but got ${nSamples}`);
  }
  return 1 + Math.floor(nSamples / hopLength);
}

/** Number of feature frames of one model input ({@link MODEL_INPUT_SAMPLES} samples): 94. */
export const MODEL_INPUT_FRAMES = frameCount(MODEL_INPUT_SAMPLES);
