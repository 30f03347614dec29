/**
 * The one preprocessing function used for training files, uploaded recordings and live audio,
 * and its stages, each usable and tested alone:
 *
 * 1. {@link removeDcOffset} — subtract the mean, so a constant (or DC-shifted) input cannot
 *    dominate the peak and zero-crossing counts; a constant input becomes exactly zero.
 * 2. {@link resample} to {@link MODEL_SAMPLE_RATE_HZ} (librosa `kaiser_best`).
 * 3. {@link reduceNoiseStationary} — noisereduce's stationary spectral gate, on the whole
 *    recording, so its noise statistics see the pauses as noisereduce would.
 * 4. {@link trimBounds} — cut leading/trailing silence like `librosa.effects.trim(top_db=60)`;
 *    after denoising, the pauses really are 60 dB down, which they rarely are before.
 * 5. {@link padOrCrop} to {@link MODEL_INPUT_SAMPLES}: zeros appended to short clips; long
 *    clips keep their loudest window, because a 60 dB trim often leaves a second or more of
 *    low-level room noise before or after RAVDESS speech.
 * 6. {@link peakNormalize} with headroom — last, so the model always sees the same peak level
 *    whatever cropping removed.
 */

import { HOP_LENGTH, MODEL_INPUT_SAMPLES, MODEL_SAMPLE_RATE_HZ, N_FFT } from "./constants.ts";
import { reduceNoiseStationary, type SpectralGateOptions } from "./denoise.ts";
import { expectAtLeast, expectPositiveFinite, expectPositiveInteger } from "./errors.ts";
import { rms } from "./features.ts";
import { resample } from "./resample.ts";

/** Options of {@link preprocess}; every stage can be tuned or switched off for experiments. */
export interface PreprocessOptions {
  /** Output length in samples; default {@link MODEL_INPUT_SAMPLES}. */
  lengthSamples?: number;
  /** Peak level below full scale after normalisation, in dB; default 1 (peak ≈ 0.891). */
  headroomDb?: number;
  /** Trim threshold below the loudest frame, in dB; default 60; null = no trimming. */
  trimTopDb?: number | null;
  /** Spectral gate options, or false to skip noise reduction; default noisereduce's. */
  denoise?: SpectralGateOptions | false;
  /** Subtract the mean first; default true. */
  removeDc?: boolean;
  /** Which part of too-long trimmed audio is kept; default `loudest` (see {@link CropFrom}). */
  cropFrom?: CropFrom;
}

/**
 * Which window {@link padOrCrop} keeps from a too-long signal: the `start`, the `center`, or
 * the `loudest` window (largest sum of squares; the earliest one on ties).
 */
export type CropFrom = "start" | "center" | "loudest";

/** Options of {@link trimBounds}, librosa's defaults except `topDb`. */
export interface TrimOptions {
  /** Frames more than this many dB below the loudest frame are silence; default 60. */
  topDb?: number;
  /** RMS frame length in samples; default 2048. */
  frameLength?: number;
  /** Hop between RMS frames in samples; default 512. */
  hopLength?: number;
}

/**
 * Subtracts the mean (computed in float64). A constant input comes out as exact zeros: the
 * sum of n equal float32 values is exact in float64 for n < 2^29, so the mean equals them.
 */
export function removeDcOffset(samples: Float32Array): Float32Array {
  return subtractMean(samples, sumOf(samples));
}

function sumOf(samples: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i];
  return sum;
}

function subtractMean(
  samples: Float32Array,
  sum: number,
  out: Float32Array = new Float32Array(samples.length),
): Float32Array {
  const mean = samples.length > 0 ? sum / samples.length : 0;
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] - mean;
  return out;
}

/** Longest intermediate signal {@link preprocess} keeps in a reused buffer (4 MiB). */
const MAX_SCRATCH_SAMPLES = 2 ** 20;
const scratch = { dcFree: new Float32Array(0), gated: new Float32Array(0) };

/**
 * A reused array of `length` samples for an intermediate signal of {@link preprocess}, which
 * never hands it out. Fresh memory costs more than the loops that fill it (the pages are
 * touched for the first time), so the DC-free and the gated signal each keep one; long
 * inputs get fresh arrays, so one long file does not pin its size.
 */
function scratchSamples(which: keyof typeof scratch, length: number): Float32Array {
  if (length > MAX_SCRATCH_SAMPLES) return new Float32Array(length);
  if (scratch[which].length < length) scratch[which] = new Float32Array(length);
  return scratch[which].subarray(0, length);
}

/**
 * Scales the signal so its largest absolute sample sits `headroomDb` below full scale.
 * All-zero input is returned as zeros (never divided by zero).
 */
export function peakNormalize(samples: Float32Array, headroomDb = 1): Float32Array {
  expectAtLeast("headroomDb", headroomDb, 0);
  // Two running maxima (even and odd samples) give the CPU two independent chains.
  let peakEven = 0;
  let peakOdd = 0;
  const pairs = samples.length >> 1;
  for (let i = 0; i < 2 * pairs; i += 2) {
    const a = Math.abs(samples[i]);
    const b = Math.abs(samples[i + 1]);
    if (a > peakEven) peakEven = a;
    if (b > peakOdd) peakOdd = b;
  }
  let peak = Math.max(peakEven, peakOdd);
  const last = samples.length & 1 ? Math.abs(samples[samples.length - 1]) : 0;
  if (last > peak) peak = last;
  const out = new Float32Array(samples.length);
  if (peak === 0) return out;
  const gain = 10 ** (-headroomDb / 20) / peak;
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] * gain;
  return out;
}

/**
 * Start and end (exclusive) sample indices of the non-silent part, exactly as
 * `librosa.effects.trim(y, top_db, frame_length, hop_length)`: centred, zero-padded RMS frames
 * in dB relative to the loudest frame (amin 1e-5); frames strictly above `−topDb` are
 * non-silent; `start = first · hop`, `end = min(n, (last + 1) · hop)`. Note that an all-zero
 * signal counts as entirely non-silent (every frame equals the maximum), as in librosa.
 */
export function trimBounds(
  samples: ArrayLike<number>,
  options: TrimOptions = {},
): { start: number; end: number } {
  const topDb = options.topDb ?? 60;
  const frameLength = options.frameLength ?? N_FFT;
  const hopLength = options.hopLength ?? HOP_LENGTH;
  expectAtLeast("topDb", topDb, 0);
  expectPositiveInteger("frameLength", frameLength);
  expectPositiveInteger("hopLength", hopLength);
  const frameRms = rms(samples, { frameLength, hopLength });
  let maxRms = 0;
  for (const value of frameRms) if (value > maxRms) maxRms = value;
  const amin = 1e-5;
  const refDb = 20 * Math.log10(Math.max(amin, maxRms));
  let first = -1;
  let last = -1;
  for (let t = 0; t < frameRms.length; t++) {
    const db = 20 * Math.log10(Math.max(amin, frameRms[t])) - refDb;
    if (db > -topDb) {
      if (first < 0) first = t;
      last = t;
    }
  }
  if (first < 0) return { start: 0, end: 0 };
  return { start: first * hopLength, end: Math.min(samples.length, (last + 1) * hopLength) };
}

/** The non-silent part of `samples` per {@link trimBounds}, as a view (no copy). */
export function trimSilence(samples: Float32Array, options: TrimOptions = {}): Float32Array {
  const { start, end } = trimBounds(samples, options);
  return samples.subarray(start, end);
}

/**
 * Returns exactly `lengthSamples` samples: shorter input is zero-padded at the end, longer
 * input is cropped to the window chosen by `cropFrom` (default `loudest`).
 */
export function padOrCrop(
  samples: Float32Array,
  lengthSamples: number,
  cropFrom: CropFrom = "loudest",
): Float32Array {
  expectPositiveInteger("lengthSamples", lengthSamples);
  const out = new Float32Array(lengthSamples);
  if (samples.length <= lengthSamples) {
    out.set(samples);
    return out;
  }
  out.set(cropWindow(samples, lengthSamples, cropFrom));
  return out;
}

/** The `length`-sample window {@link padOrCrop} keeps from a longer signal, as a view. */
function cropWindow(samples: Float32Array, length: number, cropFrom: CropFrom): Float32Array {
  if (cropFrom !== "start" && cropFrom !== "center" && cropFrom !== "loudest") {
    throw new RangeError(`Expected cropFrom "start", "center" or "loudest", but got ${cropFrom}`);
  }
  let offset = 0;
  if (cropFrom === "center") offset = Math.floor((samples.length - length) / 2);
  else if (cropFrom === "loudest") offset = loudestWindowStart(samples, length);
  return samples.subarray(offset, offset + length);
}

/**
 * Start of the `length`-sample window with the largest energy, by a running sum of squares
 * (each step adds the entering sample and removes the leaving one, so the cost is O(n)).
 */
export function loudestWindowStart(samples: Float32Array, length: number): number {
  expectPositiveInteger("length", length);
  if (samples.length <= length) return 0;
  let energy = 0;
  for (let i = 0; i < length; i++) energy += samples[i] * samples[i];
  let best = energy;
  let bestStart = 0;
  for (let start = 1; start + length <= samples.length; start++) {
    const leaving = samples[start - 1];
    const entering = samples[start + length - 1];
    energy += entering * entering - leaving * leaving;
    // The running sum drifts by rounding; a window must win by more than that to count.
    if (energy > best * (1 + 1e-12)) {
      best = energy;
      bestStart = start;
    }
  }
  return bestStart;
}

/**
 * Turns mono audio at any rate into the model's input: DC removal → resampling to 16 kHz →
 * stationary noise reduction → silence trimming (top_db 60) → pad/crop to
 * {@link MODEL_INPUT_SAMPLES} (loudest window) → peak normalisation with 1 dB headroom. Silent or constant
 * input gives all zeros, never NaN. Training, file classification and live audio all call
 * this, so they see identical preprocessing.
 *
 * @example
 * const { samples, sampleRateHz } = decodeAudio(bytes);
 * const input = preprocess(samples, sampleRateHz); // Float32Array(48000) at 16 kHz
 */
export function preprocess(
  samples: Float32Array,
  sampleRateHz: number,
  options: PreprocessOptions = {},
): Float32Array {
  expectPositiveFinite("sampleRateHz", sampleRateHz);
  const lengthSamples = options.lengthSamples ?? MODEL_INPUT_SAMPLES;
  expectPositiveInteger("lengthSamples", lengthSamples);
  const headroomDb = options.headroomDb ?? 1;
  expectAtLeast("headroomDb", headroomDb, 0);
  const trimTopDb = options.trimTopDb === undefined ? 60 : options.trimTopDb;
  if (trimTopDb !== null) expectAtLeast("trimTopDb", trimTopDb, 0);
  // A sum of finite float32 samples is finite in float64, so the sample-by-sample check is only
  // needed to find the culprit when the sum is not.
  const sum = sumOf(samples);
  if (!Number.isFinite(sum)) {
    for (let i = 0; i < samples.length; i++) {
      if (!Number.isFinite(samples[i])) {
        throw new RangeError(`Expected finite samples, but sample ${i} is ${samples[i]}`);
      }
    }
  }

  let signal = options.removeDc === false
    ? samples
    : subtractMean(samples, sum, scratchSamples("dcFree", samples.length));
  if (isAllZero(signal)) return new Float32Array(lengthSamples);
  // At the model rate, resampling would only copy.
  if (sampleRateHz !== MODEL_SAMPLE_RATE_HZ) {
    signal = resample(signal, sampleRateHz, MODEL_SAMPLE_RATE_HZ);
  }
  if (options.denoise !== false) {
    signal = reduceNoiseStationary(
      signal,
      MODEL_SAMPLE_RATE_HZ,
      options.denoise ?? {},
      scratchSamples("gated", signal.length),
    );
  }
  if (trimTopDb !== null) signal = trimSilence(signal, { topDb: trimTopDb });
  // A longer signal is cropped as a view (peakNormalize makes the output array).
  const cropFrom = options.cropFrom ?? "loudest";
  signal = signal.length > lengthSamples
    ? cropWindow(signal, lengthSamples, cropFrom)
    : padOrCrop(signal, lengthSamples, cropFrom);
  return peakNormalize(signal, headroomDb);
}

function isAllZero(samples: Float32Array): boolean {
  for (let i = 0; i < samples.length; i++) if (samples[i] !== 0) return false;
  return true;
}
