/**
 * Band-limited sinc resampling equal to `librosa.resample(..., res_type="kaiser_best")`, i.e.
 * resampy 0.4's `kaiser_best` filter followed by librosa's length fix. The conventions are
 * spelled out in `shared/fixtures/golden/README.md` ("Resampling"); this port accumulates in
 * float64 and so sits within ~5e-7 of librosa, which accumulates in float32.
 */

import { expectPositiveFinite } from "./errors.ts";

/** Zero crossings of the sinc on each side of the `kaiser_best` filter. */
export const KAISER_BEST_ZERO_CROSSINGS = 50;
/** Table points per zero crossing of the `kaiser_best` filter. */
export const KAISER_BEST_TABLE_DENSITY = 2 ** 13;
/** Cut-off of the `kaiser_best` filter as a fraction of the Nyquist frequency. */
export const KAISER_BEST_ROLLOFF = 0.917347;
/** Kaiser window shape parameter β of the `kaiser_best` filter. */
export const KAISER_BEST_BETA = 12.9846;

/** Largest output this module will allocate (2^28 samples, 4.7 h at 16 kHz). */
export const MAX_RESAMPLED_SAMPLES = 2 ** 28;

/** Right wing of the interpolation filter and its first differences. */
interface FilterTable {
  wing: Float64Array;
  delta: Float64Array;
}

let kaiserBestTable: FilterTable | null = null;

/**
 * Modified Bessel function of the first kind, order 0, by its power series
 * Σ ((x/2)^k / k!)². Every term is positive, so summing until the terms stop mattering gives
 * full double precision for the arguments used here (|x| ≤ β ≈ 13).
 */
export function besselI0(x: number): number {
  const quarterSquare = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * The `kaiser_best` right-wing table (409 601 points) with its first differences, built on
 * first use and kept: `h[j] = rolloff·sinc(rolloff·j/8192)·kaiser(2·409600+1, β)[409600+j]`.
 * It reproduces resampy's shipped table to ~3e-16; building it takes tens of milliseconds,
 * which is why it is lazy and shared.
 */
export function kaiserBestFilter(): FilterTable {
  if (kaiserBestTable) return kaiserBestTable;
  const half = KAISER_BEST_ZERO_CROSSINGS * KAISER_BEST_TABLE_DENSITY;
  const wing = new Float64Array(half + 1);
  const i0Beta = besselI0(KAISER_BEST_BETA);
  for (let j = 0; j <= half; j++) {
    // np.kaiser(M, β)[n] = I0(β·sqrt(1 − (2n/(M−1) − 1)²)) / I0(β); here n − (M−1)/2 = j.
    const r = j / half;
    const window = besselI0(KAISER_BEST_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    const x = KAISER_BEST_ROLLOFF * (j / KAISER_BEST_TABLE_DENSITY);
    const sinc = j === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    wing[j] = KAISER_BEST_ROLLOFF * sinc * window;
  }
  const delta = new Float64Array(half + 1);
  for (let j = 0; j < half; j++) delta[j] = wing[j + 1] - wing[j];
  kaiserBestTable = { wing, delta };
  return kaiserBestTable;
}

/**
 * Number of samples {@link resample} returns: `ceil(n · toHz / fromHz)` (librosa's
 * `fix_length` after resampy), computed with the same float operations as librosa.
 */
export function resampledLength(nSamples: number, fromHz: number, toHz: number): number {
  expectPositiveFinite("fromHz", fromHz);
  expectPositiveFinite("toHz", toHz);
  return Math.ceil(nSamples * (toHz / fromHz));
}

/**
 * Resamples mono audio from `fromHz` to `toHz` with resampy's `kaiser_best` band-limited sinc
 * interpolation, then zero-pads or trims to `ceil(n · toHz / fromHz)` like librosa. Equal
 * rates return a copy. When downsampling, the filter is widened (and scaled) by the rate
 * ratio so it also acts as the anti-aliasing low-pass.
 *
 * @example
 * const at16k = resample(decoded.samples, decoded.sampleRateHz, 16000);
 */
export function resample(samples: Float32Array, fromHz: number, toHz: number): Float32Array {
  return resampleWith(samples, fromHz, toHz, true);
}

/**
 * {@link resample} without the per-phase taps of whole-number rates: every output sample
 * interpolates its taps from the filter table. The reference the phase tables are tested against.
 */
export function resampleFromTable(
  samples: Float32Array,
  fromHz: number,
  toHz: number,
): Float32Array {
  return resampleWith(samples, fromHz, toHz, false);
}

function resampleWith(
  samples: Float32Array,
  fromHz: number,
  toHz: number,
  usePhases: boolean,
): Float32Array {
  const fixedLength = resampledLength(samples.length, fromHz, toHz);
  if (fromHz === toHz) return samples.slice();
  const ratio = toHz / fromHz;
  const scale = Math.min(1, ratio);
  const indexStep = Math.floor(scale * KAISER_BEST_TABLE_DENSITY);
  if (indexStep < 1) {
    throw new RangeError(
      `Expected toHz / fromHz >= ${1 / KAISER_BEST_TABLE_DENSITY}, but got ${ratio}`,
    );
  }
  if (fixedLength > MAX_RESAMPLED_SAMPLES) {
    throw new RangeError(
      `Expected a resampled length <= ${MAX_RESAMPLED_SAMPLES}, but got ${fixedLength}`,
    );
  }
  const nIn = samples.length;
  const nOut = Math.floor(nIn * ratio);
  const out = new Float32Array(fixedLength);
  const phases = usePhases ? phaseTable(fromHz, toHz) : null;
  if (phases) {
    resamplePolyphase(samples, out, Math.min(nOut, fixedLength), phases, ratio);
    return out;
  }
  const { wing, delta } = kaiserBestFilter();
  const nWing = wing.length;
  const timeIncrement = 1 / ratio;
  const density = KAISER_BEST_TABLE_DENSITY;
  for (let t = 0; t < nOut && t < fixedLength; t++) {
    const time = t * timeIncrement;
    const n = Math.floor(time);
    let frac = scale * (time - n);
    let indexFrac = frac * density;
    let offset = Math.floor(indexFrac);
    let eta = indexFrac - offset;
    let acc = 0;
    const iMax = Math.min(n + 1, Math.floor((nWing - offset) / indexStep));
    for (let i = 0, j = offset; i < iMax; i++, j += indexStep) {
      acc += (wing[j] + eta * delta[j]) * samples[n - i];
    }
    frac = scale - frac;
    indexFrac = frac * density;
    offset = Math.floor(indexFrac);
    eta = indexFrac - offset;
    const kMax = Math.min(nIn - n - 1, Math.floor((nWing - offset) / indexStep));
    for (let k = 0, j = offset; k < kMax; k++, j += indexStep) {
      acc += (wing[j] + eta * delta[j]) * samples[n + k + 1];
    }
    // resampy multiplies the table by the ratio when downsampling; scaling the sum is the same.
    out[t] = ratio < 1 ? acc * ratio : acc;
  }
  return out;
}

/**
 * The interpolation filter's taps for each output phase of a rational rate change, laid out
 * contiguously: for output sample `t = q·period + p`, the input position is
 * `q·step + base[p]` plus a fraction that depends on `p` alone, so the taps
 * `wing[j] + eta·delta[j]` that {@link resample}'s loop computes for every output can be computed
 * once per phase. Same taps, same order of summation, a fraction of the table lookups.
 */
export interface PhaseTable {
  period: number;
  step: number;
  base: Int32Array;
  leftStart: Int32Array;
  leftLength: Int32Array;
  rightStart: Int32Array;
  rightLength: Int32Array;
  taps: Float64Array;
}

/** Largest number of taps kept for one rate pair (about 16 MB of float64). */
const MAX_PHASE_TAPS = 2 ** 21;
const phaseTables = new Map<string, PhaseTable | null>();

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * The phase table of a change from `fromHz` to `toHz` (both whole numbers), or null when the
 * rates are not whole or the table would be too large; kept for the next call (a few rate
 * pairs at most are in use: a recording's rate, and test-time augmentation's speeds).
 */
export function phaseTable(fromHz: number, toHz: number): PhaseTable | null {
  if (!Number.isInteger(fromHz) || !Number.isInteger(toHz)) return null;
  const key = `${fromHz}/${toHz}`;
  const known = phaseTables.get(key);
  if (known !== undefined) return known;
  const g = gcd(fromHz, toHz);
  const period = toHz / g;
  const step = fromHz / g;
  const ratio = toHz / fromHz;
  const scale = Math.min(1, ratio);
  const indexStep = Math.floor(scale * KAISER_BEST_TABLE_DENSITY);
  const { wing, delta } = kaiserBestFilter();
  const nWing = wing.length;
  const perPhase = 2 * Math.ceil(nWing / indexStep);
  let table: PhaseTable | null = null;
  if (period * perPhase <= MAX_PHASE_TAPS) {
    const base = new Int32Array(period);
    const leftStart = new Int32Array(period);
    const leftLength = new Int32Array(period);
    const rightStart = new Int32Array(period);
    const rightLength = new Int32Array(period);
    const taps: number[] = [];
    const density = KAISER_BEST_TABLE_DENSITY;
    for (let p = 0; p < period; p++) {
      // The exact position of output p: floor and fraction of p·step/period.
      const n = Math.floor((p * step) / period);
      base[p] = n;
      let frac = scale * (((p * step) % period) / period);
      for (const side of [0, 1]) {
        if (side === 1) frac = scale - frac;
        const indexFrac = frac * density;
        const offset = Math.floor(indexFrac);
        const eta = indexFrac - offset;
        const count = Math.floor((nWing - offset) / indexStep);
        (side === 0 ? leftStart : rightStart)[p] = taps.length;
        (side === 0 ? leftLength : rightLength)[p] = count;
        for (let i = 0, j = offset; i < count; i++, j += indexStep) {
          taps.push(wing[j] + eta * delta[j]);
        }
      }
    }
    table = {
      period,
      step,
      base,
      leftStart,
      leftLength,
      rightStart,
      rightLength,
      taps: Float64Array.from(taps),
    };
  }
  if (phaseTables.size >= 8) phaseTables.delete(phaseTables.keys().next().value!);
  phaseTables.set(key, table);
  return table;
}

/** {@link resample}'s loop over `count` outputs with the taps of `phases`. */
function resamplePolyphase(
  samples: Float32Array,
  out: Float32Array,
  count: number,
  phases: PhaseTable,
  ratio: number,
): void {
  const { period, step, base, leftStart, leftLength, rightStart, rightLength, taps } = phases;
  const nIn = samples.length;
  for (let t = 0, q = 0, p = 0; t < count; t++) {
    const n = q * step + base[p];
    let acc = 0;
    const iMax = Math.min(n + 1, leftLength[p]);
    for (let i = 0, j = leftStart[p]; i < iMax; i++, j++) acc += taps[j] * samples[n - i];
    const kMax = Math.min(nIn - n - 1, rightLength[p]);
    for (let k = 0, j = rightStart[p]; k < kMax; k++, j++) acc += taps[j] * samples[n + k + 1];
    out[t] = ratio < 1 ? acc * ratio : acc;
    if (++p === period) {
      p = 0;
      q++;
    }
  }
}
