/**
 * Training loop of the dense member (`lib/model/functionals_model.ts`) in typed arrays.
 *
 * The network is `Dense(units, relu) → Dense(classes, softmax)`, trained with Adam on
 * cross-entropy plus `l2 · Σ w²` on both kernels (tfjs's `l2` regulariser, so the saved network
 * states its own loss), in shuffled mini-batches. tfjs's CPU backend multiplies matrices in
 * plain JavaScript; here the products run on `gemm.ts` (WebAssembly SIMD where available), so a
 * network of 3 000 clips trains in seconds rather than minutes. The weights come out in tfjs's
 * layout (kernels `[in, out]`) for `buildFunctionalsNet(...).setWeights`.
 *
 * @module
 */
import { dense, gemmNT, transpose } from "../model/gemm.ts";
import { seededRandom } from "./rng.ts";

/** Hyper-parameters of {@link trainDense}. */
export interface DenseTrainOptions {
  units: number;
  classes: number;
  /** L2 penalty per weight, tfjs's sense: `l2 · Σ w²` is added to the batch loss. */
  l2: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Starting weights (copied); default Glorot-uniform kernels from `seed` and zero biases. */
  initial?: DenseWeights;
  /** Called after each epoch with its number (1-based) and the weights so far. */
  onEpoch?: (epoch: number, weights: DenseWeights, meanLoss: number) => void;
}

/** Weights in tfjs's layout: `kernel1 [in, units]`, `bias1 [units]`, `kernel2 [units, classes]`. */
export interface DenseWeights {
  inputs: number;
  units: number;
  classes: number;
  kernel1: Float32Array;
  bias1: Float32Array;
  kernel2: Float32Array;
  bias2: Float32Array;
}

/** Adam state of one parameter array. */
class AdamSlot {
  readonly m: Float32Array;
  readonly v: Float32Array;
  constructor(readonly values: Float32Array) {
    this.m = new Float32Array(values.length);
    this.v = new Float32Array(values.length);
  }
  /** One Adam step as tfjs takes it: `lr · m̂ / (√v̂ + ε)` with bias-corrected moments. */
  step(gradient: Float32Array, lr: number, t: number): void {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
    const { m, v, values } = this;
    for (let i = 0; i < values.length; i++) {
      const g = gradient[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      values[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}

function glorot(rows: number, cols: number, random: () => number): Float32Array {
  const limit = Math.sqrt(6 / (rows + cols));
  return Float32Array.from({ length: rows * cols }, () => (2 * random() - 1) * limit);
}

/** `hidden[r][u] = max(0, hidden[r][u] + bias[u])` for the first `rows` rows. */
function addBiasRelu(hidden: Float32Array, bias: Float32Array, rows: number): void {
  const units = bias.length;
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      const h = hidden[r * units + u] + bias[u];
      hidden[r * units + u] = h > 0 ? h : 0;
    }
  }
}

/**
 * Forward pass: class probabilities `[rows, classes]` of standardised inputs `x [rows, inputs]`
 * (the hidden activations go to `hidden` when given, `[rows, units]`).
 */
export function denseForward(
  w: DenseWeights,
  x: Float32Array,
  rows: number,
  hidden = new Float32Array(rows * w.units),
): Float32Array {
  const { inputs, units, classes } = w;
  gemmNT(
    rows,
    units,
    inputs,
    dense(x, inputs),
    dense(transpose(w.kernel1, inputs, units), inputs),
    dense(hidden, units),
    false,
  );
  addBiasRelu(hidden, w.bias1, rows);
  const out = new Float32Array(rows * classes);
  gemmNT(
    rows,
    classes,
    units,
    dense(hidden, units),
    dense(transpose(w.kernel2, units, classes), units),
    dense(out, classes),
    false,
  );
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      out[r * classes + c] += w.bias2[c];
      max = Math.max(max, out[r * classes + c]);
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(out[r * classes + c] - max);
      out[r * classes + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) out[r * classes + c] /= sum;
  }
  return out;
}

/**
 * Trains the network on standardised inputs `x [rows, inputs]` with integer labels `y`,
 * deterministically for a given seed, and returns the weights after the last epoch.
 */
export function trainDense(
  x: Float32Array,
  y: ArrayLike<number>,
  inputs: number,
  options: DenseTrainOptions,
): DenseWeights {
  const { units, classes, l2, batchSize, learningRate } = options;
  const rows = y.length;
  if (x.length !== rows * inputs) {
    throw new RangeError(`Expected ${rows * inputs} input values but got ${x.length}`);
  }
  const random = seededRandom(options.seed);
  const start = options.initial;
  if (start && (start.inputs !== inputs || start.units !== units || start.classes !== classes)) {
    throw new RangeError(
      `Expected initial weights of ${inputs} → ${units} → ${classes} but got ` +
        `${start.inputs} → ${start.units} → ${start.classes}`,
    );
  }
  const w: DenseWeights = options.initial
    ? {
      ...options.initial,
      bias1: options.initial.bias1.slice(),
      bias2: options.initial.bias2.slice(),
    }
    : {
      inputs,
      units,
      classes,
      kernel1: glorot(inputs, units, random),
      bias1: new Float32Array(units),
      kernel2: glorot(units, classes, random),
      bias2: new Float32Array(classes),
    };
  // Training keeps the kernels transposed ([out, in]) so every product is A · Bᵀ.
  const k1t = transpose(w.kernel1, inputs, units);
  const k2t = transpose(w.kernel2, units, classes);
  const slots = {
    k1t: new AdamSlot(k1t),
    b1: new AdamSlot(w.bias1),
    k2t: new AdamSlot(k2t),
    b2: new AdamSlot(w.bias2),
  };
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const xb = new Float32Array(batchSize * inputs);
  const hidden = new Float32Array(batchSize * units);
  const logits = new Float32Array(batchSize * classes);
  const dLogits = new Float32Array(batchSize * classes);
  const dHidden = new Float32Array(batchSize * units);
  const gK1t = new Float32Array(units * inputs);
  const gK2t = new Float32Array(classes * units);
  const gB1 = new Float32Array(units);
  const gB2 = new Float32Array(classes);
  let step = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    for (let start = 0; start < rows; start += batchSize) {
      const b = Math.min(batchSize, rows - start);
      for (let r = 0; r < b; r++) {
        xb.set(x.subarray(order[start + r] * inputs, (order[start + r] + 1) * inputs), r * inputs);
      }
      // Forward.
      gemmNT(b, units, inputs, dense(xb, inputs), dense(k1t, inputs), dense(hidden, units), false);
      addBiasRelu(hidden, w.bias1, b);
      gemmNT(
        b,
        classes,
        units,
        dense(hidden, units),
        dense(k2t, units),
        dense(logits, classes),
        false,
      );
      for (let r = 0; r < b; r++) {
        let max = -Infinity;
        for (let c = 0; c < classes; c++) {
          logits[r * classes + c] += w.bias2[c];
          max = Math.max(max, logits[r * classes + c]);
        }
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += Math.exp(logits[r * classes + c] - max);
        const label = y[order[start + r]];
        for (let c = 0; c < classes; c++) {
          const p = Math.exp(logits[r * classes + c] - max) / sum;
          dLogits[r * classes + c] = (p - (c === label ? 1 : 0)) / b;
          if (c === label) lossSum -= Math.log(Math.max(p, 1e-12));
        }
      }
      // Backward: gradients of the mean cross-entropy plus the L2 term.
      const dLt = transpose(dLogits.subarray(0, b * classes), b, classes);
      const ht = transpose(hidden.subarray(0, b * units), b, units);
      gemmNT(classes, units, b, dense(dLt, b), dense(ht, b), dense(gK2t, units), false);
      gB2.fill(0);
      for (let r = 0; r < b; r++) {
        for (let c = 0; c < classes; c++) gB2[c] += dLogits[r * classes + c];
      }
      const k2 = transpose(k2t, classes, units);
      gemmNT(
        b,
        units,
        classes,
        dense(dLogits, classes),
        dense(k2, classes),
        dense(dHidden, units),
        false,
      );
      gB1.fill(0);
      for (let r = 0; r < b; r++) {
        for (let u = 0; u < units; u++) {
          if (hidden[r * units + u] <= 0) dHidden[r * units + u] = 0;
          gB1[u] += dHidden[r * units + u];
        }
      }
      const dHt = transpose(dHidden.subarray(0, b * units), b, units);
      const xt = transpose(xb.subarray(0, b * inputs), b, inputs);
      gemmNT(units, inputs, b, dense(dHt, b), dense(xt, b), dense(gK1t, inputs), false);
      for (let i = 0; i < gK1t.length; i++) gK1t[i] += 2 * l2 * k1t[i];
      for (let i = 0; i < gK2t.length; i++) gK2t[i] += 2 * l2 * k2t[i];
      step++;
      slots.k1t.step(gK1t, learningRate, step);
      slots.b1.step(gB1, learningRate, step);
      slots.k2t.step(gK2t, learningRate, step);
      slots.b2.step(gB2, learningRate, step);
    }
    if (options.onEpoch) {
      options.onEpoch(epoch, weightsOf(w, k1t, k2t), lossSum / rows);
    }
  }
  return weightsOf(w, k1t, k2t);
}

function weightsOf(w: DenseWeights, k1t: Float32Array, k2t: Float32Array): DenseWeights {
  return {
    ...w,
    kernel1: transpose(k1t, w.units, w.inputs),
    bias1: w.bias1.slice(),
    kernel2: transpose(k2t, w.classes, w.units),
    bias2: w.bias2.slice(),
  };
}
