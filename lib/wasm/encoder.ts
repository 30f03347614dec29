/**
 * A minimal WebAssembly encoder for the project's SIMD kernels (the audio code's FFT, log and
 * gate kernels; the LSTM's matrix kernel uses its LEB128 and section helpers): expression helpers that build a function body as bytes, a {@link Kernel}
 * that collects parameters, locals and code, and {@link compileKernels}, which assembles a
 * module that imports its memory. Only what those kernels use is here.
 *
 * Expressions are byte arrays that leave one value on the stack, so kernels read like
 * `set(sum, fadd(get(a), load(get(p))))`. Opcodes are those of the WebAssembly 2.0 core and
 * fixed-width SIMD specifications.
 *
 * @module
 */

/** Encoded WebAssembly bytes. */
export type Code = number[];

/** The magic number and version 1 that start every WebAssembly module. */
export const MODULE_HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Unsigned LEB128. */
export function uleb(n: number): Code {
  const out: Code = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): Code {
  const out: Code = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A module section: id, byte length, body. */
export function section(id: number, body: Code): Code {
  return [id, ...uleb(body.length), ...body];
}

/** A length-prefixed UTF-8 name. */
export function name(text: string): Code {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/** Value types. */
export const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;

/** `local.get`. */
export const get = (local: number): Code => [0x20, ...uleb(local)];
/** `local.set` of an expression. */
export const set = (local: number, value: Code): Code => [...value, 0x21, ...uleb(local)];
/** `i32.const`. */
export const i32 = (value: number): Code => [0x41, ...sleb(value)];
/** `i32.add`. */
export const add = (x: Code, y: Code): Code => [...x, ...y, 0x6a];
/** `i32.sub`. */
export const sub = (x: Code, y: Code): Code => [...x, ...y, 0x6b];

const simdBinary = (opcode: number) => (x: Code, y: Code): Code => [
  ...x,
  ...y,
  0xfd,
  ...uleb(opcode),
];
/** `f64x2` arithmetic (IEEE, lane by lane, no fusing). */
export const fadd = simdBinary(0xf0), fsub = simdBinary(0xf1), fmul = simdBinary(0xf2);
/** `f64x2.div`. */
export const fdiv = simdBinary(0xf3);
/** `f64x2.lt`: all ones in lanes where x < y. */
export const flt = simdBinary(0x49);
/** `f64x2.sqrt`. */
export const fsqrt = (x: Code): Code => [...x, 0xfd, ...uleb(0xef)];
/** `v128` bitwise operations. */
export const and = simdBinary(0x4e), or = simdBinary(0x50), xor = simdBinary(0x51);
/** `i64x2` arithmetic and signed comparisons (all ones where true). */
export const iadd = simdBinary(0xce), isub = simdBinary(0xd1);
/** `f64x2.le`: all ones in lanes where x ≤ y. */
export const fle = simdBinary(0x4b);
/** `f64x2.gt`: all ones in lanes where x > y. */
export const fgt = simdBinary(0x4a);
/** `f64x2.max`, with `Math.max`'s treatment of NaN and signed zeros. */
export const fmax = simdBinary(0xf5);
/** `f64x2.pmin(x, y)` = `y < x ? y : x` and `f64x2.pmax(x, y)` = `x < y ? y : x`, per lane. */
export const fpmin = simdBinary(0xf6), fpmax = simdBinary(0xf7);
/** `i64x2.lt_s` and `i64x2.gt_s`. */
export const ilt = simdBinary(0xd8), igt = simdBinary(0xd9);
/** `i64x2` shifts by a constant. */
export const ishl = (x: Code, bits: number): Code => [...x, ...i32(bits), 0xfd, ...uleb(0xcb)];
/** `i64x2.shr_s` by a constant. */
export const ishr = (x: Code, bits: number): Code => [...x, ...i32(bits), 0xfd, ...uleb(0xcc)];
/** `i64x2.shr_u` by a constant. */
export const ishrU = (x: Code, bits: number): Code => [...x, ...i32(bits), 0xfd, ...uleb(0xcd)];
/** Lane `lane` of an `i64x2`, wrapped to i32 (`i64x2.extract_lane`, `i32.wrap_i64`). */
export const laneI32 = (x: Code, lane: number): Code => [...x, 0xfd, 0x1d, lane, 0xa7];
/** `v128.bitselect`: bits of `x` where `mask` is 1, of `y` elsewhere. */
export const select = (x: Code, y: Code, mask: Code): Code => [...x, ...y, ...mask, 0xfd, 0x52];
/** `v128.const` with both lanes set to the double `value`. */
export const f64x2 = (value: number): Code => {
  const bytes = new Uint8Array(new Float64Array([value, value]).buffer);
  return [0xfd, 0x0c, ...bytes];
};
/** `v128.const` with both lanes set to the 64-bit integer `value`. */
export const i64x2 = (value: bigint): Code => {
  const bytes = new Uint8Array(new BigInt64Array([value, value]).buffer);
  return [0xfd, 0x0c, ...bytes];
};
/** `f64x2.splat` of an f64 expression. */
export const splat = (value: Code): Code => [...value, 0xfd, 0x14];
/** `i32.mul`. */
export const mul = (x: Code, y: Code): Code => [...x, ...y, 0x6c];
/** `i32.eq`. */
export const eq = (x: Code, y: Code): Code => [...x, ...y, 0x46];
/** `i32.and` of two conditions. */
export const both = (x: Code, y: Code): Code => [...x, ...y, 0x71];
/** `i32.lt_s`. */
export const ltS = (x: Code, y: Code): Code => [...x, ...y, 0x48];
/** `i32.ge_s`. */
export const geS = (x: Code, y: Code): Code => [...x, ...y, 0x4e];
/** `i32.lt_u`. */
export const ltU = (x: Code, y: Code): Code => [...x, ...y, 0x49];
/** `i32.le_u`. */
export const leU = (x: Code, y: Code): Code => [...x, ...y, 0x4d];
/** `i32.load` from `address + offset`. */
export const loadI32 = (address: Code, offset = 0): Code => [...address, 0x28, 2, ...uleb(offset)];
/** `v128.load` from `address + offset`. */
export const load = (address: Code, offset = 0): Code => [
  ...address,
  0xfd,
  0x00,
  4,
  ...uleb(offset),
];
/** The f64 at `address + offset` in both lanes (`v128.load64_splat`). */
export const loadSplat = (address: Code, offset = 0): Code => [
  ...address,
  0xfd,
  0x0a,
  3,
  ...uleb(offset),
];
/**
 * `[f64 at a + offsetA, f64 at b + offsetB]` (`v128.load64_zero`, then `v128.load64_lane`
 * into lane 1).
 */
export const loadPair = (a: Code, b: Code, offsetA = 0, offsetB = 0): Code => [
  ...b,
  ...a,
  0xfd,
  0x5d,
  3,
  ...uleb(offsetA),
  0xfd,
  0x57,
  3,
  ...uleb(offsetB),
  1,
];
/** `v128.store` to `address + offset`. */
export const store = (address: Code, value: Code, offset = 0): Code => [
  ...address,
  ...value,
  0xfd,
  0x0b,
  4,
  ...uleb(offset),
];
/** Stores lane `lane` of `value` as an f64 at `address + offset` (`v128.store64_lane`). */
export const storeLane = (address: Code, value: Code, lane: number, offset = 0): Code => [
  ...address,
  ...value,
  0xfd,
  0x5b,
  3,
  ...uleb(offset),
  lane,
];
/** Two f32 at `address + offset` widened to an f64x2 (`v128.load64_zero`, `f64x2.promote_low_f32x4`). */
export const loadF32Pair = (address: Code, offset = 0): Code => [
  ...address,
  0xfd,
  0x5d,
  3,
  ...uleb(offset),
  0xfd,
  0x5f,
];
/**
 * Both lanes of an f64x2 rounded to f32 (as a `Float32Array` store rounds) and stored as two
 * f32 at `address + offset` (`f32x4.demote_f64x2_zero`, `v128.store64_lane`).
 */
export const storeF32Pair = (address: Code, value: Code, offset = 0): Code => [
  ...address,
  ...value,
  0xfd,
  0x5e,
  0xfd,
  0x5b,
  3,
  ...uleb(offset),
  0,
];
/** `f64x2.abs`. */
export const fabs = (x: Code): Code => [...x, 0xfd, ...uleb(0xec)];
/** `v128.any_true`: i32 1 when any bit of x is set. */
export const anyTrue = (x: Code): Code => [...x, 0xfd, 0x53];
/** Lane `lane` of an f64x2 as an f64 (`f64x2.extract_lane`). */
export const lane = (x: Code, index: number): Code => [...x, 0xfd, 0x21, index];
/** x with lane `index` replaced by the f64 `value` (`f64x2.replace_lane`). */
export const replaceLane = (x: Code, index: number, value: Code): Code => [
  ...x,
  ...value,
  0xfd,
  0x22,
  index,
];
/** `f64.const`. */
export const f64 = (value: number): Code => [
  0x44,
  ...new Uint8Array(new Float64Array([value]).buffer),
];
/** `f64.add`. */
export const f64add = (x: Code, y: Code): Code => [...x, ...y, 0xa0];
/** `f64.sub`. */
export const f64sub = (x: Code, y: Code): Code => [...x, ...y, 0xa1];
/** `f64.mul`. */
export const f64mul = (x: Code, y: Code): Code => [...x, ...y, 0xa2];
/** `f64.div`. */
export const f64div = (x: Code, y: Code): Code => [...x, ...y, 0xa3];
/** `f64.abs`. */
export const f64abs = (x: Code): Code => [...x, 0x99];
/** `f64.neg`. */
export const f64neg = (x: Code): Code => [...x, 0x9a];
/** `f64.lt`: i32 1 where x < y (0 when either is NaN). */
export const f64lt = (x: Code, y: Code): Code => [...x, ...y, 0x63];
/** `f64.gt`: i32 1 where x > y (0 when either is NaN). */
export const f64gt = (x: Code, y: Code): Code => [...x, ...y, 0x64];
/** `f32.load` from `address + offset`. */
export const loadF32 = (address: Code, offset = 0): Code => [...address, 0x2a, 2, ...uleb(offset)];
/** `f32.ne` against 0: i32 1 where the f32 is not zero. */
export const f32NonZero = (x: Code): Code => [...x, 0x43, 0, 0, 0, 0, 0x5c];
/** `call` of function `index` (an import's index when the module has imports) on its arguments. */
export const call = (index: number, ...args: Code[]): Code => [
  ...args.flat(),
  0x10,
  ...uleb(index),
];

/** `[lane first, lane second]` of the four f64 lanes of x (0, 1) and y (2, 3). */
export const shuffle = (x: Code, y: Code, first: number, second: number): Code => [
  ...x,
  ...y,
  0xfd,
  0x0d,
  ...[first, second].flatMap((lane) => Array.from({ length: 8 }, (_, b) => 8 * lane + b)),
];
/** `do { body } while (counter < limit)` (or `<=`), counter advanced by `step` each time. */
export const doWhile = (
  counter: number,
  step: Code,
  limit: Code,
  body: Code,
  inclusive = false,
): Code => [
  0x03,
  0x40,
  ...body,
  ...set(counter, add(get(counter), step)),
  ...(inclusive ? leU : ltU)(get(counter), limit),
  0x0d,
  0,
  0x0b,
];

/** `if (condition) { then } else { otherwise }`. */
export const ifElse = (condition: Code, then: Code, otherwise: Code = []): Code => [
  ...condition,
  0x04,
  0x40,
  ...then,
  ...(otherwise.length > 0 ? [0x05, ...otherwise] : []),
  0x0b,
];

/**
 * `for (counter = from; counter < to; counter += step) { body }` on unsigned i32 values, which
 * (unlike {@link doWhile}) may run zero times.
 */
export const forRange = (counter: number, from: Code, to: Code, step: Code, body: Code): Code => [
  0x02,
  0x40,
  ...set(counter, from),
  ...ltU(get(counter), to),
  0x45, // i32.eqz
  0x0d,
  0,
  ...doWhile(counter, step, to, body),
  0x0b,
];

/** A function under construction: its export name, parameter and local types, and code. */
export class Kernel {
  /** Parameter types, in order. */
  readonly params: number[] = [];
  /** Local types, in order, after the parameters. */
  readonly locals: number[] = [];
  /** The body's instructions. */
  readonly code: Code = [];
  constructor(readonly exportName: string) {}
  /** Declares the next parameter and returns its index. */
  param(type: number): number {
    if (this.locals.length > 0) throw new Error("parameters come before locals");
    this.params.push(type);
    return this.params.length - 1;
  }
  /** Declares a local and returns its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }
  /** Appends instructions. */
  emit(...parts: Code[]): void {
    for (const part of parts) this.code.push(...part);
  }
  /** The encoded body: locals as runs of one type, the code, `end`. */
  body(): Code {
    const runs: Code[] = [];
    for (let i = 0; i < this.locals.length;) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      runs.push([...uleb(j - i), this.locals[i]]);
      i = j;
    }
    const body = [...uleb(runs.length), ...runs.flat(), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/**
 * A function the module imports as `env.<name>`, with f64 parameters and results: kernels call
 * the `index`-th import with {@link call}`(index, …)`. It lets a kernel reach a JavaScript
 * builtin (`Math.exp`) where it must return exactly what JavaScript returns.
 */
export interface FunctionImport {
  /** The import's field name under `env`. */
  name: string;
  /** Number of f64 parameters. */
  params: number;
  /** Number of f64 results (0 or 1). */
  results: number;
}

/**
 * The module bytes: one exported function per kernel, memory imported as `env.memory`, and the
 * `imports` as functions `0…imports.length − 1` (kernels follow them in the function index
 * space).
 */
export function assemble(
  kernels: Kernel[],
  imports: readonly FunctionImport[] = [],
): Uint8Array<ArrayBuffer> {
  const types = [
    ...kernels.map((k) => [0x60, ...uleb(k.params.length), ...k.params, 0]),
    ...imports.map((f) => [
      0x60,
      ...uleb(f.params),
      ...new Array(f.params).fill(F64),
      ...uleb(f.results),
      ...new Array(f.results).fill(F64),
    ]),
  ];
  const importEntries = [
    // The memory is imported, so that each user can own one and keep its views valid.
    [...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(1)],
    ...imports.map((f, i) => [...name("env"), ...name(f.name), 0x00, ...uleb(kernels.length + i)]),
  ];
  const exports = kernels.map((k, i) => [
    ...name(k.exportName),
    0x00,
    ...uleb(imports.length + i),
  ]);
  return new Uint8Array([
    ...MODULE_HEADER,
    ...section(1, [...uleb(types.length), ...types.flat()]),
    ...section(2, [...uleb(importEntries.length), ...importEntries.flat()]),
    ...section(3, [...uleb(kernels.length), ...kernels.flatMap((_, i) => uleb(i))]),
    ...section(7, [...uleb(exports.length), ...exports.flat()]),
    ...section(10, [...uleb(kernels.length), ...kernels.flatMap((k) => k.body())]),
  ]);
}

/**
 * Compiles the kernels into a module, or returns null where the runtime rejects it (no
 * WebAssembly, or no SIMD); callers then use their scalar route. Modules with `imports` need
 * them under `env` when instantiated ({@link instantiate}'s `functions`).
 */
export function compileKernels(
  kernels: () => Kernel[],
  imports: readonly FunctionImport[] = [],
): WebAssembly.Module | null {
  try {
    const bytes = assemble(kernels(), imports);
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
}

/**
 * An instance of `module` on a fresh memory of at least `bytes` bytes, and that memory;
 * `functions` supplies the module's function imports by name.
 */
export function instantiate(
  module: WebAssembly.Module,
  bytes: number,
  functions: Record<string, (...args: number[]) => number> = {},
): { memory: WebAssembly.Memory; exports: WebAssembly.Exports } {
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const { exports } = new WebAssembly.Instance(module, { env: { memory, ...functions } });
  return { memory, exports };
}
