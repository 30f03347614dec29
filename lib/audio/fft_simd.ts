/**
 * The inner loops of {@link PairedRealFft} as WebAssembly SIMD. Each `f64x2` register holds
 * the same quantity for the two lanes (two frames), so one instruction does the work of two
 * scalar ones; the arithmetic is the scalar arithmetic operation for operation (no fused
 * multiply-add), so results are bit-identical to the scalar route in fft.ts.
 *
 * The module is assembled here from its opcodes (about 2 kB, with wasm_encoder.ts) rather than
 * shipped as a binary built by another toolchain: there is nothing to rebuild, and the kernels
 * can be read below. All addresses and lengths are in bytes.
 *
 * @module
 */

import {
  add,
  type Code,
  compileKernels,
  doWhile,
  F64,
  fadd,
  fmul,
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
  set,
  shuffle,
  splat,
  store,
  storeLane,
  sub,
  V128,
} from "./wasm_encoder.ts";

// --- Kernels. Lane-interleaved arrays hold one f64x2 (16 bytes) per complex point. ---

// radix2(a, b, bytes): a/b real/imaginary arrays; pairs of neighbouring points, no twiddles.
function radix2(): Kernel {
  const k = new Kernel("radix2");
  const [a, b, bytes] = [k.param(I32), k.param(I32), k.param(I32)];
  const i = k.local(I32);
  const [xr, xi, yr, yi] = [k.local(V128), k.local(V128), k.local(V128), k.local(V128)];
  const pa = add(get(a), get(i)), pb = add(get(b), get(i));
  k.emit(
    set(i, i32(0)),
    doWhile(i, i32(32), get(bytes), [
      ...set(xr, load(pa)),
      ...set(xi, load(pb)),
      ...set(yr, load(pa, 16)),
      ...set(yi, load(pb, 16)),
      ...store(pa, fadd(get(xr), get(yr))),
      ...store(pb, fadd(get(xi), get(yi))),
      ...store(pa, fsub(get(xr), get(yr)), 16),
      ...store(pb, fsub(get(xi), get(yi)), 16),
    ]),
  );
  return k;
}

// radix4(a, b, bytes, q, tw): for every block of 4q bytes and j = 0, 16, …, q − 16, the
// butterfly on points block + j + {0, q, 2q, 3q}, with w¹, w², w³ (re, im; 96 bytes) at tw
// + 6j. The point at distance q takes w², at 2q w¹, at 3q w³, as inputs are bit-reversed.
// radix4Unit is the first pass (q = 16), whose twiddles are all 1; tw is ignored.
function radix4(twiddled: boolean): Kernel {
  const k = new Kernel(twiddled ? "radix4" : "radix4Unit");
  const [a, b, bytes, q, tw] = [
    k.param(I32),
    k.param(I32),
    k.param(I32),
    k.param(I32),
    k.param(I32),
  ];
  const [q2, q3, base, j, pa, pb, t] = Array.from({ length: 7 }, () => k.local(I32));
  const v = () => k.local(V128);
  const [ar, ai, br, bi, cr, ci, dr, di, xr, xi] = Array.from({ length: 10 }, v);
  const [s1r, s1i, d1r, d1i, s2r, s2i, d2r, d2i] = Array.from({ length: 8 }, v);
  const offsets = [q, q2, q3];
  const at = (p: number, distance: number) =>
    distance === 0 ? get(p) : add(get(p), get(offsets[distance - 1]));
  const butterfly: Code = [];
  const emit = (...parts: Code[]) => parts.forEach((part) => butterfly.push(...part));
  emit(set(ar, load(get(pa))), set(ai, load(get(pb))));
  const twiddle = (re: number, im: number, distance: number, power: number) => {
    if (!twiddled) {
      emit(set(re, load(at(pa, distance))), set(im, load(at(pb, distance))));
      return;
    }
    emit(set(xr, load(at(pa, distance))), set(xi, load(at(pb, distance))));
    const wr = load(get(t), 32 * (power - 1));
    const wi = load(get(t), 32 * (power - 1) + 16);
    emit(set(re, fsub(fmul(get(xr), wr), fmul(get(xi), wi))));
    emit(set(im, fadd(fmul(get(xr), wi), fmul(get(xi), wr))));
  };
  twiddle(br, bi, 1, 2);
  twiddle(cr, ci, 2, 1);
  twiddle(dr, di, 3, 3);
  emit(set(s1r, fadd(get(ar), get(br))), set(s1i, fadd(get(ai), get(bi))));
  emit(set(d1r, fsub(get(ar), get(br))), set(d1i, fsub(get(ai), get(bi))));
  emit(set(s2r, fadd(get(cr), get(dr))), set(s2i, fadd(get(ci), get(di))));
  emit(set(d2r, fsub(get(cr), get(dr))), set(d2i, fsub(get(ci), get(di))));
  emit(store(get(pa), fadd(get(s1r), get(s2r))), store(get(pb), fadd(get(s1i), get(s2i))));
  emit(store(at(pa, 2), fsub(get(s1r), get(s2r))), store(at(pb, 2), fsub(get(s1i), get(s2i))));
  emit(store(at(pa, 1), fadd(get(d1r), get(d2i))), store(at(pb, 1), fsub(get(d1i), get(d2r))));
  emit(store(at(pa, 3), fsub(get(d1r), get(d2i))), store(at(pb, 3), fadd(get(d1i), get(d2r))));
  const inner: Code = [
    ...set(pa, add(add(get(a), get(base)), get(j))),
    ...set(pb, add(add(get(b), get(base)), get(j))),
    ...butterfly,
    ...(twiddled ? set(t, add(get(t), i32(96))) : []),
  ];
  k.emit(
    set(q2, add(get(q), get(q))),
    set(q3, add(get(q2), get(q))),
    set(base, i32(0)),
    doWhile(base, add(get(q2), get(q2)), get(bytes), [
      ...set(j, i32(0)),
      ...set(t, get(tw)),
      ...doWhile(j, i32(16), get(q), inner),
    ]),
  );
  return k;
}

// gather(frameA, frameB, window, slot, re, im, bytes): for n = 0 … N/2 − 1 (bytes = 16·N/2),
// samples 2n, 2n+1 of both frames times the window go to point slot[n] (a byte offset):
// re gets [a₂ₙ·w₂ₙ, b₂ₙ·w₂ₙ], im gets [a₂ₙ₊₁·w₂ₙ₊₁, b₂ₙ₊₁·w₂ₙ₊₁].
function gather(): Kernel {
  const k = new Kernel("gather");
  const [frameA, frameB, window, slot, re, im, bytes] = Array.from(
    { length: 7 },
    () => k.param(I32),
  );
  const [n, s, target] = [k.local(I32), k.local(I32), k.local(I32)];
  const [w, a, b] = [k.local(V128), k.local(V128), k.local(V128)];
  k.emit(
    set(n, i32(0)),
    set(s, get(slot)),
    doWhile(n, i32(16), get(bytes), [
      ...set(w, load(add(get(window), get(n)))),
      ...set(a, fmul(load(add(get(frameA), get(n))), get(w))),
      ...set(b, fmul(load(add(get(frameB), get(n))), get(w))),
      ...set(target, loadI32(get(s))),
      ...store(add(get(re), get(target)), shuffle(get(a), get(b), 0, 2)),
      ...store(add(get(im), get(target)), shuffle(get(a), get(b), 1, 3)),
      ...set(s, add(get(s), i32(4))),
    ]),
  );
  return k;
}

// split(re, im, cos, sin, outA, outB, binBytes, quarterBytes, scale, h): the forward split
// of the natural-order points into the two half spectra (as PairedRealFft's scalar route),
// with binBytes = 8·(N/2 + 1) and quarterBytes = 8·N/4. Each output block holds re, im and
// power of the N/2 + 1 bins one after the other; `splitPower` writes only the power.
function split(spectrum: boolean): Kernel {
  const k = new Kernel(spectrum ? "splitSpectrum" : "splitPower");
  const [re, im, cos, sin, outA, outB, binBytes, quarterBytes] = Array.from(
    { length: 8 },
    () => k.param(I32),
  );
  const [scale, half] = [k.param(F64), k.param(F64)];
  const [k8, q8] = [k.local(I32), k.local(I32)];
  const v = () => k.local(V128);
  const [sc, h, zr, zi, yr, yi, sr, di, or, oi, c, s, wr, wi, ar, ai, br, bi, zero] = Array
    .from({ length: 19 }, v);
  // Stores bin `offset` (bytes) of both lanes: x → re, y → im, x² + y² → power.
  const outputs = (offset: Code, x: number, y: number): Code => {
    const code: Code = [];
    const power = fadd(fmul(get(x), get(x)), fmul(get(y), get(y)));
    [outA, outB].forEach((out, lane) => {
      if (spectrum) {
        code.push(...storeLane(add(get(out), offset), get(x), lane));
        code.push(...storeLane(add(add(get(out), get(binBytes)), offset), get(y), lane));
      }
      const powerAt = add(add(add(get(out), get(binBytes)), get(binBytes)), offset);
      code.push(...storeLane(powerAt, power, lane));
    });
    return code;
  };
  k.emit(
    set(sc, splat(get(scale))),
    set(h, splat(get(half))),
    // DC and Nyquist: scale·(re₀ ± im₀), imaginary parts zero.
    set(zr, load(get(re))),
    set(zi, load(get(im))),
    set(ar, fmul(get(sc), fadd(get(zr), get(zi)))),
    set(br, fmul(get(sc), fsub(get(zr), get(zi)))),
    outputs(i32(0), ar, zero),
    outputs(sub(get(binBytes), i32(8)), br, zero),
    set(k8, i32(8)),
    doWhile(k8, i32(8), get(quarterBytes), [
      ...set(q8, sub(sub(get(binBytes), i32(8)), get(k8))),
      ...set(zr, load(add(get(re), add(get(k8), get(k8))))),
      ...set(zi, load(add(get(im), add(get(k8), get(k8))))),
      ...set(yr, load(add(get(re), add(get(q8), get(q8))))),
      ...set(yi, load(add(get(im), add(get(q8), get(q8))))),
      ...set(sr, fadd(get(zr), get(yr))),
      ...set(di, fsub(get(zi), get(yi))),
      ...set(or, fadd(get(zi), get(yi))),
      ...set(oi, fsub(get(yr), get(zr))),
      ...set(c, loadSplat(add(get(cos), get(k8)))),
      ...set(s, loadSplat(add(get(sin), get(k8)))),
      ...set(wr, fadd(fmul(get(c), get(or)), fmul(get(s), get(oi)))),
      ...set(wi, fsub(fmul(get(c), get(oi)), fmul(get(s), get(or)))),
      ...set(ar, fmul(get(h), fadd(get(sr), get(wr)))),
      ...set(ai, fmul(get(h), fadd(get(di), get(wi)))),
      ...set(br, fmul(get(h), fsub(get(sr), get(wr)))),
      ...set(bi, fmul(get(h), fsub(get(wi), get(di)))),
      ...outputs(get(k8), ar, ai),
      ...outputs(get(q8), br, bi),
    ], true),
  );
  return k;
}

// merge(specA, specB, gainA, gainB, slot, slotEnd, cos, sin, re, im, binBytes, quarterBytes,
// h): the inverse split (as PairedRealFft's scalar route): the half spectra (re then im,
// binBytes each) times their gains, merged into points stored at their bit-reversed slots
// (an i32 byte offset per point from `slot` to `slotEnd`).
function merge(): Kernel {
  const k = new Kernel("merge");
  const [specA, specB, gainA, gainB, slot, slotEnd, cos, sin, re, im, binBytes, quarterBytes] =
    Array.from({ length: 12 }, () => k.param(I32));
  const half = k.param(F64);
  const [k8, q8, sk, sq, p, q] = Array.from({ length: 6 }, () => k.local(I32));
  const v = () => k.local(V128);
  const [h, gk, gq, xr, xi, yr, yi, sr, di, dr, si, c, s, or, oi] = Array.from({ length: 15 }, v);
  const spectrumPair = (imaginary: boolean, offset: Code): Code => {
    const shift = (base: number) =>
      imaginary ? add(add(get(base), get(binBytes)), offset) : add(get(base), offset);
    return loadPair(shift(specA), shift(specB));
  };
  const gainPair = (offset: Code) => loadPair(add(get(gainA), offset), add(get(gainB), offset));
  k.emit(
    set(h, splat(get(half))),
    set(q8, sub(get(binBytes), i32(8))),
    set(xr, fmul(spectrumPair(false, i32(0)), gainPair(i32(0)))),
    set(yr, fmul(spectrumPair(false, get(q8)), gainPair(get(q8)))),
    set(p, loadI32(get(slot))),
    store(add(get(re), get(p)), fmul(get(h), fadd(get(xr), get(yr)))),
    store(add(get(im), get(p)), fmul(get(h), fsub(get(xr), get(yr)))),
    set(k8, i32(8)),
    set(sk, add(get(slot), i32(4))),
    set(sq, sub(get(slotEnd), i32(4))),
    doWhile(k8, i32(8), get(quarterBytes), [
      ...set(q8, sub(sub(get(binBytes), i32(8)), get(k8))),
      ...set(gk, gainPair(get(k8))),
      ...set(gq, gainPair(get(q8))),
      ...set(xr, fmul(spectrumPair(false, get(k8)), get(gk))),
      ...set(xi, fmul(spectrumPair(true, get(k8)), get(gk))),
      ...set(yr, fmul(spectrumPair(false, get(q8)), get(gq))),
      ...set(yi, fmul(spectrumPair(true, get(q8)), get(gq))),
      ...set(sr, fadd(get(xr), get(yr))),
      ...set(di, fsub(get(xi), get(yi))),
      ...set(dr, fsub(get(xr), get(yr))),
      ...set(si, fadd(get(xi), get(yi))),
      ...set(c, loadSplat(add(get(cos), get(k8)))),
      ...set(s, loadSplat(add(get(sin), get(k8)))),
      ...set(or, fsub(fmul(get(dr), get(c)), fmul(get(si), get(s)))),
      ...set(oi, fadd(fmul(get(dr), get(s)), fmul(get(si), get(c)))),
      ...set(p, loadI32(get(sk))),
      ...set(q, loadI32(get(sq))),
      ...store(add(get(re), get(p)), fmul(get(h), fsub(get(sr), get(oi)))),
      ...store(add(get(im), get(p)), fmul(get(h), fadd(get(di), get(or)))),
      ...store(add(get(re), get(q)), fmul(get(h), fadd(get(sr), get(oi)))),
      ...store(add(get(im), get(q)), fmul(get(h), fsub(get(or), get(di)))),
      ...set(sk, add(get(sk), i32(4))),
      ...set(sq, sub(get(sq), i32(4))),
    ], true),
  );
  return k;
}

// unpack(re, im, window, frameA, frameB, bytes): the time samples of both lanes after the
// inverse transform, times the window: frameA[2n], frameA[2n+1] = re[n], im[n] of lane 0
// (and lane 1 for frameB), for n = 0 … N/2 − 1 (bytes = 16·N/2).
function unpack(): Kernel {
  const k = new Kernel("unpack");
  const [re, im, window, frameA, frameB, bytes] = Array.from({ length: 6 }, () => k.param(I32));
  const n = k.local(I32);
  const [w, r, i] = [k.local(V128), k.local(V128), k.local(V128)];
  k.emit(
    set(n, i32(0)),
    doWhile(n, i32(16), get(bytes), [
      ...set(w, load(add(get(window), get(n)))),
      ...set(r, load(add(get(re), get(n)))),
      ...set(i, load(add(get(im), get(n)))),
      ...store(add(get(frameA), get(n)), fmul(shuffle(get(r), get(i), 0, 2), get(w))),
      ...store(add(get(frameB), get(n)), fmul(shuffle(get(r), get(i), 1, 3), get(w))),
    ]),
  );
  return k;
}

/** The kernels bound to one memory; every address and length is in bytes. */
export interface SimdFftKernels {
  /** The memory all arrays live in, at least as large as asked for. */
  memory: WebAssembly.Memory;
  radix2(a: number, b: number, bytes: number): void;
  radix4Unit(a: number, b: number, bytes: number, q: number, tw: number): void;
  radix4(a: number, b: number, bytes: number, q: number, tw: number): void;
  gather(
    frameA: number,
    frameB: number,
    window: number,
    slot: number,
    re: number,
    im: number,
    bytes: number,
  ): void;
  splitSpectrum(
    re: number,
    im: number,
    cos: number,
    sin: number,
    outA: number,
    outB: number,
    binBytes: number,
    quarterBytes: number,
    scale: number,
    half: number,
  ): void;
  splitPower(
    re: number,
    im: number,
    cos: number,
    sin: number,
    outA: number,
    outB: number,
    binBytes: number,
    quarterBytes: number,
    scale: number,
    half: number,
  ): void;
  merge(
    specA: number,
    specB: number,
    gainA: number,
    gainB: number,
    slot: number,
    slotEnd: number,
    cos: number,
    sin: number,
    re: number,
    im: number,
    binBytes: number,
    quarterBytes: number,
    half: number,
  ): void;
  unpack(
    re: number,
    im: number,
    window: number,
    frameA: number,
    frameB: number,
    bytes: number,
  ): void;
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * The kernels with a fresh memory of at least `bytes` bytes, or null where WebAssembly SIMD
 * is not available (callers then use the scalar route, which computes the same values).
 */
export function simdFftKernels(bytes: number): SimdFftKernels | null {
  if (compiled === undefined) {
    compiled = compileKernels(() => [
      radix2(),
      radix4(false),
      radix4(true),
      gather(),
      split(true),
      split(false),
      merge(),
      unpack(),
    ]);
  }
  if (compiled === null) return null;
  const { memory, exports } = instantiate(compiled, bytes);
  return { memory, ...exports } as unknown as SimdFftKernels;
}
