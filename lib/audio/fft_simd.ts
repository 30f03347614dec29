/**
 * The inner loops of `PairedRealFft` (fft.ts) as WebAssembly SIMD. Each `f64x2` register
 * holds the same quantity for the two lanes (two frames), so one instruction does the work of
 * two scalar ones; the arithmetic is the scalar arithmetic operation for operation (no fused
 * multiply-add), so results are bit-identical to the scalar route in fft.ts.
 *
 * A module is assembled (with lib/wasm/encoder.ts) for each FFT size, with the addresses of its
 * fixed arrays and every butterfly distance written into the code as constants, so that loads
 * and stores need no address arithmetic; only the regions whose size varies (signal, store,
 * accumulator) are passed as addresses. There is nothing to rebuild, and the kernels can be
 * read below. Addresses are in bytes; a lane-interleaved complex component takes 16.
 *
 * @module
 */

import {
  add,
  type Code,
  compileKernels,
  doWhile,
  F64,
  f64x2,
  fadd,
  fmul,
  forRange,
  fsub,
  get,
  I32,
  i32,
  instantiate,
  Kernel,
  load,
  loadI32,
  loadPair,
  loadSplat,
  mul,
  set,
  shuffle,
  splat,
  store,
  storeLane,
  V128,
} from "../wasm/encoder.ts";

/** Where `PairedRealFft` keeps its arrays (byte addresses) and the shape of its transform. */
export interface SimdFftLayout {
  /** Complex points N/2 (at least 4). */
  points: number;
  /** Lane-interleaved real and imaginary parts of the points. */
  re: number;
  im: number;
  /** Split twiddles cos(2πk/N), sin(2πk/N), one f64 per k. */
  cos: number;
  sin: number;
  /** Time frames of lanes 0 and 1 and the window, N f64 each. */
  frameA: number;
  frameB: number;
  window: number;
  /** Per lane: real parts, imaginary parts and powers of the N/2 + 1 bins, one after the other. */
  outA: number;
  outB: number;
  /** Per-bin gains of lanes 0 and 1 for the inverse. */
  gainA: number;
  gainB: number;
  /** i32 byte offset of each point's bit-reversed position. */
  slot: number;
  /** Sparse rows for `projectPower`: (first bin's byte offset, weights' byte address, count). */
  rowTable: number;
  /** Rows' outputs, two lanes interleaved (16 bytes per row). */
  rowOutput: number;
  /** Whether a radix-2 pass comes first (log2(N/2) odd). */
  radix2First: boolean;
  /** Radix-4 passes in order: the twiddles' address (w¹, w², w³, 96 bytes per 16 of span). */
  stageTwiddles: number[];
  /** Total bytes of memory needed. */
  bytes: number;
}

/** The size-specific kernels and the memory they work in. */
export interface SimdFft {
  /** The memory the layout describes (grown by the caller for its regions). */
  memory: WebAssembly.Memory;
  /** Window, transform and split; writes powers (×scale²) to outA/outB. `half` = scale/2. */
  forwardPower(scale: number, half: number): void;
  /** As {@link forwardPower}, and the spectra (×scale) as well. */
  forwardSpectrum(scale: number, half: number): void;
  /** Merge the gained spectra, transform back, window into frameA/frameB; `h` = scale/N. */
  inverse(h: number): void;
  /** Weighted sums of both lanes' powers over the `rows` rows of the row table. */
  projectPower(rows: number): void;
  /** As {@link forwardPower} with the frames read at two addresses. */
  forwardPowerFrom(scale: number, half: number, sourceA: number, sourceB: number): void;
  /** As {@link forwardPowerFrom}, and the spectra of both lanes to the store entry `entry`. */
  forwardToStore(
    scale: number,
    half: number,
    sourceA: number,
    sourceB: number,
    entry: number,
  ): void;
  /** As {@link inverse} from store entry `entry`, the windowed frames added at two addresses. */
  inverseFromStore(h: number, entry: number, targetA: number, targetB: number): void;
}

// In-place complex FFT of both lanes, real parts at `a`, imaginary parts at `b` (constant
// addresses; swapping them gives N times the inverse). With `firstPassDone`, the first pass
// (radix-2, or the twiddle-free radix-4) has already been made by gatherCode.
function transformCode(
  k: Kernel,
  layout: SimdFftLayout,
  a: number,
  b: number,
  firstPassDone = false,
): Code {
  const bytes = 16 * layout.points;
  const [p, base, j, t] = [k.local(I32), k.local(I32), k.local(I32), k.local(I32)];
  const v = () => k.local(V128);
  const [ar, ai, br, bi, cr, ci, dr, di, xr, xi] = Array.from({ length: 10 }, v);
  const [s1r, s1i, d1r, d1i, s2r, s2i, d2r, d2i] = Array.from({ length: 8 }, v);
  const code: Code = [];
  const emit = (...parts: Code[]) => parts.forEach((part) => code.push(...part));

  if (layout.radix2First && !firstPassDone) {
    emit(
      set(p, i32(0)),
      doWhile(p, i32(32), i32(bytes), [
        ...set(ar, load(get(p), a)),
        ...set(ai, load(get(p), b)),
        ...set(br, load(get(p), a + 16)),
        ...set(bi, load(get(p), b + 16)),
        ...store(get(p), fadd(get(ar), get(br)), a),
        ...store(get(p), fadd(get(ai), get(bi)), b),
        ...store(get(p), fsub(get(ar), get(br)), a + 16),
        ...store(get(p), fsub(get(ai), get(bi)), b + 16),
      ]),
    );
  }

  // Radix-4 butterfly on the points at p + j + {0, q, 2q, 3q} (j a constant byte offset);
  // twiddles w², w¹, w³ on the last three (inputs are bit-reversed), read at `twiddleAt`
  // (a local pointer plus a constant), or none when `twiddleAt` is null.
  const butterfly = (q: number, twiddleAt: [Code, number] | null, j = 0): Code => {
    const out: Code = [];
    const put = (...parts: Code[]) => parts.forEach((part) => out.push(...part));
    put(set(ar, load(get(p), a + j)), set(ai, load(get(p), b + j)));
    const twiddle = (re: number, im: number, distance: number, power: number) => {
      const x = load(get(p), a + j + distance * q), y = load(get(p), b + j + distance * q);
      if (twiddleAt === null) {
        put(set(re, x), set(im, y));
        return;
      }
      put(set(xr, x), set(xi, y));
      const [pointer, offset] = twiddleAt;
      const wr = load(pointer, offset + 32 * (power - 1));
      const wi = load(pointer, offset + 32 * (power - 1) + 16);
      put(set(re, fsub(fmul(get(xr), wr), fmul(get(xi), wi))));
      put(set(im, fadd(fmul(get(xr), wi), fmul(get(xi), wr))));
    };
    twiddle(br, bi, 1, 2);
    twiddle(cr, ci, 2, 1);
    twiddle(dr, di, 3, 3);
    put(set(s1r, fadd(get(ar), get(br))), set(s1i, fadd(get(ai), get(bi))));
    put(set(d1r, fsub(get(ar), get(br))), set(d1i, fsub(get(ai), get(bi))));
    put(set(s2r, fadd(get(cr), get(dr))), set(s2i, fadd(get(ci), get(di))));
    put(set(d2r, fsub(get(cr), get(dr))), set(d2i, fsub(get(ci), get(di))));
    put(store(get(p), fadd(get(s1r), get(s2r)), a + j));
    put(store(get(p), fadd(get(s1i), get(s2i)), b + j));
    put(store(get(p), fsub(get(s1r), get(s2r)), a + j + 2 * q));
    put(store(get(p), fsub(get(s1i), get(s2i)), b + j + 2 * q));
    put(store(get(p), fadd(get(d1r), get(d2i)), a + j + q));
    put(store(get(p), fsub(get(d1i), get(d2r)), b + j + q));
    put(store(get(p), fsub(get(d1r), get(d2i)), a + j + 3 * q));
    put(store(get(p), fadd(get(d1i), get(d2r)), b + j + 3 * q));
    return out;
  };

  let q = layout.radix2First ? 32 : 16;
  for (const twiddles of layout.stageTwiddles) {
    if (q === 16 && firstPassDone) {
      q *= 4;
      continue;
    }
    if (q === 16) {
      emit(set(p, i32(0)), doWhile(p, i32(64), i32(bytes), butterfly(16, null)));
    } else if (q <= 64) {
      // A short span: its butterflies are written out, with constant twiddle addresses.
      const unrolled: Code = [];
      for (let jj = 0; jj < q; jj += 16) {
        // The first butterfly of every block has twiddles 1: no multiplications.
        unrolled.push(...butterfly(q, jj === 0 ? null : [i32(0), twiddles + 6 * jj], jj));
      }
      emit(set(p, i32(0)), doWhile(p, i32(4 * q), i32(bytes), unrolled));
    } else {
      // The first butterfly of every block has twiddles 1 and takes no multiplications.
      emit(
        set(base, i32(0)),
        doWhile(base, i32(4 * q), i32(bytes), [
          ...set(p, get(base)),
          ...butterfly(q, null),
          ...set(j, i32(16)),
          ...set(t, i32(twiddles + 96)),
          ...doWhile(j, i32(16), i32(q), [
            ...set(p, add(get(base), get(j))),
            ...butterfly(q, [get(t), 0]),
            ...set(t, add(get(t), i32(96))),
          ]),
        ]),
      );
    }
    q *= 4;
  }
  return code;
}

// Samples 2n, 2n+1 of both frames times the window make point n: re [a₂ₙ·w₂ₙ, b₂ₙ·w₂ₙ],
// im [a₂ₙ₊₁·w₂ₙ₊₁, b₂ₙ₊₁·w₂ₙ₊₁]. The points go to bit-reversed positions through the first
// pass of the transform, done here: positions p = slot[n] and p + 1 hold points n and
// n + N/4 (a radix-2 pass), or p … p + 3 hold n, n + N/4, n + N/8, n + 3N/8 (a radix-4 pass
// without twiddles), so each group of points is loaded, combined and stored once.
function gatherCode(k: Kernel, layout: SimdFftLayout, sources: [number, number] | null): Code {
  const { points } = layout;
  // Frames come from frameA/frameB (constant addresses) or from two address parameters.
  const frame = (lane: number, at: number) =>
    sources === null
      ? load(get(n), (lane === 0 ? layout.frameA : layout.frameB) + at)
      : load(add(get(sources[lane]), get(n)), at);
  const [n, s, target] = [k.local(I32), k.local(I32), k.local(I32)];
  const [w, a, b] = [k.local(V128), k.local(V128), k.local(V128)];
  const v = () => k.local(V128);
  // Point n + m·points/groups, windowed, as [re, im] locals.
  const groups = layout.radix2First ? 2 : 4;
  const point = Array.from({ length: groups }, () => [v(), v()]);
  const code: Code = [];
  const emit = (...parts: Code[]) => parts.forEach((part) => code.push(...part));
  const spacing = (16 * points) / groups; // bytes between the grouped points in a frame
  const loads: Code = [];
  point.forEach(([re, im], m) => {
    const at = m * spacing;
    loads.push(
      ...set(w, load(get(n), layout.window + at)),
      ...set(a, fmul(frame(0, at), get(w))),
      ...set(b, fmul(frame(1, at), get(w))),
      ...set(re, shuffle(get(a), get(b), 0, 2)),
      ...set(im, shuffle(get(a), get(b), 1, 3)),
    );
  });
  const [[r0, i0], [r1, i1]] = point;
  let combine: Code;
  if (groups === 2) {
    combine = [
      ...store(get(target), fadd(get(r0), get(r1)), layout.re),
      ...store(get(target), fadd(get(i0), get(i1)), layout.im),
      ...store(get(target), fsub(get(r0), get(r1)), layout.re + 16),
      ...store(get(target), fsub(get(i0), get(i1)), layout.im + 16),
    ];
  } else {
    // Positions p, p+1, p+2, p+3 hold points n, n + N/4, n + N/8, n + 3N/8.
    const [[r2, i2], [r3, i3]] = [point[2], point[3]];
    const [s1r, s1i, d1r, d1i, s2r, s2i, d2r, d2i] = Array.from({ length: 8 }, v);
    combine = [
      ...set(s1r, fadd(get(r0), get(r2))),
      ...set(s1i, fadd(get(i0), get(i2))),
      ...set(d1r, fsub(get(r0), get(r2))),
      ...set(d1i, fsub(get(i0), get(i2))),
      ...set(s2r, fadd(get(r1), get(r3))),
      ...set(s2i, fadd(get(i1), get(i3))),
      ...set(d2r, fsub(get(r1), get(r3))),
      ...set(d2i, fsub(get(i1), get(i3))),
      ...store(get(target), fadd(get(s1r), get(s2r)), layout.re),
      ...store(get(target), fadd(get(s1i), get(s2i)), layout.im),
      ...store(get(target), fsub(get(s1r), get(s2r)), layout.re + 32),
      ...store(get(target), fsub(get(s1i), get(s2i)), layout.im + 32),
      ...store(get(target), fadd(get(d1r), get(d2i)), layout.re + 16),
      ...store(get(target), fsub(get(d1i), get(d2r)), layout.im + 16),
      ...store(get(target), fsub(get(d1r), get(d2i)), layout.re + 48),
      ...store(get(target), fadd(get(d1i), get(d2r)), layout.im + 48),
    ];
  }
  emit(
    set(n, i32(0)),
    set(s, i32(0)),
    doWhile(n, i32(16), i32(spacing), [
      ...loads,
      ...set(target, loadI32(get(s), layout.slot)),
      ...combine,
      ...set(s, add(get(s), i32(4))),
    ]),
  );
  return code;
}

// The forward split of the natural-order points into the two half spectra (see
// PairedRealFft.forward). The powers go to outA/outB; the spectra to outA/outB as well
// ("lanes"), nowhere ("power"), or as lane pairs to the re and im blocks of a store entry
// whose address is the local `store` ("store": 16 bytes per bin, im block after re).
function splitCode(
  k: Kernel,
  layout: SimdFftLayout,
  target: "lanes" | "power" | "store",
  storeAt = -1,
): Code {
  const spectrum = target === "lanes";
  const { points } = layout;
  const binBytes = 8 * (points + 1);
  const [k8, q8, k16, q16] = Array.from({ length: 4 }, () => k.local(I32));
  const v = () => k.local(V128);
  const [sc, h, zr, zi, yr, yi, sr, di, or, oi, c, s, wr, wi, ar, ai, br, bi, zero] = Array
    .from({ length: 19 }, v);
  // Bin at byte offset `at` (+ the constant `extra`) of both lanes: x → re, y → im, x² + y².
  const outputs = (at: number, extra: number, x: number, y: number): Code => {
    const code: Code = [];
    const power = fadd(fmul(get(x), get(x)), fmul(get(y), get(y)));
    if (target === "store") {
      // Byte offset at·2 (16 per bin) from the entry, im block one bin block further.
      const pairAt = add(get(storeAt), add(get(at), get(at)));
      code.push(...store(pairAt, get(x), 2 * extra));
      code.push(...store(pairAt, get(y), 2 * (extra + binBytes)));
    }
    [layout.outA, layout.outB].forEach((out, lane) => {
      if (spectrum) {
        code.push(...storeLane(get(at), get(x), lane, out + extra));
        code.push(...storeLane(get(at), get(y), lane, out + binBytes + extra));
      }
      code.push(...storeLane(get(at), power, lane, out + 2 * binBytes + extra));
    });
    return code;
  };
  const scale = 0, half = 1; // the kernel's f64 parameters
  return [
    ...set(sc, splat(get(scale))),
    ...set(h, splat(get(half))),
    // DC and Nyquist: scale·(re₀ ± im₀), imaginary parts zero.
    ...set(zr, load(i32(0), layout.re)),
    ...set(zi, load(i32(0), layout.im)),
    ...set(ar, fmul(get(sc), fadd(get(zr), get(zi)))),
    ...set(br, fmul(get(sc), fsub(get(zr), get(zi)))),
    ...set(k8, i32(0)),
    ...outputs(k8, 0, ar, zero),
    ...outputs(k8, 8 * points, br, zero),
    ...set(k8, i32(8)),
    ...set(k16, i32(16)),
    ...set(q8, i32(8 * (points - 1))),
    ...set(q16, i32(16 * (points - 1))),
    ...doWhile(k8, i32(8), i32(4 * points), [
      ...set(zr, load(get(k16), layout.re)),
      ...set(zi, load(get(k16), layout.im)),
      ...set(yr, load(get(q16), layout.re)),
      ...set(yi, load(get(q16), layout.im)),
      ...set(sr, fadd(get(zr), get(yr))),
      ...set(di, fsub(get(zi), get(yi))),
      ...set(or, fadd(get(zi), get(yi))),
      ...set(oi, fsub(get(yr), get(zr))),
      ...set(c, loadSplat(get(k8), layout.cos)),
      ...set(s, loadSplat(get(k8), layout.sin)),
      ...set(wr, fadd(fmul(get(c), get(or)), fmul(get(s), get(oi)))),
      ...set(wi, fsub(fmul(get(c), get(oi)), fmul(get(s), get(or)))),
      ...set(ar, fmul(get(h), fadd(get(sr), get(wr)))),
      ...set(ai, fmul(get(h), fadd(get(di), get(wi)))),
      ...set(br, fmul(get(h), fsub(get(sr), get(wr)))),
      ...set(bi, fmul(get(h), fsub(get(wi), get(di)))),
      ...outputs(k8, 0, ar, ai),
      ...outputs(q8, 0, br, bi),
      ...set(k16, add(get(k16), i32(16))),
      ...set(q8, add(get(q8), i32(-8))),
      ...set(q16, add(get(q16), i32(-16))),
    ], true),
  ];
}

// The inverse split: the half spectra times their gains, merged into points stored at their
// bit-reversed positions (see PairedRealFft.inverse). Spectra come from outA/outB, or with
// `storeAt` (a local) from a store entry as written by splitCode.
function mergeCode(k: Kernel, layout: SimdFftLayout, storeAt = -1): Code {
  const { points, outA, outB, gainA, gainB } = layout;
  const binBytes = 8 * (points + 1);
  const [k8, q8, sk, sq, p, q] = Array.from({ length: 6 }, () => k.local(I32));
  const v = () => k.local(V128);
  const [h, gk, gq, xr, xi, yr, yi, sr, di, dr, si, c, s, or, oi] = Array.from({ length: 15 }, v);
  const stored = (at: number, extra: number) =>
    load(add(get(storeAt), add(get(at), get(at))), extra);
  const re = (at: number) => storeAt >= 0 ? stored(at, 0) : loadPair(get(at), get(at), outA, outB);
  const im = (at: number) =>
    storeAt >= 0
      ? stored(at, 2 * binBytes)
      : loadPair(get(at), get(at), outA + binBytes, outB + binBytes);
  const gain = (at: number) => loadPair(get(at), get(at), gainA, gainB);
  const half = 0; // the kernel's f64 parameter
  return [
    ...set(h, splat(get(half))),
    ...set(k8, i32(0)),
    ...set(q8, i32(8 * points)),
    ...set(xr, fmul(re(k8), gain(k8))),
    ...set(yr, fmul(re(q8), gain(q8))),
    ...set(p, loadI32(i32(0), layout.slot)),
    ...store(get(p), fmul(get(h), fadd(get(xr), get(yr))), layout.re),
    ...store(get(p), fmul(get(h), fsub(get(xr), get(yr))), layout.im),
    ...set(k8, i32(8)),
    ...set(q8, i32(8 * (points - 1))),
    ...set(sk, i32(4)),
    ...set(sq, i32(4 * (points - 1))),
    ...doWhile(k8, i32(8), i32(4 * points), [
      ...set(gk, gain(k8)),
      ...set(gq, gain(q8)),
      ...set(xr, fmul(re(k8), get(gk))),
      ...set(xi, fmul(im(k8), get(gk))),
      ...set(yr, fmul(re(q8), get(gq))),
      ...set(yi, fmul(im(q8), get(gq))),
      ...set(sr, fadd(get(xr), get(yr))),
      ...set(di, fsub(get(xi), get(yi))),
      ...set(dr, fsub(get(xr), get(yr))),
      ...set(si, fadd(get(xi), get(yi))),
      ...set(c, loadSplat(get(k8), layout.cos)),
      ...set(s, loadSplat(get(k8), layout.sin)),
      ...set(or, fsub(fmul(get(dr), get(c)), fmul(get(si), get(s)))),
      ...set(oi, fadd(fmul(get(dr), get(s)), fmul(get(si), get(c)))),
      ...set(p, loadI32(get(sk), layout.slot)),
      ...set(q, loadI32(get(sq), layout.slot)),
      ...store(get(p), fmul(get(h), fsub(get(sr), get(oi))), layout.re),
      ...store(get(p), fmul(get(h), fadd(get(di), get(or))), layout.im),
      ...store(get(q), fmul(get(h), fadd(get(sr), get(oi))), layout.re),
      ...store(get(q), fmul(get(h), fsub(get(or), get(di))), layout.im),
      ...set(q8, add(get(q8), i32(-8))),
      ...set(sk, add(get(sk), i32(4))),
      ...set(sq, add(get(sq), i32(-4))),
    ], true),
  ];
}

// The time samples of both lanes after the inverse transform, times the window:
// frameA[2n], frameA[2n+1] = re[n], im[n] of lane 0 (lane 1 for frameB). With `targets`
// (two address locals) they are added to the f64 arrays there instead, all of lane 0 before
// lane 1, the order of an overlap-add frame by frame.
function unpackCode(
  k: Kernel,
  layout: SimdFftLayout,
  targets: [number, number] | null = null,
): Code {
  const n = k.local(I32);
  const [w, r, i] = [k.local(V128), k.local(V128), k.local(V128)];
  if (targets !== null) {
    return [0, 1].flatMap((lane) => {
      const at = add(get(targets[lane]), get(n));
      return [
        ...set(n, i32(0)),
        ...doWhile(n, i32(16), i32(16 * layout.points), [
          ...set(w, load(get(n), layout.window)),
          ...set(r, load(get(n), layout.re)),
          ...set(i, load(get(n), layout.im)),
          ...store(at, fadd(load(at), fmul(shuffle(get(r), get(i), lane, lane + 2), get(w)))),
        ]),
      ];
    });
  }
  return [
    ...set(n, i32(0)),
    ...doWhile(n, i32(16), i32(16 * layout.points), [
      ...set(w, load(get(n), layout.window)),
      ...set(r, load(get(n), layout.re)),
      ...set(i, load(get(n), layout.im)),
      ...store(get(n), fmul(shuffle(get(r), get(i), 0, 2), get(w)), layout.frameA),
      ...store(get(n), fmul(shuffle(get(r), get(i), 1, 3), get(w)), layout.frameB),
    ]),
  ];
}

// For each row of the table (i32 first-bin byte offset, i32 weights address, i32 count):
// Σ weight[j]·power[first + j] over j in order, for both lanes at once.
function projectKernel(layout: SimdFftLayout): Kernel {
  const k = new Kernel("projectPower");
  const rows = k.param(I32);
  const [row, first, weights, end] = Array.from({ length: 4 }, () => k.local(I32));
  const sum = k.local(V128);
  const binBytes = 8 * (layout.points + 1);
  const powerA = layout.outA + 2 * binBytes, powerB = layout.outB + 2 * binBytes;
  k.emit(
    forRange(row, i32(0), get(rows), i32(1), [
      ...set(first, loadI32(mul(get(row), i32(12)), layout.rowTable)),
      ...set(weights, loadI32(mul(get(row), i32(12)), layout.rowTable + 4)),
      ...set(
        end,
        add(get(weights), mul(loadI32(mul(get(row), i32(12)), layout.rowTable + 8), i32(8))),
      ),
      ...set(sum, f64x2(0)),
      ...forRange(weights, get(weights), get(end), i32(8), [
        ...set(
          sum,
          fadd(
            get(sum),
            fmul(loadSplat(get(weights)), loadPair(get(first), get(first), powerA, powerB)),
          ),
        ),
        ...set(first, add(get(first), i32(8))),
      ]),
      ...store(mul(get(row), i32(16)), get(sum), layout.rowOutput),
    ]),
  );
  return k;
}

function forwardKernel(layout: SimdFftLayout, spectrum: boolean): Kernel {
  const k = new Kernel(spectrum ? "forwardSpectrum" : "forwardPower");
  k.param(F64); // scale
  k.param(F64); // half
  k.emit(gatherCode(k, layout, null));
  k.emit(transformCode(k, layout, layout.re, layout.im, true));
  k.emit(splitCode(k, layout, spectrum ? "lanes" : "power"));
  return k;
}

// forwardFrom(scale, half, sourceA, sourceB[, store]): frames read from two addresses; the
// powers to outA/outB and, in the storing variant, the spectra to the store entry.
function forwardFromKernel(layout: SimdFftLayout, storing: boolean): Kernel {
  const k = new Kernel(storing ? "forwardToStore" : "forwardPowerFrom");
  k.param(F64); // scale
  k.param(F64); // half
  const sources: [number, number] = [k.param(I32), k.param(I32)];
  const entry = storing ? k.param(I32) : -1;
  k.emit(gatherCode(k, layout, sources));
  k.emit(transformCode(k, layout, layout.re, layout.im, true));
  k.emit(splitCode(k, layout, storing ? "store" : "power", entry));
  return k;
}

function inverseKernel(layout: SimdFftLayout, fromStore: boolean): Kernel {
  const k = new Kernel(fromStore ? "inverseFromStore" : "inverse");
  k.param(F64); // h
  const entry = fromStore ? k.param(I32) : -1;
  const targets: [number, number] | null = fromStore ? [k.param(I32), k.param(I32)] : null;
  k.emit(mergeCode(k, layout, entry));
  k.emit(transformCode(k, layout, layout.im, layout.re));
  k.emit(unpackCode(k, layout, targets));
  return k;
}

/**
 * The kernels for one layout with a fresh memory of `layout.bytes`, or null where WebAssembly
 * SIMD is not available (callers then use the scalar route, which computes the same values).
 */
export function simdFft(layout: SimdFftLayout): SimdFft | null {
  const compiled = compileKernels(() => [
    forwardKernel(layout, false),
    forwardKernel(layout, true),
    forwardFromKernel(layout, false),
    forwardFromKernel(layout, true),
    inverseKernel(layout, false),
    inverseKernel(layout, true),
    projectKernel(layout),
  ]);
  if (compiled === null) return null;
  const { memory, exports } = instantiate(compiled, layout.bytes);
  return { memory, ...exports } as unknown as SimdFft;
}
