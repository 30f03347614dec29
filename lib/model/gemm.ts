/**
 * Row-major single-precision matrix product used by every hot loop of the fused LSTM.
 *
 * One kernel shape serves the whole forward and backward pass because every product the LSTM
 * needs can be written as C = A · Bᵀ with both operands read along contiguous rows (the callers
 * transpose an operand once per sequence when needed, which is cheap next to the product). Both
 * kernels use a 2×4 register block so that each pair of loads feeds several multiply-adds.
 *
 * @module
 */

import { packRight, simdAvailable, simdGemmNT, simdGemmPacked } from "./simd_gemm.ts";

/**
 * Layout of one operand of {@link gemmNT}: the array, where element (0, 0) sits and how many
 * elements separate consecutive rows. A row stride larger than the row length lets callers take
 * one time step out of a `[batch, time, features]` array without copying.
 */
export interface MatrixView {
  /** Backing storage, row-major. */
  data: Float32Array;
  /** Index of element (0, 0). */
  offset: number;
  /** Elements between the starts of consecutive rows. */
  rowStride: number;
}

// Below this many multiply-adds the copies into WebAssembly memory cost more than they save.
const SIMD_MIN_WORK = 4096;

/**
 * Computes `C[m, n] (+)= Σ_p A[m, p] · Bt[n, p]` for an `rows × cols` result with inner length
 * `depth`, writing into `c` (overwriting, or adding when `accumulate` is true). `bt` holds B
 * transposed, so both operands are walked along contiguous rows. Runs on the WebAssembly SIMD
 * kernel when the runtime has one and the product is big enough to pay for copying, else on
 * {@link scalarGemmNT}.
 */
export function gemmNT(
  rows: number,
  cols: number,
  depth: number,
  a: MatrixView,
  bt: MatrixView,
  c: MatrixView,
  accumulate: boolean,
): void {
  if (simdAvailable && rows * cols * depth >= SIMD_MIN_WORK) {
    simdGemmNT(rows, cols, depth, a, bt, c, accumulate);
  } else {
    scalarGemmNT(rows, cols, depth, a, bt, c, accumulate);
  }
}

/**
 * A right-hand operand reused for many products, as the recurrent weights are at every time
 * step: prepared once (copied into WebAssembly memory when SIMD is used), then applied to new
 * left-hand rows. Release in reverse order of preparation.
 */
export interface RightOperand {
  /** `C[rows, cols] (+)= A[rows, depth] · Btᵀ` with the prepared `Bt`. */
  multiply(rows: number, a: MatrixView, c: MatrixView, accumulate: boolean): void;
  /** Frees what {@link prepareRight} reserved. */
  release(): void;
}

/** Prepares `bt` (`cols × depth`) for repeated {@link RightOperand.multiply} calls. */
export function prepareRight(bt: MatrixView, cols: number, depth: number): RightOperand {
  if (!simdAvailable) {
    return {
      multiply: (rows, a, c, accumulate) => scalarGemmNT(rows, cols, depth, a, bt, c, accumulate),
      release: () => {},
    };
  }
  const packed = packRight(bt, cols, depth);
  return {
    multiply: (rows, a, c, accumulate) => simdGemmPacked(rows, a, packed, c, accumulate),
    release: () => packed.release(),
  };
}

/**
 * The portable scalar kernel behind {@link gemmNT}: plain loops with a 2×4 register block,
 * about one multiply-add per cycle in V8, sums kept in doubles.
 */
export function scalarGemmNT(
  rows: number,
  cols: number,
  depth: number,
  a: MatrixView,
  bt: MatrixView,
  c: MatrixView,
  accumulate: boolean,
): void {
  const aData = a.data, bData = bt.data, cData = c.data;
  const lda = a.rowStride, ldb = bt.rowStride, ldc = c.rowStride;
  let i = 0;
  for (; i + 1 < rows; i += 2) {
    const a0 = a.offset + i * lda, a1 = a0 + lda;
    const c0 = c.offset + i * ldc, c1 = c0 + ldc;
    let j = 0;
    for (; j + 3 < cols; j += 4) {
      const b0 = bt.offset + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < depth; p++) {
        const x0 = aData[a0 + p], x1 = aData[a1 + p];
        const y0 = bData[b0 + p], y1 = bData[b1 + p], y2 = bData[b2 + p], y3 = bData[b3 + p];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      if (accumulate) {
        cData[c0 + j] += s00;
        cData[c0 + j + 1] += s01;
        cData[c0 + j + 2] += s02;
        cData[c0 + j + 3] += s03;
        cData[c1 + j] += s10;
        cData[c1 + j + 1] += s11;
        cData[c1 + j + 2] += s12;
        cData[c1 + j + 3] += s13;
      } else {
        cData[c0 + j] = s00;
        cData[c0 + j + 1] = s01;
        cData[c0 + j + 2] = s02;
        cData[c0 + j + 3] = s03;
        cData[c1 + j] = s10;
        cData[c1 + j + 1] = s11;
        cData[c1 + j + 2] = s12;
        cData[c1 + j + 3] = s13;
      }
    }
    for (; j < cols; j++) {
      const b0 = bt.offset + j * ldb;
      let s0 = 0, s1 = 0;
      for (let p = 0; p < depth; p++) {
        const y = bData[b0 + p];
        s0 += aData[a0 + p] * y;
        s1 += aData[a1 + p] * y;
      }
      if (accumulate) {
        cData[c0 + j] += s0;
        cData[c1 + j] += s1;
      } else {
        cData[c0 + j] = s0;
        cData[c1 + j] = s1;
      }
    }
  }
  for (; i < rows; i++) {
    const a0 = a.offset + i * lda, c0 = c.offset + i * ldc;
    let j = 0;
    for (; j + 3 < cols; j += 4) {
      const b0 = bt.offset + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < depth; p++) {
        const x = aData[a0 + p];
        s0 += x * bData[b0 + p];
        s1 += x * bData[b1 + p];
        s2 += x * bData[b2 + p];
        s3 += x * bData[b3 + p];
      }
      if (accumulate) {
        cData[c0 + j] += s0;
        cData[c0 + j + 1] += s1;
        cData[c0 + j + 2] += s2;
        cData[c0 + j + 3] += s3;
      } else {
        cData[c0 + j] = s0;
        cData[c0 + j + 1] = s1;
        cData[c0 + j + 2] = s2;
        cData[c0 + j + 3] = s3;
      }
    }
    for (; j < cols; j++) {
      const b0 = bt.offset + j * ldb;
      let s = 0;
      for (let p = 0; p < depth; p++) s += aData[a0 + p] * bData[b0 + p];
      if (accumulate) cData[c0 + j] += s;
      else cData[c0 + j] = s;
    }
  }
}

/**
 * Returns the transpose of a row-major `rows × cols` matrix as a new row-major `cols × rows`
 * array, so that a product over the former row index can use {@link gemmNT}'s contiguous reads.
 */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const src = r * cols;
    for (let k = 0; k < cols; k++) out[k * rows + r] = data[src + k];
  }
  return out;
}

/** Shorthand for a {@link MatrixView} over a densely packed row-major matrix. */
export function dense(data: Float32Array, cols: number, offset = 0): MatrixView {
  return { data, offset, rowStride: cols };
}
