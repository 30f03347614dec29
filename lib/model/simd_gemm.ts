/**
 * A WebAssembly SIMD version of `gemmNT` (C += A · Btᵀ), several times faster than scalar
 * JavaScript because it does four multiply-adds per instruction.
 *
 * The module is assembled here from its opcodes (about 600 bytes) rather than shipped as a
 * binary built by another toolchain: there is nothing to rebuild, and the kernel can be read
 * below. Operands are copied into the module's memory padded to the kernel's block sizes
 * (rows to 2, columns and depth to 4, padding zero), so the kernel has no edge cases; the copies
 * cost a few percent of the arithmetic for the shapes the LSTM uses.
 *
 * @module
 */

import { I32, MODULE_HEADER, name, section, uleb, V128 } from "../wasm/encoder.ts";
import { horizontalSums, op } from "../wasm/simd_f32.ts";
import type { MatrixView } from "./gemm.ts";

// Parameters: rows, cols, depthBytes, a, aRowBytes, b, bRowBytes, c, cRowBytes (all i32).
const [ROWS, COLS, DEPTH_BYTES, A, LDA, B, LDB, C, LDC] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
// i32 locals.
const [I, J, P, A0, A1, B0, B1, B2, B3, C0, C1] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
// v128 locals: accumulators S[row][col], the two A vectors, one B vector.
const S = [[20, 21, 22, 23], [24, 25, 26, 27]];
const [X0, X1, Y] = [28, 29, 30];

// C[i..i+1][j..j+3] += the 2×4 block of dot products; every loop runs at least once, which the
// padding guarantees.
function kernelBody(): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((p) => code.push(...p));
  emit(op.i32(0), op.set(I), op.loop);
  emit(op.get(A), op.get(I), op.get(LDA), op.mul, op.add, op.set(A0));
  emit(op.get(A0), op.get(LDA), op.add, op.set(A1));
  emit(op.get(C), op.get(I), op.get(LDC), op.mul, op.add, op.set(C0));
  emit(op.get(C0), op.get(LDC), op.add, op.set(C1));
  emit(op.i32(0), op.set(J), op.loop);
  emit(op.get(B), op.get(J), op.get(LDB), op.mul, op.add, op.set(B0));
  emit(op.get(B0), op.get(LDB), op.add, op.set(B1));
  emit(op.get(B1), op.get(LDB), op.add, op.set(B2));
  emit(op.get(B2), op.get(LDB), op.add, op.set(B3));
  for (const row of S) for (const s of row) emit(op.zero, op.set(s));
  emit(op.i32(0), op.set(P), op.loop);
  emit(op.get(A0), op.get(P), op.add, op.load, op.set(X0));
  emit(op.get(A1), op.get(P), op.add, op.load, op.set(X1));
  [B0, B1, B2, B3].forEach((bRow, col) => {
    emit(op.get(bRow), op.get(P), op.add, op.load, op.set(Y));
    emit(op.get(S[0][col]), op.get(X0), op.get(Y), op.fmul, op.fadd, op.set(S[0][col]));
    emit(op.get(S[1][col]), op.get(X1), op.get(Y), op.fmul, op.fadd, op.set(S[1][col]));
  });
  emit(op.get(P), op.i32(16), op.add, op.set(P));
  emit(op.get(P), op.get(DEPTH_BYTES), op.ltU, op.brIf(0), op.end);
  [C0, C1].forEach((cRow, r) => {
    // address, then (sums + C[address]), then store
    emit(op.get(cRow), op.get(J), op.i32(2), op.shl, op.add);
    emit(horizontalSums(S[r], X0, X1));
    emit(op.get(cRow), op.get(J), op.i32(2), op.shl, op.add, op.load, op.fadd, op.store);
  });
  emit(op.get(J), op.i32(4), op.add, op.set(J));
  emit(op.get(J), op.get(COLS), op.ltU, op.brIf(0), op.end);
  emit(op.get(I), op.i32(2), op.add, op.set(I));
  emit(op.get(I), op.get(ROWS), op.ltU, op.brIf(0), op.end);
  emit(op.end);
  const locals = [...uleb(2), ...uleb(11), I32, ...uleb(11), V128];
  return [...locals, ...code];
}

function assemble(): Uint8Array<ArrayBuffer> {
  const funcType = [0x60, ...uleb(9), ...new Array(9).fill(I32), ...uleb(0)];
  const body = kernelBody();
  return new Uint8Array([
    ...MODULE_HEADER,
    ...section(1, [...uleb(1), ...funcType]),
    ...section(3, [...uleb(1), ...uleb(0)]),
    ...section(5, [...uleb(1), 0x00, ...uleb(1)]),
    ...section(7, [...uleb(2), ...name("gemm"), 0x00, 0x00, ...name("memory"), 0x02, 0x00]),
    ...section(10, [...uleb(1), ...uleb(body.length), ...body]),
  ]);
}

type KernelFn = (
  rows: number,
  cols: number,
  depthBytes: number,
  a: number,
  lda: number,
  b: number,
  ldb: number,
  c: number,
  ldc: number,
) => void;

interface Kernel {
  memory: WebAssembly.Memory;
  gemm: KernelFn;
}

function instantiate(): Kernel | null {
  try {
    const bytes = assemble();
    if (!WebAssembly.validate(bytes)) return null;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return {
      memory: instance.exports.memory as WebAssembly.Memory,
      gemm: instance.exports.gemm as KernelFn,
    };
  } catch {
    return null;
  }
}

const kernel = instantiate();

/** True when this runtime runs WebAssembly SIMD, i.e. when {@link simdGemmNT} is usable. */
export const simdAvailable: boolean = kernel !== null;

// Bytes of module memory in use by packed right-hand operands (a stack; see packRight).
let reservedBytes = 0;

function ensureBytes(total: number): void {
  const memory = kernel!.memory;
  const missing = total - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

function packRows(
  source: MatrixView,
  rows: number,
  width: number,
  target: Float32Array,
  targetStride: number,
): void {
  for (let r = 0; r < rows; r++) {
    const from = source.offset + r * source.rowStride;
    target.set(source.data.subarray(from, from + width), r * targetStride);
  }
}

/**
 * A right-hand operand (`Bt`, `cols × depth`) copied once into module memory for many products,
 * as the recurrent weights are used at every time step. Handles are released in reverse order
 * of creation (a stack), which the LSTM's nested use follows.
 */
export interface PackedRight {
  /** Rows of Bt, i.e. columns of the product. */
  readonly cols: number;
  /** Inner dimension. */
  readonly depth: number;
  /** Frees the module memory; the handle must not be used afterwards. */
  release(): void;
  /** Byte offset in module memory (internal). */
  readonly ptr: number;
}

/**
 * Copies `bt` (`cols × depth`) into module memory, padded for the kernel, and returns a handle
 * for {@link simdGemmPacked}. Only call when {@link simdAvailable}.
 */
export function packRight(bt: MatrixView, cols: number, depth: number): PackedRight {
  const colsPad = roundUp(cols, 4), depthPad = roundUp(depth, 4);
  const ptr = reservedBytes;
  const bytes = colsPad * depthPad * 4;
  ensureBytes(ptr + bytes);
  reservedBytes += bytes;
  const view = new Float32Array(kernel!.memory.buffer, ptr, colsPad * depthPad);
  view.fill(0);
  packRows(bt, cols, depth, view, depthPad);
  let released = false;
  return {
    cols,
    depth,
    ptr,
    release() {
      if (released) return;
      if (reservedBytes !== ptr + bytes) {
        throw new Error("Expected packed operands to be released in reverse order");
      }
      reservedBytes = ptr;
      released = true;
    },
  };
}

/**
 * `C[rows, cols] (+)= A[rows, depth] · Btᵀ` with `Bt` already packed. Same contract as
 * `gemmNT`; the result is rounded to float32 after summing in float32 lanes (four partial sums
 * per element), which is within 1e-6 relative of the scalar kernel's double sums.
 */
export function simdGemmPacked(
  rows: number,
  a: MatrixView,
  packed: PackedRight,
  c: MatrixView,
  accumulate: boolean,
): void {
  const { cols, depth } = packed;
  if (rows === 0) return;
  const rowsPad = roundUp(rows, 2), colsPad = roundUp(cols, 4), depthPad = roundUp(depth, 4);
  const aPtr = reservedBytes;
  const cPtr = aPtr + rowsPad * depthPad * 4;
  ensureBytes(cPtr + rowsPad * colsPad * 4);
  const buffer = kernel!.memory.buffer;
  const aView = new Float32Array(buffer, aPtr, rowsPad * depthPad);
  const cView = new Float32Array(buffer, cPtr, rowsPad * colsPad);
  if (depth !== depthPad || rows !== rowsPad) aView.fill(0);
  packRows(a, rows, depth, aView, depthPad);
  if (accumulate) {
    packRows(c, rows, cols, cView, colsPad);
  } else {
    cView.fill(0);
  }
  kernel!.gemm(
    rowsPad,
    colsPad,
    depthPad * 4,
    aPtr,
    depthPad * 4,
    packed.ptr,
    depthPad * 4,
    cPtr,
    colsPad * 4,
  );
  const out = c.data;
  for (let r = 0; r < rows; r++) {
    out.set(cView.subarray(r * colsPad, r * colsPad + cols), c.offset + r * c.rowStride);
  }
}

/**
 * One-off `C[rows, cols] (+)= A[rows, depth] · Bt[cols, depth]ᵀ` on the SIMD kernel. Only call
 * when {@link simdAvailable}.
 */
export function simdGemmNT(
  rows: number,
  cols: number,
  depth: number,
  a: MatrixView,
  bt: MatrixView,
  c: MatrixView,
  accumulate: boolean,
): void {
  const packed = packRight(bt, cols, depth);
  try {
    simdGemmPacked(rows, a, packed, c, accumulate);
  } finally {
    packed.release();
  }
}
