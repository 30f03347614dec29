/**
 * The classifier architectures, all built on {@link FusedLSTM} (tfjs's LSTM weights and
 * semantics, fused kernels):
 *
 * - `lstm`: the published recipe — LSTM(64, sequences) → LSTM(64) → Dense(softmax). With
 *   `dropout` > 0, a Dropout layer of that rate follows each LSTM (training only; inference
 *   and streaming skip it), which is the published recipe otherwise.
 * - `bilstm`: its bidirectional variant — BiLSTM(64, sequences) → BiLSTM(64) → Dense, with
 *   Dropout layers after each BiLSTM as `lstm` when `dropout` > 0.
 * - `lstm-pool`: the same two LSTM(64) layers, but the class is read from the mean and the
 *   maximum of the second layer's outputs over all frames instead of its last state, with
 *   dropout. Pooling lets every frame vote, which is steadier for unseen voices and can be
 *   updated frame by frame (running mean and max) when streaming.
 *
 * Every model is compiled with RMSProp and categorical cross-entropy, as published.
 * Initialisers are seeded, so a `--seed` reproduces a run. Dropout layers are
 * {@link fusedDropout} (tfjs's seeded Dropout, bit for bit, unless `dropoutMasks` is "fresh")
 * and the optimizer is {@link fusedRmsprop} (tfjs's RMSProp, bit for bit): both do in one
 * typed-array loop what tfjs does in a dozen broadcasting ops.
 */
import * as tf from "@tensorflow/tfjs";
import { FusedLSTM, fusedLstm } from "./fused_lstm.ts";
import { type DropoutMasks, fusedDropout } from "./fused_dropout.ts";
import { fusedRmsprop } from "./fused_rmsprop.ts";
import { gaussian, seededRandom } from "../train/rng.ts";

/** Architecture names accepted by the CLIs. */
export const ARCHITECTURES = ["lstm", "bilstm", "lstm-pool"] as const;
/** One of {@link ARCHITECTURES}. */
export type Architecture = typeof ARCHITECTURES[number];

/** Shape and training settings of a new model. */
export interface ModelSpec {
  architecture: Architecture;
  frames: number;
  /** Features per frame. */
  width: number;
  classes: number;
  seed: number;
  /** Units of every LSTM layer (each direction of a BiLSTM); the published 64 unless set. */
  units?: number;
  /** RMSProp learning rate; Keras's default 0.001 unless set. */
  learningRate?: number;
  /**
   * Dropout rate: of `lstm-pool` (default 0.3), and of the Dropout layers after each LSTM of
   * `lstm` and each BiLSTM of `bilstm` (default 0, none: the published architectures).
   */
  dropout?: number;
  /**
   * How the Dropout layers draw their masks: "fixed" (default) as tfjs's seeded Dropout, one
   * mask reused at every step, or "fresh", a new mask each step (see `fused_dropout.ts`).
   */
  dropoutMasks?: DropoutMasks;
}

function lstmArgs(units: number, returnSequences: boolean, seed: number): tf.LSTMLayerArgs {
  return {
    units,
    returnSequences,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    // Set to a seeded orthogonal matrix after building (see orthogonal()): tfjs's own
    // orthogonal initialiser runs a QR of tiny tensor ops and takes seconds per layer.
    recurrentInitializer: "zeros",
  };
}

/**
 * A `rows × cols` matrix with orthonormal rows or columns (whichever are fewer), as Keras's
 * `Orthogonal` initialiser makes it: QR of a Gaussian matrix, signs fixed by R's diagonal.
 * Modified Gram–Schmidt on typed arrays, in float64.
 */
export function orthogonal(rows: number, cols: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const n = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  // k vectors of length n, Gram–Schmidt'ed against each other.
  const q = Array.from(
    { length: k },
    () => Float64Array.from({ length: n }, () => gaussian(random)),
  );
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let t = 0; t < n; t++) dot += q[i][t] * q[j][t];
      for (let t = 0; t < n; t++) q[j][t] -= dot * q[i][t];
    }
    let norm = 0;
    for (let t = 0; t < n; t++) norm += q[j][t] * q[j][t];
    norm = Math.sqrt(norm);
    for (let t = 0; t < n; t++) q[j][t] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = rows >= cols ? q[c][r] : q[r][c];
    }
  }
  return out;
}

/** Gives every LSTM's recurrent kernel a seeded orthogonal start. */
function initialiseRecurrentKernels(model: tf.LayersModel, seed: number): void {
  let n = 0;
  const visit = (layer: tf.layers.Layer) => {
    if (layer instanceof FusedLSTM) {
      const cell = (layer as unknown as { cell: { recurrentKernel: tf.LayerVariable } }).cell;
      const [rows, cols] = cell.recurrentKernel.shape as [number, number];
      cell.recurrentKernel.write(
        tf.tensor2d(orthogonal(rows, cols, seed + 100 + n++), [rows, cols]),
      );
    }
    const wrapped = layer as unknown as {
      forwardLayer?: tf.layers.Layer;
      backwardLayer?: tf.layers.Layer;
    };
    if (wrapped.forwardLayer) visit(wrapped.forwardLayer);
    if (wrapped.backwardLayer) visit(wrapped.backwardLayer);
  };
  model.layers.forEach(visit);
}

/** Builds and compiles a model of `spec`. */
export function buildModel(spec: ModelSpec): tf.LayersModel {
  const { frames, width, classes, seed } = spec;
  const units = spec.units ?? 64;
  if (!(Number.isInteger(units) && units >= 1)) {
    throw new RangeError(`Expected a whole number of LSTM units ≥ 1, but got ${units}`);
  }
  const input = tf.input({ shape: [frames, width], name: "features" });
  let x: tf.SymbolicTensor;
  const dense = tf.layers.dense({
    units: classes,
    activation: "softmax",
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 10 }),
    name: "emotion",
  });
  const dropout = (rate: number, layerSeed: number) =>
    fusedDropout({ rate, seed: layerSeed, masks: spec.dropoutMasks });
  switch (spec.architecture) {
    case "lstm":
    case "bilstm": {
      // Two recurrent layers (each wrapped in `bidirectional` for `bilstm`), a Dropout layer
      // after each when `dropout` > 0.
      const recurrent = (returnSequences: boolean, layerSeed: number) => {
        const layer = fusedLstm(lstmArgs(units, returnSequences, layerSeed));
        return spec.architecture === "bilstm" ? tf.layers.bidirectional({ layer }) : layer;
      };
      const rate = spec.dropout ?? 0;
      x = recurrent(true, seed).apply(input) as tf.SymbolicTensor;
      if (rate > 0) x = dropout(rate, seed + 4).apply(x) as tf.SymbolicTensor;
      x = recurrent(false, seed + 2).apply(x) as tf.SymbolicTensor;
      if (rate > 0) x = dropout(rate, seed + 5).apply(x) as tf.SymbolicTensor;
      break;
    }
    case "lstm-pool": {
      const rate = spec.dropout ?? 0.3;
      x = fusedLstm(lstmArgs(units, true, seed)).apply(input) as tf.SymbolicTensor;
      x = dropout(rate, seed + 4).apply(x) as tf.SymbolicTensor;
      x = fusedLstm(lstmArgs(units, true, seed + 2)).apply(x) as tf.SymbolicTensor;
      const mean = tf.layers.globalAveragePooling1d({ name: "mean_pool" }).apply(x);
      const max = tf.layers.globalMaxPooling1d({ name: "max_pool" }).apply(x);
      x = tf.layers.concatenate().apply([
        mean as tf.SymbolicTensor,
        max as tf.SymbolicTensor,
      ]) as tf.SymbolicTensor;
      x = dropout(rate, seed + 5).apply(x) as tf.SymbolicTensor;
      break;
    }
  }
  const model = tf.model({ inputs: input, outputs: dense.apply(x) as tf.SymbolicTensor });
  initialiseRecurrentKernels(model, seed);
  model.compile({
    optimizer: fusedRmsprop(spec.learningRate ?? 0.001),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  return model;
}
