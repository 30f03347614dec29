/**
 * Opcodes of the WebAssembly 2.0 core and fixed-width SIMD specifications that the float32
 * kernels (`lib/model/simd_gemm.ts`, `lib/model/simd_lstm.ts`) are assembled from, as byte
 * arrays to concatenate in stack order, and the four-way horizontal sum both use.
 *
 * @module
 */

import { sleb, uleb } from "./encoder.ts";

/** `v128.const` with all four f32 lanes set to `value`. */
function f32x4(value: number): number[] {
  const bytes = new Uint8Array(new Float32Array([value, value, value, value]).buffer);
  return [0xfd, 0x0c, ...bytes];
}

/** Instructions by name; the functions take their immediate operands. */
export const op = {
  loop: [0x03, 0x40],
  block: [0x02, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  eqz: [0x45],
  ltU: [0x49],
  add: [0x6a],
  mul: [0x6c],
  shl: [0x74],
  load: [0xfd, 0x00, 0x00, 0x00], // v128.load align=1 offset=0 (unaligned is allowed)
  store: [0xfd, 0x0b, 0x00, 0x00],
  zero: [0xfd, 0x0c, ...new Array(16).fill(0)],
  f32x4,
  /** `i8x16.shuffle` picking 32-bit lanes 0–3 of the first operand and 4–7 of the second. */
  shuffle: (
    lanes: number[],
  ) => [0xfd, 0x0d, ...lanes.flatMap((l) => [0, 1, 2, 3].map((b) => 4 * l + b))],
  fadd: [0xfd, ...uleb(0xe4)],
  fmul: [0xfd, ...uleb(0xe6)],
  fdiv: [0xfd, ...uleb(0xe7)],
  fmin: [0xfd, ...uleb(0xe8)],
  fmax: [0xfd, ...uleb(0xe9)],
};

/**
 * Code leaving `[Σ lanes of s[0], Σ s[1], Σ s[2], Σ s[3]]` on the stack, for four v128 locals
 * `s` of f32 lanes; `x0` and `x1` are v128 locals it overwrites.
 */
export function horizontalSums(s: readonly number[], x0: number, x1: number): number[] {
  // shuffle(u, v, first) + shuffle(u, v, second), lane by lane
  const shuffleAdd = (u: number, v: number, first: number[], second: number[]) => [
    ...op.get(u),
    ...op.get(v),
    ...op.shuffle(first),
    ...op.get(u),
    ...op.get(v),
    ...op.shuffle(second),
    ...op.fadd,
  ];
  return [
    ...shuffleAdd(s[0], s[1], [0, 1, 4, 5], [2, 3, 6, 7]),
    ...op.set(x0),
    ...shuffleAdd(s[2], s[3], [0, 1, 4, 5], [2, 3, 6, 7]),
    ...op.set(x1),
    ...shuffleAdd(x0, x1, [0, 2, 4, 6], [1, 3, 5, 7]),
  ];
}
