/**
 * A WebAssembly SIMD kernel that runs one LSTM layer over a block of frames of one stream: at
 * every step the recurrent product, the gates and the state update, four units per
 * instruction, with no return to JavaScript between steps. It serves the stepper
 * (`lstm_stepper.ts`) for layers whose width is a multiple of 4; classifying one 3 s window
 * (two layers of 64 units over 94 frames) spends most of its time there.
 *
 * Arithmetic is float32 throughout (the products sum in four lanes; `tanh` is the rational
 * approximation of `fastTanh` (`lstm_kernels.ts`) evaluated in float32, and the logistic sigmoid is
 * `(1 + tanh(x / 2)) / 2`), so results agree with the scalar stepper to float32 rounding, not
 * bit for bit (tests in `lstm_stepper_test.ts`).
 *
 * The module is assembled here from its opcodes, as `simd_gemm.ts` is; each layer gets its own
 * instance and memory, holding its weights for its lifetime.
 *
 * @module
 */

import { I32, MODULE_HEADER, name, section, uleb, V128 } from "../wasm/encoder.ts";
import { horizontalSums, op } from "../wasm/simd_f32.ts";
import type { PreparedLstm } from "./lstm_kernels.ts";
import { TANH_DENOMINATOR, TANH_NUMERATOR } from "./kernel_constants.ts";

// Parameters (all i32): steps, unitBytes (4·units), recurrentT ([4u, u] row-major), bias ([4u]),
// h0 ([u], the state before the first step), c ([u], updated in place), gates ([steps, 4u],
// the input projection, overwritten), out ([steps, u]).
const [STEPS, UB, RT, BIAS, H0, C, Z, OUT] = [0, 1, 2, 3, 4, 5, 6, 7];
// i32 locals.
const [T, J, P, K, ZT, HP, B0, B1, B2, B3, OT, GB] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
const I32_LOCALS = 12;
// v128 locals.
const [S0, S1, S2, S3, X, X0, X1, TX, TX2, TP, GI, GF, GG, CN] = [
  20,
  21,
  22,
  23,
  24,
  25,
  26,
  27,
  28,
  29,
  30,
  31,
  32,
  33,
];
const V128_LOCALS = 14;

// Odd numerator and even denominator of the float32 tanh approximation (as fastTanh), and the
// point beyond which float32 tanh is ±1.
const TN = TANH_NUMERATOR;
const TD = TANH_DENOMINATOR;
const TANH_CLAMP = 7.90531110763549805;

/** Code leaving tanh of `x` (code leaving a v128) on the stack; uses TX, TX2 and TP. */
function tanh(x: number[]): number[] {
  const code = [
    ...x,
    ...op.f32x4(-TANH_CLAMP),
    ...op.fmax,
    ...op.f32x4(TANH_CLAMP),
    ...op.fmin,
    ...op.tee(TX),
    ...op.get(TX),
    ...op.fmul,
    ...op.set(TX2),
  ];
  // numerator: x · (TN0 + x² (TN1 + … ))
  code.push(...op.f32x4(TN[TN.length - 1]));
  for (let i = TN.length - 2; i >= 0; i--) {
    code.push(...op.get(TX2), ...op.fmul, ...op.f32x4(TN[i]), ...op.fadd);
  }
  code.push(...op.get(TX), ...op.fmul, ...op.set(TP));
  code.push(...op.get(TP), ...op.f32x4(TD[TD.length - 1]));
  for (let i = TD.length - 2; i >= 0; i--) {
    code.push(...op.get(TX2), ...op.fmul, ...op.f32x4(TD[i]), ...op.fadd);
  }
  code.push(...op.fdiv);
  return code;
}

/** Code leaving the gate nonlinearity of `x` on the stack. */
function gate(x: number[], hard: boolean): number[] {
  if (hard) {
    // clip(0.2 x + 0.5, 0, 1), as tfjs's hardSigmoid
    return [
      ...x,
      ...op.f32x4(0.2),
      ...op.fmul,
      ...op.f32x4(0.5),
      ...op.fadd,
      ...op.f32x4(0),
      ...op.fmax,
      ...op.f32x4(1),
      ...op.fmin,
    ];
  }
  return [
    ...op.f32x4(0.5),
    ...tanh([...x, ...op.f32x4(0.5), ...op.fmul]),
    ...op.fmul,
    ...op.f32x4(0.5),
    ...op.fadd,
  ];
}

function body(hard: boolean): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((p) => code.push(...p));
  // GB = bytes of one gate row (16 u); nothing to do for zero steps.
  emit(op.get(UB), op.i32(4), op.mul, op.set(GB));
  emit(op.block, op.get(STEPS), op.eqz, op.brIf(0));
  emit(op.get(H0), op.set(HP), op.get(Z), op.set(ZT), op.get(OUT), op.set(OT));
  emit(op.i32(0), op.set(T), op.loop);
  // gates[t][j..j+3] += bias + Σ_p h[p] · R[p][j..j+3], four gate columns per pass (J runs
  // over the 4u gate columns, and 4u is also UB's value)
  emit(op.i32(0), op.set(J), op.loop);
  emit(op.get(RT), op.get(J), op.get(UB), op.mul, op.add, op.set(B0));
  emit(op.get(B0), op.get(UB), op.add, op.set(B1));
  emit(op.get(B1), op.get(UB), op.add, op.set(B2));
  emit(op.get(B2), op.get(UB), op.add, op.set(B3));
  for (const s of [S0, S1, S2, S3]) emit(op.zero, op.set(s));
  emit(op.i32(0), op.set(P), op.loop);
  emit(op.get(HP), op.get(P), op.add, op.load, op.set(X));
  [B0, B1, B2, B3].forEach((row, i) => {
    const s = [S0, S1, S2, S3][i];
    emit(op.get(s), op.get(X), op.get(row), op.get(P), op.add, op.load, op.fmul, op.fadd);
    emit(op.set(s));
  });
  emit(op.get(P), op.i32(16), op.add, op.tee(P), op.get(UB), op.ltU, op.brIf(0), op.end);
  // address ZT + 4j, then sums + gates + bias, then store
  emit(op.get(ZT), op.get(J), op.i32(4), op.mul, op.add);
  emit(horizontalSums([S0, S1, S2, S3], X0, X1));
  emit(op.get(ZT), op.get(J), op.i32(4), op.mul, op.add, op.load, op.fadd);
  emit(op.get(BIAS), op.get(J), op.i32(4), op.mul, op.add, op.load, op.fadd, op.store);
  emit(op.get(J), op.i32(4), op.add, op.tee(J), op.get(UB), op.ltU, op.brIf(0), op.end);
  // c = f c + i g; h = o tanh(c), four units per pass; K counts bytes within a gate block
  emit(op.i32(0), op.set(K), op.loop);
  emit(op.get(ZT), op.get(K), op.add, op.load, op.set(X));
  emit(gate(op.get(X), hard), op.set(GI));
  emit(op.get(ZT), op.get(UB), op.add, op.get(K), op.add, op.load, op.set(X));
  emit(gate(op.get(X), hard), op.set(GF));
  emit(op.get(ZT), op.get(UB), op.i32(2), op.mul, op.add, op.get(K), op.add, op.load, op.set(X));
  emit(tanh(op.get(X)), op.set(GG));
  emit(op.get(C), op.get(K), op.add); // address for the new c
  emit(op.get(GF), op.get(C), op.get(K), op.add, op.load, op.fmul);
  emit(op.get(GI), op.get(GG), op.fmul, op.fadd, op.tee(CN), op.store);
  emit(op.get(OT), op.get(K), op.add); // address for the new h
  emit(op.get(ZT), op.get(UB), op.i32(3), op.mul, op.add, op.get(K), op.add, op.load, op.set(X));
  emit(gate(op.get(X), hard), tanh(op.get(CN)), op.fmul, op.store);
  emit(op.get(K), op.i32(16), op.add, op.tee(K), op.get(UB), op.ltU, op.brIf(0), op.end);
  // the next step reads this step's output row as its h
  emit(op.get(OT), op.set(HP));
  emit(op.get(OT), op.get(UB), op.add, op.set(OT));
  emit(op.get(ZT), op.get(GB), op.add, op.set(ZT));
  emit(op.get(T), op.i32(1), op.add, op.tee(T), op.get(STEPS), op.ltU, op.brIf(0), op.end);
  emit(op.end); // block
  emit(op.end); // function
  const locals = [...uleb(2), ...uleb(I32_LOCALS), I32, ...uleb(V128_LOCALS), V128];
  return [...locals, ...code];
}

function assemble(): Uint8Array<ArrayBuffer> {
  const funcType = [0x60, ...uleb(8), ...new Array(8).fill(I32), ...uleb(0)];
  const bodies = [body(false), body(true)];
  return new Uint8Array([
    ...MODULE_HEADER,
    ...section(1, [...uleb(1), ...funcType]),
    // import env.memory (min 1 page)
    ...section(2, [
      ...uleb(1),
      ...name("env"),
      ...name("memory"),
      0x02,
      0x00,
      ...uleb(1),
    ]),
    ...section(3, [...uleb(2), ...uleb(0), ...uleb(0)]),
    ...section(7, [
      ...uleb(2),
      ...name("sigmoid"),
      0x00,
      ...uleb(0),
      ...name("hard"),
      0x00,
      ...uleb(1),
    ]),
    ...section(10, [
      ...uleb(2),
      ...bodies.flatMap((b) => [...uleb(b.length), ...b]),
    ]),
  ]);
}

type StepFn = (
  steps: number,
  unitBytes: number,
  recurrentT: number,
  bias: number,
  h0: number,
  c: number,
  gates: number,
  out: number,
) => void;

function compile(): WebAssembly.Module | null {
  try {
    const bytes = assemble();
    if (!WebAssembly.validate(bytes)) return null;
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
}

const module = compile();

/**
 * One LSTM layer's weights in a kernel instance, advanced over blocks of frames whose input
 * projection (`x · kernel`, without bias) the caller has computed.
 */
export interface SimdLstmLayer {
  /**
   * Runs `steps` steps. `gates` is `[steps, 4u]` (the input projection); `h` and `c` are the
   * state before the first step, updated in place to the state after the last; the outputs
   * are written to `out` (`[steps, u]`).
   */
  run(
    steps: number,
    gates: Float32Array,
    h: Float32Array,
    c: Float32Array,
    out: Float32Array,
  ): void;
}

/**
 * Builds a kernel instance for `p`, or returns null when the kernel cannot serve it (no
 * WebAssembly SIMD, or a width that is not a multiple of 4).
 */
export function createSimdLstmLayer(p: PreparedLstm): SimdLstmLayer | null {
  if (module === null || p.units % 4 !== 0) return null;
  const units = p.units, gateSize = 4 * units;
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const step = instance.exports[p.hardSigmoid ? "hard" : "sigmoid"] as StepFn;
  // Layout: recurrentT [4u, u], bias [4u], h0 [u], c [u], then gates and outputs per block.
  const rtPtr = 0;
  const biasPtr = rtPtr + gateSize * units * 4;
  const hPtr = biasPtr + gateSize * 4;
  const cPtr = hPtr + units * 4;
  const blockPtr = cPtr + units * 4;
  const grow = (bytes: number) => {
    const missing = bytes - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  };
  grow(blockPtr);
  new Float32Array(memory.buffer, rtPtr, gateSize * units).set(p.recurrentKernelT);
  new Float32Array(memory.buffer, biasPtr, gateSize).set(p.bias);
  return {
    run(steps, gates, h, c, out) {
      if (steps === 0) return;
      const zPtr = blockPtr, outPtr = zPtr + steps * gateSize * 4;
      grow(outPtr + steps * units * 4);
      const buffer = memory.buffer;
      new Float32Array(buffer, zPtr, steps * gateSize).set(gates.subarray(0, steps * gateSize));
      new Float32Array(buffer, hPtr, units).set(h);
      const cView = new Float32Array(buffer, cPtr, units);
      cView.set(c);
      step(steps, units * 4, rtPtr, biasPtr, hPtr, cPtr, zPtr, outPtr);
      const outView = new Float32Array(buffer, outPtr, steps * units);
      out.set(outView);
      h.set(outView.subarray((steps - 1) * units));
      c.set(cView);
    },
  };
}
