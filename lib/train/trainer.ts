/**
 * The training loop: seeded shuffling, mini-batches through `trainOnBatch`, validation
 * after every epoch, and the best-validation weights kept (highest validation accuracy,
 * lower loss on ties) — the published recipe's checkpoint rule. Without validation clips
 * (every voice trains) there is nothing to choose by, and the last epoch is kept.
 */
import * as tf from "@tensorflow/tfjs";
import type { ArraySet } from "./dataset.ts";
import { argMax } from "./metrics.ts";
import { mixupBatch } from "./mixup.ts";
import { type Random, seededRandom, shuffled } from "./rng.ts";
import { setDropoutStep } from "../model/fused_dropout.ts";

/** Figures of one epoch. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  /** Validation figures; null when there are no validation clips. */
  valLoss: number | null;
  valAccuracy: number | null;
  seconds: number;
  /** The learning rate of this epoch, when a schedule ({@link FitOptions.learningRate}) set it. */
  learningRate?: number;
}

/** The best epoch so far and its validation figures. */
export interface FitBest {
  epoch: number;
  /** Null when there are no validation clips (the last epoch is the best). */
  valAccuracy: number | null;
  valLoss: number | null;
}

/** Options of {@link fit}. */
export interface FitOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  classes: number;
  /** Epochs already done (resuming); the loop starts at `history.length + 1`. */
  history?: EpochRecord[];
  /** Validation accuracy and loss of the best epoch so far (resuming). */
  best?: FitBest;
  /** Called after each batch with running loss and accuracy of the epoch. */
  onBatch?: (
    info: { epoch: number; batch: number; batches: number; loss: number; accuracy: number },
  ) => void;
  /**
   * Called after each epoch; `improved` when it is the new best; `state` is the history so far
   * and the best epoch (what a checkpoint needs). Awaited (for saving).
   */
  onEpoch?: (
    record: EpochRecord,
    improved: boolean,
    state: { history: EpochRecord[]; best: FitBest },
  ) => Promise<void> | void;
  /**
   * Changes a training batch in place before it is used (augmentation); gets the batch's
   * `[n, frames, width]` array and the epoch's random source.
   */
  augment?: (x: Float32Array, n: number, random: Random) => void;
  /**
   * From this epoch on, keep the running mean of the weights after each epoch (weight
   * averaging); {@link FitResult.average} returns it. Not kept across `--resume`.
   */
  averageFrom?: number;
  /**
   * Mixup's α: every training batch (after `augment`) is blended with a permutation of itself
   * (`lib/train/mixup.ts`). Training loss and accuracy are then against the blended targets.
   */
  mixup?: number;
  /** The learning rate of each epoch (a schedule), set on the model's optimizer before it. */
  learningRate?: (epoch: number) => number;
}

/**
 * Cosine decay (Loshchilov and Hutter 2017, without restarts): `base` in epoch 1, falling along
 * half a cosine towards 0 after the last of `epochs`.
 */
export function cosineLearningRate(base: number, epoch: number, epochs: number): number {
  return base * 0.5 * (1 + Math.cos(Math.PI * (epoch - 1) / epochs));
}

/** Sets the learning rate of a compiled model's optimizer (tfjs optimizers read it each step). */
export function setLearningRate(model: tf.LayersModel, rate: number): void {
  const optimizer = model.optimizer as unknown as { learningRate?: number };
  if (typeof optimizer?.learningRate !== "number") {
    throw new Error("Expected a compiled model whose optimizer has a learning rate");
  }
  optimizer.learningRate = rate;
}

/** What {@link fit} ends with. */
export interface FitResult {
  history: EpochRecord[];
  bestEpoch: number;
  /**
   * With {@link FitOptions.averageFrom}: the mean of the weights after each epoch from then on
   * (caller disposes), and how many epochs it holds; null when no epoch was averaged.
   */
  average: { weights: tf.Tensor[]; epochs: number } | null;
}

/** A training batch: inputs, labels and (when the set has them) soft targets. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  targets?: Float32Array;
}

/** Copies rows `indices` of `set` into a batch. */
export function gather(set: ArraySet, indices: readonly number[]): Batch {
  const stride = set.frames * set.width;
  const x = new Float32Array(indices.length * stride);
  const y = new Int32Array(indices.length);
  const classes = set.targets ? set.targets.length / set.count : 0;
  const targets = set.targets ? new Float32Array(indices.length * classes) : undefined;
  indices.forEach((row, i) => {
    x.set(set.x.subarray(row * stride, (row + 1) * stride), i * stride);
    y[i] = set.y[row];
    targets?.set(set.targets!.subarray(row * classes, (row + 1) * classes), i * classes);
  });
  return targets ? { x, y, targets } : { x, y };
}

/** Class probabilities for every clip of `set`, in batches. */
export function predictAll(model: tf.LayersModel, set: ArraySet, batchSize = 128): Float32Array {
  const classes = model.outputs[0].shape[1] as number;
  const out = new Float32Array(set.count * classes);
  const stride = set.frames * set.width;
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const probs = tf.tidy(() => {
      const x = tf.tensor3d(
        set.x.subarray(start * stride, (start + n) * stride),
        [n, set.frames, set.width],
      );
      return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
    out.set(probs, start * classes);
  }
  return out;
}

/** Mean cross-entropy and accuracy of `probs` (`[count, classes]`) against `set.y`. */
export function lossAndAccuracy(probs: Float32Array, set: ArraySet, classes: number) {
  let loss = 0;
  let right = 0;
  for (let i = 0; i < set.count; i++) {
    const row = probs.subarray(i * classes, (i + 1) * classes);
    loss -= Math.log(Math.max(1e-7, row[set.y[i]]));
    if (argMax(row) === set.y[i]) right++;
  }
  return { loss: loss / Math.max(1, set.count), accuracy: right / Math.max(1, set.count) };
}

/**
 * Trains `model` on `train`, validating on `val` after every epoch, and leaves the model
 * holding the best epoch's weights; with an empty `val`, every epoch is the best so far and
 * the model ends with the last epoch's weights.
 */
export async function fit(
  model: tf.LayersModel,
  train: ArraySet,
  val: ArraySet,
  options: FitOptions,
): Promise<FitResult> {
  const history = [...(options.history ?? [])];
  let best = options.best ?? { epoch: 0, valAccuracy: -1, valLoss: Infinity };
  let bestWeights: tf.Tensor[] | null = null;
  let average: { weights: tf.Tensor[]; epochs: number } | null = null;
  const rows = Array.from({ length: train.count }, (_, i) => i);
  const batches = Math.ceil(train.count / options.batchSize);
  for (let epoch = history.length + 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const learningRate = options.learningRate?.(epoch);
    if (learningRate !== undefined) setLearningRate(model, learningRate);
    // Each epoch's order depends only on (seed, epoch), so a resumed run repeats it.
    const random = seededRandom(options.seed * 1_000_003 + epoch);
    const order = shuffled(rows, random);
    let lossSum = 0;
    let accSum = 0;
    let seen = 0;
    for (let b = 0; b < batches; b++) {
      const indices = order.slice(b * options.batchSize, (b + 1) * options.batchSize);
      let batch = gather(train, indices);
      options.augment?.(batch.x, indices.length, random);
      // Fresh dropout masks are drawn from (seed, global batch number): a resumed run draws
      // what an uninterrupted one would.
      setDropoutStep(model, (epoch - 1) * batches + b);
      if (options.mixup !== undefined) {
        batch = mixupBatch(batch, options.classes, options.mixup, random);
      }
      const [loss, acc] = await trainStep(model, batch, train, options.classes);
      lossSum += loss * indices.length;
      accSum += acc * indices.length;
      seen += indices.length;
      options.onBatch?.({
        epoch,
        batch: b + 1,
        batches,
        loss: lossSum / seen,
        accuracy: accSum / seen,
      });
    }
    const v = val.count > 0
      ? lossAndAccuracy(predictAll(model, val), val, options.classes)
      : { loss: null, accuracy: null };
    const record: EpochRecord = {
      epoch,
      loss: lossSum / seen,
      accuracy: accSum / seen,
      valLoss: v.loss,
      valAccuracy: v.accuracy,
      seconds: (performance.now() - started) / 1000,
      ...(learningRate !== undefined ? { learningRate } : {}),
    };
    history.push(record);
    if (options.averageFrom !== undefined && epoch >= options.averageFrom) {
      average = runningMean(average, model.getWeights());
    }
    const improved = isBetter(v, best);
    if (improved) {
      best = { epoch, valAccuracy: v.accuracy, valLoss: v.loss };
      // The last epoch needs no copy: the model ends holding it.
      bestWeights?.forEach((t) => t.dispose());
      bestWeights = v.accuracy === null ? null : model.getWeights().map((w) => w.clone());
    }
    await options.onEpoch?.(record, improved, { history, best });
  }
  if (bestWeights) {
    model.setWeights(bestWeights);
    bestWeights.forEach((t) => t.dispose());
  }
  return { history, bestEpoch: best.epoch, average };
}

/**
 * Whether an epoch's validation figures beat the best so far: higher accuracy, or the same
 * accuracy with lower loss. Without validation figures every epoch does (the last is kept).
 */
function isBetter(v: { loss: number | null; accuracy: number | null }, best: FitBest): boolean {
  if (v.accuracy === null || v.loss === null) return true;
  const bestAccuracy = best.valAccuracy ?? -1;
  return v.accuracy > bestAccuracy ||
    (v.accuracy === bestAccuracy && v.loss < (best.valLoss ?? Infinity));
}

/** Adds one more set of weights to a running mean (disposing the previous mean). */
function runningMean(
  mean: { weights: tf.Tensor[]; epochs: number } | null,
  weights: tf.Tensor[],
): { weights: tf.Tensor[]; epochs: number } {
  if (mean === null) return { weights: weights.map((w) => w.clone()), epochs: 1 };
  const n = mean.epochs + 1;
  const next = tf.tidy(() => mean.weights.map((m, i) => m.add(weights[i].sub(m).div(n))));
  tf.dispose(mean.weights);
  return { weights: next, epochs: n };
}

async function trainStep(
  model: tf.LayersModel,
  batch: Batch,
  set: ArraySet,
  classes: number,
): Promise<[number, number]> {
  const n = batch.y.length;
  const x = tf.tensor3d(batch.x, [n, set.frames, set.width]);
  // Soft targets (distillation) replace the one-hot labels; accuracy then compares argmaxes.
  const y = batch.targets
    ? tf.tensor2d(batch.targets, [n, classes])
    : tf.tidy(() => tf.oneHot(tf.tensor1d(batch.y, "int32"), classes).toFloat());
  try {
    const result = await model.trainOnBatch(x, y) as number[];
    return [result[0], result[1]];
  } finally {
    x.dispose();
    y.dispose();
  }
}
