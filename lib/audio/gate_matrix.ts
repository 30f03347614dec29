/**
 * The matrix work of the spectral gate (denoise.ts) on frame-major `rows × bins` matrices:
 * amplitude decibels, per-bin maxima, sums and squared deviations over frames, the threshold
 * mask and its triangular smoothing. Each is a pass over some 10⁵ values per 3 s of audio,
 * so they run as WebAssembly SIMD kernels (two values per instruction, no bounds checks) on
 * matrices kept in the kernels' memory. Every kernel has a scalar twin here that performs the
 * same floating-point operations in the same order, used where WebAssembly SIMD is missing,
 * so both routes give identical results.
 *
 * Rows are padded to an even number of values so that every row starts on a 16-byte
 * boundary; the padding value is never read back.
 *
 * @module
 */

import { amplitudeDb, decibelKernel, LOG_TABLE_BYTES, writeLogTables } from "./log_simd.ts";
import {
  add,
  both,
  type Code,
  compileKernels,
  doWhile,
  eq,
  F64,
  f64x2,
  fadd,
  fdiv,
  fgt,
  fmax,
  fmul,
  forRange,
  fpmax,
  fpmin,
  fsub,
  geS,
  get,
  I32,
  i32,
  ifElse,
  instantiate,
  Kernel,
  load,
  loadPair,
  ltS,
  mul,
  or,
  select,
  set,
  splat,
  store,
  storeLane,
  sub,
  V128,
} from "../wasm/encoder.ts";

// --- Kernels. Matrix rows are `rowBytes` long (a multiple of 16); all addresses in bytes. ---

// columnMax(src, rowBytes, matrixBytes, out, init): out[k] = init, then
// out[k] = out[k] < src[r][k] ? src[r][k] : out[k] for every row r in order.
function columnMaxKernel(): Kernel {
  const k = new Kernel("columnMax");
  const [src, rowBytes, matrixBytes, out] = Array.from({ length: 4 }, () => k.param(I32));
  const init = k.param(F64);
  const [r, c] = [k.local(I32), k.local(I32)];
  k.emit(
    set(c, i32(0)),
    doWhile(c, i32(16), get(rowBytes), store(add(get(out), get(c)), splat(get(init)))),
    set(r, i32(0)),
    doWhile(r, get(rowBytes), get(matrixBytes), [
      ...set(c, i32(0)),
      ...doWhile(c, i32(16), get(rowBytes), [
        ...store(
          add(get(out), get(c)),
          fpmax(load(add(get(out), get(c))), load(add(add(get(src), get(r)), get(c)))),
        ),
      ]),
    ]),
  );
  return k;
}

// clampSum(src, rowBytes, matrixBytes, floor, sum): src[r][k] = max(src[r][k], floor[k]) and
// sum[k] = Σ_r of the clamped values, from zero in row order.
// squaredDeviations(src, rowBytes, matrixBytes, mean, sum): sum[k] = Σ_r (src[r][k] − mean[k])².
function columnSumKernel(clamp: boolean): Kernel {
  const k = new Kernel(clamp ? "clampSum" : "squaredDeviations");
  const [src, rowBytes, matrixBytes, vector, sum] = Array.from({ length: 5 }, () => k.param(I32));
  const [r, c] = [k.local(I32), k.local(I32)];
  const [value, d] = [k.local(V128), k.local(V128)];
  const at = add(add(get(src), get(r)), get(c));
  const sumAt = add(get(sum), get(c));
  const body: Code = clamp
    ? [
      ...set(value, fmax(load(at), load(add(get(vector), get(c))))),
      ...store(at, get(value)),
      ...store(sumAt, fadd(load(sumAt), get(value))),
    ]
    : [
      ...set(d, fsub(load(at), load(add(get(vector), get(c))))),
      ...store(sumAt, fadd(load(sumAt), fmul(get(d), get(d)))),
    ];
  k.emit(
    set(c, i32(0)),
    doWhile(c, i32(16), get(rowBytes), store(sumAt, f64x2(0))),
    set(r, i32(0)),
    doWhile(r, get(rowBytes), get(matrixBytes), [
      ...set(c, i32(0)),
      ...doWhile(c, i32(16), get(rowBytes), body),
    ]),
  );
  return k;
}

// threshold(src, dst, rowBytes, matrixBytes, minPower, floorMask, on, off): dst[r][k] = on
// where src[r][k] > minPower[k] or floorMask[k] is all ones, off elsewhere.
function thresholdKernel(): Kernel {
  const k = new Kernel("threshold");
  const [src, dst, rowBytes, matrixBytes, minPower, floorMask] = Array.from(
    { length: 6 },
    () => k.param(I32),
  );
  const [on, off] = [k.param(F64), k.param(F64)];
  const [r, c] = [k.local(I32), k.local(I32)];
  const [onV, offV] = [k.local(V128), k.local(V128)];
  k.emit(
    set(onV, splat(get(on))),
    set(offV, splat(get(off))),
    set(r, i32(0)),
    doWhile(r, get(rowBytes), get(matrixBytes), [
      ...set(c, i32(0)),
      ...doWhile(c, i32(16), get(rowBytes), [
        ...store(
          add(add(get(dst), get(r)), get(c)),
          select(
            get(onV),
            get(offV),
            or(
              fgt(load(add(add(get(src), get(r)), get(c))), load(add(get(minPower), get(c)))),
              load(add(get(floorMask), get(c))),
            ),
          ),
        ),
      ]),
    ]),
  );
  return k;
}

// timeSmooth(mask, box, running, rowBytes, rows, h): the time direction of GateMatrices.smooth
// (see its scalar route for the order of operations).
function timeSmoothKernel(): Kernel {
  const k = new Kernel("timeSmooth");
  const [mask, box, running, rowBytes, rows, h] = Array.from({ length: 6 }, () => k.param(I32));
  const [r, c, at, previous, leave] = Array.from({ length: 5 }, () => k.local(I32));
  const row = (base: number, offset: number) => add(add(get(base), get(offset)), get(c));
  const each = (value: Code): Code => [
    ...set(c, i32(0)),
    ...doWhile(c, i32(16), get(rowBytes), store(row(box, at), value)),
  ];
  const entering = ltS(get(r), get(rows));
  const leaving = geS(sub(get(r), get(h)), i32(1));
  k.emit(
    forRange(r, i32(0), add(get(rows), get(h)), i32(1), [
      ...set(at, mul(get(r), get(rowBytes))),
      ...set(previous, sub(get(at), get(rowBytes))),
      ...set(leave, mul(sub(sub(get(r), get(h)), i32(1)), get(rowBytes))),
      ...ifElse(
        eq(get(r), i32(0)),
        each(load(row(mask, at))),
        ifElse(
          both(entering, leaving),
          each(fsub(fadd(load(row(box, previous)), load(row(mask, at))), load(row(mask, leave)))),
          ifElse(
            entering,
            each(fadd(load(row(box, previous)), load(row(mask, at)))),
            ifElse(
              leaving,
              each(fsub(load(row(box, previous)), load(row(mask, leave)))),
              each(load(row(box, previous))),
            ),
          ),
        ),
      ),
    ]),
    // running = Σ box rows 0 … h−1; then row i = running + box row i+h, running −= box row i.
    set(c, i32(0)),
    doWhile(c, i32(16), get(rowBytes), store(add(get(running), get(c)), f64x2(0))),
    forRange(r, i32(0), get(h), i32(1), [
      ...set(at, mul(get(r), get(rowBytes))),
      ...set(c, i32(0)),
      ...doWhile(c, i32(16), get(rowBytes), [
        ...store(
          add(get(running), get(c)),
          fadd(load(add(get(running), get(c))), load(row(box, at))),
        ),
      ]),
    ]),
    forRange(r, i32(0), get(rows), i32(1), [
      ...set(at, mul(get(r), get(rowBytes))),
      ...set(leave, mul(add(get(r), get(h)), get(rowBytes))),
      ...set(c, i32(0)),
      ...doWhile(c, i32(16), get(rowBytes), [
        ...store(row(mask, at), fadd(load(add(get(running), get(c))), load(row(box, leave)))),
        ...store(add(get(running), get(c)), fsub(load(row(mask, at)), load(row(box, at)))),
      ]),
    ]),
  );
  return k;
}

// freqSmooth(mask, line, extremes, rowBytes, rows, binBytes, hBytes, total): the frequency
// direction of GateMatrices.smooth, two rows at a time (one per lane; an odd last row is
// paired with itself), also writing each row's lowest and highest value to extremes.
function freqSmoothKernel(): Kernel {
  const k = new Kernel("freqSmooth");
  const [mask, line, extremes, rowBytes, rows, binBytes, hBytes] = Array.from(
    { length: 7 },
    () => k.param(I32),
  );
  const total = k.param(F64);
  const [f, a, b, e, lead, inner] = Array.from({ length: 6 }, () => k.local(I32));
  const [sum, totalV, lowest, highest, value] = Array.from({ length: 5 }, () => k.local(V128));
  const pair = (offset: Code) => loadPair(add(get(a), offset), add(get(b), offset));
  const lineAt = (offset: Code) => add(get(line), add(offset, offset)); // 16 bytes per index
  const zero = f64x2(0);
  k.emit(
    set(totalV, splat(get(total))),
    // lead = min(h, bins), inner = max(0, bins − h), in bytes of one row.
    set(lead, selectI32(get(hBytes), get(binBytes), ltS(get(hBytes), get(binBytes)))),
    set(inner, selectI32(sub(get(binBytes), get(hBytes)), i32(0), ltS(get(hBytes), get(binBytes)))),
    forRange(f, i32(0), get(rows), i32(2), [
      ...set(a, add(get(mask), mul(get(f), get(rowBytes)))),
      ...set(
        b,
        selectI32(
          add(get(a), get(rowBytes)),
          get(a),
          ltS(add(get(f), i32(1)), get(rows)),
        ),
      ),
      ...set(sum, zero),
      ...forRange(e, i32(0), get(lead), i32(8), [
        ...set(sum, fadd(get(sum), pair(get(e)))),
        ...store(lineAt(get(e)), get(sum)),
      ]),
      ...forRange(e, get(lead), get(hBytes), i32(8), store(lineAt(get(e)), get(sum))),
      ...forRange(e, i32(0), get(inner), i32(8), [
        ...set(sum, fadd(get(sum), pair(add(get(e), get(hBytes))))),
        ...store(lineAt(add(get(e), get(hBytes))), get(sum)),
        ...set(sum, fsub(get(sum), pair(get(e)))),
      ]),
      ...forRange(e, get(inner), get(binBytes), i32(8), [
        ...store(lineAt(add(get(e), get(hBytes))), get(sum)),
        ...set(sum, fsub(get(sum), pair(get(e)))),
      ]),
      ...set(sum, zero),
      ...forRange(e, i32(0), get(hBytes), i32(8), set(sum, fadd(get(sum), load(lineAt(get(e)))))),
      ...set(lowest, f64x2(Infinity)),
      ...set(highest, f64x2(-Infinity)),
      ...forRange(e, i32(0), get(binBytes), i32(8), [
        ...set(sum, fadd(get(sum), load(lineAt(add(get(e), get(hBytes)))))),
        ...set(value, fdiv(get(sum), get(totalV))),
        ...storeLane(add(get(a), get(e)), get(value), 0),
        ...storeLane(add(get(b), get(e)), get(value), 1),
        ...set(lowest, fpmin(get(lowest), get(value))),
        ...set(highest, fpmax(get(highest), get(value))),
        ...set(sum, fsub(get(sum), load(lineAt(get(e))))),
      ]),
      // extremes[row] = [lowest, highest]; row b is row f + 1 or f itself.
      ...storeLane(add(get(extremes), mul(get(f), i32(16))), get(lowest), 0),
      ...storeLane(add(get(extremes), mul(get(f), i32(16))), get(highest), 0, 8),
      ...storeLane(
        add(get(extremes), mul(add(get(f), ltS(add(get(f), i32(1)), get(rows))), i32(16))),
        get(lowest),
        1,
      ),
      ...storeLane(
        add(get(extremes), mul(add(get(f), ltS(add(get(f), i32(1)), get(rows))), i32(16))),
        get(highest),
        1,
        8,
      ),
    ]),
  );
  return k;
}

/** `condition ? x : y` on i32 values (`select`). */
function selectI32(x: Code, y: Code, condition: Code): Code {
  return [...x, ...y, ...condition, 0x1b];
}

/** Flags of {@link GateMatrices.smooth}: every value of a row is 1, or every value is 0. */
export const ALL_ONE = 1, ALL_ZERO = 2;

/** The flags of a row whose values lie between `lowest` and `highest`. */
function rowFlags(lowest: number, highest: number): number {
  return (lowest === 1 && highest === 1 ? ALL_ONE : 0) |
    (lowest === 0 && highest === 0 ? ALL_ZERO : 0);
}

interface Kernels {
  amplitudeDb(address: number, bytes: number): void;
  columnMax(src: number, rowBytes: number, matrixBytes: number, out: number, init: number): void;
  clampSum(src: number, rowBytes: number, matrixBytes: number, floor: number, sum: number): void;
  squaredDeviations(
    src: number,
    rowBytes: number,
    matrixBytes: number,
    mean: number,
    sum: number,
  ): void;
  threshold(
    src: number,
    dst: number,
    rowBytes: number,
    matrixBytes: number,
    minPower: number,
    floorMask: number,
    on: number,
    off: number,
  ): void;
  timeSmooth(
    mask: number,
    box: number,
    running: number,
    rowBytes: number,
    rows: number,
    h: number,
  ): void;
  freqSmooth(
    mask: number,
    line: number,
    extremes: number,
    rowBytes: number,
    rows: number,
    binBytes: number,
    hBytes: number,
    total: number,
  ): void;
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * Working matrices of the spectral gate: `spectrum` (powers, turned into decibels for the
 * noise statistics) and `mask`, both `rows × bins` with row stride {@link stride}, plus the
 * per-bin vectors the operations read and write. {@link prepare} sizes them; views stay valid
 * until the next {@link prepare}. One instance serves all gate calls (they never overlap).
 */
export class GateMatrices {
  /** Rows and bins of the current matrices, and the row stride in values (bins rounded up to even). */
  rows = 0;
  bins = 0;
  stride = 0;
  /** The spectrum matrix (row r at `r·stride`). */
  spectrum: Float64Array = new Float64Array(0);
  /** The mask matrix (row r at `r·stride`). */
  mask: Float64Array = new Float64Array(0);
  /** Per-bin inputs: the minimum passing power, and whether a bin passes at its floor. */
  minPower: Float64Array = new Float64Array(0);
  floorPasses = new Uint8Array(0);

  private readonly kernels: Kernels | null;
  private memory: WebAssembly.Memory | null = null;
  private buffer: ArrayBuffer = new ArrayBuffer(0);
  private hTime = 0;
  private hFreq = 0;
  private readonly at = {
    spectrum: 0,
    mask: 0,
    box: 0,
    minPower: 0,
    floorMask: 0,
    vector: 0,
    result: 0,
    running: 0,
    line: 0,
    extremes: 0,
  };

  /** `useSimd: false` forces the scalar route, which tests compare with the SIMD one. */
  constructor(useSimd = true) {
    if (useSimd && compiled === undefined) {
      compiled = compileKernels(() => [
        decibelKernel("amplitude"),
        columnMaxKernel(),
        columnSumKernel(true),
        columnSumKernel(false),
        thresholdKernel(),
        timeSmoothKernel(),
        freqSmoothKernel(),
      ]);
    }
    if (useSimd && compiled) {
      const { memory, exports } = instantiate(compiled, LOG_TABLE_BYTES);
      writeLogTables(memory);
      this.memory = memory;
      this.kernels = exports as unknown as Kernels;
    } else {
      this.kernels = null;
    }
  }

  /**
   * Sizes the matrices for `rows × bins` and smoothing half-widths `hTime` (rows) and `hFreq`
   * (bins). Contents are undefined afterwards.
   */
  prepare(rows: number, bins: number, hTime = 0, hFreq = 0): void {
    const stride = bins + (bins & 1);
    const lengths: Array<[keyof GateMatrices["at"], number]> = [
      ["spectrum", rows * stride],
      ["mask", rows * stride],
      ["box", (rows + hTime) * stride],
      ["minPower", stride],
      ["floorMask", stride],
      ["vector", stride],
      ["result", stride],
      ["running", stride],
      ["line", 2 * (bins + hFreq + 1)],
      ["extremes", 2 * rows],
    ];
    let offset = LOG_TABLE_BYTES;
    for (const [key, length] of lengths) {
      this.at[key] = offset;
      offset += 8 * (length + (length & 1));
    }
    if (this.memory) {
      const missing = offset - this.memory.buffer.byteLength;
      if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
      this.buffer = this.memory.buffer as ArrayBuffer;
    } else if (this.buffer.byteLength < offset) {
      this.buffer = new ArrayBuffer(Math.max(offset, 2 * this.buffer.byteLength));
    }
    this.rows = rows;
    this.bins = bins;
    this.stride = stride;
    this.hTime = hTime;
    this.hFreq = hFreq;
    this.spectrum = this.view("spectrum", rows * stride);
    this.mask = this.view("mask", rows * stride);
    this.minPower = this.view("minPower", stride);
    this.floorPasses = new Uint8Array(stride);
  }

  private view(key: keyof GateMatrices["at"], length: number): Float64Array {
    return new Float64Array(this.buffer, this.at[key], length);
  }

  /** Replaces every spectrum value p by `amplitudeDb(p)` (log_simd.ts). */
  spectrumToAmplitudeDb(): void {
    const { rows, stride, kernels } = this;
    if (kernels) {
      kernels.amplitudeDb(this.at.spectrum, 8 * rows * stride);
      return;
    }
    const spectrum = this.spectrum;
    for (let i = 0; i < spectrum.length; i++) spectrum[i] = amplitudeDb(spectrum[i]);
  }

  /**
   * Per-bin maximum of the spectrum over all rows, starting from `init` and taking a value
   * only when it is larger (so NaN never wins). The result is a view of `bins` values.
   */
  spectrumColumnMax(init: number): Float64Array {
    const { rows, stride, bins, kernels } = this;
    const out = this.view("result", stride);
    if (kernels) {
      kernels.columnMax(this.at.spectrum, 8 * stride, 8 * rows * stride, this.at.result, init);
    } else {
      out.fill(init);
      const spectrum = this.spectrum;
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < stride; k++) {
          if (out[k] < spectrum[r * stride + k]) out[k] = spectrum[r * stride + k];
        }
      }
    }
    return out.subarray(0, bins);
  }

  /**
   * Raises every spectrum value to at least its bin's `floor` (`Math.max`) and returns the
   * per-bin sums of the raised values over the rows (a view of `bins` values).
   */
  clampSpectrumAndSum(floor: Float64Array): Float64Array {
    return this.columnSums(floor, true);
  }

  /** Per-bin sums over the rows of `(spectrum − mean)²` (a view of `bins` values). */
  spectrumSquaredDeviations(mean: Float64Array): Float64Array {
    return this.columnSums(mean, false);
  }

  private columnSums(vector: Float64Array, clamp: boolean): Float64Array {
    const { rows, stride, bins, kernels } = this;
    this.view("vector", stride).set(vector.subarray(0, bins));
    const sum = this.view("result", stride);
    if (kernels) {
      const run = clamp ? kernels.clampSum : kernels.squaredDeviations;
      run(this.at.spectrum, 8 * stride, 8 * rows * stride, this.at.vector, this.at.result);
      return sum.subarray(0, bins);
    }
    const v = this.view("vector", stride);
    const spectrum = this.spectrum;
    sum.fill(0);
    for (let r = 0; r < rows; r++) {
      const base = r * stride;
      for (let k = 0; k < stride; k++) {
        if (clamp) {
          const value = Math.max(spectrum[base + k], v[k]);
          spectrum[base + k] = value;
          sum[k] += value;
        } else {
          const d = spectrum[base + k] - v[k];
          sum[k] += d * d;
        }
      }
    }
    return sum.subarray(0, bins);
  }

  /**
   * mask = `on` where the spectrum (powers) exceeds {@link minPower} or the bin's
   * {@link floorPasses} is set, `off` elsewhere.
   */
  threshold(on: number, off: number): void {
    const { rows, stride, bins, kernels } = this;
    if (kernels) {
      const floorMask = new BigInt64Array(this.buffer, this.at.floorMask, stride);
      for (let k = 0; k < stride; k++) floorMask[k] = k < bins && this.floorPasses[k] ? -1n : 0n;
      kernels.threshold(
        this.at.spectrum,
        this.at.mask,
        8 * stride,
        8 * rows * stride,
        this.at.minPower,
        this.at.floorMask,
        on,
        off,
      );
      return;
    }
    const { spectrum, mask, minPower, floorPasses } = this;
    const values = [off, on];
    for (let r = 0; r < rows; r++) {
      const base = r * stride;
      for (let k = 0; k < stride; k++) {
        // An index instead of a branch: which bins pass is too irregular to predict.
        mask[base + k] = values[floorPasses[k] | +(spectrum[base + k] > minPower[k])];
      }
    }
  }

  /**
   * Convolves the mask with the separable triangle `1, 2, …, h+1, …, 2, 1` (half-widths
   * `hTime` rows and `hFreq` bins as given to {@link prepare}, zero outside), divides by
   * `total` and returns, per row, {@link ALL_ONE} / {@link ALL_ZERO} flags. Each triangle is
   * two boxes of length `h+1` done as running sums; on a 0/1 mask every partial sum is a
   * small integer, so the result is exact (and independent of the order of the directions).
   */
  smooth(total: number): Uint8Array {
    const { rows, stride, bins, hTime, hFreq, kernels } = this;
    const extremes = this.view("extremes", 2 * rows);
    if (kernels) {
      const { mask, box, running, line } = this.at;
      kernels.timeSmooth(mask, box, running, 8 * stride, rows, hTime);
      kernels.freqSmooth(
        mask,
        line,
        this.at.extremes,
        8 * stride,
        rows,
        8 * bins,
        8 * hFreq,
        total,
      );
    } else {
      this.smoothTimeScalar();
      this.smoothFreqScalar(total, extremes);
    }
    const flags = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      flags[r] = rowFlags(extremes[2 * r], extremes[2 * r + 1]);
    }
    return flags;
  }

  /** {@link ALL_ONE} / {@link ALL_ZERO} flags of each row of the mask as it is. */
  maskFlags(): Uint8Array {
    const { rows, stride, bins, mask } = this;
    const flags = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      let lowest = Infinity;
      let highest = -Infinity;
      for (let k = r * stride; k < r * stride + bins; k++) {
        if (mask[k] < lowest) lowest = mask[k];
        if (mask[k] > highest) highest = mask[k];
      }
      flags[r] = rowFlags(lowest, highest);
    }
    return flags;
  }

  // Time: box row r = Σ mask rows r−h … r (rows outside [0, rows) are zero), r < rows + h;
  // then mask row i = Σ box rows i … i+h, written over the mask.
  private smoothTimeScalar(): void {
    const { rows, stride, hTime: h, mask } = this;
    const box = this.view("box", (rows + h) * stride);
    for (let r = 0; r < rows + h; r++) {
      const at = r * stride;
      const previous = at - stride;
      const leave = (r - h - 1) * stride;
      const entering = r < rows, leaving = r - h >= 1;
      for (let k = 0; k < stride; k++) {
        if (r === 0) box[k] = mask[k];
        else if (entering && leaving) {
          box[at + k] = box[previous + k] + mask[at + k] - mask[leave + k];
        } else if (entering) box[at + k] = box[previous + k] + mask[at + k];
        else if (leaving) box[at + k] = box[previous + k] - mask[leave + k];
        else box[at + k] = box[previous + k];
      }
    }
    const running = this.view("running", stride).fill(0);
    for (let r = 0; r < h; r++) {
      for (let k = 0; k < stride; k++) running[k] += box[r * stride + k];
    }
    for (let i = 0; i < rows; i++) {
      const at = i * stride, enter = (i + h) * stride;
      for (let k = 0; k < stride; k++) {
        mask[at + k] = running[k] + box[enter + k];
        running[k] = mask[at + k] - box[at + k];
      }
    }
  }

  // Frequency, one row at a time: line[j + h] = Σ row[j … j+h] for j = −h … bins−1, then
  // row[i] = Σ line[i … i+h] / total; also each row's lowest and highest value.
  private smoothFreqScalar(total: number, extremes: Float64Array): void {
    const { rows, stride, bins, hFreq: h, mask } = this;
    const line = new Float64Array(bins + h);
    const lead = Math.min(h, bins);
    const inner = Math.max(0, bins - h);
    for (let f = 0; f < rows; f++) {
      const row = f * stride;
      let sum = 0;
      for (let e = 0; e < lead; e++) {
        sum += mask[row + e];
        line[e] = sum;
      }
      for (let e = lead; e < h; e++) line[e] = sum;
      for (let j = 0; j < inner; j++) {
        sum += mask[row + j + h];
        line[j + h] = sum;
        sum -= mask[row + j];
      }
      for (let j = inner; j < bins; j++) {
        line[j + h] = sum;
        sum -= mask[row + j];
      }
      sum = 0;
      for (let j = 0; j < h; j++) sum += line[j];
      let lowest = Infinity;
      let highest = -Infinity;
      for (let i = 0; i < bins; i++) {
        sum += line[i + h];
        // Dividing (not multiplying by a reciprocal) keeps a full count at exactly 1.
        const value = sum / total;
        mask[row + i] = value;
        if (value < lowest) lowest = value;
        if (value > highest) highest = value;
        sum -= line[i];
      }
      extremes[2 * f] = lowest;
      extremes[2 * f + 1] = highest;
    }
  }
}
