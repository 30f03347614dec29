/**
 * Stationary spectral-gating noise reduction, a port of `noisereduce.reduce_noise(...,
 * stationary=True)` (noisereduce 3.0.3, scipy backend) with its defaults.
 *
 * Algorithm, with the scipy conventions it depends on:
 * 1. Noise statistics: the noise clip (by default the signal itself, first `chunkSize`
 *    samples) goes through `scipy.signal.stft(nperseg=winLength, noverlap=winLength−hop,
 *    nfft=nFft, boundary='zeros', padded=False)`, i.e. periodic Hann frames over the clip
 *    zero-extended by `winLength/2` per side, scaled by `1/sum(window)`. Each bin becomes
 *    `20·log10(|X| + eps64)` floored at (row maximum over time − 80 dB). The per-frequency
 *    threshold is `mean + nStdThresh · std` over time (population std).
 * 2. The signal is processed in chunks of `chunkSize` samples (one chunk when shorter), each
 *    zero-padded by `paddingSamples` per side. Its STFT dB (same floor rule, per chunk) is
 *    compared with the threshold: mask = dB > threshold, then
 *    `mask·propDecrease + (1 − propDecrease)`.
 * 3. The mask is smoothed by a normalised 2-D triangular filter (`fftconvolve(mode='same')`,
 *    zero outside) with half-widths `nGradFreq = int(freqMaskSmoothHz / (sr / (nFft/2)))`
 *    bins and `nGradTime = int(timeMaskSmoothMs / (hop/sr·1000))` frames.
 * 4. Masked STFT → `scipy.signal.istft` (windowed overlap-add divided by the summed squared
 *    window), cut back to the chunk.
 *
 * Differences from noisereduce that do not change the result beyond rounding: everything is
 * float64 (noisereduce computes the noise statistics in float32), the decibels take the
 * logarithm of log_simd.ts (within 1 ulp of `Math.log`), frames lying entirely in the zero
 * padding are not transformed (their spectrum is exactly zero), the triangular filter is
 * applied as exact running sums instead of an FFT convolution, and output samples outside
 * the kept region are never synthesised. The test against the noisereduce fixture documents
 * the remaining difference.
 *
 * The transforms run two frames at a time in WebAssembly SIMD (fft.ts), reading the signal
 * from and overlap-adding into the FFT's own memory; the matrix work between them (decibels,
 * statistics, mask, smoothing) runs in gate_matrix.ts.
 */

import { MODEL_SAMPLE_RATE_HZ } from "./constants.ts";
import {
  expectAtLeast,
  expectPositiveFinite,
  expectPositiveInteger,
  expectPowerOfTwo,
} from "./errors.ts";
import { hannWindow } from "./features.ts";
import { realFftFor } from "./fft.ts";
import { ALL_ONE, ALL_ZERO, GateMatrices } from "./gate_matrix.ts";
import { amplitudeDb } from "./log_simd.ts";

/** Options of {@link reduceNoiseStationary}; defaults are noisereduce's. */
export interface SpectralGateOptions {
  /** FFT size, a power of two; default 1024. */
  nFft?: number;
  /** Window and segment length, ≤ nFft; default `nFft`. */
  winLength?: number;
  /** Hop between frames; default `winLength / 4` (floored). */
  hopLength?: number;
  /** Threshold = mean + this many standard deviations of the noise dB; default 1.5. */
  nStdThresh?: number;
  /** Strength of the gate, 0 (nothing) … 1 (full); default 1. */
  propDecrease?: number;
  /** Mask smoothing across frequency in Hz; default 500; null = none. */
  freqMaskSmoothHz?: number | null;
  /** Mask smoothing across time in ms; default 50; null = none. */
  timeMaskSmoothMs?: number | null;
  /** Samples per processed chunk; default 600 000. */
  chunkSize?: number;
  /** Zero padding added to each side of a chunk, in samples; default 30 000. */
  paddingSamples?: number;
  /** Noise clip for the statistics; default the signal itself. */
  noise?: Float32Array;
  /** Use only the first `chunkSize` samples of the noise clip; default true. */
  clipNoise?: boolean;
}

interface GateSetup {
  nFft: number;
  winLength: number;
  hopLength: number;
  bins: number;
  window: Float64Array;
  /** 1 / sum(window): scipy's `scaling='spectrum'`. */
  spectrumScale: number;
  nGradFreq: number;
  nGradTime: number;
  smooth: boolean;
  propDecrease: number;
}

/** 20·log10 of float64 machine epsilon: the dB value of an exactly zero bin. */
const ZERO_BIN_DB = 20 * Math.log10(Number.EPSILON);
/** Per-row dynamic range kept by noisereduce's `_amp_to_db`. */
const AMP_TO_DB_TOP_DB = 80;

function setupGate(sampleRateHz: number, options: SpectralGateOptions): GateSetup {
  expectPositiveFinite("sampleRateHz", sampleRateHz);
  const nFft = options.nFft ?? 1024;
  expectPowerOfTwo("nFft", nFft);
  const winLength = options.winLength ?? nFft;
  expectPositiveInteger("winLength", winLength);
  if (winLength > nFft) {
    throw new RangeError(`Expected winLength <= nFft (${nFft}), but got ${winLength}`);
  }
  const hopLength = options.hopLength ?? Math.floor(winLength / 4);
  expectPositiveInteger("hopLength", hopLength);
  if (hopLength > winLength) {
    throw new RangeError(`Expected hopLength <= winLength (${winLength}), but got ${hopLength}`);
  }
  const propDecrease = options.propDecrease ?? 1;
  if (!(propDecrease >= 0 && propDecrease <= 1)) {
    throw new RangeError(`Expected 0 <= propDecrease <= 1, but got ${propDecrease}`);
  }
  const freqMaskSmoothHz = options.freqMaskSmoothHz === undefined ? 500 : options.freqMaskSmoothHz;
  const timeMaskSmoothMs = options.timeMaskSmoothMs === undefined ? 50 : options.timeMaskSmoothMs;
  let nGradFreq = 1;
  let nGradTime = 1;
  if (freqMaskSmoothHz !== null) {
    nGradFreq = Math.trunc(freqMaskSmoothHz / (sampleRateHz / (nFft / 2)));
    if (nGradFreq < 1) {
      throw new RangeError(
        `Expected freqMaskSmoothHz >= ${sampleRateHz / (nFft / 2)}, but got ${freqMaskSmoothHz}`,
      );
    }
  }
  if (timeMaskSmoothMs !== null) {
    nGradTime = Math.trunc(timeMaskSmoothMs / ((hopLength / sampleRateHz) * 1000));
    if (nGradTime < 1) {
      throw new RangeError(
        `Expected timeMaskSmoothMs >= ${(hopLength / sampleRateHz) * 1000}, but got ` +
          `${timeMaskSmoothMs}`,
      );
    }
  }
  const smooth = (freqMaskSmoothHz !== null || timeMaskSmoothMs !== null) &&
    !(nGradFreq === 1 && nGradTime === 1);
  const window = hannWindow(winLength);
  let windowSum = 0;
  for (let i = 0; i < winLength; i++) windowSum += window[i];
  return {
    nFft,
    winLength,
    hopLength,
    bins: nFft / 2 + 1,
    window,
    spectrumScale: 1 / windowSum,
    nGradFreq,
    nGradTime,
    smooth,
    propDecrease,
  };
}

/**
 * STFT powers of frames `firstFrame …` of a signal that is zero outside
 * `[sourceStart, sourceEnd)`; frame `t` starts at signal index `frameOrigin + t·hop`. The
 * source goes once into the FFT's signal region (with `nFft` zeros either side, so that frames
 * reaching past it read zeros); the scaled power of frame f goes to row f of `power` (row
 * stride `stride`). Frames holding no signal sample are flagged and not transformed (their
 * spectrum is exactly zero). With `keepSpectra`, the spectra of the signal frames stay in the
 * FFT's store, two frames per entry in the order of {@link StftFrames.signalFrames}, and the
 * accumulator is sized for the overlap-add of those frames.
 */
interface StftFrames {
  /** 1 when the frame touches any signal sample. */
  nonZero: Uint8Array;
  /** The frames touching the signal (consecutive), in order; store entry p holds 2p, 2p+1. */
  signalFrames: Int32Array;
  /** The accumulator for the frames' overlap-add, and the signal index of its sample 0. */
  accumulator: Float64Array;
  accumulatorOrigin: number;
}

function stftPowers(
  source: ArrayLike<number>,
  sourceStart: number,
  sourceEnd: number,
  frameOrigin: number,
  firstFrame: number,
  frames: number,
  setup: GateSetup,
  power: Float64Array,
  stride: number,
  keepSpectra: boolean,
): StftFrames {
  const { nFft, winLength, hopLength, bins, window, spectrumScale } = setup;
  const nonZero = new Uint8Array(frames);
  const signalFrames: number[] = [];
  for (let f = 0; f < frames; f++) {
    const start = frameOrigin + (firstFrame + f) * hopLength;
    if (Math.min(start + winLength, sourceEnd) > Math.max(start, sourceStart)) {
      nonZero[f] = 1;
      signalFrames.push(f);
    } else {
      power.fill(0, f * stride, f * stride + bins);
    }
  }
  const count = signalFrames.length;
  const pairs = Math.ceil(count / 2);
  const accumulatorOrigin = count > 0
    ? frameOrigin + (firstFrame + signalFrames[0]) * hopLength
    : 0;
  const accumulatorLength = keepSpectra && count > 0 ? (count - 1) * hopLength + nFft : 0;
  const fft = realFftFor(nFft);
  const span = Math.max(0, sourceEnd - sourceStart);
  const { signal, accumulator } = fft.prepareRegions(
    span + 2 * nFft,
    keepSpectra ? pairs : 0,
    accumulatorLength,
  );
  signal.fill(0, 0, nFft);
  if (source instanceof Float32Array || source instanceof Float64Array) {
    signal.set(source.subarray(sourceStart, sourceEnd), nFft);
  } else {
    for (let i = 0; i < span; i++) signal[nFft + i] = source[sourceStart + i];
  }
  signal.fill(0, nFft + span);
  // Region index of frame f's first sample.
  const at = (f: number) => frameOrigin + (firstFrame + f) * hopLength - sourceStart + nFft;
  for (let p = 0; p < pairs; p++) {
    const a = signalFrames[2 * p];
    const b = 2 * p + 1 < count ? signalFrames[2 * p + 1] : -1;
    // A missing second frame repeats the first; its results are not used.
    fft.forwardFrom(window, spectrumScale, at(a), at(b < 0 ? a : b), keepSpectra ? p : -1);
    power.set(fft.power[0], a * stride);
    if (b >= 0) power.set(fft.power[1], b * stride);
  }
  return {
    nonZero,
    signalFrames: Int32Array.from(signalFrames),
    accumulator,
    accumulatorOrigin,
  };
}

/** The gate's working matrices, shared by all calls (which never overlap). */
let sharedMatrices: GateMatrices | null = null;
function gateMatrices(): GateMatrices {
  sharedMatrices ??= new GateMatrices();
  return sharedMatrices;
}

/**
 * Per-frequency gate threshold in dB, noisereduce's `noise_thresh`: mean plus `nStdThresh`
 * standard deviations over time of the noise clip's floored dB spectrogram.
 */
export function noiseThresholdDb(
  noise: ArrayLike<number>,
  sampleRateHz: number = MODEL_SAMPLE_RATE_HZ,
  options: SpectralGateOptions = {},
): Float64Array {
  const setup = setupGate(sampleRateHz, options);
  const nStdThresh = options.nStdThresh ?? 1.5;
  if (!Number.isFinite(nStdThresh)) {
    throw new RangeError(`Expected a finite nStdThresh, but got ${nStdThresh}`);
  }
  const { winLength, hopLength, bins } = setup;
  const half = Math.floor(winLength / 2);
  const frames = Math.floor(noise.length / hopLength) + 1;
  const matrices = gateMatrices();
  matrices.prepare(frames, bins);
  stftPowers(
    noise,
    0,
    noise.length,
    -half,
    0,
    frames,
    setup,
    matrices.spectrum,
    matrices.stride,
    false,
  );
  matrices.spectrumToAmplitudeDb();
  const rowMax = matrices.spectrumColumnMax(-Infinity);
  const floor = rowMax.map((max) => max - AMP_TO_DB_TOP_DB);
  const mean = matrices.clampSpectrumAndSum(floor).map((sum) => sum / frames);
  const squares = matrices.spectrumSquaredDeviations(mean);
  const threshold = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    threshold[k] = mean[k] + nStdThresh * Math.sqrt(squares[k] / frames);
  }
  return threshold;
}

/**
 * Gates `samples` with noisereduce's stationary algorithm and returns the denoised signal of
 * the same length, written into `out` when given (an array of that length, not `samples`
 * itself), otherwise into a new array. Silent input stays silent (never NaN).
 *
 * @example
 * const clean = reduceNoiseStationary(noisy, 16000); // noisereduce defaults
 */
export function reduceNoiseStationary(
  samples: Float32Array,
  sampleRateHz: number,
  options: SpectralGateOptions = {},
  out: Float32Array = new Float32Array(samples.length),
): Float32Array {
  if (out.length !== samples.length) {
    throw new RangeError(`Expected an output of ${samples.length} samples, but got ${out.length}`);
  }
  const setup = setupGate(sampleRateHz, options);
  const chunkSize = options.chunkSize ?? 600_000;
  const paddingSamples = options.paddingSamples ?? 30_000;
  expectPositiveInteger("chunkSize", chunkSize);
  expectAtLeast("paddingSamples", paddingSamples, 0);
  if (!Number.isInteger(paddingSamples)) {
    throw new RangeError(`Expected an integer paddingSamples, but got ${paddingSamples}`);
  }
  let noise: Float32Array = options.noise ?? samples;
  if (options.clipNoise ?? true) noise = noise.subarray(0, chunkSize);
  const threshold = noiseThresholdDb(noise, sampleRateHz, options);
  const n = samples.length;
  if (n <= chunkSize) {
    gateChunk(samples, 0, n, paddingSamples, threshold, setup, out);
  } else {
    for (let start = 0; start < n; start += chunkSize) {
      gateChunk(samples, start, start + chunkSize, paddingSamples, threshold, setup, out);
    }
  }
  return out;
}

/**
 * Filters the chunk `[start, end)` of `samples` zero-padded by `padding` per side (the padding
 * holds neighbouring signal where there is some, zeros beyond the ends, as in noisereduce)
 * and writes the part `[start, min(end, n))` into `out`.
 */
function gateChunk(
  samples: Float32Array,
  start: number,
  end: number,
  padding: number,
  threshold: Float64Array,
  setup: GateSetup,
  out: Float32Array,
): void {
  const { nFft, winLength, hopLength, bins, window, nGradFreq, nGradTime } = setup;
  const half = Math.floor(winLength / 2);
  const chunkLength = end - start + 2 * padding;
  const chunkOrigin = start - padding; // signal index of chunk sample 0
  const totalFrames = Math.floor(chunkLength / hopLength) + 1;
  const keepEnd = Math.min(end, samples.length);
  if (keepEnd <= start) return;
  const sourceStart = Math.max(0, chunkOrigin);
  const sourceEnd = Math.min(samples.length, end + padding);

  // Frames on the chunk extended by `half` per side; frame t starts at signal index
  // frameStart(t). Only frames touching signal, plus the time-smoothing radius around them,
  // are computed: all others are exactly zero and enter only through the row maxima.
  const frameStart = (t: number) => chunkOrigin - half + t * hopLength;
  const lastTouching = Math.min(
    totalFrames - 1,
    Math.floor((sourceEnd - 1 - chunkOrigin + half) / hopLength),
  );
  const firstTouching = Math.max(
    0,
    Math.ceil((sourceStart - chunkOrigin + half - winLength + 1) / hopLength),
  );
  const radius = setup.smooth ? nGradTime : 0;
  const first = Math.max(0, firstTouching - radius);
  const last = Math.min(totalFrames - 1, lastTouching + radius);
  const frames = last - first + 1;
  const matrices = gateMatrices();
  matrices.prepare(frames, bins, setup.smooth ? nGradTime : 0, nGradFreq);
  const { stride } = matrices;
  const { nonZero, signalFrames, accumulator, accumulatorOrigin } = stftPowers(
    samples,
    sourceStart,
    sourceEnd,
    chunkOrigin - half,
    first,
    frames,
    setup,
    matrices.spectrum,
    stride,
    true,
  );
  let anyZeroFrame = first > 0 || last < totalFrames - 1;
  for (let f = 0; f < frames; f++) if (!nonZero[f]) anyZeroFrame = true;

  // Row maxima of the dB spectrogram over the whole chunk, from the largest power per row
  // (frames outside the signal hold zeros, which never raise a maximum).
  const rowMaxPower = matrices.spectrumColumnMax(0);
  // The mask test `max(dB, rowMax − 80) > threshold` is decided without a logarithm per bin:
  // dB > threshold ⟺ |X| > 10^(threshold/20) − eps ⟺ |X|² > that², when that is positive.
  const { floorPasses, minPower } = matrices;
  const zeroFramePasses = new Uint8Array(bins);
  for (let k = 0; k < bins; k++) {
    let rowMaxDb = amplitudeDb(rowMaxPower[k]);
    if (anyZeroFrame) rowMaxDb = Math.max(rowMaxDb, ZERO_BIN_DB);
    const floorDb = rowMaxDb - AMP_TO_DB_TOP_DB;
    floorPasses[k] = floorDb > threshold[k] ? 1 : 0;
    zeroFramePasses[k] = Math.max(ZERO_BIN_DB, floorDb) > threshold[k] ? 1 : 0;
    const minMagnitude = 10 ** (threshold[k] / 20) - Number.EPSILON;
    minPower[k] = minMagnitude < 0 ? -1 : minMagnitude * minMagnitude;
  }
  const p = setup.propDecrease;
  matrices.threshold(1 * p + (1 - p), 0 * p + (1 - p));
  const { mask } = matrices;
  for (let f = 0; f < frames; f++) {
    if (nonZero[f]) continue;
    for (let k = 0; k < bins; k++) mask[f * stride + k] = zeroFramePasses[k] * p + (1 - p);
  }

  // Zero boundary only at the chunk's first and last frames: the frame window [first, last]
  // carries `radius` frames of context wherever the chunk has them.
  const flags = setup.smooth
    ? matrices.smooth((nGradFreq + 1) ** 2 * (nGradTime + 1) ** 2)
    : matrices.maskFlags();

  // Overlap-add of the masked frames that touch the kept region, from the spectra kept in the
  // FFT's store, two frames at a time. A frame whose mask is 1 in every bin gives back its
  // windowed input (x·w·w after scipy's window compensation), and one whose mask is 0
  // everywhere gives nothing: neither needs an inverse FFT (its lane gets a zero gain, which
  // adds zeros), and a pair with neither needing one is skipped.
  const fft = realFftFor(nFft);
  const windowSum = 1 / setup.spectrumScale;
  accumulator.fill(0);
  const addUnmaskedFrame = (f: number) => {
    const frameFirst = frameStart(first + f);
    const lo = Math.max(frameFirst, start);
    const hi = Math.min(frameFirst + winLength, keepEnd);
    for (let i = lo; i < hi; i++) {
      const w = window[i - frameFirst];
      accumulator[i - accumulatorOrigin] += samples[i] * w * w;
    }
  };
  const count = signalFrames.length;
  for (let p = 0; 2 * p < count; p++) {
    const pair = [signalFrames[2 * p], 2 * p + 1 < count ? signalFrames[2 * p + 1] : -1];
    let transform = false;
    const unmasked = [false, false];
    for (let lane = 0; lane < 2; lane++) {
      const f = pair[lane];
      const frameFirst = f < 0 ? 0 : frameStart(first + f);
      const touchesKept = f >= 0 && frameFirst + winLength > start && frameFirst < keepEnd;
      const allOne = (flags[f] & ALL_ONE) !== 0;
      const allZero = (flags[f] & ALL_ZERO) !== 0;
      if (touchesKept && !allZero && allOne && nFft === winLength) unmasked[lane] = true;
      if (touchesKept && !allZero && !unmasked[lane]) {
        fft.gain[lane].set(mask.subarray(f * stride, f * stride + bins));
        transform = true;
      } else {
        fft.gain[lane].fill(0);
      }
    }
    // irfft of an unmasked frame is the windowed input divided by sum(window); frames are
    // added in order, so lane 0's shortcut comes before the transform and lane 1's after.
    if (unmasked[0]) addUnmaskedFrame(pair[0]);
    if (transform) {
      const atA = frameStart(first + pair[0]) - accumulatorOrigin;
      const atB = pair[1] < 0 ? atA : frameStart(first + pair[1]) - accumulatorOrigin;
      // scipy's istft undoes the 1/sum(window) scaling, then windows and overlap-adds.
      fft.inverseToAccumulator(window, windowSum, p, atA, atB);
    }
    if (unmasked[1]) addUnmaskedFrame(pair[1]);
  }

  // scipy's inverse yields (frames − 1)·hop + winLength − 2·half samples, which can be a few
  // short of the chunk; noisereduce leaves the rest of the chunk at zero.
  const synthesisedEnd = chunkOrigin +
    Math.min(chunkLength, (totalFrames - 1) * hopLength + winLength - 2 * half);

  // scipy divides by the summed squared window of every frame covering a sample (unless that
  // is ≤ 1e-10). Where all covering frames exist that sum depends only on the position modulo
  // the hop; dividing by 1 where scipy does not divide gives the same value.
  const normByPhase = new Float64Array(hopLength);
  for (let j = 0; j < winLength; j++) normByPhase[j % hopLength] += window[j] * window[j];
  const divisorByPhase = normByPhase.map((norm) => (norm > 1e-10 ? norm : 1));
  const lastFrameStart = (totalFrames - 1) * hopLength;
  const extended = (i: number) => i - chunkOrigin + half; // position in the extended chunk
  const value = (i: number) => (count > 0 ? accumulator[i - accumulatorOrigin] : 0);
  const edgeSample = (i: number) => {
    const e = extended(i);
    const tLo = Math.max(0, Math.ceil((e - winLength + 1) / hopLength));
    const tHi = Math.min(totalFrames - 1, Math.floor(e / hopLength));
    let norm = 0;
    for (let t = tLo; t <= tHi; t++) {
      const w = window[e - t * hopLength];
      norm += w * w;
    }
    out[i] = i >= synthesisedEnd ? 0 : norm > 1e-10 ? value(i) / norm : value(i);
  };
  // Samples covered by every frame they can be (the interior) and before synthesisedEnd.
  const interiorStart = Math.min(keepEnd, Math.max(start, winLength - 1 - extended(0)));
  const interiorEnd = Math.max(
    interiorStart,
    Math.min(keepEnd, synthesisedEnd, lastFrameStart - extended(0) + 1),
  );
  for (let i = start; i < interiorStart; i++) edgeSample(i);
  if (count > 0) {
    let phase = extended(interiorStart) % hopLength;
    for (let i = interiorStart; i < interiorEnd; i++) {
      out[i] = accumulator[i - accumulatorOrigin] / divisorByPhase[phase];
      if (++phase === hopLength) phase = 0;
    }
  } else {
    out.fill(0, interiorStart, interiorEnd);
  }
  for (let i = interiorEnd; i < keepEnd; i++) edgeSample(i);
}
