import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setDropoutStep } from "./fused_dropout.ts";
import { ARCHITECTURES, buildModel, orthogonal } from "./architectures.ts";
import { classifierWeightsOf } from "./stepper_weights.ts";

Deno.test("every architecture builds, maps [batch, frames, width] to class probabilities", () => {
  for (const architecture of ARCHITECTURES) {
    const model = buildModel({ architecture, frames: 12, width: 15, classes: 8, seed: 1 });
    const y = tf.tidy(() => model.predict(tf.randomNormal([3, 12, 15], 0, 1, "float32", 5)));
    const p = (y as tf.Tensor).arraySync() as number[][];
    assert.equal(p.length, 3, architecture);
    for (const row of p) {
      assert.equal(row.length, 8);
      assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5);
    }
    (y as tf.Tensor).dispose();
    model.dispose();
  }
});

Deno.test("the same seed builds the same weights", () => {
  const a = buildModel({ architecture: "lstm", frames: 5, width: 15, classes: 8, seed: 42 });
  const b = buildModel({ architecture: "lstm", frames: 5, width: 15, classes: 8, seed: 42 });
  const c = buildModel({ architecture: "lstm", frames: 5, width: 15, classes: 8, seed: 43 });
  const flat = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(flat(a), flat(b));
  assert.notDeepEqual(flat(a), flat(c));
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("the published lstm has tfjs LSTM weight shapes: [15,256] [64,256] [256] ×2, dense", () => {
  const m = buildModel({ architecture: "lstm", frames: 5, width: 15, classes: 8, seed: 1 });
  assert.deepEqual(m.getWeights().map((w) => w.shape), [
    [15, 256],
    [64, 256],
    [256],
    [64, 256],
    [64, 256],
    [256],
    [64, 8],
    [8],
  ]);
  m.dispose();
});

Deno.test("units: every LSTM layer of every architecture gets them; 0 and fractions are refused", () => {
  const m = buildModel({
    architecture: "lstm",
    frames: 5,
    width: 15,
    classes: 8,
    seed: 1,
    units: 32,
  });
  assert.deepEqual(m.getWeights().map((w) => w.shape), [
    [15, 128],
    [32, 128],
    [128],
    [32, 128],
    [32, 128],
    [128],
    [32, 8],
    [8],
  ]);
  m.dispose();
  for (const architecture of ARCHITECTURES) {
    const n = buildModel({ architecture, frames: 5, width: 15, classes: 8, seed: 1, units: 12 });
    const recurrent = n.getWeights().filter((w) => w.shape.length === 2 && w.shape[1] === 48);
    assert.ok(recurrent.length >= 4, architecture);
    assert.ok(n.getWeights().every((w) => !w.shape.includes(256)), architecture);
    n.dispose();
  }
  for (const units of [0, 2.5]) {
    assert.throws(
      () => buildModel({ architecture: "lstm", frames: 5, width: 15, classes: 8, seed: 1, units }),
      /Expected a whole number of LSTM units ≥ 1, but got/,
    );
  }
});

Deno.test("orthogonal(): Q^T Q = I for tall, wide and square shapes", () => {
  for (const [rows, cols] of [[64, 256], [256, 64], [32, 32]]) {
    const m = orthogonal(rows, cols, 9);
    const k = Math.min(rows, cols);
    const byRows = rows < cols;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let dot = 0;
        const n = byRows ? cols : rows;
        for (let t = 0; t < n; t++) {
          dot += byRows ? m[i * cols + t] * m[j * cols + t] : m[t * cols + i] * m[t * cols + j];
        }
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `${rows}x${cols} [${i},${j}] ${dot}`);
      }
    }
  }
});

Deno.test("recurrent kernels start orthogonal (not the zeros of the config)", () => {
  const m = buildModel({ architecture: "bilstm", frames: 5, width: 15, classes: 8, seed: 3 });
  const recurrent = m.getWeights().filter((w) => w.shape[0] === 64 && w.shape[1] === 256);
  assert.equal(recurrent.length, 4);
  for (const w of recurrent) {
    const v = w.dataSync();
    let norm = 0;
    for (let c = 0; c < 256; c++) norm += v[c] * v[c];
    assert.ok(Math.abs(norm - 1) < 1e-5, `row 0 has unit norm, got ${norm}`);
  }
  m.dispose();
});

/**
 * Builds `architecture` without and with dropout 0.3 and checks that the dropout model is
 * the plain one with a Dropout layer after each recurrent layer (`recurrent`, its class
 * name), the same weights, the same outputs at inference and other outputs in training.
 * Returns the dropout model (the caller disposes it).
 */
function checkDropoutLayers(architecture: "lstm" | "bilstm", recurrent: string): tf.LayersModel {
  const spec = { architecture, frames: 6, width: 15, classes: 8, seed: 7 } as const;
  const plain = buildModel(spec);
  const dropped = buildModel({ ...spec, dropout: 0.3 });
  const names = (m: tf.LayersModel) => m.layers.map((l) => l.getClassName());
  assert.deepEqual(names(plain), ["InputLayer", recurrent, recurrent, "Dense"]);
  assert.deepEqual(names(dropped), [
    "InputLayer",
    recurrent,
    "FusedDropout",
    recurrent,
    "FusedDropout",
    "Dense",
  ]);
  const flat = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(flat(dropped), flat(plain));
  const x = tf.randomNormal([2, 6, 15], 0, 1, "float32", 3);
  assert.deepEqual(
    (dropped.predict(x) as tf.Tensor).arraySync(),
    (plain.predict(x) as tf.Tensor).arraySync(),
  );
  // Training draws the Dropout masks: the same batch gives another output than inference.
  const trained = tf.tidy(() =>
    (dropped.apply(x, { training: true }) as tf.Tensor).sub(dropped.predict(x) as tf.Tensor).abs()
      .max().dataSync()[0]
  );
  assert.ok(trained > 1e-4, `training output differs from inference, got ${trained}`);
  x.dispose();
  plain.dispose();
  return dropped;
}

Deno.test("bilstm with dropout: Dropout after each BiLSTM, same weights, identity at inference", () => {
  checkDropoutLayers("bilstm", "Bidirectional").dispose();
});

Deno.test("lstm with dropout: Dropout after each LSTM, same weights, identity at inference", () => {
  const dropped = checkDropoutLayers("lstm", "FusedLSTM");
  // The streaming classifier skips Dropout layers.
  assert.equal(classifierWeightsOf(dropped).lstms.length, 2);
  dropped.dispose();
});

Deno.test("dropout masks: fixed by default (tfjs's seeded Dropout), a new one each step if fresh", () => {
  const spec = { architecture: "lstm", frames: 6, width: 15, classes: 8, seed: 7, dropout: 0.3 };
  const x = tf.randomNormal([4, 6, 15], 0, 1, "float32", 3);
  const twoSteps = (model: tf.LayersModel) =>
    [0, 1].map((step) => {
      setDropoutStep(model, step);
      return Array.from((model.apply(x, { training: true }) as tf.Tensor).dataSync());
    });
  const fixed = buildModel({ ...spec, architecture: "lstm" });
  const [a, b] = twoSteps(fixed);
  assert.deepEqual(b, a);
  const fresh = buildModel({ ...spec, architecture: "lstm", dropoutMasks: "fresh" });
  const [c, d] = twoSteps(fresh);
  assert.notDeepEqual(d, c);
  assert.deepEqual(twoSteps(fresh), [c, d], "the same steps draw the same masks again");
  fixed.dispose();
  fresh.dispose();
});
