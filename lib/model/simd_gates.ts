/**
 * The per-step gate loops of the training kernels (`lstmForward` and `lstmBackward` in
 * `lstm_kernels.ts`) as WebAssembly SIMD, two units per instruction, for layers with tfjs's
 * `hardSigmoid` gates and an even width. A forward and backward pass of the recipe's first layer
 * (batch 32 × 94 steps × 64 units) took 57–59 ms with the scalar loops and 38–40 ms with these,
 * the second layer 62–73 and 48–52 ms (medians of 20, the routes alternated, two runs).
 *
 * The kernels are the scalar loops' arithmetic operation for operation, in float64 (`f64x2`)
 * with each value rounded to float32 where the scalar code stores it in a `Float32Array`, so
 * their results are equal bit for bit, and a network trained with them is the network the
 * scalar loops train (`lstm_kernels_test.ts` compares the two routes). `fastTanh` beyond ±7.9
 * calls the imported `Math.exp`, as the scalar code does.
 *
 * The arrays a step reads and writes live in one scratch memory per process for the length of a
 * `lstmForward` or `lstmBackward` call, which copies what it keeps out of it before returning.
 * Calls do not nest (training runs one layer's pass at a time), so one scratch serves them all.
 *
 * @module
 */

import {
  add,
  and,
  anyTrue,
  call,
  type Code,
  compileKernels,
  f32NonZero,
  F64,
  f64,
  f64abs,
  f64add,
  f64div,
  f64gt,
  f64lt,
  f64mul,
  f64neg,
  f64sub,
  f64x2,
  fabs,
  fadd,
  fdiv,
  fgt,
  flt,
  fmul,
  forRange,
  fsub,
  get,
  I32,
  i32,
  ifElse,
  instantiate,
  Kernel,
  lane,
  loadF32,
  loadF32Pair,
  mul,
  replaceLane,
  select,
  set,
  storeF32Pair,
  V128,
} from "../wasm/encoder.ts";
import {
  FLUSH_BELOW,
  TANH_DENOMINATOR,
  TANH_NUMERATOR,
  TANH_RATIONAL_LIMIT,
} from "./kernel_constants.ts";

// fastTanh's coefficients (lstm_kernels.ts), in the same order of evaluation.
const TN = TANH_NUMERATOR;
const TD = TANH_DENOMINATOR;
const EXP = 0; // function index of the imported Math.exp

/** Locals that {@link tanhInto} needs besides its input and output. */
interface TanhScratch {
  x2: number;
  xl: number;
  e: number;
  t: number;
}

/** Allocates the locals of {@link tanhInto} in `k`. */
function tanhScratch(k: Kernel): TanhScratch {
  return { x2: k.local(V128), xl: k.local(F64), e: k.local(F64), t: k.local(F64) };
}

/**
 * The address of gate `gate`'s pair of units at byte `kb` of a step's gate row starting at
 * local `base` (gates i, f, c, o, each `unitBytes` long).
 */
function gateAddress(unitBytes: number, kb: number): (base: number, gate: number) => Code {
  return (base, gate) =>
    gate === 0
      ? add(get(base), get(kb))
      : add(add(get(base), mul(get(unitBytes), i32(gate))), get(kb));
}

/**
 * `out = fastTanh(x)` lane by lane, for v128 locals: the rational approximation, then, only in
 * lanes beyond ±7.9, `(1 − e)/(1 + e)` with `e = Math.exp(−2|x|)`, as `fastTanh` computes it.
 */
function tanhInto(out: number, x: number, s: TanhScratch): Code {
  let numerator = fmul(get(s.x2), f64x2(TN[6]));
  for (let i = 5; i >= 1; i--) numerator = fmul(get(s.x2), fadd(f64x2(TN[i]), numerator));
  numerator = fadd(f64x2(TN[0]), numerator);
  let denominator = fmul(get(s.x2), f64x2(TD[3]));
  for (let i = 2; i >= 1; i--) denominator = fmul(get(s.x2), fadd(f64x2(TD[i]), denominator));
  denominator = fadd(f64x2(TD[0]), denominator);
  const fixLane = (index: number): Code => [
    ...set(s.xl, lane(get(x), index)),
    ...ifElse(f64gt(f64abs(get(s.xl)), f64(TANH_RATIONAL_LIMIT)), [
      ...set(s.e, call(EXP, f64mul(f64(-2), f64abs(get(s.xl))))),
      ...set(s.t, f64div(f64sub(f64(1), get(s.e)), f64add(f64(1), get(s.e)))),
      ...ifElse(f64lt(get(s.xl), f64(0)), set(s.t, f64neg(get(s.t)))),
      ...set(out, replaceLane(get(out), index, get(s.t))),
    ]),
  ];
  return [
    ...set(s.x2, fmul(get(x), get(x))),
    ...set(out, fdiv(fmul(get(x), numerator), denominator)),
    ...ifElse(anyTrue(fgt(fabs(get(x)), f64x2(TANH_RATIONAL_LIMIT))), [
      ...fixLane(0),
      ...fixLane(1),
    ]),
  ];
}

/** `hardSigmoid(x)`: `y = 0.2·x + 0.5`, then `y < 0 ? 0 : y > 1 ? 1 : y`. */
function hardSigmoid(x: Code, y: number): Code {
  return [
    ...set(y, fadd(fmul(f64x2(0.2), x), f64x2(0.5))),
    ...select(
      f64x2(1),
      select(f64x2(0), get(y), flt(get(y), f64x2(0))),
      fgt(get(y), f64x2(1)),
    ),
  ];
}

/** The slope of hardSigmoid from its output: 0.2 inside (0, 1), else 0. */
const hardSigmoidSlope = (y: Code): Code =>
  and(f64x2(0.2), and(fgt(y, f64x2(0)), flt(y, f64x2(1))));

/** `flushTiny`: values within ±{@link FLUSH_BELOW} become +0. */
const flushTiny = (x: number): Code =>
  select(f64x2(0), get(x), and(fgt(get(x), f64x2(-FLUSH_BELOW)), flt(get(x), f64x2(FLUSH_BELOW))));

/**
 * One forward step for every sequence of the batch. Parameters (i32 byte addresses and
 * strides): `z`, `c`, `h`: this step's row of sequence 0 in the gates, cells and outputs;
 * `cPrev`, `hPrev`: the previous step's rows of sequence 0 (or a zero block); `prevStride`
 * between sequences there (0 for the zero block); `m`, `maskStride`: the step's mask value of
 * sequence 0 (or a 1) and the stride to the next sequence's; `batch`; `unitBytes` (4·units);
 * `seqGateBytes`, `seqUnitBytes`: strides between sequences in the gates and state arrays.
 */
function forwardKernel(): Kernel {
  const k = new Kernel("forward");
  const [z, c, h, cPrev, hPrev, prevStride, m, maskStride, batch, unitBytes, seqGate, seqUnit] =
    Array.from({ length: 12 }, () => k.param(I32));
  const [b, kb, zo, co, ho, po, qo] = Array.from({ length: 7 }, () => k.local(I32));
  const [gi, gf, gg, go, cp, cn, th, y] = Array.from({ length: 8 }, () => k.local(V128));
  const s = tanhScratch(k);
  const at = gateAddress(unitBytes, kb);
  const activate = (v: number, gate: number): Code =>
    set(v, hardSigmoid(loadF32Pair(at(zo, gate)), y));
  const gatesAndStore: Code = [
    ...activate(gi, 0),
    ...activate(gf, 1),
    ...set(th, loadF32Pair(at(zo, 2))),
    ...tanhInto(gg, th, s),
    ...activate(go, 3),
    ...storeF32Pair(at(zo, 0), get(gi)),
    ...storeF32Pair(at(zo, 1), get(gf)),
    ...storeF32Pair(at(zo, 2), get(gg)),
    ...storeF32Pair(at(zo, 3), get(go)),
    ...set(cp, loadF32Pair(add(get(po), get(kb)))),
  ];
  const kept: Code = [
    ...gatesAndStore,
    ...set(cn, fadd(fmul(get(gf), get(cp)), fmul(get(gi), get(gg)))),
    ...storeF32Pair(add(get(co), get(kb)), get(cn)),
    ...tanhInto(th, cn, s),
    ...storeF32Pair(add(get(ho), get(kb)), fmul(get(go), get(th))),
  ];
  const carried: Code = [
    ...gatesAndStore,
    ...storeF32Pair(add(get(co), get(kb)), get(cp)),
    ...storeF32Pair(add(get(ho), get(kb)), loadF32Pair(add(get(qo), get(kb)))),
  ];
  k.emit(
    forRange(b, i32(0), get(batch), i32(1), [
      ...set(zo, add(get(z), mul(get(b), get(seqGate)))),
      ...set(co, add(get(c), mul(get(b), get(seqUnit)))),
      ...set(ho, add(get(h), mul(get(b), get(seqUnit)))),
      ...set(po, add(get(cPrev), mul(get(b), get(prevStride)))),
      ...set(qo, add(get(hPrev), mul(get(b), get(prevStride)))),
      ...ifElse(
        f32NonZero(loadF32(add(get(m), mul(get(b), get(maskStride))))),
        forRange(kb, i32(0), get(unitBytes), i32(8), kept),
        forRange(kb, i32(0), get(unitBytes), i32(8), carried),
      ),
    ]),
  );
  return k;
}

/**
 * One backward step for every sequence of the batch. Parameters (i32 byte addresses and
 * strides): `z`, `c`, `dz`: this step's row of sequence 0 in the gates, cells and gate
 * gradients; `cPrev`, `prevStride` as in the forward kernel; `dh`, `dc`, `carried`: the
 * `[batch, units]` arrays `dhNext`, `dcNext` and `dhCarried`; `m`, `maskStride` as forward;
 * `dy`, `dyStride`: this step's output gradient of sequence 0 and the stride between sequences
 * (a zero block and 0 when the step has none); `batch`, `unitBytes`, `seqGateBytes`,
 * `seqUnitBytes`.
 */
function backwardKernel(): Kernel {
  const k = new Kernel("backward");
  const [z, c, dz, cPrev, prevStride, dh, dc, carried, m, maskStride, dy, dyStride] = Array.from(
    { length: 12 },
    () => k.param(I32),
  );
  const [batch, unitBytes, seqGate, seqUnit] = Array.from({ length: 4 }, () => k.param(I32));
  const [b, kb, zo, co, dzo, bo, po, yo] = Array.from({ length: 8 }, () => k.local(I32));
  const [gi, gf, gg, go, cp, hd, cd, tc, t, v] = Array.from({ length: 10 }, () => k.local(V128));
  const s = tanhScratch(k);
  const at = gateAddress(unitBytes, kb);
  const rowAt = (base: number) => add(add(get(base), get(bo)), get(kb));
  const dhPlusDy = set(hd, fadd(loadF32Pair(rowAt(dh)), loadF32Pair(add(get(yo), get(kb)))));
  const storeFlushed = (address: Code, value: Code): Code => [
    ...set(v, value),
    ...storeF32Pair(address, flushTiny(v)),
  ];
  const kept: Code = [
    ...dhPlusDy,
    ...set(gi, loadF32Pair(at(zo, 0))),
    ...set(gf, loadF32Pair(at(zo, 1))),
    ...set(gg, loadF32Pair(at(zo, 2))),
    ...set(go, loadF32Pair(at(zo, 3))),
    ...set(cp, loadF32Pair(add(get(po), get(kb)))),
    ...set(t, loadF32Pair(add(get(co), get(kb)))),
    ...tanhInto(tc, t, s),
    ...set(
      cd,
      fadd(
        loadF32Pair(rowAt(dc)),
        fmul(fmul(get(hd), get(go)), fsub(f64x2(1), fmul(get(tc), get(tc)))),
      ),
    ),
    ...storeFlushed(rowAt(dc), fmul(get(cd), get(gf))),
    ...storeFlushed(at(dzo, 0), fmul(fmul(get(cd), get(gg)), hardSigmoidSlope(get(gi)))),
    ...storeFlushed(at(dzo, 1), fmul(fmul(get(cd), get(cp)), hardSigmoidSlope(get(gf)))),
    ...storeFlushed(
      at(dzo, 2),
      fmul(fmul(get(cd), get(gi)), fsub(f64x2(1), fmul(get(gg), get(gg)))),
    ),
    ...storeFlushed(at(dzo, 3), fmul(fmul(get(hd), get(tc)), hardSigmoidSlope(get(go)))),
  ];
  const masked: Code = [...dhPlusDy, ...storeF32Pair(rowAt(carried), get(hd))];
  k.emit(
    forRange(b, i32(0), get(batch), i32(1), [
      ...set(zo, add(get(z), mul(get(b), get(seqGate)))),
      ...set(dzo, add(get(dz), mul(get(b), get(seqGate)))),
      ...set(co, add(get(c), mul(get(b), get(seqUnit)))),
      ...set(po, add(get(cPrev), mul(get(b), get(prevStride)))),
      ...set(yo, add(get(dy), mul(get(b), get(dyStride)))),
      ...set(bo, mul(get(b), get(unitBytes))),
      ...ifElse(
        f32NonZero(loadF32(add(get(m), mul(get(b), get(maskStride))))),
        forRange(kb, i32(0), get(unitBytes), i32(8), kept),
        forRange(kb, i32(0), get(unitBytes), i32(8), masked),
      ),
    ]),
  );
  return k;
}

type KernelFn = (...args: number[]) => void;

interface Scratch {
  memory: WebAssembly.Memory;
  forward: KernelFn;
  backward: KernelFn;
}

let scratch: Scratch | null | undefined;

function kernels(): Scratch | null {
  if (scratch === undefined) {
    const module = compileKernels(() => [forwardKernel(), backwardKernel()], [
      { name: "exp", params: 1, results: 1 },
    ]);
    if (module === null) {
      scratch = null;
    } else {
      const { memory, exports } = instantiate(module, 1 << 20, { exp: Math.exp });
      scratch = {
        memory,
        forward: exports.forward as KernelFn,
        backward: exports.backward as KernelFn,
      };
    }
  }
  return scratch;
}

/** Whether the kernels can run a layer of `units` with these gates in this runtime. */
export function simdGatesAvailable(units: number, hardSigmoid: boolean): boolean {
  return hardSigmoid && units % 2 === 0 && kernels() !== null;
}

// The first bytes of the scratch: a zero block (previous state of step 0, absent output
// gradients) and a float32 1 (the mask of unmasked batches); arrays follow.
const ONE = 0;
const ZERO = 16;

/**
 * Lays out `lengths` float32 arrays after a zero block of `zeroFloats` in the scratch memory,
 * growing it if needed, and returns their views and byte addresses. The zero block and the 1
 * are rewritten on every call; the arrays hold whatever the last call left.
 */
function layout(
  s: Scratch,
  zeroFloats: number,
  lengths: number[],
): { views: Float32Array[]; addresses: number[] } {
  const align = (n: number) => Math.ceil(n / 16) * 16;
  let next = align(ZERO + 4 * zeroFloats);
  const addresses = lengths.map((length) => {
    const at = next;
    next = align(at + 4 * length);
    return at;
  });
  const missing = next - s.memory.buffer.byteLength;
  if (missing > 0) s.memory.grow(Math.ceil(missing / 65536));
  const buffer = s.memory.buffer;
  new Float32Array(buffer, ONE, 1)[0] = 1;
  new Float32Array(buffer, ZERO, zeroFloats).fill(0);
  return {
    views: lengths.map((length, i) => new Float32Array(buffer, addresses[i], length)),
    addresses,
  };
}

/** Geometry of a batch in the scratch, shared by both passes. */
export interface GateGeometry {
  batchSize: number;
  timeSteps: number;
  units: number;
}

/**
 * Scratch arrays for one forward pass: `gates` (`[batch, time, 4u]`), `cells` and `hidden`
 * (`[batch, time, u]`), and `step(s)`, which runs step `s`'s gate loop once `gates` holds the
 * step's pre-activations. Valid until the next call into this module.
 */
export interface ForwardScratch {
  gates: Float32Array;
  cells: Float32Array;
  hidden: Float32Array;
  step(s: number): void;
}

/**
 * Prepares the scratch for a forward pass over a batch with `mask` (`[batch, time]` in
 * processing order, copied in) or none; null where the kernels cannot run.
 */
export function forwardScratch(
  g: GateGeometry,
  mask: Float32Array | null,
): ForwardScratch | null {
  const s = kernels();
  if (s === null) return null;
  const { batchSize, timeSteps, units } = g;
  const rows = batchSize * timeSteps;
  const masked = mask !== null;
  const { views, addresses } = layout(s, units, [
    rows * 4 * units,
    rows * units,
    rows * units,
    masked ? rows : 0,
  ]);
  if (masked) views[3].set(mask);
  const [zA, cA, hA, mA] = addresses;
  const unitBytes = 4 * units, seqUnit = timeSteps * unitBytes, seqGate = 4 * seqUnit;
  return {
    gates: views[0],
    cells: views[1],
    hidden: views[2],
    step(t) {
      const row = t * unitBytes;
      s.forward(
        zA + 4 * row,
        cA + row,
        hA + row,
        t > 0 ? cA + row - unitBytes : ZERO,
        t > 0 ? hA + row - unitBytes : ZERO,
        t > 0 ? seqUnit : 0,
        masked ? mA + 4 * t : ONE,
        masked ? 4 * timeSteps : 0,
        batchSize,
        unitBytes,
        seqGate,
        seqUnit,
      );
    },
  };
}

/**
 * Scratch arrays for one backward pass: copies of the trace's `gates` and `cells`, the gate
 * gradients `dZ` (zero), the `[batch, u]` arrays `dhNext`, `dcNext` and `dhCarried` (zero), the
 * mask (when given) and `dOutput`; `step(s)` runs step `s`'s gate loop and returns whether any
 * sequence is masked at that step. Valid until the next call into this module.
 */
export interface BackwardScratch {
  dZ: Float32Array;
  dhNext: Float32Array;
  dhCarried: Float32Array;
  step(s: number): boolean;
}

/** Prepares the scratch for a backward pass; null where the kernels cannot run. */
export function backwardScratch(
  g: GateGeometry,
  gates: Float32Array,
  cells: Float32Array,
  mask: Float32Array | null,
  dOutput: Float32Array,
  returnSequences: boolean,
): BackwardScratch | null {
  const s = kernels();
  if (s === null) return null;
  const { batchSize, timeSteps, units } = g;
  const rows = batchSize * timeSteps;
  const { views, addresses } = layout(s, units, [
    gates.length,
    cells.length,
    rows * 4 * units,
    batchSize * units,
    batchSize * units,
    batchSize * units,
    mask === null ? 0 : mask.length,
    dOutput.length,
  ]);
  const [zA, cA, dzA, dhA, dcA, carriedA, mA, dyA] = addresses;
  views[0].set(gates);
  views[1].set(cells);
  for (const i of [2, 3, 4, 5]) views[i].fill(0);
  if (mask !== null) views[6].set(mask);
  views[7].set(dOutput);
  const unitBytes = 4 * units, seqUnit = timeSteps * unitBytes, seqGate = 4 * seqUnit;
  return {
    dZ: views[2],
    dhNext: views[3],
    dhCarried: views[5],
    step(t) {
      const row = t * unitBytes;
      const last = t === timeSteps - 1;
      s.backward(
        zA + 4 * row,
        cA + row,
        dzA + 4 * row,
        t > 0 ? cA + row - unitBytes : ZERO,
        t > 0 ? seqUnit : 0,
        dhA,
        dcA,
        carriedA,
        mask === null ? ONE : mA + 4 * t,
        mask === null ? 0 : 4 * timeSteps,
        returnSequences ? dyA + row : last ? dyA : ZERO,
        returnSequences ? seqUnit : last ? unitBytes : 0,
        batchSize,
        unitBytes,
        seqGate,
        seqUnit,
      );
      if (mask === null) return false;
      for (let b = 0; b < batchSize; b++) if (mask[b * timeSteps + t] === 0) return true;
      return false;
    },
  };
}
