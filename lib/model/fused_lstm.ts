/**
 * `FusedLSTM`: a drop-in replacement for `tf.layers.lstm` whose forward and backward passes run
 * whole sequences in typed-array loops ({@link lstmForward}/{@link lstmBackward}) instead of a
 * dozen small tfjs ops per time step.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fusedLstm } from "./fused_lstm.ts";
 *
 * const model = tf.sequential({
 *   layers: [
 *     tf.layers.masking({ inputShape: [339, 15] }),
 *     fusedLstm({ units: 64, returnSequences: true }),
 *     fusedLstm({ units: 64 }),
 *     tf.layers.dense({ units: 8, activation: "softmax" }),
 *   ],
 * });
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  type GateActivation,
  lstmBackward,
  lstmForward,
  type LstmWeights,
  prepareLstm,
} from "./lstm_kernels.ts";

/**
 * The fields of tfjs's (unexported) `LSTMCell` that the fused path reads. They are public
 * properties of the cell object in tfjs 4.22; the tests pin that down.
 */
interface LstmCellFields {
  units: number;
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { getClassName(): string };
  recurrentActivation: { getClassName(): string };
  dropout: number;
  recurrentDropout: number;
  dropoutFunc?: (x: tf.Tensor, rate: number) => tf.Tensor;
}

interface LstmConstructor {
  new (args: tf.LSTMLayerArgs): tf.RNN;
  className: string;
  fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T;
}

// Subclassing tfjs's own LSTM (taken from the serialization registry, since the class itself is
// not exported) inherits its constructor, cell, weight creation and names, initialisers, config
// and masking rules, so weights and configs are interchangeable by construction and only the
// arithmetic is replaced.
const TfjsLstm = tf.serialization.SerializationMap.getMap()
  .classNameMap["LSTM"][0] as unknown as LstmConstructor;

/**
 * An LSTM layer with exactly `tf.layers.lstm`'s arguments, weights (`kernel [in, 4u]`,
 * `recurrent_kernel [u, 4u]`, `bias [4u]`, gates i, f, c, o), defaults (tanh, hardSigmoid,
 * glorotNormal kernel, orthogonal recurrent kernel, zero bias, `unitForgetBias` off), masking and
 * `goBackwards` behaviour, and serialised class name `FusedLSTM`. Its whole-sequence kernels
 * handle `activation: "tanh"` with `recurrentActivation` `"hardSigmoid"` or `"sigmoid"`,
 * `dropout` and `recurrentDropout` included; other activations, `stateful`, `returnState` and an
 * explicit `initialState` fall back to tfjs's step-by-step code (see
 * {@link FusedLSTM.usesFusedKernels}). Works inside `tf.layers.bidirectional`.
 */
export class FusedLSTM extends TfjsLstm {
  /** Name under which the class is registered for (de)serialisation. */
  static override className = "FusedLSTM";

  /**
   * Whether calls run on the fused kernels. False means the layer is configured outside what
   * they implement and behaves as (and is as slow as) `tf.layers.lstm`.
   */
  usesFusedKernels(): boolean {
    const cell = this.cell as unknown as LstmCellFields;
    const recurrent = cell.recurrentActivation.getClassName();
    return cell.activation.getClassName() === "tanh" &&
      (recurrent === "hardSigmoid" || recurrent === "sigmoid") &&
      !this.stateful && !this.returnState;
  }

  /** Runs the layer; see the class comment for when the fused kernels are used. */
  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: Record<string, unknown>,
  ): tf.Tensor | tf.Tensor[] {
    const training = kwargs?.["training"] === true;
    const hasInitialState = kwargs?.["initialState"] != null ||
      (Array.isArray(inputs) && inputs.length > 1);
    if (hasInitialState || !this.usesFusedKernels()) return super.call(inputs, kwargs);
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const rawMask = kwargs?.["mask"] as tf.Tensor | tf.Tensor[] | null | undefined;
    const mask = Array.isArray(rawMask) ? rawMask[0] : rawMask;
    return runFused(this, x, mask ?? null, training);
  }
}
tf.serialization.registerClass(FusedLSTM);

// tfjs's generateDropoutMask: draws four masks and the cell uses the first (implementation 2
// shares one mask across the gates); drawing four keeps a caller's dropoutFunc in step.
function dropoutMask(
  cell: LstmCellFields,
  rate: number,
  shape: [number, number],
): Float32Array | null {
  if (!(rate > 0 && rate < 1)) return null;
  return tf.tidy(() => {
    const draw = () =>
      cell.dropoutFunc ? cell.dropoutFunc(tf.ones(shape), rate) : tf.dropout(tf.ones(shape), rate);
    const masks = [draw(), draw(), draw(), draw()];
    return Float32Array.from(masks[0].dataSync() as Float32Array);
  });
}

function runFused(
  layer: FusedLSTM,
  x: tf.Tensor,
  mask: tf.Tensor | null,
  training: boolean,
): tf.Tensor {
  if (x.rank !== 3) {
    throw new RangeError(
      `Expected a rank-3 input [batch, time, features] but got shape ` +
        `[${x.shape.join(", ")}]`,
    );
  }
  const [batchSize, timeSteps, inputSize] = x.shape as [number, number, number];
  const cell = layer.cell as unknown as LstmCellFields;
  const units = cell.units;
  const returnSequences = layer.returnSequences;
  const goBackwards = layer.goBackwards;
  const recurrentActivation = cell.recurrentActivation.getClassName() as GateActivation;
  // Copied out because the caller's mask tensor may be disposed before the backward pass runs.
  const maskValues = mask === null ? null : tf.tidy(() =>
    Float32Array.from(
      tf.cast(tf.reshape(mask, [batchSize, timeSteps]), "float32").dataSync() as Float32Array,
    )
  );
  const hasBias = cell.bias !== null;
  const inputDropoutMask = training
    ? dropoutMask(cell, cell.dropout, [batchSize, inputSize])
    : null;
  const recurrentDropoutMask = training
    ? dropoutMask(cell, cell.recurrentDropout, [batchSize, units])
    : null;

  const fused = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, kernel, recurrentKernel, bias] = args as tf.Tensor[];
    const weights = {
      inputSize,
      units,
      kernel: kernel.dataSync() as Float32Array,
      recurrentKernel: recurrentKernel.dataSync() as Float32Array,
      bias: hasBias ? bias.dataSync() as Float32Array : null,
      recurrentActivation,
    };
    const prepared = prepareLstm(weights);
    const trace = lstmForward(prepared, {
      x: xs.dataSync() as Float32Array,
      batchSize,
      timeSteps,
      mask: maskValues,
      goBackwards,
      inputDropoutMask,
      recurrentDropoutMask,
    });
    const value = returnSequences
      ? tf.tensor3d(trace.hidden, [batchSize, timeSteps, units])
      : tf.tensor2d(lastStep(trace.hidden, batchSize, timeSteps, units), [batchSize, units]);
    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
      const grads = lstmBackward(prepared, trace, dy.dataSync() as Float32Array, returnSequences);
      const out: tf.Tensor[] = [
        tf.tensor3d(grads.dx, [batchSize, timeSteps, inputSize]),
        tf.tensor2d(grads.dKernel, [inputSize, 4 * units]),
        tf.tensor2d(grads.dRecurrentKernel, [units, 4 * units]),
      ];
      if (hasBias) out.push(tf.tensor1d(grads.dBias));
      return out;
    };
    return { value, gradFunc };
  });
  const weights = [x, cell.kernel.read(), cell.recurrentKernel.read()];
  if (hasBias) weights.push(cell.bias!.read());
  return fused(...weights);
}

function lastStep(
  hidden: Float32Array,
  batchSize: number,
  timeSteps: number,
  units: number,
): Float32Array {
  const out = new Float32Array(batchSize * units);
  for (let b = 0; b < batchSize; b++) {
    out.set(
      hidden.subarray(((b + 1) * timeSteps - 1) * units, (b + 1) * timeSteps * units),
      b * units,
    );
  }
  return out;
}

/**
 * Creates a {@link FusedLSTM}; takes the same arguments as `tf.layers.lstm` and is meant to be
 * used in its place.
 */
export function fusedLstm(args: tf.LSTMLayerArgs): FusedLSTM {
  return new FusedLSTM(args);
}

/**
 * Reads a built LSTM layer's weights (a {@link FusedLSTM} or a plain `tf.layers.lstm`) as typed
 * arrays for the tensor-free streaming code in `lstm_stepper.ts`. Throws for configurations the
 * typed-array kernels do not implement, because a stepper that silently used other activations
 * would drift from the model it claims to mirror.
 */
export function lstmWeightsOf(layer: tf.layers.Layer): LstmWeights {
  const cell = (layer as tf.RNN).cell as unknown as LstmCellFields | undefined;
  if (cell?.kernel == null || cell.recurrentKernel == null) {
    throw new TypeError(
      `Expected a built LSTM layer but got ${layer.getClassName()} ` +
        `"${layer.name}"`,
    );
  }
  const activation = cell.activation.getClassName();
  const recurrentActivation = cell.recurrentActivation.getClassName();
  if (activation !== "tanh") {
    throw new RangeError(`Expected activation "tanh" but got "${activation}"`);
  }
  if (recurrentActivation !== "hardSigmoid" && recurrentActivation !== "sigmoid") {
    throw new RangeError(
      `Expected recurrentActivation "hardSigmoid" or "sigmoid" but got "${recurrentActivation}"`,
    );
  }
  const [inputSize, gateSize] = cell.kernel.shape as [number, number];
  return {
    inputSize,
    units: gateSize / 4,
    kernel: Float32Array.from(cell.kernel.read().dataSync() as Float32Array),
    recurrentKernel: Float32Array.from(cell.recurrentKernel.read().dataSync() as Float32Array),
    bias: cell.bias === null
      ? null
      : Float32Array.from(cell.bias.read().dataSync() as Float32Array),
    recurrentActivation,
  };
}

/**
 * Rewrites a saved model topology (the `modelTopology` of a `model.json`) so that every `LSTM`
 * layer, including those wrapped in `Bidirectional`, loads as a {@link FusedLSTM}. Weight names
 * and shapes are unchanged, so a model trained with `tf.layers.lstm` can be served fused
 * without converting its weights. Returns a new object; the input is not modified.
 */
export function withFusedLstm<T>(modelTopology: T): T {
  return JSON.parse(JSON.stringify(modelTopology), (key, value) => {
    if (key === "class_name" || key === "className") {
      return value === "LSTM" ? FusedLSTM.className : value;
    }
    return value;
  });
}
