import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { buildModel } from "./architectures.ts";
import { featureScaler, foldedWeights, standardiseInPlace } from "./standardise.ts";
import { assertCloseMeasured, randomArray, seededUniform } from "./testing.ts";

await tf.setBackend("cpu");

const FRAMES = 9, WIDTH = 15, CLASSES = 8;

/** Raw-feature-like rows: each column with its own offset and scale, as RMS and MFCC 0 differ. */
function rawRows(rows: number, seed: number): Float32Array {
  const uniform = seededUniform(seed);
  const x = new Float32Array(rows * WIDTH);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < WIDTH; f++) x[r * WIDTH + f] = (f - 2) * 40 + uniform(-1, 1) * (1 + 30 * f);
  }
  return x;
}

Deno.test("featureScaler gives each column's mean and population spread", () => {
  const x = Float32Array.from([1, 5, 10, 3, 5, 20, 5, 5, 30]);
  const scaler = featureScaler(x, 3);
  assert.deepEqual(scaler.mean, [3, 5, 20]);
  assert.ok(Math.abs(scaler.std[0] - Math.sqrt(8 / 3)) < 1e-12);
  assert.equal(scaler.std[1], 1, "a constant column is only centred");
  assert.ok(Math.abs(scaler.std[2] - Math.sqrt(200 / 3)) < 1e-12);
  assert.throws(() => featureScaler(new Float32Array(7), 3), /Expected rows of 3 features/);
});

Deno.test("standardiseInPlace leaves every column with mean 0 and spread 1", () => {
  const x = rawRows(200, 4);
  standardiseInPlace(x, featureScaler(x, WIDTH));
  const again = featureScaler(x, WIDTH);
  again.mean.forEach((m) => assert.ok(Math.abs(m) < 1e-4, `mean ${m}`));
  again.std.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-4, `std ${s}`));
});

for (const architecture of ["lstm", "bilstm"] as const) {
  Deno.test(`folded ${architecture} weights on raw features equal the model on standardised ones`, () => {
    const model = buildModel({
      architecture,
      frames: FRAMES,
      width: WIDTH,
      classes: CLASSES,
      seed: 5,
      learningRate: 0.001,
    });
    // Non-zero biases, so that folding must add to them rather than replace them.
    model.setWeights(
      model.getWeights().map((w, i) =>
        w.shape.length === 1 ? tf.tensor(randomArray(w.size, seededUniform(i), -0.5, 0.5)) : w
      ),
    );
    const raw = rawRows(3 * FRAMES, 7);
    const scaler = featureScaler(raw, WIDTH);
    const standardised = Float32Array.from(raw);
    standardiseInPlace(standardised, scaler);
    const expected = tf.tidy(() =>
      (model.predict(tf.tensor3d(standardised, [3, FRAMES, WIDTH])) as tf.Tensor).dataSync()
    );
    const before = model.getWeights().map((w) => w.dataSync().slice());
    const folded = foldedWeights(model, scaler);
    model.getWeights().forEach((w, i) =>
      assert.deepEqual(w.dataSync(), before[i], "the model keeps its own weights")
    );
    const changed = folded.filter((w, i) => !w.dataSync().every((v, j) => v === before[i][j]));
    // lstm: the first LSTM's kernel and bias; bilstm: both directions'.
    assert.equal(changed.length, architecture === "lstm" ? 2 : 4);
    model.setWeights(folded);
    const actual = tf.tidy(() =>
      (model.predict(tf.tensor3d(raw, [3, FRAMES, WIDTH])) as tf.Tensor).dataSync()
    );
    assertCloseMeasured(actual, expected, { atol: 1e-5, label: "folded vs standardised" });
    tf.dispose(folded);
  });
}

Deno.test("foldedWeights refuses a scaler of another width", () => {
  const model = buildModel({
    architecture: "lstm",
    frames: FRAMES,
    width: WIDTH,
    classes: CLASSES,
    seed: 1,
    learningRate: 0.001,
  });
  const scaler = featureScaler(new Float32Array(2 * 10).fill(1), 10);
  assert.throws(() => foldedWeights(model, scaler), /reads 15/);
});
