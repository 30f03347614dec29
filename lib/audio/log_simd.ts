/**
 * Amplitude decibels of many powers at once: `20·log10(√p + ε)`, the value noisereduce's
 * `_amp_to_db` takes before its floor, for every bin of a spectrogram. A few seconds of noise
 * clip have some 10⁵ bins, and a `Math.log` call each costs more than the FFTs that produced
 * them, so the logarithm runs here two lanes at a time as WebAssembly SIMD.
 *
 * The logarithm is table-driven, in the manner of current C libraries: x = 2^k·z with z in
 * [0.6875, 1.375), z's leading mantissa bits pick one of 128 subintervals with centre c (1 for
 * the two next to 1, so that arguments near 1 keep their relative accuracy), and
 * `ln x = k·ln 2 + ln c + log1p(r)` with `r = (z − c)/c` exact up to one rounding and
 * `|r| < 2⁻⁷`, where an 8-term series is exact to double precision. The result is within 1 ulp
 * of the correctly rounded logarithm (the tests check this against `Math.log`), and
 * {@link naturalLog} is the same arithmetic in scalar code, bit-identical to the SIMD kernel,
 * for runtimes without WebAssembly SIMD.
 *
 * @module
 */

import {
  add,
  and,
  type Code,
  compileKernels,
  doWhile,
  F64,
  f64x2,
  fadd,
  fle,
  flt,
  fmax,
  fmul,
  fsqrt,
  fsub,
  get,
  I32,
  i32,
  i64x2,
  iadd,
  instantiate,
  ishr,
  ishrU,
  isub,
  Kernel,
  laneI32,
  load,
  loadPair,
  select,
  set,
  splat,
  store,
  V128,
} from "../wasm/encoder.ts";

/** 20 / ln(10): `20·log10(x) = DB_PER_NEPER·ln(x)`. */
export const DB_PER_NEPER = 20 / Math.LN10;
/** 10 / ln(10): `10·log10(x) = POWER_DB_PER_NEPER·ln(x)`. */
export const POWER_DB_PER_NEPER = 10 / Math.LN10;

const TABLE_SIZE = 128;
/** High word of 0.6875, the start of z's range. */
const OFFSET_HIGH = 0x3fe60000;
// ln 2 as a head with trailing zero bits (k·LN2_HI is exact for |k| < 2¹¹) and the rest.
const LN2_HI = 6.93147180369123816490e-01;
const LN2_LO = 1.90821492927058770002e-10;
/** 1.5·2⁵²: adding a small integer to its bit pattern adds it to the value. */
const INTEGER_MAGIC = 6755399441055744;
const INTEGER_MAGIC_BITS = 0x4338000000000000n;

const word = new Float64Array(1);
const words = new Uint32Array(word.buffer);

/** Centre c, 1/c and ln c of each subinterval of z. */
const centre = new Float64Array(TABLE_SIZE);
const inverse = new Float64Array(TABLE_SIZE);
const logCentre = new Float64Array(TABLE_SIZE);
for (let i = 0; i < TABLE_SIZE; i++) {
  words[0] = 0;
  words[1] = OFFSET_HIGH + (i << 13);
  const lo = word[0];
  words[1] = OFFSET_HIGH + ((i + 1) << 13);
  const hi = word[0];
  // A midpoint of two multiples of 2⁻⁸ has few bits, so z − c is exact.
  const c = lo === 1 || hi === 1 ? 1 : (lo + hi) / 2;
  centre[i] = c;
  inverse[i] = 1 / c;
  logCentre[i] = Math.log1p(c - 1);
}

/** log1p(r) − r for |r| < 2⁻⁷: the series −r²/2 + r³/3 − … − r⁸/8. */
function series(r: number): number {
  return r * r *
    (-0.5 + r * (1 / 3 + r * (-0.25 + r * (0.2 + r * (-1 / 6 + r * (1 / 7 - r * 0.125))))));
}

/**
 * ln(x) for positive normal x (and x itself for +∞ or NaN), by the table-driven method of this
 * module; the scalar twin of the SIMD kernel behind {@link powerToAmplitudeDb}.
 */
export function naturalLog(x: number): number {
  if (!(x < Infinity)) return x;
  word[0] = x;
  const high = words[1] | 0;
  const shifted = (high - OFFSET_HIGH) | 0;
  const i = (shifted >> 13) & (TABLE_SIZE - 1);
  const k = shifted >> 20;
  words[1] = (high - (shifted & 0xfff00000)) | 0;
  const r = (word[0] - centre[i]) * inverse[i];
  const head = k * LN2_HI + logCentre[i];
  const sum = head + r;
  return sum + ((head - sum) + r + k * LN2_LO + series(r));
}

/** Bytes at the start of a kernel's memory that hold the logarithm's tables. */
export const LOG_TABLE_BYTES = 3 * 8 * TABLE_SIZE;

/** Writes the tables {@link amplitudeDbKernel} reads into the first bytes of `memory`. */
export function writeLogTables(memory: WebAssembly.Memory): void {
  const tables = new Float64Array(memory.buffer, 0, 3 * TABLE_SIZE);
  [centre, inverse, logCentre].forEach((table, j) => tables.set(table, j * TABLE_SIZE));
}

/**
 * A decibel kernel over the f64 values at `address … address + bytes` (an even count), in
 * place, the branches of {@link naturalLog} taken per lane by selects; it reads the tables that
 * {@link writeLogTables} puts at address 0. `amplitudeDb(address, bytes)` turns a power p into
 * `DB_PER_NEPER · ln(√p + ε)`; `powerDb(address, bytes, amin, aminDb)` turns it into
 * `POWER_DB_PER_NEPER · ln(p)`, or `aminDb` where `p ≤ amin`.
 */
export function decibelKernel(input: "amplitude" | "power"): Kernel {
  const k = new Kernel(input === "amplitude" ? "amplitudeDb" : "powerDb");
  const [address, bytes] = [k.param(I32), k.param(I32)];
  const [amin, aminDb] = input === "power" ? [k.param(F64), k.param(F64)] : [-1, -1];
  const p = k.local(V128);
  const [offset, i0, i1] = [k.local(I32), k.local(I32), k.local(I32)];
  const v = () => k.local(V128);
  const [x, shifted, index, dk, r, head, sum] = Array.from({ length: 7 }, v);
  // Constants live in locals, set once: a v128.const inside the loop is rebuilt every time.
  const constants = new Map<string, number>();
  const constant = (key: string, code: Code): Code => {
    let local = constants.get(key);
    if (local === undefined) {
      local = k.local(V128);
      constants.set(key, local);
      k.emit(set(local, code));
    }
    return get(local);
  };
  const c = (value: number) => constant(`f${value}`, f64x2(value));
  const n = (value: bigint) => constant(`i${value}`, i64x2(value));
  const table = (which: number) =>
    loadPair(get(i0), get(i1), 8 * TABLE_SIZE * which, 8 * TABLE_SIZE * which);
  const coefficients = [-0.5, 1 / 3, -0.25, 0.2, -1 / 6, 1 / 7];
  // series(r) = r·r·(c₀ + r·(c₁ + … + r·(c₅ − r·0.125)))
  let poly = fsub(c(1 / 7), fmul(get(r), c(0.125)));
  for (let j = coefficients.length - 2; j >= 0; j--) {
    poly = fadd(c(coefficients[j]), fmul(get(r), poly));
  }
  poly = fmul(fmul(get(r), get(r)), poly);
  const at = add(get(address), get(offset));
  const loop: Code = [
    ...set(p, load(at)),
    ...set(
      x,
      input === "amplitude"
        ? fadd(fsqrt(get(p)), c(Number.EPSILON))
        : fmax(get(p), splat(get(amin))),
    ),
    ...set(shifted, isub(get(x), n(BigInt(OFFSET_HIGH) << 32n))),
    // Byte offset of the table entry: the 7 bits below the exponent of `shifted`, times 8.
    ...set(index, and(ishrU(get(shifted), 42), n(8n * BigInt(TABLE_SIZE - 1)))),
    ...set(i0, laneI32(get(index), 0)),
    ...set(i1, laneI32(get(index), 1)),
    ...set(dk, fsub(iadd(n(INTEGER_MAGIC_BITS), ishr(get(shifted), 52)), c(INTEGER_MAGIC))),
    // z = x / 2^k, by taking k off the exponent field.
    ...set(r, fmul(fsub(isub(get(x), and(get(shifted), n(0xfffn << 52n))), table(0)), table(1))),
    ...set(head, fadd(fmul(get(dk), c(LN2_HI)), table(2))),
    ...set(sum, fadd(get(head), get(r))),
    ...set(
      r,
      fadd(
        get(sum),
        fadd(fadd(fadd(fsub(get(head), get(sum)), get(r)), fmul(get(dk), c(LN2_LO))), poly),
      ),
    ),
    // +∞ and NaN are their own logarithms.
    ...store(
      at,
      input === "amplitude"
        ? fmul(c(DB_PER_NEPER), select(get(r), get(x), flt(get(x), c(Infinity))))
        : select(
          splat(get(aminDb)),
          fmul(c(POWER_DB_PER_NEPER), select(get(r), get(x), flt(get(x), c(Infinity)))),
          fle(get(p), splat(get(amin))),
        ),
    ),
  ];
  k.emit(set(offset, i32(0)), doWhile(offset, i32(16), get(bytes), loop));
  return k;
}

/** Values processed per kernel call. */
const BLOCK = 8192;

interface Block {
  amplitudeDb: (address: number, bytes: number) => void;
  powerDb: (address: number, bytes: number, amin: number, aminDb: number) => void;
  values: Float64Array;
}
let block: Block | null | undefined;

function simdBlock(): Block | null {
  if (block === undefined) {
    const compiled = compileKernels(() => [decibelKernel("amplitude"), decibelKernel("power")]);
    if (compiled === null) {
      block = null;
    } else {
      const { memory, exports } = instantiate(compiled, LOG_TABLE_BYTES + 8 * BLOCK);
      writeLogTables(memory);
      block = {
        amplitudeDb: exports.amplitudeDb as Block["amplitudeDb"],
        powerDb: exports.powerDb as Block["powerDb"],
        values: new Float64Array(memory.buffer, LOG_TABLE_BYTES, BLOCK),
      };
    }
  }
  return block;
}

/** Runs `kernel` over `values`, copied through the kernel memory one block at a time. */
function inBlocks(simd: Block, values: Float64Array, kernel: (bytes: number) => void): void {
  for (let start = 0; start < values.length; start += BLOCK) {
    const count = Math.min(BLOCK, values.length - start);
    simd.values.set(values.subarray(start, start + count));
    // An odd count leaves one lane over; give it a harmless value.
    if (count & 1) simd.values[count] = 1;
    kernel(8 * (count + (count & 1)));
    values.set(simd.values.subarray(0, count), start);
  }
}

/**
 * Replaces each power `p` in `values` by `DB_PER_NEPER · ln(√p + ε)` (ε = 2⁻⁵², so zero
 * power gives about −313 dB) with {@link naturalLog}'s logarithm; `useSimd: false` forces the
 * scalar route, which tests compare with the SIMD one.
 */
export function powerToAmplitudeDb(values: Float64Array, useSimd = true): void {
  const simd = useSimd ? simdBlock() : null;
  if (simd) inBlocks(simd, values, (bytes) => simd.amplitudeDb(LOG_TABLE_BYTES, bytes));
  else for (let i = 0; i < values.length; i++) values[i] = amplitudeDb(values[i]);
}

/**
 * Replaces each power `p` in `values` by `10·log10(max(p, amin))`: `aminDb` (which the caller
 * computes once, exactly) where `p ≤ amin`, otherwise `POWER_DB_PER_NEPER · ln(p)` with
 * {@link naturalLog}'s logarithm; `useSimd: false` forces the scalar route.
 */
export function powerToDecibels(
  values: Float64Array,
  amin: number,
  aminDb: number,
  useSimd = true,
): void {
  const simd = useSimd ? simdBlock() : null;
  if (simd) {
    inBlocks(simd, values, (bytes) => simd.powerDb(LOG_TABLE_BYTES, bytes, amin, aminDb));
    return;
  }
  for (let i = 0; i < values.length; i++) {
    const p = values[i];
    values[i] = p <= amin ? aminDb : POWER_DB_PER_NEPER * naturalLog(Math.max(p, amin));
  }
}

/** `DB_PER_NEPER · naturalLog(√p + ε)` of one power: the scalar route of the kernel. */
export function amplitudeDb(power: number): number {
  return DB_PER_NEPER * naturalLog(Math.sqrt(power) + Number.EPSILON);
}
