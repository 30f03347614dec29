/**
 * Timing of the fused LSTM against tfjs's own `tf.layers.lstm` on the published model shape.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { fusedLstm } from "./fused_lstm.ts";

/** Milliseconds per operation for both implementations, measured in one run. */
export interface LstmBenchResult {
  /** One clip (batch 1 × 339 frames × 15 features) through LSTM(64)→LSTM(64)→Dense(8), fused. */
  fusedInferMs: number;
  /** The same clip through the same weights with `tf.layers.lstm`. */
  tfjsInferMs: number;
  /** One RMSProp `trainOnBatch` step on a batch of 23 clips, fused. */
  fusedTrainBatchMs: number;
  /** The same training step with `tf.layers.lstm`. */
  tfjsTrainBatchMs: number;
}

/** Shape and repetition counts of {@link benchLstm}; defaults are the published model's. */
export interface LstmBenchOptions {
  /** Frames per clip; default 339. */
  timeSteps?: number;
  /** Features per frame; default 15. */
  features?: number;
  /** LSTM width; default 64. */
  units?: number;
  /** Output classes; default 8. */
  classes?: number;
  /** Clips per training batch; default 23. */
  trainBatchSize?: number;
  /** Timed inference runs per implementation (median is reported); default 25. */
  inferRuns?: number;
  /** Timed training steps for the fused model (median is reported); default 5. */
  fusedTrainRuns?: number;
  /** Timed training steps for tfjs's LSTM, which takes seconds each; default 2. */
  tfjsTrainRuns?: number;
}

function buildModel(
  useFused: boolean,
  o: Required<LstmBenchOptions>,
): tf.Sequential {
  const lstm = useFused ? fusedLstm : tf.layers.lstm;
  const model = tf.sequential({
    layers: [
      lstm({ units: o.units, returnSequences: true, inputShape: [o.timeSteps, o.features] }),
      lstm({ units: o.units }),
      tf.layers.dense({ units: o.classes, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.rmsprop(1e-3), loss: "categoricalCrossentropy" });
  return model;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timeInference(
  model: tf.LayersModel,
  x: tf.Tensor,
  runs: number,
): Promise<number> {
  const once = () => {
    const start = performance.now();
    const y = model.predict(x) as tf.Tensor;
    y.dataSync();
    y.dispose();
    return performance.now() - start;
  };
  // Warm-up: until V8 has optimised the loops, the first calls run several times slower.
  for (let r = 0; r < 3; r++) once();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    times.push(once());
    await new Promise((resolve) => setTimeout(resolve, 0)); // let timers and I/O run between
  }
  return median(times);
}

async function timeTraining(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  runs: number,
): Promise<number> {
  const once = async () => {
    const start = performance.now();
    await model.trainOnBatch(x, y);
    return performance.now() - start;
  };
  await once();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push(await once());
  return median(times);
}

/**
 * Measures inference and one training step of the published model with the fused layer and with
 * `tf.layers.lstm`, both starting from the same weights, on the CPU backend in this process.
 * Reports medians after a warm-up; nothing is asserted. With the defaults it takes about as long
 * as five tfjs training steps.
 */
export async function benchLstm(options: LstmBenchOptions = {}): Promise<LstmBenchResult> {
  const o: Required<LstmBenchOptions> = {
    timeSteps: 339,
    features: 15,
    units: 64,
    classes: 8,
    trainBatchSize: 23,
    inferRuns: 25,
    fusedTrainRuns: 5,
    tfjsTrainRuns: 2,
    ...options,
  };
  if (tf.getBackend() !== "cpu") await tf.setBackend("cpu");
  const fused = buildModel(true, o);
  const reference = buildModel(false, o);
  reference.setWeights(fused.getWeights());

  const clip = tf.randomNormal([1, o.timeSteps, o.features], 0, 1, "float32", 1);
  const batch = tf.randomNormal([o.trainBatchSize, o.timeSteps, o.features], 0, 1, "float32", 2);
  const labels = tf.oneHot(
    tf.tensor1d(Array.from({ length: o.trainBatchSize }, (_, i) => i % o.classes), "int32"),
    o.classes,
  );
  try {
    const fusedInferMs = await timeInference(fused, clip, o.inferRuns);
    const tfjsInferMs = await timeInference(reference, clip, o.inferRuns);
    const fusedTrainBatchMs = await timeTraining(fused, batch, labels, o.fusedTrainRuns);
    const tfjsTrainBatchMs = await timeTraining(reference, batch, labels, o.tfjsTrainRuns);
    return { fusedInferMs, tfjsInferMs, fusedTrainBatchMs, tfjsTrainBatchMs };
  } finally {
    tf.dispose([clip, batch, labels]);
    fused.dispose();
    reference.dispose();
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchLstm(), null, 2));
}
