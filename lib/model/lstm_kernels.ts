/**
 * Whole-sequence LSTM forward and backward passes over typed arrays, with no tfjs on the hot path.
 *
 * The maths is exactly tfjs 4.22's `LSTMCell` (Keras "implementation 2"): gates i, f, c, o are the
 * four consecutive `units`-wide blocks of `x·kernel + h·recurrentKernel + bias`;
 * `c' = f·c + i·tanh(z_c)`, `h' = o·tanh(c')`. Masking follows tfjs's `rnn()`: on a masked step the
 * state is carried and the output repeats the previous output. With `goBackwards` the sequence is
 * consumed from the end and the returned sequence is in processing order, as tfjs returns it.
 *
 * @module
 */

import { dense, gemmNT, type MatrixView, prepareRight, transpose } from "./gemm.ts";
import { backwardScratch, forwardScratch, simdGatesAvailable } from "./simd_gates.ts";
import {
  FLUSH_BELOW,
  TANH_DENOMINATOR,
  TANH_NUMERATOR,
  TANH_RATIONAL_LIMIT,
} from "./kernel_constants.ts";

let simdGates = true;

/**
 * Turns the WebAssembly gate loops of {@link lstmForward} and {@link lstmBackward}
 * (`simd_gates.ts`) on or off for every later call that does not choose itself, and returns the
 * previous setting. Both routes give the same results bit for bit; the switch is there to
 * compare them (tests, `deno task bench`).
 */
export function setSimdGates(enabled: boolean): boolean {
  const previous = simdGates;
  simdGates = enabled;
  return previous;
}

/** Gate nonlinearities the fused kernels implement (tfjs's default is `hardSigmoid`). */
export type GateActivation = "hardSigmoid" | "sigmoid";

/**
 * One LSTM layer's weights in tfjs's layout: `kernel` is `[inputSize, 4·units]`,
 * `recurrentKernel` is `[units, 4·units]`, `bias` is `[4·units]` (null when `useBias` is false),
 * with the gate blocks in the order i, f, c, o along the last axis.
 */
export interface LstmWeights {
  /** Features per input frame. */
  inputSize: number;
  /** Width of the hidden and cell state. */
  units: number;
  /** `[inputSize, 4·units]`, row-major. */
  kernel: Float32Array;
  /** `[units, 4·units]`, row-major. */
  recurrentKernel: Float32Array;
  /** `[4·units]`, or null for a layer built with `useBias: false`. */
  bias: Float32Array | null;
  /** Nonlinearity of the i, f and o gates. */
  recurrentActivation: GateActivation;
}

/**
 * Weights rearranged once for the kernels: transposed copies so that every product reads
 * contiguous rows, and a zero bias in place of a missing one. Prepare once per weight update
 * (per batch in training, once for inference) and reuse across sequences.
 */
export interface PreparedLstm {
  /** Features per input frame. */
  inputSize: number;
  /** Width of the hidden and cell state. */
  units: number;
  /** `[inputSize, 4·units]` as given. */
  kernel: Float32Array;
  /** `[4·units, inputSize]`. */
  kernelT: Float32Array;
  /** `[units, 4·units]` as given. */
  recurrentKernel: Float32Array;
  /** `[4·units, units]`. */
  recurrentKernelT: Float32Array;
  /** `[4·units]`, zeros when the layer has no bias. */
  bias: Float32Array;
  /** True for tfjs's `hardSigmoid` gates, false for the logistic sigmoid. */
  hardSigmoid: boolean;
}

/**
 * Checks shapes and builds a {@link PreparedLstm}. Throws a `RangeError` naming the expected and
 * actual lengths when an array does not fit `inputSize`/`units`, because a silently misread
 * weight matrix gives plausible-looking garbage.
 */
export function prepareLstm(weights: LstmWeights): PreparedLstm {
  const { inputSize, units } = weights;
  if (!(inputSize > 0 && units > 0)) {
    throw new RangeError(
      `Expected inputSize > 0 and units > 0, but got inputSize=${inputSize}, units=${units}`,
    );
  }
  const gateSize = 4 * units;
  expectLength("kernel", weights.kernel, inputSize * gateSize);
  expectLength("recurrentKernel", weights.recurrentKernel, units * gateSize);
  if (weights.bias !== null) expectLength("bias", weights.bias, gateSize);
  if (weights.recurrentActivation !== "hardSigmoid" && weights.recurrentActivation !== "sigmoid") {
    throw new RangeError(
      `Expected recurrentActivation "hardSigmoid" or "sigmoid", but got "${weights.recurrentActivation}"`,
    );
  }
  return {
    inputSize,
    units,
    kernel: weights.kernel,
    kernelT: transpose(weights.kernel, inputSize, gateSize),
    recurrentKernel: weights.recurrentKernel,
    recurrentKernelT: transpose(weights.recurrentKernel, units, gateSize),
    bias: weights.bias ?? new Float32Array(gateSize),
    hardSigmoid: weights.recurrentActivation === "hardSigmoid",
  };
}

function expectLength(name: string, array: Float32Array | null, length: number): void {
  if (array !== null && array.length !== length) {
    throw new RangeError(`Expected ${name} of length ${length}, but got ${array.length}`);
  }
}

/**
 * A batch of sequences for {@link lstmForward}: `x` is `[batchSize, timeSteps, inputSize]`;
 * `mask` (optional) is `[batchSize, timeSteps]` with 0 for padded steps, as a Masking layer
 * produces.
 */
export interface LstmSequenceBatch {
  /** `[batchSize, timeSteps, inputSize]`, row-major. */
  x: Float32Array;
  /** Sequences in the batch. */
  batchSize: number;
  /** Frames per sequence. */
  timeSteps: number;
  /** `[batchSize, timeSteps]`, zero where a step is padding; null when every step is real. */
  mask?: Float32Array | null;
  /** Consume each sequence from its last frame to its first. */
  goBackwards?: boolean;
  /**
   * Training-time input dropout, `[batchSize, inputSize]`: 0 or 1/(1 − rate), applied to every
   * frame of a sequence (tfjs draws one mask per call and reuses it at each step).
   */
  inputDropoutMask?: Float32Array | null;
  /** Training-time dropout on the state fed back to the recurrent kernel, `[batchSize, units]`. */
  recurrentDropoutMask?: Float32Array | null;
}

/**
 * Everything the forward pass computed, in processing order (reversed time for `goBackwards`),
 * kept so that {@link lstmBackward} needs no recomputation of the recurrence.
 */
export interface LstmTrace {
  /** Sequences in the batch. */
  batchSize: number;
  /** Frames per sequence. */
  timeSteps: number;
  /** Whether the sequences were consumed back to front. */
  goBackwards: boolean;
  /** Inputs in processing order, `[batchSize, timeSteps, inputSize]`. */
  xProcessed: Float32Array;
  /** Mask in processing order, `[batchSize, timeSteps]`, or null. */
  maskProcessed: Float32Array | null;
  /** Input dropout mask, `[batchSize, inputSize]`, or null; already applied to xProcessed. */
  inputDropoutMask: Float32Array | null;
  /** Recurrent dropout mask, `[batchSize, units]`, or null. */
  recurrentDropoutMask: Float32Array | null;
  /** Gate activations i, f, g = tanh(z_c), o per step, `[batchSize, timeSteps, 4·units]`. */
  gates: Float32Array;
  /** Cell state after each step, `[batchSize, timeSteps, units]`. */
  cells: Float32Array;
  /** Output after each step (tfjs's returned sequence), `[batchSize, timeSteps, units]`. */
  hidden: Float32Array;
}

/**
 * Runs the LSTM over whole sequences from a zero initial state and returns every step's output
 * and the saved activations. The input projection `x·kernel + bias` is one product over all
 * frames; only `h·recurrentKernel` has to run step by step, for all sequences of the batch at
 * once.
 */
export function lstmForward(
  p: PreparedLstm,
  batch: LstmSequenceBatch,
  useSimd = simdGates,
): LstmTrace {
  const { batchSize, timeSteps } = batch;
  const { inputSize, units } = p;
  const gateSize = 4 * units;
  if (batch.x.length !== batchSize * timeSteps * inputSize) {
    throw new RangeError(
      `Expected x of length ${batchSize * timeSteps * inputSize} ` +
        `([${batchSize}, ${timeSteps}, ${inputSize}]), but got ${batch.x.length}`,
    );
  }
  const goBackwards = batch.goBackwards ?? false;
  const mask = batch.mask ?? null;
  if (mask !== null && mask.length !== batchSize * timeSteps) {
    throw new RangeError(
      `Expected mask of length ${batchSize * timeSteps}, but got ${mask.length}`,
    );
  }
  const inputDropoutMask = batch.inputDropoutMask ?? null;
  const recurrentDropoutMask = batch.recurrentDropoutMask ?? null;
  expectLength("inputDropoutMask", inputDropoutMask, batchSize * inputSize);
  expectLength("recurrentDropoutMask", recurrentDropoutMask, batchSize * units);
  let xProcessed = goBackwards ? reverseTime(batch.x, batchSize, timeSteps, inputSize) : batch.x;
  if (inputDropoutMask !== null) {
    xProcessed = scaleRows(xProcessed, batchSize, timeSteps, inputSize, inputDropoutMask);
  }
  const maskProcessed = mask !== null && goBackwards
    ? reverseTime(mask, batchSize, timeSteps, 1)
    : mask;

  const rowCount = batchSize * timeSteps;
  // The gate loops run in simd_gates.ts's kernels where they can (same results bit for bit),
  // on arrays in its scratch memory that are copied out at the end.
  const simd = useSimd && simdGatesAvailable(units, p.hardSigmoid)
    ? forwardScratch({ batchSize, timeSteps, units }, maskProcessed)
    : null;
  const gates = simd?.gates ?? new Float32Array(rowCount * gateSize);
  const cells = simd?.cells ?? new Float32Array(rowCount * units);
  const hidden = simd?.hidden ?? new Float32Array(rowCount * units);

  gemmNT(
    rowCount,
    gateSize,
    inputSize,
    dense(xProcessed, inputSize),
    dense(p.kernelT, inputSize),
    dense(gates, gateSize),
    false,
  );
  const bias = p.bias;
  for (let r = 0; r < rowCount; r++) {
    const o = r * gateSize;
    for (let j = 0; j < gateSize; j++) gates[o + j] += bias[j];
  }

  const hard = p.hardSigmoid;
  const seqGateStride = timeSteps * gateSize, seqUnitStride = timeSteps * units;
  const recurrent = prepareRight(dense(p.recurrentKernelT, units), gateSize, units);
  const droppedState = recurrentDropoutMask === null ? null : new Float32Array(batchSize * units);
  try {
    for (let s = 0; s < timeSteps; s++) {
      if (s > 0) {
        let state: MatrixView = { data: hidden, offset: (s - 1) * units, rowStride: seqUnitStride };
        if (droppedState !== null) {
          for (let b = 0; b < batchSize; b++) {
            const src = (b * timeSteps + s - 1) * units, dst = b * units;
            for (let k = 0; k < units; k++) {
              droppedState[dst + k] = hidden[src + k] * recurrentDropoutMask![dst + k];
            }
          }
          state = dense(droppedState, units);
        }
        recurrent.multiply(
          batchSize,
          state,
          { data: gates, offset: s * gateSize, rowStride: seqGateStride },
          true,
        );
      }
      if (simd !== null) {
        simd.step(s);
        continue;
      }
      for (let b = 0; b < batchSize; b++) {
        const row = b * timeSteps + s;
        const zo = row * gateSize, ho = row * units, prev = ho - units;
        const keep = maskProcessed === null || maskProcessed[row] !== 0;
        for (let k = 0; k < units; k++) {
          const zi = gates[zo + k], zf = gates[zo + units + k];
          const zc = gates[zo + 2 * units + k], zOut = gates[zo + 3 * units + k];
          const i = hard ? hardSigmoid(zi) : sigmoid(zi);
          const f = hard ? hardSigmoid(zf) : sigmoid(zf);
          const g = fastTanh(zc);
          const o = hard ? hardSigmoid(zOut) : sigmoid(zOut);
          gates[zo + k] = i;
          gates[zo + units + k] = f;
          gates[zo + 2 * units + k] = g;
          gates[zo + 3 * units + k] = o;
          const cPrev = s > 0 ? cells[prev + k] : 0;
          if (keep) {
            const c = f * cPrev + i * g;
            cells[ho + k] = c;
            hidden[ho + k] = o * fastTanh(c);
          } else {
            cells[ho + k] = cPrev;
            hidden[ho + k] = s > 0 ? hidden[prev + k] : 0;
          }
        }
      }
    }
  } finally {
    recurrent.release();
  }
  return {
    batchSize,
    timeSteps,
    goBackwards,
    xProcessed,
    maskProcessed,
    inputDropoutMask,
    recurrentDropoutMask,
    gates: simd === null ? gates : gates.slice(),
    cells: simd === null ? cells : cells.slice(),
    hidden: simd === null ? hidden : hidden.slice(),
  };
}

/** Gradients of a scalar loss with respect to the layer's input and each of its weights. */
export interface LstmGradients {
  /** `[batchSize, timeSteps, inputSize]`, in input (not processing) order. */
  dx: Float32Array;
  /** `[inputSize, 4·units]`. */
  dKernel: Float32Array;
  /** `[units, 4·units]`. */
  dRecurrentKernel: Float32Array;
  /** `[4·units]`. */
  dBias: Float32Array;
}

/**
 * Back-propagates through time. `dOutput` is the loss gradient of what the layer returned:
 * `[batchSize, timeSteps, units]` in processing order when `returnSequences`, else
 * `[batchSize, units]` for the last output. Only `dh·recurrentKernelᵀ` runs step by step; the
 * weight and input gradients are three large products over all steps afterwards.
 */
export function lstmBackward(
  p: PreparedLstm,
  trace: LstmTrace,
  dOutput: Float32Array,
  returnSequences: boolean,
  useSimd = simdGates,
): LstmGradients {
  const { batchSize, timeSteps, gates, cells, hidden, maskProcessed } = trace;
  const { inputDropoutMask, recurrentDropoutMask } = trace;
  const { inputSize, units } = p;
  const gateSize = 4 * units;
  const rowCount = batchSize * timeSteps;
  const expected = returnSequences ? rowCount * units : batchSize * units;
  if (dOutput.length !== expected) {
    throw new RangeError(`Expected dOutput of length ${expected}, but got ${dOutput.length}`);
  }
  const hard = p.hardSigmoid;
  const simd = useSimd && simdGatesAvailable(units, hard)
    ? backwardScratch(
      { batchSize, timeSteps, units },
      gates,
      cells,
      maskProcessed,
      dOutput,
      returnSequences,
    )
    : null;
  const dZ = simd?.dZ ?? new Float32Array(rowCount * gateSize);
  const dhNext = simd?.dhNext ?? new Float32Array(batchSize * units);
  // The kernels keep dcNext in the scratch.
  const dcNext = new Float32Array(simd === null ? batchSize * units : 0);
  const dhCarried = simd?.dhCarried ?? new Float32Array(batchSize * units);
  const seqGateStride = timeSteps * gateSize;
  const recurrent = prepareRight(dense(p.recurrentKernel, gateSize), units, gateSize);
  try {
    for (let s = timeSteps - 1; s >= 0; s--) {
      let anyMasked = false;
      if (simd !== null) {
        anyMasked = simd.step(s);
      } else {
        for (let b = 0; b < batchSize; b++) {
          const row = b * timeSteps + s;
          const zo = row * gateSize, ho = row * units, bo = b * units;
          const keep = maskProcessed === null || maskProcessed[row] !== 0;
          const dyOffset = returnSequences ? ho : (s === timeSteps - 1 ? bo : -1);
          if (!keep) {
            anyMasked = true;
            for (let k = 0; k < units; k++) {
              dhCarried[bo + k] = dhNext[bo + k] + (dyOffset >= 0 ? dOutput[dyOffset + k] : 0);
            }
            continue;
          }
          for (let k = 0; k < units; k++) {
            const dh = dhNext[bo + k] + (dyOffset >= 0 ? dOutput[dyOffset + k] : 0);
            const i = gates[zo + k], f = gates[zo + units + k];
            const g = gates[zo + 2 * units + k], o = gates[zo + 3 * units + k];
            const cPrev = s > 0 ? cells[ho - units + k] : 0;
            const tc = fastTanh(cells[ho + k]);
            const dc = dcNext[bo + k] + dh * o * (1 - tc * tc);
            dcNext[bo + k] = flushTiny(dc * f);
            const dI = dc * g, dF = dc * cPrev, dG = dc * i, dO = dh * tc;
            dZ[zo + k] = flushTiny(dI * (hard ? hardSigmoidSlope(i) : i * (1 - i)));
            dZ[zo + units + k] = flushTiny(dF * (hard ? hardSigmoidSlope(f) : f * (1 - f)));
            dZ[zo + 2 * units + k] = flushTiny(dG * (1 - g * g));
            dZ[zo + 3 * units + k] = flushTiny(dO * (hard ? hardSigmoidSlope(o) : o * (1 - o)));
          }
        }
      }
      if (s > 0) {
        recurrent.multiply(
          batchSize,
          { data: dZ, offset: s * gateSize, rowStride: seqGateStride },
          dense(dhNext, units),
          false,
        );
        if (recurrentDropoutMask !== null) {
          for (let j = 0; j < dhNext.length; j++) dhNext[j] *= recurrentDropoutMask[j];
        }
        if (anyMasked) {
          for (let b = 0; b < batchSize; b++) {
            if (maskProcessed![b * timeSteps + s] !== 0) continue;
            const bo = b * units;
            for (let k = 0; k < units; k++) dhNext[bo + k] = dhCarried[bo + k];
          }
        }
      }
    }
  } finally {
    recurrent.release();
  }
  // hidden holds post-mask outputs, so the carried-state rule of masked steps is already in
  // the h_{s-1} used here; masked rows of dZ are zero and add nothing.

  const dBias = new Float32Array(gateSize);
  for (let r = 0; r < rowCount; r++) {
    const o = r * gateSize;
    for (let j = 0; j < gateSize; j++) dBias[j] += dZ[o + j];
  }

  const dxProcessed = new Float32Array(rowCount * inputSize);
  gemmNT(
    rowCount,
    inputSize,
    gateSize,
    dense(dZ, gateSize),
    dense(p.kernel, gateSize),
    dense(dxProcessed, inputSize),
    false,
  );
  if (inputDropoutMask !== null) {
    scaleRows(dxProcessed, batchSize, timeSteps, inputSize, inputDropoutMask, dxProcessed);
  }
  const dx = trace.goBackwards
    ? reverseTime(dxProcessed, batchSize, timeSteps, inputSize)
    : dxProcessed;

  const dZT = transpose(dZ, rowCount, gateSize);
  const xT = transpose(trace.xProcessed, rowCount, inputSize);
  const dKernel = new Float32Array(inputSize * gateSize);
  gemmNT(
    inputSize,
    gateSize,
    rowCount,
    dense(xT, rowCount),
    dense(dZT, rowCount),
    dense(dKernel, gateSize),
    false,
  );

  const hPrevT = new Float32Array(units * rowCount);
  for (let b = 0; b < batchSize; b++) {
    for (let s = 1; s < timeSteps; s++) {
      const src = (b * timeSteps + s - 1) * units, col = b * timeSteps + s;
      const drop = b * units;
      for (let k = 0; k < units; k++) {
        const scale = recurrentDropoutMask === null ? 1 : recurrentDropoutMask[drop + k];
        hPrevT[k * rowCount + col] = hidden[src + k] * scale;
      }
    }
  }
  const dRecurrentKernel = new Float32Array(units * gateSize);
  gemmNT(
    units,
    gateSize,
    rowCount,
    dense(hPrevT, rowCount),
    dense(dZT, rowCount),
    dense(dRecurrentKernel, gateSize),
    false,
  );
  return { dx, dKernel, dRecurrentKernel, dBias };
}

/**
 * tfjs's hard sigmoid, `clip(0.2·x + 0.5, 0, 1)` (tfjs-layers `backend/tfjs_backend.js`), which
 * differs from Keras 3's `relu6(x + 3) / 6`; weights trained with one do not carry to the other.
 */
export function hardSigmoid(x: number): number {
  const y = 0.2 * x + 0.5;
  return y < 0 ? 0 : y > 1 ? 1 : y;
}

// Odd numerator and even denominator of the rational minimax approximation that Eigen uses for
// float32 tanh; accurate to below float32 rounding on |x| ≤ TANH_RATIONAL_LIMIT (lstm_kernels_test.ts).
const [T1, T3, T5, T7, T9, T11, T13] = TANH_NUMERATOR;
const [U0, U2, U4, U6] = TANH_DENOMINATOR;

/**
 * tanh within 3e-8 of `Math.tanh` (less than float32 rounding, which is all the kernels keep),
 * at about a fifth of its cost: with two calls per unit and step forward and one backward,
 * `Math.tanh` took about a third of the kernels' time in a training step.
 */
export function fastTanh(x: number): number {
  if (x > TANH_RATIONAL_LIMIT || x < -TANH_RATIONAL_LIMIT) {
    const e = Math.exp(-2 * Math.abs(x));
    const t = (1 - e) / (1 + e);
    return x < 0 ? -t : t;
  }
  const x2 = x * x;
  const p = x * (T1 + x2 * (T3 + x2 * (T5 + x2 * (T7 + x2 * (T9 + x2 * (T11 + x2 * T13))))));
  return p / (U0 + x2 * (U2 + x2 * (U4 + x2 * U6)));
}

/** Logistic sigmoid. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

// Gradients that vanish over hundreds of steps reach float32's subnormal range, where every
// arithmetic instruction that touches them takes a slow microcode path (measured: a training
// step ran 5× slower). Values this small cannot change a weight update, so they become zero.
function flushTiny(x: number): number {
  return x > -FLUSH_BELOW && x < FLUSH_BELOW ? 0 : x;
}

// Slope of hardSigmoid recovered from its output: only the clipped ends are flat. tfjs lets the
// gradient through at the exact ends as well, a measure-zero difference.
function hardSigmoidSlope(y: number): number {
  return y > 0 && y < 1 ? 0.2 : 0;
}

// out[b, t, k] = data[b, t, k] · scale[b, k]: one dropout mask per sequence, every frame.
function scaleRows(
  data: Float32Array,
  batchSize: number,
  timeSteps: number,
  width: number,
  scale: Float32Array,
  out = new Float32Array(data.length),
): Float32Array {
  for (let b = 0; b < batchSize; b++) {
    for (let t = 0; t < timeSteps; t++) {
      const o = (b * timeSteps + t) * width;
      for (let k = 0; k < width; k++) out[o + k] = data[o + k] * scale[b * width + k];
    }
  }
  return out;
}

/**
 * Reverses the time axis of a `[batchSize, timeSteps, width]` array into a new array; used for
 * `goBackwards`, whose kernels work in processing order.
 */
export function reverseTime(
  data: Float32Array,
  batchSize: number,
  timeSteps: number,
  width: number,
): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < batchSize; b++) {
    for (let t = 0; t < timeSteps; t++) {
      const src = (b * timeSteps + t) * width;
      const dst = (b * timeSteps + timeSteps - 1 - t) * width;
      for (let k = 0; k < width; k++) out[dst + k] = data[src + k];
    }
  }
  return out;
}
