/**
 * Input standardisation that costs nothing at run time. The published recipe feeds raw
 * features to its first LSTM: RMS and zero-crossing rate lie in [0, 1] while MFCC 0 lies
 * around −300…−600, so at initialisation the first layer's gates saturate and RMSProp's
 * per-weight steps (about the learning rate each) move the MFCC weights hundreds of times
 * further, in effect, than the RMS and ZCR weights. Training on standardised features
 * (`(x − mean) / std` per feature, statistics of the training set, like scikit-learn's
 * `StandardScaler`) removes both problems.
 *
 * Because the first layer reads its input only through `x · kernel + bias`, the transform can
 * be folded into that layer when the model is saved: `kernel'[f, :] = kernel[f, :] / std[f]` and
 * `bias' = bias − Σ_f (mean[f] / std[f]) kernel[f, :]`.
 * The saved model then reads raw features, with the recipe's architecture and weight layout,
 * so classification, streaming and every other reader of `models/` need no change.
 */
import * as tf from "@tensorflow/tfjs";

/** Per-feature mean and standard deviation of a training set. */
export interface FeatureScaler {
  mean: number[];
  std: number[];
}

/**
 * Mean and population standard deviation of every column over all `rows` of a row-major
 * `[rows, width]` array (every frame of every clip, as `StandardScaler` sees the flattened
 * frames). A column with (near) zero spread gets std 1, so it is only centred.
 */
export function featureScaler(x: Float32Array, width: number): FeatureScaler {
  if (width <= 0 || x.length % width !== 0 || x.length === 0) {
    throw new RangeError(`Expected rows of ${width} features but got ${x.length} values`);
  }
  const rows = x.length / width;
  const mean = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < width; f++) mean[f] += x[r * width + f];
  }
  for (let f = 0; f < width; f++) mean[f] /= rows;
  const variance = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < width; f++) variance[f] += (x[r * width + f] - mean[f]) ** 2;
  }
  const std = Array.from(variance, (v) => {
    const s = Math.sqrt(v / rows);
    return s > 1e-6 ? s : 1;
  });
  return { mean: Array.from(mean), std };
}

/** Standardises a row-major `[rows, width]` array in place. */
export function standardiseInPlace(x: Float32Array, scaler: FeatureScaler): void {
  const width = scaler.mean.length;
  if (x.length % width !== 0) {
    throw new RangeError(`Expected rows of ${width} features but got ${x.length} values`);
  }
  for (let i = 0; i < x.length; i += width) {
    for (let f = 0; f < width; f++) x[i + f] = (x[i + f] - scaler.mean[f]) / scaler.std[f];
  }
}

/**
 * The weights of `model` with `scaler` folded into its first layer, so that the result on raw
 * features equals `model` on standardised ones. Every weight of the first layer shaped
 * `kernel` (`[width, k]`; a bidirectional layer has two) is divided row by row, and the next
 * `bias` (`[k]`) after it absorbs the mean. Other weights are cloned unchanged;
 * the caller disposes the result. Throws when the first layer has no such kernel.
 */
export function foldedWeights(model: tf.LayersModel, scaler: FeatureScaler): tf.Tensor[] {
  const width = scaler.mean.length;
  const first = model.layers.find((layer) => layer.getClassName() !== "InputLayer");
  const firstWeights = new Set(first?.weights ?? []);
  const values = model.weights.map((w) => w.read().dataSync() as Float32Array);
  const out = values.map((v) => Float32Array.from(v));
  let folded = 0;
  model.weights.forEach((w, i) => {
    const isKernel = /(^|\/)kernel$/.test(w.name);
    if (!firstWeights.has(w) || !isKernel || w.shape.length !== 2) return;
    if (w.shape[0] !== width) {
      throw new Error(`Expected ${w.name} to read ${width} features but it reads ${w.shape[0]}`);
    }
    const k = w.shape[1]!;
    const b = model.weights.findIndex((v, j) =>
      j > i && firstWeights.has(v) && /(^|\/)bias$/.test(v.name) && v.shape[0] === k
    );
    if (b < 0) throw new Error(`no bias of ${k} values after ${w.name}`);
    const kernel = values[i];
    const bias = Float64Array.from(values[b]);
    for (let f = 0; f < width; f++) {
      const scale = 1 / scaler.std[f];
      const shift = scaler.mean[f] * scale;
      for (let j = 0; j < k; j++) {
        out[i][f * k + j] = kernel[f * k + j] * scale;
        bias[j] -= shift * kernel[f * k + j];
      }
    }
    out[b] = Float32Array.from(bias);
    folded++;
  });
  if (folded === 0) {
    throw new Error(`the first layer has no input kernel of ${width} rows to fold into`);
  }
  return model.weights.map((w, i) => tf.tensor(out[i], w.shape as number[]));
}
