/**
 * Frame-by-frame LSTM inference with carried `(h, c)` state in plain typed arrays, for live
 * audio: each block of new frames costs only its own steps, and no tfjs tensor is touched.
 *
 * @example
 * ```ts
 * const stepper = createClassifierStepper(classifierWeightsOf(model));
 * const state = stepper.initialState();
 * for await (const frames of featureBlocks) {   // Float32Array, [n, 15]
 *   const probabilities = stepper.advance(frames, state);
 * }
 * ```
 *
 * @module
 */

import { dense, gemmNT, prepareRight } from "./gemm.ts";
import {
  fastTanh,
  hardSigmoid,
  type LstmWeights,
  type PreparedLstm,
  prepareLstm,
  sigmoid,
} from "./lstm_kernels.ts";
import { createSimdLstmLayer, type SimdLstmLayer } from "./simd_lstm.ts";

/** Hidden and cell state of one LSTM layer for one stream, `units` long each. */
export interface LstmState {
  /** Last output (hidden state). */
  h: Float32Array;
  /** Cell state. */
  c: Float32Array;
}

/** Advances one LSTM layer over new frames of one stream. */
export interface LstmStepper {
  /** Features per frame. */
  readonly inputSize: number;
  /** Width of the state and of each output. */
  readonly units: number;
  /** Zero state, as tfjs starts every sequence. */
  initialState(): LstmState;
  /**
   * Consumes `frames` (`[n, inputSize]`, n ≥ 0), updates `state` in place and returns the n
   * outputs (`[n, units]`), equal to the corresponding rows of the full-sequence output.
   * With `maskValue` set, a frame whose features all equal it carries the state and repeats the
   * previous output, as after `tf.layers.masking`.
   */
  advance(frames: Float32Array, state: LstmState): Float32Array;
}

/** Options of {@link createLstmStepper}. */
export interface LstmStepperOptions {
  /** Treat frames whose features all equal this value as padding; default: no masking. */
  maskValue?: number | null;
  /**
   * Run the steps on the WebAssembly SIMD kernel of `simd_lstm.ts` where it can serve the
   * layer (units a multiple of 4); default true. False keeps the scalar loop.
   */
  simd?: boolean;
}

/**
 * Builds a stepper for one forward-direction LSTM layer from its weights (see `lstmWeightsOf`).
 * The input projection of a block is one product over all its frames; only the recurrent
 * product runs frame by frame, which is what makes small blocks cheap. The steps run in the
 * SIMD kernel of `simd_lstm.ts` when it can serve the layer (see {@link LstmStepperOptions.simd}),
 * else in a scalar loop; the two agree to float32 rounding.
 */
export function createLstmStepper(
  weights: LstmWeights,
  options: LstmStepperOptions = {},
): LstmStepper {
  const p = prepareLstm(weights);
  const { inputSize, units } = p;
  const gateSize = 4 * units;
  const maskValue = options.maskValue ?? null;
  const kernelT = dense(p.kernelT, inputSize);
  const simd = options.simd === false ? null : createSimdLstmLayer(p);
  const steps = simd === null ? scalarSteps(p, maskValue) : simdSteps(p, simd, maskValue);
  let z = new Float32Array(0);
  return {
    inputSize,
    units,
    initialState: () => ({ h: new Float32Array(units), c: new Float32Array(units) }),
    advance(frames: Float32Array, state: LstmState): Float32Array {
      if (frames.length % inputSize !== 0) {
        throw new RangeError(
          `Expected frames of length n × ${inputSize}, but got ${frames.length}`,
        );
      }
      if (state.h.length !== units || state.c.length !== units) {
        throw new RangeError(
          `Expected a state of ${units} units, but got h ${state.h.length}, c ${state.c.length}`,
        );
      }
      const n = frames.length / inputSize;
      if (z.length < n * gateSize) z = new Float32Array(n * gateSize);
      gemmNT(n, gateSize, inputSize, dense(frames, inputSize), kernelT, dense(z, gateSize), false);
      const out = new Float32Array(n * units);
      steps(frames, n, z, state, out);
      return out;
    },
  };
}

/**
 * The recurrent part of {@link LstmStepper.advance}: given the block's input projection `z`
 * (`[n, 4u]`, without bias, overwritten), advances `state` over the n frames and writes their
 * outputs to `out`.
 */
type Steps = (
  frames: Float32Array,
  n: number,
  z: Float32Array,
  state: LstmState,
  out: Float32Array,
) => void;

/**
 * Steps in plain loops around the matrix kernel of `gemm.ts` (its SIMD kernel where there is
 * one), with the gates computed in double precision.
 */
function scalarSteps(p: PreparedLstm, maskValue: number | null): Steps {
  const { inputSize, units, bias } = p;
  const gateSize = 4 * units;
  const isHard = p.hardSigmoid;
  const recurrentT = dense(p.recurrentKernelT, units);
  return (frames, n, gates, state, out) => {
    const { h, c } = state;
    const hView = dense(h, units);
    const recurrent = prepareRight(recurrentT, gateSize, units);
    try {
      for (let t = 0; t < n; t++) {
        const zo = t * gateSize;
        if (maskValue !== null && isPadding(frames, t * inputSize, inputSize, maskValue)) {
          out.set(h, t * units);
          continue;
        }
        for (let j = 0; j < gateSize; j++) gates[zo + j] += bias[j];
        recurrent.multiply(1, hView, dense(gates, gateSize, zo), true);
        for (let k = 0; k < units; k++) {
          const zi = gates[zo + k], zf = gates[zo + units + k], zc = gates[zo + 2 * units + k];
          const i = isHard ? hardSigmoid(zi) : sigmoid(zi);
          const f = isHard ? hardSigmoid(zf) : sigmoid(zf);
          c[k] = f * c[k] + i * fastTanh(zc);
        }
        // h is read by the product above, so it changes only after all gates are known.
        for (let k = 0; k < units; k++) {
          const zOut = gates[zo + 3 * units + k];
          const o = isHard ? hardSigmoid(zOut) : sigmoid(zOut);
          h[k] = o * fastTanh(c[k]);
        }
        out.set(h, t * units);
      }
    } finally {
      recurrent.release();
    }
  };
}

/** Steps in the SIMD kernel: each run of frames between padding goes to it whole. */
function simdSteps(p: PreparedLstm, kernel: SimdLstmLayer, maskValue: number | null): Steps {
  const { inputSize, units } = p;
  const gateSize = 4 * units;
  const padding = (frames: Float32Array, t: number) =>
    maskValue !== null && isPadding(frames, t * inputSize, inputSize, maskValue);
  return (frames, n, z, state, out) => {
    for (let t = 0; t < n;) {
      if (padding(frames, t)) {
        out.set(state.h, t * units);
        t++;
        continue;
      }
      let end = t + 1;
      while (end < n && !padding(frames, end)) end++;
      kernel.run(
        end - t,
        z.subarray(t * gateSize, end * gateSize),
        state.h,
        state.c,
        out.subarray(t * units, end * units),
      );
      t = end;
    }
  };
}

function isPadding(frames: Float32Array, offset: number, width: number, value: number): boolean {
  for (let k = 0; k < width; k++) if (frames[offset + k] !== value) return false;
  return true;
}

/** A dense softmax head: `kernel` is `[inputSize, classes]`, `bias` `[classes]` or null. */
export interface SoftmaxHeadWeights {
  /** Width of the input (the last LSTM's units). */
  inputSize: number;
  /** Number of classes. */
  classes: number;
  /** `[inputSize, classes]`, row-major, as tfjs stores a Dense kernel. */
  kernel: Float32Array;
  /** `[classes]`, or null without bias. */
  bias: Float32Array | null;
}

/**
 * Weights of a streaming classifier: forward LSTM layers applied in order (all but the last
 * returning sequences in the original model), then a softmax dense layer on the last output.
 */
export interface ClassifierWeights {
  /** LSTM layers, first to last. */
  lstms: LstmWeights[];
  /** The softmax output layer. */
  head: SoftmaxHeadWeights;
  /** Mask value of a leading `tf.layers.masking`, or null when the model has none. */
  maskValue: number | null;
}

/** Per-stream state of a {@link ClassifierStepper}: one LSTM state per layer. */
export interface ClassifierState {
  /** States of the LSTM layers, first to last. */
  layers: LstmState[];
  /** Frames consumed so far, padding frames included. */
  frames: number;
}

/** Advances a whole LSTM stack and softmax head over new frames of one stream. */
export interface ClassifierStepper {
  /** Features per frame. */
  readonly inputSize: number;
  /** Number of classes. */
  readonly classes: number;
  /** State of a fresh stream. */
  initialState(): ClassifierState;
  /**
   * Consumes `frames` (`[n, inputSize]`) and returns the class probabilities after the last of
   * them: what the model predicts for the whole stream so far. With n = 0 it returns the
   * current prediction without consuming anything.
   */
  advance(frames: Float32Array, state: ClassifierState): Float32Array;
}

/**
 * Builds a {@link ClassifierStepper} (see `classifierWeightsOf` for reading one from a model).
 * `simd: false` keeps every layer on the scalar loop (see {@link LstmStepperOptions.simd}).
 * Throws a `RangeError` when consecutive layer widths do not chain.
 */
export function createClassifierStepper(
  weights: ClassifierWeights,
  options: Pick<LstmStepperOptions, "simd"> = {},
): ClassifierStepper {
  const { lstms, head } = weights;
  if (lstms.length === 0) throw new RangeError("Expected at least one LSTM layer, but got 0");
  for (let l = 1; l < lstms.length; l++) {
    if (lstms[l].inputSize !== lstms[l - 1].units) {
      throw new RangeError(
        `Expected LSTM ${l} inputSize ${lstms[l - 1].units}, but got ${lstms[l].inputSize}`,
      );
    }
  }
  const last = lstms[lstms.length - 1];
  if (head.inputSize !== last.units) {
    throw new RangeError(`Expected head inputSize ${last.units}, but got ${head.inputSize}`);
  }
  if (head.kernel.length !== head.inputSize * head.classes) {
    throw new RangeError(
      `Expected head kernel of length ${head.inputSize * head.classes}, but got ` +
        `${head.kernel.length}`,
    );
  }
  // Later layers see the mask that the Masking layer propagates, i.e. the same frames skipped;
  // their inputs on those frames (the repeated previous outputs) are therefore never used.
  const steppers = lstms.map((w, l) =>
    createLstmStepper(w, { maskValue: l === 0 ? weights.maskValue : null, simd: options.simd })
  );
  const maskValue = weights.maskValue;
  const inputSize = lstms[0].inputSize;

  return {
    inputSize,
    classes: head.classes,
    initialState: () => ({ layers: steppers.map((s) => s.initialState()), frames: 0 }),
    advance(frames: Float32Array, state: ClassifierState): Float32Array {
      let x = frames;
      if (maskValue !== null && steppers.length > 1) x = dropPadding(frames, inputSize, maskValue);
      for (let l = 0; l < steppers.length; l++) x = steppers[l].advance(x, state.layers[l]);
      state.frames += frames.length / inputSize;
      return softmaxHead(head, state.layers[steppers.length - 1].h);
    },
  };
}

/**
 * A {@link ClassifierStepper} over the members of an ensemble: every member advances over the
 * same frames, and the prediction is the mean of the members' probabilities, as the ensemble's
 * `Average` layer computes it. The state holds the members' layer states one member after the
 * other. One member gives that member's own stepper. Throws a `RangeError` when the members'
 * input widths or class counts differ.
 */
export function createEnsembleStepper(
  members: readonly ClassifierWeights[],
  options: Pick<LstmStepperOptions, "simd"> = {},
): ClassifierStepper {
  if (members.length === 0) throw new RangeError("Expected at least one member, but got 0");
  const steppers = members.map((w) => createClassifierStepper(w, options));
  if (steppers.length === 1) return steppers[0];
  const { inputSize, classes } = steppers[0];
  steppers.forEach((s, m) => {
    if (s.inputSize !== inputSize || s.classes !== classes) {
      throw new RangeError(
        `Expected every member to take ${inputSize} features and give ${classes} classes, ` +
          `but member ${m + 1} takes ${s.inputSize} and gives ${s.classes}`,
      );
    }
  });
  const depths = members.map((w) => w.lstms.length);
  return {
    inputSize,
    classes,
    initialState: () => ({
      layers: steppers.flatMap((s) => s.initialState().layers),
      frames: 0,
    }),
    advance(frames: Float32Array, state: ClassifierState): Float32Array {
      const mean = new Float32Array(classes);
      let offset = 0;
      steppers.forEach((s, m) => {
        // Member states are the same objects as in `state.layers`, advanced in place.
        const layers = state.layers.slice(offset, offset + depths[m]);
        const probs = s.advance(frames, { layers, frames: state.frames });
        for (let j = 0; j < classes; j++) mean[j] += probs[j];
        offset += depths[m];
      });
      for (let j = 0; j < classes; j++) mean[j] /= steppers.length;
      state.frames += frames.length / inputSize;
      return mean;
    },
  };
}

// With a mask, skipped frames leave every layer's state untouched, so dropping them up front is
// the same computation as carrying the mask through the stack.
function dropPadding(frames: Float32Array, width: number, value: number): Float32Array {
  const n = frames.length / width;
  const kept: number[] = [];
  for (let t = 0; t < n; t++) if (!isPadding(frames, t * width, width, value)) kept.push(t);
  if (kept.length === n) return frames;
  const out = new Float32Array(kept.length * width);
  kept.forEach((t, i) => out.set(frames.subarray(t * width, (t + 1) * width), i * width));
  return out;
}

function softmaxHead(head: SoftmaxHeadWeights, h: Float32Array): Float32Array {
  const logits = new Float64Array(head.classes);
  for (let j = 0; j < head.classes; j++) logits[j] = head.bias === null ? 0 : head.bias[j];
  for (let k = 0; k < head.inputSize; k++) {
    const hk = h[k], row = k * head.classes;
    for (let j = 0; j < head.classes; j++) logits[j] += hk * head.kernel[row + j];
  }
  let max = -Infinity;
  for (let j = 0; j < head.classes; j++) max = Math.max(max, logits[j]);
  let sum = 0;
  for (let j = 0; j < head.classes; j++) sum += logits[j] = Math.exp(logits[j] - max);
  const out = new Float32Array(head.classes);
  for (let j = 0; j < head.classes; j++) out[j] = logits[j] / sum;
  return out;
}
