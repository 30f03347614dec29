/**
 * Utterance functionals: one fixed-length vector of statistics per clip, for the dense member
 * of the model that sits beside the recipe's LSTMs (`lib/model/functionals_model.ts`).
 *
 * The recipe's networks read 15 numbers per 128 ms frame. On voices never heard in training, a
 * classifier of clip-level statistics over a wider set of descriptors does better than the
 * LSTM on those 15 (`research/functionals.py`, models/MODEL_CARD.md), and averaging the two
 * does better than either. This module computes that wider set with librosa's conventions
 * (references: `research/golden_functionals.py` → `testdata/functionals_golden.json`):
 *
 * 1. {@link functionalsAudio}: mean removed, peak-normalised to 1, trimmed at 60 dB
 *    (`librosa.effects.trim`). No noise gate and no padding: the statistics see the clip as
 *    spoken, and its duration is one of them.
 * 2. {@link frameDescriptors}, frame 512 / hop 160 (32 ms / 10 ms), centred, zero-padded,
 *    periodic Hann: 40 Slaney mel bands in dB (`power_to_db`, top 80 dB), 20 MFCCs
 *    (orthonormal DCT-II) and their `librosa.feature.delta` (Savitzky–Golay, 9 frames);
 *    RMS in dB from the spectrogram (`rms(S=…)`), spectral centroid, bandwidth, flatness,
 *    85 % roll-off, zero-crossing rate, 6 spectral-contrast bands (`fmin` 100 Hz), and YIN pitch
 *    (60–500 Hz, frame 1024).
 * 3. {@link utteranceFunctionals}: over the voiced frames (RMS within 35 dB of the loudest),
 *    the mean, standard deviation and 10th / 90th percentiles (numpy's linear interpolation) of
 *    each series: 40 + 20 + 20 + 6 + 6 series × 4 = 368 numbers; then ten clip-wide ones: log₂ f0
 *    mean, spread, 5th and 95th percentile and movement (mean absolute and spread of frame-to-frame
 *    change) over the pitched frames, the pitched and voiced shares of frames, the duration in
 *    seconds and the loudness movement (mean absolute change of RMS dB between voiced frames).
 *
 * @module
 */

import { MODEL_SAMPLE_RATE_HZ } from "./constants.ts";
import { PairedRealFft } from "./fft.ts";
import {
  melFilterbank,
  melSpectrogram,
  mfccFromDb,
  type PowerSpectrogram,
  powerToDb,
  stftPower,
  zeroCrossingRate,
} from "./features.ts";
import { yinTrough } from "./pitch.ts";
import { trimBounds } from "./preprocess.ts";

/** Version of the functionals; a model trained on one refuses another. */
export const FUNCTIONALS_VERSION = "functionals-v1";
/** Frame and FFT length of the descriptors, samples (32 ms). */
export const FUNCTIONALS_N_FFT = 512;
/** Hop between descriptor frames, samples (10 ms). */
export const FUNCTIONALS_HOP = 160;
/** Mel bands. */
export const FUNCTIONALS_MELS = 40;
/** MFCCs (and as many deltas). */
export const FUNCTIONALS_MFCC = 20;
/** Spectral-contrast bands (`n_bands` 5 gives 6 rows). */
export const CONTRAST_BANDS = 6;
/** Frames whose RMS is within this many dB of the loudest count as voiced. */
export const VOICED_RANGE_DB = 35;
/** The per-frame series summarised, in order. */
const SPECTRAL_NAMES = ["rmsDb", "centroid", "bandwidth", "flatness", "rolloff", "zcr"] as const;
const STAT_NAMES = ["mean", "std", "p10", "p90"] as const;
const CLIP_NAMES = [
  "log2F0Mean",
  "log2F0Std",
  "log2F0P5",
  "log2F0P95",
  "log2F0MeanAbsChange",
  "log2F0ChangeStd",
  "pitchedShare",
  "durationS",
  "voicedShare",
  "rmsDbMeanAbsChange",
] as const;

/** Series per frame: mel, MFCC, delta, spectral, contrast. */
const SERIES = FUNCTIONALS_MELS + 2 * FUNCTIONALS_MFCC + SPECTRAL_NAMES.length + CONTRAST_BANDS;
/** Length of {@link utteranceFunctionals}' vector: 378. */
export const FUNCTIONAL_COUNT = 4 * SERIES + CLIP_NAMES.length;

/** Names of the {@link FUNCTIONAL_COUNT} numbers, in order (`mfcc3.p90`, `durationS`, …). */
export function functionalNames(): string[] {
  const blocks: string[][] = [
    Array.from({ length: FUNCTIONALS_MELS }, (_, i) => `mel${i}`),
    Array.from({ length: FUNCTIONALS_MFCC }, (_, i) => `mfcc${i}`),
    Array.from({ length: FUNCTIONALS_MFCC }, (_, i) => `delta${i}`),
    [...SPECTRAL_NAMES],
    Array.from({ length: CONTRAST_BANDS }, (_, i) => `contrast${i}`),
  ];
  const names = blocks.flatMap((series) =>
    STAT_NAMES.flatMap((stat) => series.map((s) => `${s}.${stat}`))
  );
  return [...names, ...CLIP_NAMES];
}

/**
 * The clip the functionals describe: `samples16k` (16 kHz mono) with its mean removed,
 * scaled to a peak of 1 and trimmed at 60 dB, in float64; empty when the clip is silent.
 */
export function functionalsAudio(samples16k: ArrayLike<number>): Float64Array {
  const n = samples16k.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples16k[i];
  mean = n > 0 ? mean / n : 0;
  const out = new Float64Array(n);
  let peak = 0;
  for (let i = 0; i < n; i++) {
    out[i] = samples16k[i] - mean;
    peak = Math.max(peak, Math.abs(out[i]));
  }
  if (!(peak > 0)) return new Float64Array(0);
  for (let i = 0; i < n; i++) out[i] /= peak;
  const { start, end } = trimBounds(out, { topDb: 60 });
  return out.subarray(start, end);
}

/**
 * `librosa.feature.delta(x, width=9, order=1)` along frames of a frame-major `[frames][width]`
 * matrix: Savitzky–Golay first derivative of a line fitted over 9 frames, `Σ k·x[t+k] / 60`,
 * with `mode="interp"` edges (the first and last four frames take the slope of the line over
 * the first or last nine). librosa refuses fewer than 9 frames; here the line is then fitted over
 * all of them (0 for a single frame).
 */
export function savgolDelta(values: Float64Array, frames: number, width: number): Float64Array {
  const out = new Float64Array(frames * width);
  if (frames < 2) return out;
  if (frames < 9) {
    const centre = (frames - 1) / 2;
    let denominator = 0;
    for (let t = 0; t < frames; t++) denominator += (t - centre) ** 2;
    for (let f = 0; f < width; f++) {
      let sum = 0;
      for (let t = 0; t < frames; t++) sum += (t - centre) * values[t * width + f];
      for (let t = 0; t < frames; t++) out[t * width + f] = sum / denominator;
    }
    return out;
  }
  for (let t = 0; t < frames; t++) {
    const c = Math.min(frames - 5, Math.max(4, t));
    for (let f = 0; f < width; f++) {
      let sum = 0;
      for (let k = 1; k <= 4; k++) {
        sum += k * (values[(c + k) * width + f] - values[(c - k) * width + f]);
      }
      out[t * width + f] = sum / 60;
    }
  }
  return out;
}

/** Per-frame spectral shape of a magnitude spectrogram, librosa's definitions. */
export interface SpectralShape {
  /** `rms(S=…)`: `sqrt(2·Σ|X|² / nFft²)` with the DC and Nyquist bins halved. */
  rms: Float64Array;
  /** `spectral_centroid`: magnitude-weighted mean frequency, Hz (0 for a silent frame). */
  centroid: Float64Array;
  /** `spectral_bandwidth` (p = 2): magnitude-weighted spread around the centroid, Hz. */
  bandwidth: Float64Array;
  /** `spectral_flatness` of the power (floor 1e-10): geometric over arithmetic mean. */
  flatness: Float64Array;
  /** `spectral_rolloff`: lowest bin frequency where the cumulative magnitude reaches 85 %. */
  rolloff: Float64Array;
}

/** {@link SpectralShape} of a power spectrogram from {@link stftPower}. */
export function spectralShape(
  spectrogram: PowerSpectrogram,
  sampleRateHz: number = MODEL_SAMPLE_RATE_HZ,
): SpectralShape {
  const { power, frames, bins } = spectrogram;
  const nFft = 2 * (bins - 1);
  const binHz = sampleRateHz / nFft;
  const shape: SpectralShape = {
    rms: new Float64Array(frames),
    centroid: new Float64Array(frames),
    bandwidth: new Float64Array(frames),
    flatness: new Float64Array(frames),
    rolloff: new Float64Array(frames),
  };
  const magnitude = new Float64Array(bins);
  const amin = 1e-10;
  for (let t = 0; t < frames; t++) {
    const row = power.subarray(t * bins, (t + 1) * bins);
    let energy = 0, total = 0, weighted = 0, logSum = 0, floored = 0;
    for (let k = 0; k < bins; k++) {
      const p = row[k];
      energy += k === 0 || k === bins - 1 ? p / 2 : p;
      const m = Math.sqrt(p);
      magnitude[k] = m;
      total += m;
      weighted += m * k * binHz;
      const pf = Math.max(amin, p);
      logSum += Math.log(pf);
      floored += pf;
    }
    shape.rms[t] = Math.sqrt((2 * energy) / (nFft * nFft));
    shape.flatness[t] = Math.exp(logSum / bins) / (floored / bins);
    // librosa normalises each column to sum 1 only when its sum is positive; an all-zero column
    // gives centroid and bandwidth 0, and every bin reaches the (zero) roll-off threshold.
    const centroid = total > 0 ? weighted / total : 0;
    shape.centroid[t] = centroid;
    let spread = 0;
    if (total > 0) {
      for (let k = 0; k < bins; k++) spread += (magnitude[k] / total) * (k * binHz - centroid) ** 2;
    }
    shape.bandwidth[t] = Math.sqrt(spread);
    const threshold = 0.85 * total;
    let cumulative = 0;
    let k = 0;
    for (; k < bins - 1; k++) {
      cumulative += magnitude[k];
      if (!(cumulative < threshold)) break;
    }
    shape.rolloff[t] = k * binHz;
  }
  return shape;
}

/**
 * `librosa.feature.spectral_contrast(S=magnitude, n_bands=5, fmin=100, quantile=0.02)`:
 * per octave band (0–100, 100–200, …, 1.6–3.2 kHz and above), the dB difference between the
 * mean of the top and of the bottom 2 % of magnitudes (at least one bin), each side through
 * `power_to_db` over the whole matrix as librosa does. Frame-major `[frames][6]`.
 */
export function spectralContrast(
  spectrogram: PowerSpectrogram,
  sampleRateHz: number = MODEL_SAMPLE_RATE_HZ,
  fminHz = 100,
  quantile = 0.02,
): Float64Array {
  const { power, frames, bins } = spectrogram;
  const nBands = CONTRAST_BANDS - 1;
  const binHz = sampleRateHz / (2 * (bins - 1));
  const edges = [0, ...Array.from({ length: nBands + 1 }, (_, i) => fminHz * 2 ** i)];
  const bands: { rows: number[]; take: number }[] = [];
  for (let b = 0; b <= nBands; b++) {
    const inside: number[] = [];
    for (let k = 0; k < bins; k++) {
      if (k * binHz >= edges[b] && k * binHz <= edges[b + 1]) inside.push(k);
    }
    let first = inside[0], last = inside[inside.length - 1];
    if (b > 0) first -= 1;
    if (b === nBands) last = bins - 1;
    const count = last - first + 1;
    const rows: number[] = [];
    for (let k = first; k <= (b < nBands ? last - 1 : last); k++) rows.push(k);
    bands.push({ rows, take: Math.max(1, Math.round(quantile * count)) });
  }
  const peak = new Float64Array(frames * CONTRAST_BANDS);
  const valley = new Float64Array(frames * CONTRAST_BANDS);
  const magnitude = new Float64Array(bins);
  const most = Math.max(...bands.map((b) => b.take));
  const low = new Float64Array(most), high = new Float64Array(most);
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < bins; k++) magnitude[k] = Math.sqrt(power[t * bins + k]);
    for (let b = 0; b <= nBands; b++) {
      const { rows, take } = bands[b];
      // The `take` smallest and largest magnitudes (at most a few), kept sorted by insertion:
      // the means of a full sort's ends without sorting.
      let lows = 0, highs = 0;
      for (const k of rows) {
        const v = magnitude[k];
        if (lows < take || v < low[lows - 1]) {
          let i = Math.min(lows, take - 1);
          while (i > 0 && low[i - 1] > v) low[i] = low[--i];
          low[i] = v;
          if (lows < take) lows++;
        }
        if (highs < take || v > high[highs - 1]) {
          let i = Math.min(highs, take - 1);
          while (i > 0 && high[i - 1] < v) high[i] = high[--i];
          high[i] = v;
          if (highs < take) highs++;
        }
      }
      let lowSum = 0, highSum = 0;
      for (let i = 0; i < take; i++) {
        lowSum += low[i];
        highSum += high[i];
      }
      valley[t * CONTRAST_BANDS + b] = lowSum / take;
      peak[t * CONTRAST_BANDS + b] = highSum / take;
    }
  }
  const peakDb = powerToDb(peak), valleyDb = powerToDb(valley);
  return peakDb.map((p, i) => p - valleyDb[i]);
}

/** The paired real FFT of {@link autocorrelatePair}, per size (its own, as it sets gains). */
const autocorrelators = new Map<
  number,
  { fft: PairedRealFft; frameWindow: Float64Array; fullWindow: Float64Array }
>();

/**
 * `acf[k] = Σ_i x[i]·x[i+k]` for `k < acf.length` over the whole of `x`, for two frames at once
 * (`b` may be null): numpy's `irfft` of the power spectrum of each frame zero-padded to a power of
 * two at least twice its length, so nothing wraps around, as `librosa.autocorrelate`. Runs on
 * `fft.ts`'s paired transform (WebAssembly SIMD where available).
 */
function autocorrelatePair(
  a: Float64Array,
  b: Float64Array | null,
  acfA: Float64Array,
  acfB: Float64Array,
): void {
  let size = 2;
  while (size < 2 * a.length) size *= 2;
  let state = autocorrelators.get(size);
  if (!state) {
    state = {
      fft: new PairedRealFft(size),
      frameWindow: new Float64Array(a.length).fill(1),
      fullWindow: new Float64Array(size).fill(1),
    };
    autocorrelators.set(size, state);
  }
  const { fft, frameWindow, fullWindow } = state;
  // The window of ones as long as a frame zero-extends it to the transform's size.
  fft.frame[0].set(a);
  fft.frame[1].set(b ?? a);
  fft.forward(frameWindow, 1, false);
  for (let lane = 0; lane < 2; lane++) {
    fft.spectrumRe[lane].set(fft.power[lane]);
    fft.spectrumIm[lane].fill(0);
    fft.gain[lane].fill(1);
  }
  fft.inverse(fullWindow, 1);
  acfA.set(fft.frame[0].subarray(0, acfA.length));
  acfB.set(fft.frame[1].subarray(0, acfB.length));
}

/**
 * `librosa.yin` as of librosa 0.11 (which changed it from `pitch.ts`'s 0.10 form): centred,
 * zero-padded frames of `frameLength`; the autocorrelation `r(k)` over the whole frame;
 * `d(k) = 2·(r(0) − r(k)) − Σ_{m<k} x(m)²`; the cumulative mean normalised difference over
 * periods `floor(sr / fmax) … min(ceil(sr / fmin), frameLength − 1)`; the first trough below
 * 0.1, else the global minimum; parabolic refinement. Every frame is computed, silent ones too.
 * The autocorrelation goes through an FFT of twice the frame, as `librosa.autocorrelate` does.
 * With `only`, frames where it is false are skipped and left NaN.
 */
export function yin011(
  samples: ArrayLike<number>,
  sr: number,
  fminHz: number,
  fmaxHz: number,
  frameLength: number,
  hop: number,
  only?: ArrayLike<boolean>,
): Float64Array {
  const n = samples.length;
  const pad = Math.floor(frameLength / 2);
  const frames = 1 + Math.floor((n + 2 * pad - frameLength) / hop);
  const minPeriod = Math.floor(sr / fmaxHz);
  const maxPeriod = Math.min(Math.ceil(sr / fminHz), frameLength - 1);
  const m = maxPeriod - minPeriod + 1;
  const cmnd = new Float64Array(m);
  const d = new Float64Array(maxPeriod + 1);
  const f0 = new Float64Array(frames).fill(NaN);
  const wanted: number[] = [];
  for (let t = 0; t < frames; t++) if (!only || only[t]) wanted.push(t);
  const xs = [new Float64Array(frameLength), new Float64Array(frameLength)];
  const acfs = [new Float64Array(maxPeriod + 1), new Float64Array(maxPeriod + 1)];
  // Frames go through the autocorrelation two at a time (the FFT's two lanes).
  for (let w = 0; w < wanted.length; w += 2) {
    const pair = wanted.slice(w, w + 2);
    pair.forEach((t, lane) => {
      const start = t * hop - pad;
      for (let i = 0; i < frameLength; i++) {
        const j = start + i;
        xs[lane][i] = j >= 0 && j < n ? samples[j] : 0;
      }
    });
    autocorrelatePair(xs[0], pair.length > 1 ? xs[1] : null, acfs[0], acfs[1]);
    pair.forEach((t, lane) => {
      const x = xs[lane], acf = acfs[lane];
      let head = 0, cumulative = 0;
      for (let k = 1; k <= maxPeriod; k++) {
        head += x[k - 1] * x[k - 1];
        d[k] = 2 * (acf[0] - acf[k]) - head;
        cumulative += d[k];
        if (k >= minPeriod) cmnd[k - minPeriod] = d[k] / (cumulative / k + Number.MIN_VALUE);
      }
      const { chosen, shift } = yinTrough(cmnd, 0.1);
      f0[t] = sr / (minPeriod + chosen + shift);
    });
  }
  return f0;
}

/** Every per-frame series of a clip from {@link functionalsAudio}; matrices frame-major. */
export interface FrameDescriptors {
  frames: number;
  /** `[frames][40]` mel bands in dB. */
  melDb: Float64Array;
  /** `[frames][20]`. */
  mfcc: Float64Array;
  /** `[frames][20]`, {@link savgolDelta} of `mfcc`. */
  delta: Float64Array;
  /** `20·log10(rms + 1e-6)`. */
  rmsDb: Float64Array;
  centroid: Float64Array;
  bandwidth: Float64Array;
  flatness: Float64Array;
  rolloff: Float64Array;
  zcr: Float64Array;
  /** `[frames][6]`. */
  contrast: Float64Array;
  /** YIN f0 per voiced frame ({@link voicedFrames}), Hz; NaN on the others. */
  f0: Float64Array;
}

/** {@link FrameDescriptors} of a clip prepared by {@link functionalsAudio} (at least 1 sample). */
export function frameDescriptors(audio: Float64Array): FrameDescriptors {
  const sr = MODEL_SAMPLE_RATE_HZ;
  const spectrogram = stftPower(audio, { nFft: FUNCTIONALS_N_FFT, hopLength: FUNCTIONALS_HOP });
  const { frames } = spectrogram;
  const bank = melFilterbank({
    sampleRateHz: sr,
    nFft: FUNCTIONALS_N_FFT,
    nMels: FUNCTIONALS_MELS,
  });
  const melDb = powerToDb(melSpectrogram(spectrogram, bank));
  const mfcc = mfccFromDb(melDb, frames, FUNCTIONALS_MELS, FUNCTIONALS_MFCC);
  const shape = spectralShape(spectrogram, sr);
  const zcr = zeroCrossingRate(audio, {
    frameLength: FUNCTIONALS_N_FFT,
    hopLength: FUNCTIONALS_HOP,
  })
    .subarray(0, frames);
  const rmsDb = shape.rms.map((r) => 20 * Math.log10(r + 1e-6));
  // Pitch counts only on voiced frames, so only those are tracked (YIN is most of the cost).
  const f0Hz = yin011(audio, sr, 60, 500, 1024, FUNCTIONALS_HOP, voicedFrames(rmsDb));
  return {
    frames,
    melDb,
    mfcc,
    delta: savgolDelta(mfcc, frames, FUNCTIONALS_MFCC),
    rmsDb,
    centroid: shape.centroid,
    bandwidth: shape.bandwidth,
    flatness: shape.flatness,
    rolloff: shape.rolloff,
    zcr,
    contrast: spectralContrast(spectrogram, sr),
    f0: f0Hz,
  };
}

/**
 * Which frames count as voiced: RMS within {@link VOICED_RANGE_DB} of the loudest frame, or every
 * frame when fewer than three are.
 */
export function voicedFrames(rmsDb: ArrayLike<number>): boolean[] {
  let loudest = -Infinity;
  for (let t = 0; t < rmsDb.length; t++) loudest = Math.max(loudest, rmsDb[t]);
  const voiced = Array.from(rmsDb, (v) => v > loudest - VOICED_RANGE_DB);
  return voiced.filter(Boolean).length < 3 ? voiced.map(() => true) : voiced;
}

/** numpy's default (linear) percentile `q` (0–100) of ascending `sorted` values (non-empty). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const position = (q / 100) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length ? sum / values.length : 0;
}

function std(values: ArrayLike<number>): number {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] - m) ** 2;
  return values.length ? Math.sqrt(sum / values.length) : 0;
}

/**
 * The functionals of one clip (16 kHz mono, any level), {@link FUNCTIONAL_COUNT} numbers in the
 * order of {@link functionalNames}, or null when the clip is silent.
 */
export function utteranceFunctionals(samples16k: ArrayLike<number>): Float32Array | null {
  const audio = functionalsAudio(samples16k);
  if (audio.length === 0) return null;
  return functionalsOf(frameDescriptors(audio), audio.length / MODEL_SAMPLE_RATE_HZ);
}

/** The functionals of a clip's {@link FrameDescriptors}; `durationS` is its trimmed length. */
export function functionalsOf(d: FrameDescriptors, durationS: number): Float32Array {
  const { frames } = d;
  const voiced = voicedFrames(d.rmsDb).flatMap((v, t) => (v ? [t] : []));

  const out = new Float32Array(FUNCTIONAL_COUNT);
  let offset = 0;
  const series = new Float64Array(voiced.length);
  /** Writes the four statistics of `count` series; `value(t, s)` is series `s` at frame `t`. */
  const block = (count: number, value: (t: number, s: number) => number) => {
    for (let s = 0; s < count; s++) {
      voiced.forEach((t, i) => series[i] = value(t, s));
      out[offset + s] = mean(series);
      out[offset + count + s] = std(series);
      const sorted = series.slice().sort();
      out[offset + 2 * count + s] = percentile(sorted, 10);
      out[offset + 3 * count + s] = percentile(sorted, 90);
    }
    offset += 4 * count;
  };
  const spectral = [d.rmsDb, d.centroid, d.bandwidth, d.flatness, d.rolloff, d.zcr];
  block(FUNCTIONALS_MELS, (t, s) => d.melDb[t * FUNCTIONALS_MELS + s]);
  block(FUNCTIONALS_MFCC, (t, s) => d.mfcc[t * FUNCTIONALS_MFCC + s]);
  block(FUNCTIONALS_MFCC, (t, s) => d.delta[t * FUNCTIONALS_MFCC + s]);
  block(spectral.length, (t, s) => spectral[s][t]);
  block(CONTRAST_BANDS, (t, s) => d.contrast[t * CONTRAST_BANDS + s]);

  const isVoiced = new Uint8Array(frames);
  for (const t of voiced) isVoiced[t] = 1;
  const n = Math.min(d.f0.length, frames);
  const logF0: number[] = [];
  for (let t = 0; t < n; t++) {
    if (isVoiced[t] && d.f0[t] > 61 && d.f0[t] < 499) logF0.push(Math.log2(d.f0[t]));
  }
  const pitchedShare = n > 0 ? logF0.length / n : 0;
  const lf0 = logF0.length > 3 ? logF0 : [0, 0, 0, 0];
  const change = lf0.slice(1).map((v, i) => v - lf0[i]);
  const sortedF0 = Float64Array.from(lf0).sort();
  const loudness = voiced.slice(1).map((t, i) => Math.abs(d.rmsDb[t] - d.rmsDb[voiced[i]]));
  const clip = [
    mean(lf0),
    std(lf0),
    percentile(sortedF0, 5),
    percentile(sortedF0, 95),
    mean(change.map(Math.abs)),
    std(change),
    pitchedShare,
    durationS,
    voiced.length / frames,
    loudness.length ? mean(loudness) : 0,
  ];
  out.set(clip, offset);
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) out[i] = 0;
  return out;
}
