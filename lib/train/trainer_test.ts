import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { buildModel } from "../model/architectures.ts";
import type { ArraySet } from "./dataset.ts";
import { seededRandom } from "./rng.ts";
import { cosineLearningRate, fit, setLearningRate } from "./trainer.ts";

const FRAMES = 6;
const WIDTH = 3;
const CLASSES = 3;

/** `count` clips whose features carry their label (class k: a ramp in column k), with noise. */
function toySet(count: number, seed: number): ArraySet {
  const random = seededRandom(seed);
  const x = new Float32Array(count * FRAMES * WIDTH);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % CLASSES;
    for (let t = 0; t < FRAMES; t++) {
      for (let k = 0; k < WIDTH; k++) {
        x[(i * FRAMES + t) * WIDTH + k] = (k === y[i] ? t / FRAMES : 0) + 0.3 * (random() - 0.5);
      }
    }
  }
  return { x, y, count, frames: FRAMES, width: WIDTH };
}

function model(seed = 1) {
  return buildModel({
    architecture: "lstm",
    frames: FRAMES,
    width: WIDTH,
    classes: CLASSES,
    seed,
    learningRate: 0.01,
  });
}

Deno.test("cosineLearningRate starts at the base rate and falls to near 0 after the last epoch", () => {
  assert.equal(cosineLearningRate(0.001, 1, 30), 0.001);
  assert.ok(Math.abs(cosineLearningRate(0.001, 16, 30) - 0.0005) < 1e-12);
  const rates = Array.from({ length: 30 }, (_, e) => cosineLearningRate(0.001, e + 1, 30));
  assert.ok(rates.every((r, i) => i === 0 || r < rates[i - 1]), "falls every epoch");
  assert.ok(rates[29] > 0 && rates[29] < 0.00001);
});

Deno.test("fit sets each epoch's scheduled learning rate on the optimizer and records it", async () => {
  const m = model();
  const seen: number[] = [];
  const { history } = await fit(m, toySet(24, 1), toySet(9, 2), {
    epochs: 3,
    batchSize: 8,
    seed: 1,
    classes: CLASSES,
    learningRate: (epoch) => 0.01 / epoch,
    onEpoch() {
      seen.push((m.optimizer as unknown as { learningRate: number }).learningRate);
    },
  });
  assert.deepEqual(seen, [0.01, 0.005, 0.01 / 3]);
  assert.deepEqual(history.map((r) => r.learningRate), seen);
  m.dispose();
});

Deno.test("fit with a zero learning rate leaves the weights alone (the schedule is used)", async () => {
  const m = model();
  const before = m.getWeights().map((w) => w.dataSync().slice());
  await fit(m, toySet(16, 1), toySet(6, 2), {
    epochs: 1,
    batchSize: 8,
    seed: 1,
    classes: CLASSES,
    learningRate: () => 0,
  });
  m.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i]));
  m.dispose();
  assert.throws(
    () => setLearningRate(tf.sequential(), 0.1),
    /compiled model whose optimizer has a learning rate/,
  );
});

Deno.test("fit with mixup trains on blended batches: other losses, same seed → same run", async () => {
  const run = async (mixup?: number) => {
    const m = model();
    const { history } = await fit(m, toySet(24, 1), toySet(9, 2), {
      epochs: 2,
      batchSize: 8,
      seed: 4,
      classes: CLASSES,
      mixup,
    });
    m.dispose();
    return history.map(({ loss, valLoss }) => [loss, valLoss]);
  };
  const plain = await run();
  const mixed = await run(0.4);
  assert.notDeepEqual(mixed, plain);
  assert.deepEqual(await run(0.4), mixed);
});

Deno.test("fresh dropout masks follow the batch number: a resumed run trains as an unbroken one", async () => {
  const freshModel = () =>
    buildModel({
      architecture: "lstm",
      frames: FRAMES,
      width: WIDTH,
      classes: CLASSES,
      seed: 2,
      learningRate: 0.01,
      dropout: 0.3,
      dropoutMasks: "fresh",
    });
  const options = { batchSize: 8, seed: 3, classes: CLASSES };
  const train = toySet(24, 1), val = toySet(9, 2);
  const unbroken = freshModel();
  const whole = await fit(unbroken, train, val, { ...options, epochs: 2 });
  // A run stopped after epoch 1 and continued in a new model from its weights and optimizer
  // state, as a checkpoint restores them.
  const first = freshModel();
  const part = await fit(first, train, val, { ...options, epochs: 1 });
  const resumed = freshModel();
  resumed.setWeights(first.getWeights());
  await resumed.optimizer.setWeights(await first.optimizer.getWeights());
  const rest = await fit(resumed, train, val, { ...options, epochs: 2, history: part.history });
  assert.deepEqual(rest.history.map((r) => r.loss), whole.history.map((r) => r.loss));
  resumed.getWeights().forEach((w, i) =>
    assert.deepEqual(w.dataSync(), unbroken.getWeights()[i].dataSync())
  );
  [unbroken, first, resumed].forEach((m) => m.dispose());
});

Deno.test("fit without validation clips keeps the last epoch and records no validation figures", async () => {
  const empty: ArraySet = {
    x: new Float32Array(0),
    y: new Int32Array(0),
    count: 0,
    frames: FRAMES,
    width: WIDTH,
  };
  const m = model();
  const weightsAfter: Float32Array[][] = [];
  const improvedAt: boolean[] = [];
  const result = await fit(m, toySet(24, 1), empty, {
    epochs: 3,
    batchSize: 8,
    seed: 1,
    classes: CLASSES,
    onEpoch(_record, improved) {
      improvedAt.push(improved);
      weightsAfter.push(m.getWeights().map((w) => w.dataSync().slice() as Float32Array));
    },
  });
  assert.equal(result.bestEpoch, 3);
  assert.deepEqual(improvedAt, [true, true, true]);
  assert.deepEqual(result.history.map((r) => [r.valLoss, r.valAccuracy]), [
    [null, null],
    [null, null],
    [null, null],
  ]);
  assert.notDeepEqual(weightsAfter[2], weightsAfter[1], "the epochs train");
  m.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), weightsAfter[2][i]));
  m.dispose();
});
