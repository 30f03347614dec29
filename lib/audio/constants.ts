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

/** Number of MFCC coefficients kept (c0 … c12). */
export const N_MFCC = 13;

/** Columns of the feature matrix: RMS, ZCR, then {@link N_MFCC} MFCCs. */
export const FEATURE_COUNT = 2 + N_MFCC;

/** Columns `lib/audio/pitch.ts` adds for models that read pitch: semitones, periodicity. */
export const PITCH_FEATURE_COUNT = 2;

/** Columns of a feature matrix: {@link FEATURE_COUNT}, plus the pitch columns when asked. */
export function featureColumns(pitch = false): number {
  return FEATURE_COUNT + (pitch ? PITCH_FEATURE_COUNT : 0);
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
