import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertAllClose } from "../testing/all_close.ts";
import { denseForward, type DenseWeights, trainDense } from "./dense_trainer.ts";
import { seededRandom } from "./rng.ts";

function randomWeights(inputs: number, units: number, classes: number, seed: number): DenseWeights {
  const r = seededRandom(seed);
  const v = (n: number) => Float32Array.from({ length: n }, () => r() - 0.5);
  return {
    inputs,
    units,
    classes,
    kernel1: v(inputs * units),
    bias1: v(units),
    kernel2: v(units * classes),
    bias2: v(classes),
  };
}

function tfjsNet(w: DenseWeights, l2: number) {
  const input = tf.input({ shape: [w.inputs] });
  const h = tf.layers.dense({
    units: w.units,
    activation: "relu",
    kernelRegularizer: tf.regularizers.l2({ l2 }),
  }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dense({
    units: w.classes,
    activation: "softmax",
    kernelRegularizer: tf.regularizers.l2({ l2 }),
  }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  model.setWeights([
    tf.tensor2d(w.kernel1, [w.inputs, w.units]),
    tf.tensor1d(w.bias1),
    tf.tensor2d(w.kernel2, [w.units, w.classes]),
    tf.tensor1d(w.bias2),
  ]);
  return model;
}

Deno.test("denseForward equals the tfjs network with the same weights", () => {
  const w = randomWeights(37, 19, 8, 1);
  const rows = 11;
  const r = seededRandom(2);
  const x = Float32Array.from({ length: rows * w.inputs }, () => 2 * r() - 1);
  const model = tfjsNet(w, 0);
  const expected = tf.tidy(() =>
    (model.predict(tf.tensor2d(x, [rows, w.inputs])) as tf.Tensor).dataSync() as Float32Array
  );
  assertAllClose(denseForward(w, x, rows), expected, { atol: 1e-6, label: "probabilities" });
  model.dispose();
});

Deno.test("trainDense: Adam steps with the L2 term equal tfjs's Adam on the same loss", async () => {
  const inputs = 23, units = 16, classes = 8, rows = 40, l2 = 1e-3, lr = 0.01;
  const w0 = randomWeights(inputs, units, classes, 3);
  const r = seededRandom(4);
  const x = Float32Array.from({ length: rows * inputs }, () => 2 * r() - 1);
  const y = Array.from({ length: rows }, (_, i) => i % classes);
  // One batch holding every row: the step does not depend on the order of the rows.
  const ours = trainDense(x, y, inputs, {
    units,
    classes,
    l2,
    epochs: 3,
    batchSize: rows,
    learningRate: lr,
    seed: 5,
    initial: w0,
  });
  const model = tfjsNet(w0, l2);
  model.compile({
    optimizer: tf.train.adam(lr, 0.9, 0.999, 1e-8),
    loss: "categoricalCrossentropy",
  });
  const xs = tf.tensor2d(x, [rows, inputs]);
  const ys = tf.oneHot(tf.tensor1d(y, "int32"), classes);
  await model.fit(xs, ys, { epochs: 3, batchSize: rows, shuffle: false, verbose: 0 });
  const [k1, b1, k2, b2] = model.getWeights().map((t) => t.dataSync() as Float32Array);
  assertAllClose(ours.kernel1, k1, { atol: 2e-5, label: "kernel1" });
  assertAllClose(ours.bias1, b1, { atol: 2e-5, label: "bias1" });
  assertAllClose(ours.kernel2, k2, { atol: 2e-5, label: "kernel2" });
  assertAllClose(ours.bias2, b2, { atol: 2e-5, label: "bias2" });
  // The steps moved the weights: the comparison is not of untouched initial values.
  assert.ok(Math.abs(ours.kernel2[0] - w0.kernel2[0]) > 1e-3);
  tf.dispose([xs, ys]);
  model.dispose();
});

Deno.test("trainDense learns a separable problem and is reproducible for a seed", () => {
  const inputs = 10, classes = 4, rows = 400;
  const r = seededRandom(9);
  const y = Array.from({ length: rows }, (_, i) => i % classes);
  const x = new Float32Array(rows * inputs);
  y.forEach((label, i) => {
    for (let f = 0; f < inputs; f++) x[i * inputs + f] = (f === label ? 2 : 0) + r() - 0.5;
  });
  const options = {
    units: 8,
    classes,
    l2: 1e-4,
    epochs: 30,
    batchSize: 32,
    learningRate: 0.01,
    seed: 1,
  };
  const losses: number[] = [];
  const w = trainDense(x, y, inputs, { ...options, onEpoch: (_, __, loss) => losses.push(loss) });
  const p = denseForward(w, x, rows);
  let right = 0;
  y.forEach((label, i) => {
    const row = p.subarray(i * classes, (i + 1) * classes);
    if (row.indexOf(Math.max(...row)) === label) right++;
  });
  assert.ok(right / rows > 0.95, `accuracy ${right / rows}`);
  assert.equal(losses.length, 30);
  assert.ok(losses[29] < losses[0] / 4, `loss ${losses[0]} → ${losses[29]}`);
  assert.deepEqual(trainDense(x, y, inputs, options).kernel1, w.kernel1);
  assert.throws(
    () => trainDense(x, y, inputs, { ...options, initial: { ...w, units: 7 } }),
    /Expected initial weights of 10 → 8 → 4/,
  );
});
