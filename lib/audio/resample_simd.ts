/**
 * {@link resample} for whole-number rates as a matrix product on the WebAssembly SIMD kernel
 * (`lib/model/simd_gemm.ts`), several times faster than the scalar loop, for the many short
 * resamplings of test-time augmentation (`lib/model/tta.ts`), where speed matters more than
 * the last bits.
 *
 * Output `t = q·period + p` of a rational rate change is the dot product of phase `p`'s taps
 * with the input around `q·step + base[p]` (see `PhaseTable` in `resample.ts`). Laid out as
 *
 * - `A[q]`: the input from `q·step + lo` on, `width` samples (rows overlap: the row stride is
 *   `step`), over the input zero-padded at both ends, and
 * - `B[p]`: phase `p`'s taps in a row of `width`, left wing reversed, at the column where its
 *   first input sample falls (zeros elsewhere),
 *
 * the outputs are `C = A · Bᵀ`, read row by row. Zero padding gives the scalar loop's edges
 * (it skips samples outside the input). Sums run in float32 lanes over float32 taps, so the
 * result differs from {@link resample}'s float64 sums by at most a few 1e-7 (tested against it).
 * Training copies keep {@link resample}, so that cached features and seeded runs stay
 * bit-for-bit as they were.
 *
 * @module
 */
import {
  MAX_RESAMPLED_SAMPLES,
  type PhaseTable,
  phaseTable,
  resample,
  resampledLength,
} from "./resample.ts";
import { simdAvailable, simdGemmNT } from "../model/simd_gemm.ts";

/** One rate change laid out for the product. */
interface Plan {
  period: number;
  step: number;
  /** First input sample of row 0 relative to output 0's position (≤ 0). */
  lo: number;
  /** Samples per row of `A`, and taps per row of `B`. */
  width: number;
  /** `B`: `period × width`, float32, ratio folded in when downsampling. */
  taps: Float32Array;
}

/** Plans by the phase table they are laid out from, so they live and go with it. */
const plans = new WeakMap<PhaseTable, Plan>();

/** Rows of `A` per product, so its copy into module memory stays under 8 MB. */
const ROW_BLOCK = 2048;
/**
 * Widest row laid out (the TTA rates need about 150, 44.1 → 16 kHz about 720). Wider rows come
 * from strong downsampling, where rows are mostly filter and the scalar loop does as well.
 */
const MAX_WIDTH = 1024;

function planOf(fromHz: number, toHz: number): Plan | null {
  const table = phaseTable(fromHz, toHz);
  if (!table) return null;
  const known = plans.get(table);
  if (known) return known;
  const { period, step, base, leftStart, leftLength, rightStart, rightLength } = table;
  let lo = 0, hi = 0;
  for (let p = 0; p < period; p++) {
    lo = Math.min(lo, base[p] - leftLength[p] + 1);
    hi = Math.max(hi, base[p] + rightLength[p]);
  }
  const width = hi - lo + 1;
  if (width > MAX_WIDTH) return null;
  const ratio = toHz / fromHz;
  const gain = ratio < 1 ? ratio : 1;
  const taps = new Float32Array(period * width);
  for (let p = 0; p < period; p++) {
    const row = p * width;
    // Left wing: tap i multiplies input base[p] − i.
    for (let i = 0; i < leftLength[p]; i++) {
      taps[row + base[p] - i - lo] = table.taps[leftStart[p] + i] * gain;
    }
    // Right wing: tap k multiplies input base[p] + k + 1.
    for (let k = 0; k < rightLength[p]; k++) {
      taps[row + base[p] + k + 1 - lo] = table.taps[rightStart[p] + k] * gain;
    }
  }
  const plan = { period, step, lo, width, taps };
  plans.set(table, plan);
  return plan;
}

/**
 * {@link resample} (same length, same filter) with float32 sums on the SIMD kernel; falls back
 * to {@link resample} itself where there is no kernel, the rates are not whole numbers or the
 * rows would be wider than {@link MAX_WIDTH}.
 */
export function resampleSimd(samples: Float32Array, fromHz: number, toHz: number): Float32Array {
  const fixedLength = resampledLength(samples.length, fromHz, toHz);
  const plan = simdAvailable && fromHz !== toHz ? planOf(fromHz, toHz) : null;
  // resample refuses what is too long, with its message.
  if (!plan || fixedLength > MAX_RESAMPLED_SAMPLES) return resample(samples, fromHz, toHz);
  const { period, step, lo, width, taps } = plan;
  const out = new Float32Array(fixedLength);
  const count = Math.min(Math.floor(samples.length * (toHz / fromHz)), fixedLength);
  if (count === 0) return out;
  const rows = Math.ceil(count / period);
  // Input sample i sits at padded[i − lo]; everything outside the input is zero.
  const padded = new Float32Array((rows - 1) * step + width);
  padded.set(samples.subarray(0, Math.min(samples.length, padded.length + lo)), -lo);
  const block = new Float32Array(Math.min(rows, ROW_BLOCK) * period);
  const bt = { data: taps, offset: 0, rowStride: width };
  for (let q0 = 0; q0 < rows; q0 += ROW_BLOCK) {
    const n = Math.min(ROW_BLOCK, rows - q0);
    simdGemmNT(
      n,
      period,
      width,
      { data: padded, offset: q0 * step, rowStride: step },
      bt,
      { data: block, offset: 0, rowStride: period },
      false,
    );
    const start = q0 * period;
    out.set(block.subarray(0, Math.min(n * period, count - start)), start);
  }
  return out;
}
