/**
 * Real FFTs for the feature and noise-gate STFTs, two frames at a time.
 *
 * A real frame of N samples is transformed as N/2 complex points (even samples as real
 * parts, odd samples as imaginary parts) and split into its N/2 + 1 bins afterwards, which
 * halves the work of a complex transform. Two frames travel side by side in "lanes": complex
 * point i of lane l sits at index `2i + l` of the work arrays, so every butterfly does the
 * same arithmetic on both lanes. That is the layout a two-lane SIMD register wants, and it
 * lets one pass over the twiddles serve two frames. Where WebAssembly SIMD is available the
 * loops run as the kernels in fft_simd.ts, otherwise as the scalar code here; both perform
 * the same floating-point operations in the same order, so they give identical results.
 *
 * The complex transform is an in-place radix-4 decimation in time (one radix-2 pass first
 * when log2(N/2) is odd); the windowed samples are scattered into bit-reversed order as they
 * are loaded, so windowing and reordering cost one pass together (the SIMD kernels make the
 * first butterfly pass in that same loop).
 *
 * @module
 */

import { type SimdFft, simdFft } from "./fft_simd.ts";

/** `[cos(2πk/n), sin(2πk/n)]`, reduced to the first octant so that the quarter points are exact. */
function unitRoot(k: number, n: number): [number, number] {
  k %= n;
  if (8 * k > 4 * n) {
    // Second half: cos(2π − θ) = cos θ, sin(2π − θ) = −sin θ.
    const [c, s] = unitRoot(n - k, n);
    return [c, -s];
  }
  if (4 * k > n) {
    // Second quadrant: θ = π/2 + φ.
    const [c, s] = unitRoot(k - n / 4, n);
    return [-s, c];
  }
  if (8 * k > n) {
    // Second octant: θ = π/2 − φ.
    const [c, s] = unitRoot(n / 4 - k, n);
    return [s, c];
  }
  const angle = (2 * Math.PI * k) / n;
  return [Math.cos(angle), Math.sin(angle)];
}

type LanePair = readonly [Float64Array, Float64Array];

/** Sparse rows applied to power spectra by {@link PairedRealFft.projectPower}. */
export interface PowerRows {
  /** Row-major `[rows][bins]` weights. */
  weights: Float64Array;
  /** First bin of each row's support. */
  start: Int32Array;
  /** One past the last bin of each row's support (equal to `start` for an empty row). */
  stop: Int32Array;
}

// Room reserved in the kernels' memory for PowerRows (a mel filterbank has about 2 weights
// per bin); larger tables take the scalar route.
const MAX_ROWS = 512;
const ROW_WEIGHTS_PER_BIN = 4;

/** Views of the regions {@link PairedRealFft.prepareRegions} lays out after its tables. */
export interface FftRegions {
  /** Samples that {@link PairedRealFft.forwardFrom} reads its frames from. */
  signal: Float64Array;
  /** Where {@link PairedRealFft.inverseToAccumulator} adds its windowed frames. */
  accumulator: Float64Array;
}

/**
 * Forward real FFT of two frames at once, and the inverse. One instance per size serves all
 * callers (see {@link realFftFor}); its arrays are scratch space that a caller fills and reads
 * between two calls, which is safe because DSP calls never interleave. The arrays are views
 * of WebAssembly memory that {@link prepareRegions} may grow, so read them from the instance
 * after each call rather than keeping them. WebAssembly memory never shrinks: it stays at the
 * size the longest STFT needed, about 2.5 MB for a 3 s window and some 32 MB for a full
 * 37.5 s noise-gate chunk.
 *
 * Besides frame-at-a-time use, an STFT over a whole signal can run without copying frames or
 * spectra through JavaScript: the signal goes once into {@link FftRegions.signal}, each pair
 * of frames is transformed from there with its spectra kept in a store entry
 * ({@link forwardFrom}), and masked frames are transformed back and overlap-added into
 * {@link FftRegions.accumulator} ({@link inverseToAccumulator}).
 *
 * @example
 * const fft = realFftFor(1024);
 * fft.frame[0].set(first); fft.frame[1].set(second);
 * fft.forward(hannWindow(1024), 1, false); // fft.power[0], fft.power[1]: |X[k]|²
 */
export class PairedRealFft {
  /** Real samples per frame, N. */
  readonly size: number;
  /** Bins of the half spectrum, N/2 + 1. */
  readonly bins: number;
  /** Time samples of each lane (N): the input of {@link forward}, the output of {@link inverse}. */
  frame!: LanePair;
  /** Real parts of each lane's half spectrum: output of {@link forward}, input of {@link inverse}. */
  spectrumRe!: LanePair;
  /** Imaginary parts of each lane's half spectrum, as {@link spectrumRe}. */
  spectrumIm!: LanePair;
  /** `|X[k]|²` of each lane after {@link forward}. */
  power!: LanePair;
  /** Per-bin factor of each lane that {@link inverse} applies to the spectrum. */
  gain!: LanePair;

  private readonly points: number;
  /** Complex points, lanes interleaved. */
  private re!: Float64Array;
  private im!: Float64Array;
  /** Index in {@link re} of point n's lane 0 in bit-reversed order: 2·reverse(n). */
  private readonly slot: Int32Array;
  /** Per radix-4 pass, the offset of its twiddles in {@link twiddles}. */
  private readonly stageOffsets: number[];
  /**
   * Per radix-4 pass and index j of its span, w¹, w², w³ (w = e^(−2πij/(4·span))) as
   * re, im, each written twice (once per lane): 12 values per j.
   */
  private twiddles!: Float64Array;
  private readonly radix2First: boolean;
  /** `cos(2πk/N)` and `sin(2πk/N)` for k = 0 … N/4, used to split and merge the halves. */
  private splitCos!: Float64Array;
  private splitSin!: Float64Array;
  /** The window last copied into {@link windowBuffer}, zero-extended to N. */
  private loadedWindow: ArrayLike<number> | null = null;
  private windowBuffer!: Float64Array;
  /** The rows last copied into the kernels' memory, their weights, table and outputs. */
  private loadedRows: PowerRows | null = null;
  private rowWeights!: Float64Array;
  private rowTable!: Int32Array;
  private rowOutput!: Float64Array;
  private readonly simd: SimdFft | null;
  /** Where each fixed array starts and how long it is, in f64 values. */
  private readonly offsets: Record<string, number>;
  private readonly lengths: Record<string, number>;
  /** Bytes taken by the fixed arrays; the regions follow. */
  private readonly fixedBytes: number;
  private buffer: ArrayBuffer;
  /** Byte addresses and sizes of the regions of {@link prepareRegions}. */
  private regions = {
    signal: 0,
    signalLength: 0,
    store: 0,
    pairs: 0,
    accumulator: 0,
    accumulatorLength: 0,
  };
  private regionViews: FftRegions & { store: Float64Array } = {
    signal: new Float64Array(0),
    accumulator: new Float64Array(0),
    store: new Float64Array(0),
  };

  /**
   * Tables for transforms of `size` (a power of two ≥ 2) samples. `useSimd: false` forces the
   * scalar route, which tests compare with the SIMD one.
   */
  constructor(size: number, useSimd = true) {
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) {
      throw new RangeError(`Expected an FFT size that is a power of two >= 2, but got ${size}`);
    }
    this.size = size;
    const bins = size / 2 + 1;
    this.bins = bins;
    const points = size / 2;
    this.points = points;
    const bits = Math.round(Math.log2(points));
    this.radix2First = bits % 2 === 1;
    this.stageOffsets = [];
    let twiddleCount = 0;
    for (let span = this.radix2First ? 2 : 1; 4 * span <= points; span *= 4) {
      this.stageOffsets.push(twiddleCount);
      twiddleCount += 12 * span;
    }
    const quarter = Math.floor(size / 4);
    // Every array lives in one block: WebAssembly memory when SIMD is available.
    const lengths: Record<string, number> = {
      re: 2 * points,
      im: 2 * points,
      twiddles: twiddleCount,
      cos: quarter + 1,
      sin: quarter + 1,
      frameA: size,
      frameB: size,
      window: size,
      outA: 3 * bins,
      outB: 3 * bins,
      gainA: bins,
      gainB: bins,
      slot: Math.ceil(points / 2), // i32 byte offsets for the kernels
      rowWeights: ROW_WEIGHTS_PER_BIN * bins,
      rowTable: Math.ceil((3 * MAX_ROWS) / 2), // three i32 per row
      rowOutput: 2 * MAX_ROWS,
    };
    const offsets: Record<string, number> = {};
    let doubles = 0;
    for (const [key, length] of Object.entries(lengths)) {
      offsets[key] = doubles;
      doubles += length + (length & 1); // keep 16-byte alignment
    }
    this.offsets = offsets;
    this.lengths = lengths;
    this.fixedBytes = 8 * doubles;
    const at = (key: string) => 8 * offsets[key];
    this.simd = useSimd && points >= 4
      ? simdFft({
        points,
        re: at("re"),
        im: at("im"),
        cos: at("cos"),
        sin: at("sin"),
        frameA: at("frameA"),
        frameB: at("frameB"),
        window: at("window"),
        outA: at("outA"),
        outB: at("outB"),
        gainA: at("gainA"),
        gainB: at("gainB"),
        rowTable: at("rowTable"),
        rowOutput: at("rowOutput"),
        slot: at("slot"),
        radix2First: this.radix2First,
        stageTwiddles: this.stageOffsets.map((offset) => at("twiddles") + 8 * offset),
        bytes: this.fixedBytes,
      })
      : null;
    this.buffer = this.simd
      ? this.simd.memory.buffer as ArrayBuffer
      : new ArrayBuffer(this.fixedBytes);
    this.bind();

    this.slot = new Int32Array(points);
    const slotBytes = new Int32Array(this.buffer, at("slot"), points);
    for (let i = 0; i < points; i++) {
      let reversed = 0;
      for (let b = 0; b < bits; b++) reversed |= ((i >> b) & 1) << (bits - 1 - b);
      this.slot[i] = 2 * reversed;
      slotBytes[i] = 16 * reversed;
    }
    let stage = 0;
    for (let span = this.radix2First ? 2 : 1; 4 * span <= points; span *= 4) {
      const base = this.stageOffsets[stage++];
      for (let j = 0; j < span; j++) {
        for (let p = 1; p <= 3; p++) {
          const [c, s] = unitRoot(p * j, 4 * span);
          const at = base + 12 * j + 4 * (p - 1);
          this.twiddles[at] = this.twiddles[at + 1] = c;
          this.twiddles[at + 2] = this.twiddles[at + 3] = -s;
        }
      }
    }
    for (let k = 0; k <= quarter; k++) {
      [this.splitCos[k], this.splitSin[k]] = unitRoot(k, size);
    }
  }

  /** (Re)creates every view on the current buffer. */
  private bind(): void {
    const { bins, buffer, offsets, lengths } = this;
    const view = (key: string, from = 0, length = lengths[key] - from) =>
      new Float64Array(buffer, 8 * (offsets[key] + from), length);
    this.re = view("re");
    this.im = view("im");
    this.twiddles = view("twiddles");
    this.splitCos = view("cos");
    this.splitSin = view("sin");
    this.windowBuffer = view("window");
    this.frame = [view("frameA"), view("frameB")];
    this.spectrumRe = [view("outA", 0, bins), view("outB", 0, bins)];
    this.spectrumIm = [view("outA", bins, bins), view("outB", bins, bins)];
    this.power = [view("outA", 2 * bins, bins), view("outB", 2 * bins, bins)];
    this.gain = [view("gainA"), view("gainB")];
    this.rowWeights = view("rowWeights");
    this.rowTable = new Int32Array(buffer, 8 * offsets.rowTable, 3 * MAX_ROWS);
    this.rowOutput = view("rowOutput");
    const { signal, signalLength, store, pairs, accumulator, accumulatorLength } = this.regions;
    this.regionViews = {
      signal: new Float64Array(buffer, signal, signalLength),
      store: new Float64Array(buffer, store, 4 * bins * pairs),
      accumulator: new Float64Array(buffer, accumulator, accumulatorLength),
    };
  }

  /**
   * Lays out, after the tables, a signal of `signalLength` samples, a store of `pairs`
   * entries (the spectra of two frames each) and an accumulator of `accumulatorLength`
   * samples, growing the memory when needed; returns views of the signal and the accumulator
   * (contents undefined) that stay valid until the next call.
   */
  prepareRegions(signalLength: number, pairs: number, accumulatorLength: number): FftRegions {
    const even = (n: number) => n + (n & 1);
    const signal = this.fixedBytes;
    const store = signal + 8 * even(signalLength);
    const accumulator = store + 32 * this.bins * pairs;
    const end = accumulator + 8 * even(accumulatorLength);
    this.regions = { signal, signalLength, store, pairs, accumulator, accumulatorLength };
    if (end > this.buffer.byteLength) {
      if (this.simd) {
        this.simd.memory.grow(Math.ceil((end - this.buffer.byteLength) / 65536));
        this.buffer = this.simd.memory.buffer as ArrayBuffer;
      } else {
        const grown = new ArrayBuffer(Math.max(end, 2 * this.buffer.byteLength));
        new Uint8Array(grown).set(new Uint8Array(this.buffer, 0, this.fixedBytes));
        this.buffer = grown;
      }
    }
    this.bind();
    return { signal: this.regionViews.signal, accumulator: this.regionViews.accumulator };
  }

  /**
   * Transforms `window · frame[lane]` for both lanes (the window may be shorter than N; it is
   * zero-extended). Afterwards {@link power} holds `scale² · |X[k]|²` and, with
   * `withSpectrum`, {@link spectrumRe}/{@link spectrumIm} hold `scale · X[k]`.
   */
  forward(window: ArrayLike<number>, scale: number, withSpectrum: boolean): void {
    this.useWindow(window);
    const { simd } = this;
    if (simd) {
      if (withSpectrum) simd.forwardSpectrum(scale, 0.5 * scale);
      else simd.forwardPower(scale, 0.5 * scale);
      return;
    }
    this.gatherScalar(this.frame[0], 0, this.frame[1], 0);
    this.transform(false);
    this.splitScalar(scale, withSpectrum ? "lanes" : "power", -1);
  }

  /**
   * As {@link forward} for the frames that start at `signal[startA]` and `signal[startB]` of
   * the regions (N samples each), without copying them. With `entry ≥ 0` the spectra of both
   * lanes (×scale) are kept in that store entry for {@link inverseToAccumulator}; the powers
   * are in {@link power} either way.
   */
  forwardFrom(
    window: ArrayLike<number>,
    scale: number,
    startA: number,
    startB: number,
    entry = -1,
  ): void {
    this.useWindow(window);
    const { simd, regions } = this;
    const sourceA = regions.signal + 8 * startA, sourceB = regions.signal + 8 * startB;
    const entryAt = regions.store + 32 * this.bins * entry;
    if (simd) {
      if (entry >= 0) simd.forwardToStore(scale, 0.5 * scale, sourceA, sourceB, entryAt);
      else simd.forwardPowerFrom(scale, 0.5 * scale, sourceA, sourceB);
      return;
    }
    const { signal } = this.regionViews;
    this.gatherScalar(signal, startA, signal, startB);
    this.transform(false);
    this.splitScalar(scale, entry >= 0 ? "store" : "power", 4 * this.bins * entry);
  }

  /**
   * Inverse of {@link forward} (numpy's `irfft`; the imaginary parts of the DC and Nyquist
   * bins are ignored) of `scale · gain[lane] · spectrum[lane]` for both lanes, multiplied by
   * `window` (zero-extended to N): the result is in {@link frame}.
   */
  inverse(window: ArrayLike<number>, scale: number): void {
    this.useWindow(window);
    const { points, simd } = this;
    // The 1/N of the inverse DFT, with the ½ of the split formulas.
    const h = (0.5 * scale) / points;
    if (simd) {
      simd.inverse(h);
      return;
    }
    this.mergeScalar(h, -1);
    // A forward transform with real and imaginary parts swapped is N times the inverse.
    this.transform(true);
    this.unpackScalar(-1, -1);
  }

  /**
   * As {@link inverse} for the spectra in store entry `entry` (with {@link gain}), adding the
   * windowed frame of lane 0 to `accumulator[atA …]` and then that of lane 1 to
   * `accumulator[atB …]` (N samples each): the overlap-add of a masked STFT. A lane whose
   * gain is all zero adds zeros, which leaves the accumulator as it was.
   */
  inverseToAccumulator(
    window: ArrayLike<number>,
    scale: number,
    entry: number,
    atA: number,
    atB: number,
  ): void {
    this.useWindow(window);
    const { points, simd, regions } = this;
    const h = (0.5 * scale) / points;
    if (simd) {
      simd.inverseFromStore(
        h,
        regions.store + 32 * this.bins * entry,
        regions.accumulator + 8 * atA,
        regions.accumulator + 8 * atB,
      );
      return;
    }
    this.mergeScalar(h, 4 * this.bins * entry);
    this.transform(true);
    this.unpackScalar(atA, atB);
  }

  // Windowed samples 2n, 2n+1 of both frames into point slot[n].
  private gatherScalar(a: Float64Array, atA: number, b: Float64Array, atB: number): void {
    const { re, im, slot, windowBuffer: w, points } = this;
    for (let n = 0; n < points; n++) {
      const s = slot[n];
      re[s] = a[atA + 2 * n] * w[2 * n];
      re[s + 1] = b[atB + 2 * n] * w[2 * n];
      im[s] = a[atA + 2 * n + 1] * w[2 * n + 1];
      im[s + 1] = b[atB + 2 * n + 1] * w[2 * n + 1];
    }
  }

  // The forward split: powers to {@link power}, spectra to the lanes, nowhere, or to the
  // store entry at value index `entry` (lane pairs: re block, then im block).
  private splitScalar(scale: number, target: "lanes" | "power" | "store", entry: number): void {
    const { re, im, points, splitCos, splitSin, bins } = this;
    const store = this.regionViews.store;
    const h = 0.5 * scale;
    for (let lane = 0; lane < 2; lane++) {
      const outRe = this.spectrumRe[lane], outIm = this.spectrumIm[lane];
      const outPower = this.power[lane];
      const put = (k: number, x: number, y: number) => {
        if (target === "lanes") {
          outRe[k] = x;
          outIm[k] = y;
        } else if (target === "store") {
          store[entry + 2 * k + lane] = x;
          store[entry + 2 * (bins + k) + lane] = y;
        }
      };
      const dc = scale * (re[lane] + im[lane]);
      const nyquist = scale * (re[lane] - im[lane]);
      outPower[0] = dc * dc;
      outPower[points] = nyquist * nyquist;
      put(0, dc, 0);
      put(points, nyquist, 0);
      for (let k = 1, q = 2 * (points - 1) + lane; 2 * k <= points; k++, q -= 2) {
        const p = 2 * k + lane;
        const zr = re[p], zi = im[p], yr = re[q], yi = im[q];
        const sr = zr + yr, di = zi - yi, or = zi + yi, oi = yr - zr;
        const c = splitCos[k], s = splitSin[k];
        const wr = c * or + s * oi, wi = c * oi - s * or;
        const ar = h * (sr + wr), ai = h * (di + wi);
        const br = h * (sr - wr), bi = h * (wi - di);
        outPower[k] = ar * ar + ai * ai;
        outPower[points - k] = br * br + bi * bi;
        put(k, ar, ai);
        put(points - k, br, bi);
      }
    }
  }

  // The inverse split of the gained spectra (from the lanes, or from the store entry at value
  // index `entry` ≥ 0) into bit-reversed points.
  private mergeScalar(h: number, entry: number): void {
    const { re, im, slot, splitCos, splitSin, points, bins } = this;
    const store = this.regionViews.store;
    for (let lane = 0; lane < 2; lane++) {
      const fromLane = entry < 0;
      const laneRe = this.spectrumRe[lane], laneIm = this.spectrumIm[lane];
      const specRe = (k: number) => (fromLane ? laneRe[k] : store[entry + 2 * k + lane]);
      const specIm = (k: number) => fromLane ? laneIm[k] : store[entry + 2 * (bins + k) + lane];
      const gain = this.gain[lane];
      const first = specRe(0) * gain[0];
      const last = specRe(points) * gain[points];
      re[slot[0] + lane] = h * (first + last);
      im[slot[0] + lane] = h * (first - last);
      for (let k = 1; 2 * k <= points; k++) {
        const gk = gain[k], gq = gain[points - k];
        const xr = specRe(k) * gk, xi = specIm(k) * gk;
        const yr = specRe(points - k) * gq, yi = specIm(points - k) * gq;
        const sr = xr + yr, di = xi - yi, dr = xr - yr, si = xi + yi;
        const c = splitCos[k], s = splitSin[k];
        const or = dr * c - si * s, oi = dr * s + si * c;
        const p = slot[k] + lane, q = slot[points - k] + lane;
        re[p] = h * (sr - oi);
        im[p] = h * (di + or);
        re[q] = h * (sr + oi);
        im[q] = h * (or - di);
      }
    }
  }

  // Windowed time samples of both lanes into {@link frame}, or (atA ≥ 0) added to the
  // accumulator at atA (lane 0, first) and atB (lane 1).
  private unpackScalar(atA: number, atB: number): void {
    const { re, im, points, windowBuffer: w } = this;
    if (atA < 0) {
      const [a, b] = this.frame;
      for (let n = 0; n < points; n++) {
        a[2 * n] = re[2 * n] * w[2 * n];
        a[2 * n + 1] = im[2 * n] * w[2 * n + 1];
        b[2 * n] = re[2 * n + 1] * w[2 * n];
        b[2 * n + 1] = im[2 * n + 1] * w[2 * n + 1];
      }
      return;
    }
    const accumulator = this.regionViews.accumulator;
    [atA, atB].forEach((at, lane) => {
      for (let n = 0; n < points; n++) {
        accumulator[at + 2 * n] += re[2 * n + lane] * w[2 * n];
        accumulator[at + 2 * n + 1] += im[2 * n + lane] * w[2 * n + 1];
      }
    });
  }

  /**
   * After {@link forward}: `out[offset + m] = Σ weights[m·bins + k]·power[k]` over
   * `start[m] ≤ k < stop[m]` in ascending k, for lane 0 into `outA` and lane 1 into `outB`
   * (skipped when null); a mel filterbank applied to both frames at once.
   */
  projectPower(
    rows: PowerRows,
    outA: Float64Array,
    offsetA: number,
    outB: Float64Array | null,
    offsetB: number,
  ): void {
    const count = rows.start.length;
    if (this.simd && this.useRows(rows)) {
      this.simd.projectPower(count);
      const result = this.rowOutput;
      for (let m = 0; m < count; m++) outA[offsetA + m] = result[2 * m];
      if (outB) { for (let m = 0; m < count; m++) outB[offsetB + m] = result[2 * m + 1]; }
      return;
    }
    const { weights, start, stop } = rows;
    const bins = this.bins;
    [outA, outB].forEach((out, lane) => {
      if (!out) return;
      const power = this.power[lane];
      const offset = lane === 0 ? offsetA : offsetB;
      for (let m = 0; m < count; m++) {
        let sum = 0;
        const row = m * bins;
        for (let k = start[m]; k < stop[m]; k++) sum += weights[row + k] * power[k];
        out[offset + m] = sum;
      }
    });
  }

  /** Copies `rows` into the kernels' memory unless already there; false when it does not fit. */
  private useRows(rows: PowerRows): boolean {
    if (rows === this.loadedRows) return true;
    const { weights, start, stop } = rows;
    let total = 0;
    for (let m = 0; m < start.length; m++) total += Math.max(0, stop[m] - start[m]);
    if (start.length > MAX_ROWS || total > this.rowWeights.length) return false;
    const base = this.rowWeights.byteOffset;
    let at = 0;
    for (let m = 0; m < start.length; m++) {
      const length = Math.max(0, stop[m] - start[m]);
      this.rowWeights.set(
        weights.subarray(m * this.bins + start[m], m * this.bins + start[m] + length),
        at,
      );
      this.rowTable[3 * m] = 8 * start[m];
      this.rowTable[3 * m + 1] = base + 8 * at;
      this.rowTable[3 * m + 2] = length;
      at += length;
    }
    this.loadedRows = rows;
    return true;
  }

  private useWindow(window: ArrayLike<number>): void {
    if (window === this.loadedWindow) return;
    if (window.length > this.size) {
      throw new RangeError(
        `Expected a window of at most ${this.size} samples, got ${window.length}`,
      );
    }
    this.windowBuffer.fill(0);
    for (let i = 0; i < window.length; i++) this.windowBuffer[i] = window[i];
    this.loadedWindow = window;
  }

  /**
   * In-place complex FFT of both lanes of `re` + i·`im`, or with `swapped`, of `im` + i·`re`
   * (which makes it N times the inverse transform).
   */
  private transform(swapped: boolean): void {
    const total = 2 * this.points;
    const a = swapped ? this.im : this.re;
    const b = swapped ? this.re : this.im;
    const twiddles = this.twiddles;
    if (this.radix2First) {
      for (let i = 0; i < total; i += 4) {
        for (let p = i; p < i + 2; p++) {
          const ar = a[p], ai = b[p], br = a[p + 2], bi = b[p + 2];
          a[p] = ar + br;
          b[p] = ai + bi;
          a[p + 2] = ar - br;
          b[p + 2] = ai - bi;
        }
      }
    }
    let quarter = this.radix2First ? 4 : 2; // distance between the four inputs, lanes included
    for (const offset of this.stageOffsets) {
      if (quarter === 2) {
        for (let i = 0; i < total; i += 8) {
          butterfly4(a, b, i, 2);
          butterfly4(a, b, i + 1, 2);
        }
      } else {
        for (let base = 0; base < total; base += 4 * quarter) {
          // The first butterfly (both lanes) has twiddles 1: no multiplications.
          butterfly4(a, b, base, quarter);
          butterfly4(a, b, base + 1, quarter);
          for (let j = 2; j < quarter; j++) {
            twiddledButterfly4(a, b, base + j, quarter, twiddles, offset + 12 * (j >> 1) + (j & 1));
          }
        }
      }
      quarter *= 4;
    }
  }
}

/** Radix-4 butterfly on points p, p+q, p+2q, p+3q without twiddles. */
function butterfly4(a: Float64Array, b: Float64Array, p: number, q: number): void {
  const p1 = p + q, p2 = p1 + q, p3 = p2 + q;
  const ar = a[p], ai = b[p];
  const br = a[p1], bi = b[p1];
  const cr = a[p2], ci = b[p2];
  const dr = a[p3], di = b[p3];
  // Inputs in bit-reversed order: (p, p1) and (p2, p3) are the two half-size pairs.
  const s1r = ar + br, s1i = ai + bi, d1r = ar - br, d1i = ai - bi;
  const s2r = cr + dr, s2i = ci + di, d2r = cr - dr, d2i = ci - di;
  a[p] = s1r + s2r;
  b[p] = s1i + s2i;
  a[p2] = s1r - s2r;
  b[p2] = s1i - s2i;
  a[p1] = d1r + d2i;
  b[p1] = d1i - d2r;
  a[p3] = d1r - d2i;
  b[p3] = d1i + d2r;
}

/**
 * Radix-4 butterfly with twiddles w² on p+q, w¹ on p+2q and w³ on p+3q (the bit-reversed
 * order of the inputs puts w² second), read from `table` at `t`, `t + 4`, `t + 8` with the
 * imaginary part 2 further on.
 */
function twiddledButterfly4(
  a: Float64Array,
  b: Float64Array,
  p: number,
  q: number,
  table: Float64Array,
  t: number,
): void {
  const p1 = p + q, p2 = p1 + q, p3 = p2 + q;
  const w1r = table[t], w1i = table[t + 2];
  const w2r = table[t + 4], w2i = table[t + 6];
  const w3r = table[t + 8], w3i = table[t + 10];
  const ar = a[p], ai = b[p];
  const xr = a[p1], xi = b[p1];
  const br = xr * w2r - xi * w2i, bi = xr * w2i + xi * w2r;
  const yr = a[p2], yi = b[p2];
  const cr = yr * w1r - yi * w1i, ci = yr * w1i + yi * w1r;
  const zr = a[p3], zi = b[p3];
  const dr = zr * w3r - zi * w3i, di = zr * w3i + zi * w3r;
  const s1r = ar + br, s1i = ai + bi, d1r = ar - br, d1i = ai - bi;
  const s2r = cr + dr, s2i = ci + di, d2r = cr - dr, d2i = ci - di;
  a[p] = s1r + s2r;
  b[p] = s1i + s2i;
  a[p2] = s1r - s2r;
  b[p2] = s1i - s2i;
  a[p1] = d1r + d2i;
  b[p1] = d1i - d2r;
  a[p3] = d1r - d2i;
  b[p3] = d1i + d2r;
}

const realFftCache = new Map<number, PairedRealFft>();

/**
 * The shared {@link PairedRealFft} for one size. Building the tables costs more than a
 * transform, so each size is built once; not part of the public API.
 */
export function realFftFor(size: number): PairedRealFft {
  let fft = realFftCache.get(size);
  if (!fft) {
    fft = new PairedRealFft(size);
    realFftCache.set(size, fft);
  }
  return fft;
}
