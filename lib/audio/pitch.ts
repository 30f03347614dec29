/**
 * Pitch per feature frame, after YIN (de Cheveigné & Kawahara 2002) with `librosa.yin`'s
 * conventions: frames of {@link N_FFT} samples every {@link HOP_LENGTH}, centred with zero
 * padding (frame `t` is centred on sample `t · hop`, like the other features), a difference
 * window of half a frame starting at the frame's second sample, the cumulative mean normalised
 * difference over periods `floor(sr / fmaxHz) … ceil(sr / fminHz)`, the first trough below
 * `troughThreshold` (else the global minimum) refined by parabolic interpolation.
 *
 * Thirteen MFCCs keep the spectral envelope and smooth the harmonics away, so the voice's pitch,
 * a main cue of arousal, reaches the recipe's 15 features only indirectly.
 * {@link pitchFeatures} adds it as two columns per frame.
 */
import {
  type FeatureSet,
  HOP_LENGTH,
  mfccCount,
  MODEL_SAMPLE_RATE_HZ,
  N_FFT,
  PITCH_FEATURE_COUNT,
} from "./constants.ts";
import { expectPositiveInteger } from "./errors.ts";
import { extractFeatures, type FeatureMatrix } from "./features.ts";

/** Options of {@link yinPitch}; defaults in brackets. */
export interface YinOptions {
  /** Sample rate in Hz [16000]. */
  sampleRateHz?: number;
  /** Lowest pitch searched, Hz [60]. */
  fminHz?: number;
  /** Highest pitch searched, Hz [500]. */
  fmaxHz?: number;
  /** Frame length in samples [2048]; the difference window is half of it. */
  frameLength?: number;
  /** Hop between frames in samples [512]. */
  hopLength?: number;
  /** A trough of the normalised difference below this counts as the period [0.1]. */
  troughThreshold?: number;
}

/** Pitch track of a signal, one value per centred frame. */
export interface PitchTrack {
  /**
   * Estimated fundamental frequency per frame, Hz: between about `fminHz` and `fmaxHz`
   * (interpolation may step just outside); `sr / maxPeriod` for a frame without energy.
   */
  f0Hz: Float64Array;
  /**
   * `1 − ` the normalised difference at the chosen period, clipped to [0, 1]: near 1 for a
   * periodic (voiced) frame, low for noise; 0 for a frame without energy.
   */
  periodicity: Float64Array;
  frames: number;
}

/**
 * The period YIN picks from a cumulative mean normalised difference (`cmnd[i]` for period
 * `minPeriod + i`): the first trough below `threshold` (the first value counts as a trough when
 * below the second, the last when below its predecessor), else the global minimum, and the
 * parabolic refinement around it (0 at either end, or when the parabola is too flat), as librosa.
 */
export function yinTrough(
  cmnd: Float64Array,
  threshold: number,
): { chosen: number; shift: number } {
  const m = cmnd.length;
  let chosen = -1;
  let globalMin = 0;
  for (let i = 0; i < m; i++) {
    if (cmnd[i] < cmnd[globalMin]) globalMin = i;
    if (chosen >= 0) continue;
    const trough = i === 0
      ? cmnd[0] < cmnd[1]
      : cmnd[i] < cmnd[i - 1] && (i === m - 1 || cmnd[i] <= cmnd[i + 1]);
    if (trough && cmnd[i] < threshold) chosen = i;
  }
  if (chosen < 0) chosen = globalMin;
  let shift = 0;
  if (chosen > 0 && chosen < m - 1) {
    const a = cmnd[chosen - 1] + cmnd[chosen + 1] - 2 * cmnd[chosen];
    const b = (cmnd[chosen + 1] - cmnd[chosen - 1]) / 2;
    if (Math.abs(b) < Math.abs(a)) shift = -b / a;
  }
  return { chosen, shift };
}

/** Mean square below which a difference window counts as silent (about −100 dBFS). */
const SILENT_MEAN_SQUARE = 1e-10;

/** YIN pitch per centred frame of `samples`; see the module comment for the conventions. */
export function yinPitch(samples: ArrayLike<number>, options: YinOptions = {}): PitchTrack {
  const sr = options.sampleRateHz ?? MODEL_SAMPLE_RATE_HZ;
  const fmin = options.fminHz ?? 60;
  const fmax = options.fmaxHz ?? 500;
  const frameLength = options.frameLength ?? N_FFT;
  const hop = options.hopLength ?? HOP_LENGTH;
  const threshold = options.troughThreshold ?? 0.1;
  expectPositiveInteger("frameLength", frameLength);
  expectPositiveInteger("hopLength", hop);
  if (!(fmin > 0 && fmax > fmin && fmax < sr / 2)) {
    throw new RangeError(`Expected 0 < fminHz < fmaxHz < sr / 2, but got ${fmin} and ${fmax}`);
  }
  const win = Math.floor(frameLength / 2);
  const minPeriod = Math.floor(sr / fmax);
  const maxPeriod = Math.min(Math.ceil(sr / fmin), frameLength - win - 1);
  if (minPeriod < 1 || maxPeriod <= minPeriod) {
    throw new RangeError(
      `Expected a period range inside the frame, but got ${minPeriod}…${maxPeriod} samples`,
    );
  }
  const n = samples.length;
  const pad = Math.floor(frameLength / 2);
  const frames = n + 2 * pad < frameLength ? 0 : 1 + Math.floor((n + 2 * pad - frameLength) / hop);
  const f0Hz = new Float64Array(frames);
  const periodicity = new Float64Array(frames);
  const x = new Float64Array(frameLength);
  const d = new Float64Array(maxPeriod + 1);
  const acf = new Float64Array(maxPeriod + 4);
  const cmnd = new Float64Array(maxPeriod - minPeriod + 1);
  for (let t = 0; t < frames; t++) {
    const start = t * hop - pad;
    for (let i = 0; i < frameLength; i++) {
      const j = start + i;
      x[i] = j >= 0 && j < n ? samples[j] : 0;
    }
    let energy0 = 0;
    for (let j = 1; j <= win; j++) energy0 += x[j] * x[j];
    if (energy0 / win < SILENT_MEAN_SQUARE) {
      f0Hz[t] = sr / maxPeriod;
      periodicity[t] = 0;
      continue;
    }
    // d(τ) = Σ_{j=1..win} (x[j] − x[j+τ])², as energy terms minus twice the autocorrelation.
    autocorrelation(x, win, maxPeriod, acf);
    let energy = energy0;
    for (let tau = 0; tau <= maxPeriod; tau++) {
      if (tau > 0) energy += x[tau + win] * x[tau + win] - x[tau] * x[tau];
      d[tau] = Math.max(0, energy0 + energy - 2 * acf[tau]);
    }
    let cumulative = 0;
    for (let tau = 1; tau <= maxPeriod; tau++) {
      cumulative += d[tau];
      if (tau >= minPeriod) cmnd[tau - minPeriod] = d[tau] / (cumulative / tau + Number.MIN_VALUE);
    }
    const { chosen, shift } = yinTrough(cmnd, threshold);
    f0Hz[t] = sr / (minPeriod + chosen + shift);
    periodicity[t] = Math.min(1, Math.max(0, 1 - cmnd[chosen]));
  }
  return { f0Hz, periodicity, frames };
}

/**
 * `acf[τ] = Σ_{j=1..win} x[j] · x[j+τ]` for τ = 0…maxLag, four lags per pass over the window
 * (each `x[j]` is loaded once for four products), which roughly halves the time of one lag at
 * a time. `x` must hold at least `win + maxLag + 1` samples; the few lags past `maxLag` that
 * a pass also computes may read beyond `x` (NaN) and are never used.
 */
function autocorrelation(x: Float64Array, win: number, maxLag: number, acf: Float64Array): void {
  for (let tau = 0; tau <= maxLag; tau += 4) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let next0 = x[1 + tau], next1 = x[2 + tau], next2 = x[3 + tau];
    for (let j = 1; j <= win; j++) {
      const xj = x[j];
      const next3 = x[j + tau + 3];
      a0 += xj * next0;
      a1 += xj * next1;
      a2 += xj * next2;
      a3 += xj * next3;
      next0 = next1;
      next1 = next2;
      next2 = next3;
    }
    acf[tau] = a0;
    acf[tau + 1] = a1;
    acf[tau + 2] = a2;
    acf[tau + 3] = a3;
  }
}

/**
 * Two model features per frame, frame-major `[frames, 2]`: pitch in semitones above 55 Hz
 * (`12 · log2(f0 / 55)`, about 1.5 … 38 for 60 … 500 Hz) and YIN periodicity; both 0 in frames
 * without energy (padding and gated silence).
 */
export function pitchFeatures(samples: ArrayLike<number>, options: YinOptions = {}): {
  data: Float32Array;
  frames: number;
} {
  const track = yinPitch(samples, options);
  const data = new Float32Array(track.frames * 2);
  for (let t = 0; t < track.frames; t++) {
    if (track.periodicity[t] === 0) continue;
    data[2 * t] = 12 * Math.log2(track.f0Hz[t] / 55);
    data[2 * t + 1] = track.periodicity[t];
  }
  return { data, frames: track.frames };
}

/**
 * {@link extractFeatures}'s columns (15, or `2 + nMfcc`) followed by {@link pitchFeatures}' 2 per
 * frame: the matrix of a model whose input has `pitch: true`. Same frames, same padding.
 */
export function extractFeaturesWithPitch(
  samples: ArrayLike<number>,
  options: { nMfcc?: number } = {},
): FeatureMatrix {
  const base = extractFeatures(samples, { nMfcc: options.nMfcc });
  const pitch = pitchFeatures(samples);
  const baseColumns = base.featureCount;
  const width = baseColumns + PITCH_FEATURE_COUNT;
  const data = new Float32Array(base.frames * width);
  for (let t = 0; t < base.frames; t++) {
    data.set(base.data.subarray(t * baseColumns, (t + 1) * baseColumns), t * width);
    data.set(
      pitch.data.subarray(t * PITCH_FEATURE_COUNT, (t + 1) * PITCH_FEATURE_COUNT),
      t * width + baseColumns,
    );
  }
  return { data, frames: base.frames, featureCount: width };
}

/**
 * The feature matrix of preprocessed 16 kHz audio as a model reads it: `featureColumns(set)`
 * columns, {@link extractFeatures} with the set's MFCC count, plus pitch
 * ({@link extractFeaturesWithPitch}) when the set has it (`InputConfig.pitch`). Training's cache,
 * evaluation and file classification all go through here.
 */
export function extractModelFeatures(
  samples: ArrayLike<number>,
  set: FeatureSet = {},
): FeatureMatrix {
  const nMfcc = mfccCount(set);
  return set.pitch
    ? extractFeaturesWithPitch(samples, { nMfcc })
    : extractFeatures(samples, { nMfcc });
}
