/**
 * Frame features equal to librosa 0.10/0.11: STFT power, Slaney mel filterbank, `power_to_db`,
 * orthonormal DCT-II MFCCs, RMS and zero-crossing rate, and the `[frames, 15]` matrix the
 * model reads. The conventions (periodic Hann, centre zero-padding, no window for RMS, edge
 * padding for ZCR, a dB floor over the whole matrix) are those listed in
 * `shared/fixtures/golden/README.md`; the golden tests hold this module to them.
 *
 * Matrices here are frame-major: value `(frame t, row r)` sits at `t * rows + r`. That is the
 * transpose of librosa's `[row][frame]` layout and the natural layout of the model input.
 * Everything is computed in float64; only the final feature matrix is float32.
 */

import { HOP_LENGTH, mfccCount, MODEL_SAMPLE_RATE_HZ, N_FFT, N_MELS, N_MFCC } from "./constants.ts";
import {
  expectAtLeast,
  expectPositiveFinite,
  expectPositiveInteger,
  expectPowerOfTwo,
} from "./errors.ts";
import { type PairedRealFft, realFftFor } from "./fft.ts";
import { powerToDecibels } from "./log_simd.ts";

/**
 * How samples beyond the signal's ends are filled when frames are centred: `constant` = zeros
 * (librosa's default since 0.9), `reflect` = mirror without repeating the edge sample
 * (`[x2 x1 | x0 x1 x2]`), `edge` = repeat the edge sample (used by ZCR).
 */
export type PadMode = "constant" | "reflect" | "edge";

/** Framing of a signal: frame `t` starts at `t·hopLength` (minus half a frame when centred). */
export interface FramingOptions {
  /** Samples per frame; default {@link N_FFT} (2048). */
  frameLength?: number;
  /** Samples between frame starts; default {@link HOP_LENGTH} (512). */
  hopLength?: number;
  /** Centre frame `t` on sample `t·hopLength` by padding half a frame each side; default true. */
  center?: boolean;
}

/** Options of {@link stftPower}. */
export interface StftOptions {
  /** FFT size = frame length = window length, a power of two; default 2048. */
  nFft?: number;
  /** Samples between frames; default 512. */
  hopLength?: number;
  /** Padding used for centring; default `constant`. */
  padMode?: PadMode;
}

/** A power spectrogram `|X|²`, frame-major: bin `k` of frame `t` at `power[t * bins + k]`. */
export interface PowerSpectrogram {
  power: Float64Array;
  frames: number;
  /** `1 + nFft / 2`. */
  bins: number;
}

/** A Slaney-normalised mel filterbank with each row's non-zero support. */
export interface MelFilterbank {
  /** Row-major `[nMels][bins]` weights. */
  weights: Float64Array;
  nMels: number;
  bins: number;
  /** First bin with a non-zero weight, per row. */
  start: Int32Array;
  /** One past the last bin with a non-zero weight, per row (equals `start` for empty rows). */
  stop: Int32Array;
  /** The `nMels + 2` band edges/centres in Hz (`librosa.mel_frequencies`). */
  edgesHz: Float64Array;
}

/** Options of {@link melFilterbank}. */
export interface MelFilterbankOptions {
  /** Sample rate in Hz; default 16000. */
  sampleRateHz?: number;
  /** FFT size; default 2048. */
  nFft?: number;
  /** Number of mel bands; default 128. */
  nMels?: number;
  /** Lowest band edge in Hz; default 0. */
  fMinHz?: number;
  /** Highest band edge in Hz; default `sampleRateHz / 2`. */
  fMaxHz?: number;
}

/** Options of {@link powerToDb}, librosa's defaults. */
export interface PowerToDbOptions {
  /** Reference power mapped to 0 dB; default 1. */
  ref?: number;
  /** Floor applied to powers before the logarithm; default 1e-10. */
  amin?: number;
  /** Clip everything more than this many dB below the matrix maximum; null = no clip. Default 80. */
  topDb?: number | null;
}

/** Options of {@link mfcc}; mel and STFT parameters default to the model's. */
export interface MfccOptions extends StftOptions {
  sampleRateHz?: number;
  nMels?: number;
  nMfcc?: number;
}

/** Options of {@link rms}. */
export interface RmsOptions extends FramingOptions {
  /** Padding used for centring; default `constant` (librosa's default). */
  padMode?: PadMode;
}

/** Options of {@link zeroCrossingRate}. */
export interface ZcrOptions extends FramingOptions {
  /** Values with `|x| ≤ threshold` count as zero (and zero as positive); default 1e-10. */
  threshold?: number;
}

/** A `[frames, featureCount]` float32 matrix, frame-major. */
export interface FeatureMatrix {
  /** Row `t` = frame `t`: `[rms, zcr, mfcc0 … mfcc12]` (more columns for other feature sets). */
  data: Float32Array;
  frames: number;
  /** Columns per frame; `FEATURE_COUNT` (15) for the recipe (`featureColumns`). */
  featureCount: number;
}

// ---------------------------------------------------------------------------------------------
// Framing helpers

function framingOf(
  options: FramingOptions,
): { frameLength: number; hopLength: number; center: boolean } {
  const frameLength = options.frameLength ?? N_FFT;
  const hopLength = options.hopLength ?? HOP_LENGTH;
  expectPositiveInteger("frameLength", frameLength);
  expectPositiveInteger("hopLength", hopLength);
  return { frameLength, hopLength, center: options.center ?? true };
}

/**
 * Number of frames librosa produces: with centring, the signal is padded by
 * `floor(frameLength / 2)` per side first, so for even frame lengths it is
 * `1 + floor(n / hopLength)`; without centring only whole frames count.
 */
export function framesFor(
  nSamples: number,
  frameLength: number,
  hopLength: number,
  center = true,
): number {
  expectPositiveInteger("frameLength", frameLength);
  expectPositiveInteger("hopLength", hopLength);
  const padded = center ? nSamples + 2 * Math.floor(frameLength / 2) : nSamples;
  if (padded < frameLength) return 0;
  return 1 + Math.floor((padded - frameLength) / hopLength);
}

/** Index into the signal for a position outside it, following `padMode`. */
function paddedIndex(index: number, n: number, padMode: PadMode): number {
  if (index >= 0 && index < n) return index;
  if (padMode === "constant" || n === 0) return -1;
  if (padMode === "edge" || n === 1) return index < 0 ? 0 : n - 1;
  const period = 2 * (n - 1);
  let m = index % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/** Copies `length` samples starting at signal index `start` into `out`, padding as asked. */
function readFrame(
  samples: ArrayLike<number>,
  start: number,
  length: number,
  padMode: PadMode,
  out: Float64Array,
): void {
  const n = samples.length;
  if (start >= 0 && start + length <= n) {
    for (let i = 0; i < length; i++) out[i] = samples[start + i];
    return;
  }
  for (let i = 0; i < length; i++) {
    const j = paddedIndex(start + i, n, padMode);
    out[i] = j < 0 ? 0 : samples[j];
  }
}

// ---------------------------------------------------------------------------------------------
// Window and FFT

const hannCache = new Map<number, Float64Array>();

/**
 * Periodic Hann window `0.5 − 0.5·cos(2πn/length)` (scipy `get_window('hann', length)`), the
 * window librosa's STFT uses; the symmetric variant would shift MFCCs by up to ~1. Cached
 * per length; callers must not modify the returned array.
 */
export function hannWindow(length: number): Float64Array {
  expectPositiveInteger("length", length);
  let window = hannCache.get(length);
  if (!window) {
    window = new Float64Array(length);
    for (let i = 0; i < length; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
    hannCache.set(length, window);
  }
  return window;
}

/**
 * Power spectrogram `|STFT|²` with librosa's conventions: centred frames, periodic Hann window
 * of length `nFft`, unnormalised DFT, bins `0 … nFft/2`. Frame-major output.
 */
export function stftPower(samples: ArrayLike<number>, options: StftOptions = {}): PowerSpectrogram {
  const nFft = options.nFft ?? N_FFT;
  const hopLength = options.hopLength ?? HOP_LENGTH;
  expectPowerOfTwo("nFft", nFft);
  expectPositiveInteger("hopLength", hopLength);
  const padMode = options.padMode ?? "constant";
  const frames = framesFor(samples.length, nFft, hopLength, true);
  const bins = nFft / 2 + 1;
  // Silent frames are skipped by forEachFramePair and stay zero.
  const power = new Float64Array(frames * bins);
  forEachFramePair(samples, nFft, hopLength, padMode, (fft, a, b) => {
    power.set(fft.power[0], a * bins);
    if (b >= 0) power.set(fft.power[1], b * bins);
  });
  return { power, frames, bins };
}

/**
 * Runs the windowed FFT over the frames two at a time (`PairedRealFft` in fft.ts) and calls
 * `onPair(fft, a, b)` after each transform, with frame a in lane 0 and frame b in lane 1
 * (b = −1 when there is no second frame), so callers that only need mel energies never hold
 * the full spectrogram. With constant padding, frames that hold no non-zero sample have an
 * all-zero spectrum: they are neither transformed nor passed on.
 */
function forEachFramePair(
  samples: ArrayLike<number>,
  nFft: number,
  hopLength: number,
  padMode: PadMode,
  onPair: (fft: PairedRealFft, a: number, b: number) => void,
): void {
  const n = samples.length;
  const frames = framesFor(n, nFft, hopLength, true);
  const window = hannWindow(nFft);
  const fft = realFftFor(nFft);
  const half = nFft >> 1;
  // Non-zero samples lie in [firstNonZero, lastNonZero]; other frames are silent.
  let firstNonZero = 0;
  while (firstNonZero < n && samples[firstNonZero] === 0) firstNonZero++;
  let lastNonZero = n - 1;
  while (lastNonZero >= firstNonZero && samples[lastNonZero] === 0) lastNonZero--;
  const silent = (t: number) =>
    padMode === "constant" &&
    (t * hopLength - half + nFft <= firstNonZero || t * hopLength - half > lastNonZero);
  // The padded signal goes once into the FFT's signal region (region index i holds padded
  // sample i − nFft/2), so frame t starts at region index t·hop and is read from there.
  const { signal } = fft.prepareRegions(n + nFft, 0, 0);
  for (let i = 0; i < half; i++) {
    const j = paddedIndex(i - half, n, padMode);
    signal[i] = j < 0 ? 0 : samples[j];
  }
  if (samples instanceof Float32Array || samples instanceof Float64Array) {
    signal.set(samples, half);
  } else {
    for (let i = 0; i < n; i++) signal[half + i] = samples[i];
  }
  for (let i = half + n; i < n + nFft; i++) {
    const j = paddedIndex(i - half, n, padMode);
    signal[i] = j < 0 ? 0 : samples[j];
  }
  const pair: number[] = [];
  const flush = () => {
    // A missing second frame repeats the first; its results are not used.
    const b = pair.length > 1 ? pair[1] : pair[0];
    fft.forwardFrom(window, 1, pair[0] * hopLength, b * hopLength);
    onPair(fft, pair[0], pair.length > 1 ? pair[1] : -1);
    pair.length = 0;
  };
  for (let t = 0; t < frames; t++) {
    if (silent(t)) continue;
    pair.push(t);
    if (pair.length === 2) flush();
  }
  if (pair.length > 0) flush();
}

// ---------------------------------------------------------------------------------------------
// Mel

const SLANEY_F_SP = 200 / 3;
const SLANEY_MIN_LOG_HZ = 1000;
const SLANEY_MIN_LOG_MEL = SLANEY_MIN_LOG_HZ / SLANEY_F_SP; // 15
const SLANEY_LOGSTEP = Math.log(6.4) / 27;

/** Hz → mel on the Slaney scale (linear below 1 kHz, logarithmic above), librosa `htk=False`. */
export function hzToMel(frequencyHz: number): number {
  if (frequencyHz >= SLANEY_MIN_LOG_HZ) {
    return SLANEY_MIN_LOG_MEL + Math.log(frequencyHz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
  }
  return frequencyHz / SLANEY_F_SP;
}

/** Mel → Hz on the Slaney scale; inverse of {@link hzToMel}. */
export function melToHz(mel: number): number {
  if (mel >= SLANEY_MIN_LOG_MEL) {
    return SLANEY_MIN_LOG_HZ * Math.exp(SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL));
  }
  return SLANEY_F_SP * mel;
}

const melCache = new Map<string, MelFilterbank>();

/**
 * `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney')`: triangular
 * filters on the Slaney mel scale, each scaled by `2 / (upper edge − lower edge)` so every
 * filter has unit area in Hz. Cached per parameter set; callers must not modify it.
 */
export function melFilterbank(options: MelFilterbankOptions = {}): MelFilterbank {
  const sampleRateHz = options.sampleRateHz ?? MODEL_SAMPLE_RATE_HZ;
  const nFft = options.nFft ?? N_FFT;
  const nMels = options.nMels ?? N_MELS;
  const fMinHz = options.fMinHz ?? 0;
  const fMaxHz = options.fMaxHz ?? sampleRateHz / 2;
  expectPositiveFinite("sampleRateHz", sampleRateHz);
  expectPowerOfTwo("nFft", nFft);
  expectPositiveInteger("nMels", nMels);
  expectAtLeast("fMinHz", fMinHz, 0);
  if (!(fMaxHz > fMinHz)) {
    throw new RangeError(`Expected fMaxHz > fMinHz (${fMinHz}), but got ${fMaxHz}`);
  }
  const key = `${sampleRateHz}/${nFft}/${nMels}/${fMinHz}/${fMaxHz}`;
  const cached = melCache.get(key);
  if (cached) return cached;

  const bins = nFft / 2 + 1;
  const fftFrequencies = new Float64Array(bins);
  for (let k = 0; k < bins; k++) fftFrequencies[k] = (k * sampleRateHz) / nFft;
  const melMin = hzToMel(fMinHz);
  const melMax = hzToMel(fMaxHz);
  const edgesHz = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) {
    edgesHz[i] = melToHz(melMin + ((melMax - melMin) * i) / (nMels + 1));
  }
  const weights = new Float64Array(nMels * bins);
  const start = new Int32Array(nMels);
  const stop = new Int32Array(nMels);
  for (let m = 0; m < nMels; m++) {
    const lowerWidth = edgesHz[m + 1] - edgesHz[m];
    const upperWidth = edgesHz[m + 2] - edgesHz[m + 1];
    const norm = 2 / (edgesHz[m + 2] - edgesHz[m]);
    let first = -1;
    let last = -1;
    for (let k = 0; k < bins; k++) {
      const lower = (fftFrequencies[k] - edgesHz[m]) / lowerWidth;
      const upper = (edgesHz[m + 2] - fftFrequencies[k]) / upperWidth;
      const w = Math.max(0, Math.min(lower, upper)) * norm;
      weights[m * bins + k] = w;
      if (w > 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    start[m] = first < 0 ? 0 : first;
    stop[m] = first < 0 ? 0 : last + 1;
  }
  const filterbank = { weights, nMels, bins, start, stop, edgesHz };
  melCache.set(key, filterbank);
  return filterbank;
}

/** Applies a mel filterbank to one frame's power spectrum, writing `nMels` values at `offset`. */
function applyMel(
  filterbank: MelFilterbank,
  power: Float64Array,
  out: Float64Array,
  offset: number,
): void {
  const { weights, bins, start, stop, nMels } = filterbank;
  for (let m = 0; m < nMels; m++) {
    let sum = 0;
    const row = m * bins;
    for (let k = start[m]; k < stop[m]; k++) sum += weights[row + k] * power[k];
    out[offset + m] = sum;
  }
}

/**
 * Mel power spectrogram `filterbank · power`, frame-major `[frames][nMels]`; librosa's
 * `melspectrogram(power=2.0)` when given {@link stftPower}'s output.
 */
export function melSpectrogram(
  spectrogram: PowerSpectrogram,
  filterbank: MelFilterbank = melFilterbank(),
): Float64Array {
  if (spectrogram.bins !== filterbank.bins) {
    throw new RangeError(
      `Expected a spectrogram with ${filterbank.bins} bins, but got ${spectrogram.bins}`,
    );
  }
  const out = new Float64Array(spectrogram.frames * filterbank.nMels);
  const frame = new Float64Array(spectrogram.bins);
  for (let t = 0; t < spectrogram.frames; t++) {
    frame.set(
      spectrogram.power.subarray(t * spectrogram.bins, (t + 1) * spectrogram.bins),
    );
    applyMel(filterbank, frame, out, t * filterbank.nMels);
  }
  return out;
}

/**
 * `librosa.power_to_db`: `10·log10(max(amin, S)) − 10·log10(max(amin, ref))`, then floored at
 * `max − topDb` where the maximum is taken over the whole matrix (all bands and frames).
 * A chunked caller therefore gets different floors than a whole-file caller.
 */
export function powerToDb(power: ArrayLike<number>, options: PowerToDbOptions = {}): Float64Array {
  return powerToDbInPlace(Float64Array.from(power), options);
}

/** {@link powerToDb} overwriting its input. */
function powerToDbInPlace(out: Float64Array, options: PowerToDbOptions): Float64Array {
  const ref = options.ref ?? 1;
  const amin = options.amin ?? 1e-10;
  const topDb = options.topDb === undefined ? 80 : options.topDb;
  expectPositiveFinite("amin", amin);
  if (!Number.isFinite(ref)) throw new RangeError(`Expected a finite ref, but got ${ref}`);
  if (topDb !== null) expectAtLeast("topDb", topDb, 0);
  const refDb = 10 * Math.log10(Math.max(amin, Math.abs(ref)));
  // Powers at or below amin all become 10·log10(amin), computed once here; the others take the
  // logarithm of log_simd.ts, within an ulp of Math.log10 and several times faster.
  powerToDecibels(out, amin, 10 * Math.log10(amin));
  let max = -Infinity;
  for (let i = 0; i < out.length; i++) {
    const db = out[i] - refDb;
    out[i] = db;
    if (db > max) max = db;
  }
  if (topDb !== null) {
    const floor = max - topDb;
    for (let i = 0; i < out.length; i++) if (out[i] < floor) out[i] = floor;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// MFCC

const dctCache = new Map<string, Float64Array>();

/** `[nMfcc][nMels]` table of the orthonormal DCT-II basis (scipy `dct(type=2, norm='ortho')`). */
function dctBasis(nMfcc: number, nMels: number): Float64Array {
  const key = `${nMfcc}/${nMels}`;
  let basis = dctCache.get(key);
  if (!basis) {
    basis = new Float64Array(nMfcc * nMels);
    for (let k = 0; k < nMfcc; k++) {
      const scale = Math.sqrt((k === 0 ? 1 : 2) / nMels);
      for (let m = 0; m < nMels; m++) {
        basis[k * nMels + m] = scale * Math.cos((Math.PI * k * (2 * m + 1)) / (2 * nMels));
      }
    }
    dctCache.set(key, basis);
  }
  return basis;
}

/**
 * First `nMfcc` coefficients of the orthonormal DCT-II of each frame of a frame-major dB
 * matrix `[frames][nMels]` (librosa `mfcc` with `dct_type=2, norm='ortho', lifter=0`).
 */
export function mfccFromDb(
  db: Float64Array,
  frames: number,
  nMels: number,
  nMfcc: number = N_MFCC,
): Float64Array {
  expectPositiveInteger("nMels", nMels);
  expectPositiveInteger("nMfcc", nMfcc);
  if (nMfcc > nMels) throw new RangeError(`Expected nMfcc <= nMels (${nMels}), but got ${nMfcc}`);
  if (db.length !== frames * nMels) {
    throw new RangeError(`Expected ${frames * nMels} dB values, but got ${db.length}`);
  }
  const basis = dctBasis(nMfcc, nMels);
  const out = new Float64Array(frames * nMfcc);
  // cos(πk(2(M−1−m)+1)/2M) = (−1)^k·cos(πk(2m+1)/2M): rows m and M−1−m share a basis value,
  // so each coefficient needs only half the products, on sums (even k) or differences (odd k).
  const half = nMels >> 1;
  const middle = nMels & 1 ? half : -1;
  const sums = new Float64Array(half);
  const differences = new Float64Array(half);
  for (let t = 0; t < frames; t++) {
    const row = t * nMels;
    for (let m = 0; m < half; m++) {
      const a = db[row + m], b = db[row + nMels - 1 - m];
      sums[m] = a + b;
      differences[m] = a - b;
    }
    for (let k = 0; k < nMfcc; k++) {
      const paired = k & 1 ? differences : sums;
      let sum = 0;
      const b = k * nMels;
      for (let m = 0; m < half; m++) sum += basis[b + m] * paired[m];
      if (middle >= 0) sum += basis[b + middle] * db[row + middle];
      out[t * nMfcc + k] = sum;
    }
  }
  return out;
}

/** Largest mel matrix {@link mfcc} keeps in a reused buffer (4 MiB). */
const MAX_REUSED_MEL = 2 ** 19;
let melBuffer = new Float64Array(0);

/**
 * A reused scratch array of `length` values for {@link mfcc}'s mel matrix, which it never
 * hands out (fresh memory costs more than filling it); large matrices get a fresh one.
 */
function reusedMel(length: number): Float64Array {
  if (length > MAX_REUSED_MEL) return new Float64Array(length);
  if (melBuffer.length < length) melBuffer = new Float64Array(length);
  return melBuffer.subarray(0, length);
}

function melPowerFrames(
  samples: ArrayLike<number>,
  options: MfccOptions,
): { mel: Float64Array; frames: number; nMels: number } {
  const nFft = options.nFft ?? N_FFT;
  const hopLength = options.hopLength ?? HOP_LENGTH;
  expectPowerOfTwo("nFft", nFft);
  expectPositiveInteger("hopLength", hopLength);
  const filterbank = melFilterbank({
    sampleRateHz: options.sampleRateHz ?? MODEL_SAMPLE_RATE_HZ,
    nFft,
    nMels: options.nMels ?? N_MELS,
  });
  const frames = framesFor(samples.length, nFft, hopLength, true);
  // Silent frames are skipped by forEachFramePair and stay zero, as applyMel would leave them.
  const mel = reusedMel(frames * filterbank.nMels).fill(0);
  const { nMels } = filterbank;
  forEachFramePair(samples, nFft, hopLength, options.padMode ?? "constant", (fft, a, b) => {
    fft.projectPower(filterbank, mel, a * nMels, b >= 0 ? mel : null, b * nMels);
  });
  return { mel, frames, nMels: filterbank.nMels };
}

/**
 * MFCCs as `librosa.feature.mfcc(y, sr, n_mfcc=13, n_fft=2048, hop_length=512, n_mels=128)`:
 * mel power → `power_to_db(top_db=80)` over the whole signal → orthonormal DCT-II. Output is
 * frame-major `[frames][nMfcc]`.
 */
export function mfcc(
  samples: ArrayLike<number>,
  options: MfccOptions = {},
): { values: Float64Array; frames: number } {
  const { mel, frames, nMels } = melPowerFrames(samples, options);
  const db = powerToDbInPlace(mel, {});
  return { values: mfccFromDb(db, frames, nMels, options.nMfcc ?? N_MFCC), frames };
}

// ---------------------------------------------------------------------------------------------
// RMS and ZCR

/**
 * Frame RMS `sqrt(mean(frame²))` without a window, as `librosa.feature.rms` (centred,
 * zero-padded by default). When frames tile into whole hops (the default 2048/512), each
 * hop-sized block is summed once and frames add four block sums, which is 4× cheaper and
 * still sums only non-negative terms, so no precision is lost.
 */
export function rms(samples: ArrayLike<number>, options: RmsOptions = {}): Float64Array {
  const { frameLength, hopLength, center } = framingOf(options);
  const padMode = options.padMode ?? "constant";
  const n = samples.length;
  const frames = framesFor(n, frameLength, hopLength, center);
  const out = new Float64Array(frames);
  const offset = center ? Math.floor(frameLength / 2) : 0;
  const blocky = padMode === "constant" && frameLength % hopLength === 0 &&
    offset % hopLength === 0;
  if (blocky) {
    const nBlocks = Math.ceil(n / hopLength);
    const blockSums = new Float64Array(nBlocks);
    for (let b = 0; b < nBlocks; b++) {
      let sum = 0;
      const end = Math.min(n, (b + 1) * hopLength);
      for (let i = b * hopLength; i < end; i++) sum += samples[i] * samples[i];
      blockSums[b] = sum;
    }
    const blocksPerFrame = frameLength / hopLength;
    const firstBlockShift = offset / hopLength;
    for (let t = 0; t < frames; t++) {
      let sum = 0;
      const first = t - firstBlockShift;
      for (let b = Math.max(0, first); b < Math.min(nBlocks, first + blocksPerFrame); b++) {
        sum += blockSums[b];
      }
      out[t] = Math.sqrt(sum / frameLength);
    }
    return out;
  }
  return rmsDirect(samples, frameLength, hopLength, center, padMode);
}

/**
 * Frame RMS computed frame by frame with no shortcuts; the reference route that the tests
 * compare {@link rms}'s block route against.
 */
export function rmsDirect(
  samples: ArrayLike<number>,
  frameLength: number,
  hopLength: number,
  center = true,
  padMode: PadMode = "constant",
): Float64Array {
  const frames = framesFor(samples.length, frameLength, hopLength, center);
  const out = new Float64Array(frames);
  const frame = new Float64Array(frameLength);
  const offset = center ? Math.floor(frameLength / 2) : 0;
  for (let t = 0; t < frames; t++) {
    readFrame(samples, t * hopLength - offset, frameLength, padMode, frame);
    let sum = 0;
    for (let i = 0; i < frameLength; i++) sum += frame[i] * frame[i];
    out[t] = Math.sqrt(sum / frameLength);
  }
  return out;
}

/** Longest prefix count {@link zeroCrossingRate} keeps in a reused buffer (4 MiB). */
const MAX_REUSED_COUNTS = 2 ** 20;
let countsBuffer = new Int32Array(0);

/**
 * A reused scratch array of `length` counts (fresh memory costs more than filling it, as its
 * pages are touched for the first time); long signals get a fresh one.
 */
function reusedCounts(length: number): Int32Array {
  if (length > MAX_REUSED_COUNTS) return new Int32Array(length);
  if (countsBuffer.length < length) countsBuffer = new Int32Array(length);
  return countsBuffer;
}

/**
 * Zero-crossing rate as `librosa.feature.zero_crossing_rate`: edge-padded centred frames,
 * `|x| ≤ threshold` counts as zero and zero as positive, crossings are sign changes between
 * neighbours inside a frame (never across frames), divided by `frameLength`. Computed from a
 * prefix count of crossings, so it is exact and O(n + frames).
 */
export function zeroCrossingRate(
  samples: ArrayLike<number>,
  options: ZcrOptions = {},
): Float64Array {
  const { frameLength, hopLength, center } = framingOf(options);
  const threshold = options.threshold ?? 1e-10;
  expectAtLeast("threshold", threshold, 0);
  const n = samples.length;
  const frames = framesFor(n, frameLength, hopLength, center);
  // crossingsUpTo[i] = number of sign changes between neighbours (j−1, j) for 1 ≤ j ≤ i.
  const crossingsUpTo = reusedCounts(Math.max(1, n));
  crossingsUpTo[0] = 0;
  // Signs as 0/1 numbers and XOR rather than a branch: speech changes sign so irregularly
  // that a branch per sample would mostly be mispredicted.
  let previousNegative = n > 0 ? +(samples[0] < -threshold) : 0;
  let crossings = 0;
  for (let i = 1; i < n; i++) {
    const negative = +(samples[i] < -threshold);
    crossings += negative ^ previousNegative;
    crossingsUpTo[i] = crossings;
    previousNegative = negative;
  }
  // Edge padding repeats the end samples, which adds no sign change, so a frame's count is
  // the crossings between the signal samples it covers.
  const offset = center ? Math.floor(frameLength / 2) : 0;
  const out = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    const first = Math.max(1, t * hopLength - offset + 1);
    const last = Math.min(n - 1, t * hopLength - offset + frameLength - 1);
    const count = last >= first ? crossingsUpTo[last] - crossingsUpTo[first - 1] : 0;
    out[t] = count / frameLength;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Feature matrix

/**
 * The model's `[frames, 15]` feature matrix for 16 kHz mono audio: per frame RMS, ZCR and
 * 13 MFCCs (n_fft 2048, hop 512, 128 Slaney mels, power_to_db top_db 80, orthonormal DCT-II,
 * centre zero-padding), with `frames = 1 + floor(n / 512)`. `nMfcc` keeps another number of
 * MFCCs (`[frames, 2 + nMfcc]`; the first 13 are the same either way). The dB floor is global
 * over the input, so call it on whole utterances, not on pieces.
 *
 * @example
 * const { data, frames } = extractFeatures(preprocess(samples, sampleRateHz));
 */
export function extractFeatures(
  samples: ArrayLike<number>,
  options: { sampleRateHz?: number; nMfcc?: number } = {},
): FeatureMatrix {
  const sampleRateHz = options.sampleRateHz ?? MODEL_SAMPLE_RATE_HZ;
  const nMfcc = mfccCount({ mfcc: options.nMfcc });
  const width = 2 + nMfcc;
  const rmsValues = rms(samples);
  const zcrValues = zeroCrossingRate(samples);
  const { values: mfccValues, frames } = mfcc(samples, { sampleRateHz, nMfcc });
  const data = new Float32Array(frames * width);
  for (let t = 0; t < frames; t++) {
    const row = t * width;
    data[row] = rmsValues[t];
    data[row + 1] = zcrValues[t];
    for (let k = 0; k < nMfcc; k++) data[row + 2 + k] = mfccValues[t * nMfcc + k];
  }
  return { data, frames, featureCount: width };
}

/** Copies column `column` of a frame-major matrix with `columns` columns into a new array. */
export function matrixColumn(
  data: ArrayLike<number>,
  columns: number,
  column: number,
): Float64Array {
  expectPositiveInteger("columns", columns);
  if (!Number.isInteger(column) || column < 0 || column >= columns) {
    throw new RangeError(`Expected 0 <= column < ${columns}, but got ${column}`);
  }
  const rows = Math.floor(data.length / columns);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = data[r * columns + column];
  return out;
}
