import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fileSystemSaveHandler } from "./fs_io.ts";
import { FusedLSTM } from "./fused_lstm.ts";
import { createClassifier, loadClassifier } from "./inference.ts";
import { assertCloseMeasured, randomArray, seededUniform } from "./testing.ts";

await tf.setBackend("cpu");

const LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"];
const FRAMES = 20, FEATURES = 15;

function tfjsModel(frames = FRAMES): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.masking({ inputShape: [frames, FEATURES] }),
      tf.layers.lstm({ units: 6, returnSequences: true }),
      tf.layers.lstm({ units: 5 }),
      tf.layers.dense({ units: LABELS.length, activation: "softmax" }),
    ],
  });
}

Deno.test("loadClassifier loads a tf.layers.lstm model from file: URL, fused, once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodline_model_" });
  try {
    const model = tfjsModel();
    await model.save(fileSystemSaveHandler(dir));
    const url = new URL(`file://${dir}/`);
    const options = { labels: LABELS, inputShape: [null, FRAMES, FEATURES] };
    const classifier = await loadClassifier(url, options);
    assert.ok(classifier.model.layers[1] instanceof FusedLSTM);
    assert.equal((await loadClassifier(url, options)).model, classifier.model);

    const clips = [0, 1, 2].map((i) => randomArray(FRAMES * FEATURES, seededUniform(i), -2, 2));
    const probabilities = classifier.predict(clips);
    clips.forEach((clip, i) => {
      const xs = tf.tensor3d(clip, [1, FRAMES, FEATURES]);
      const expected = model.predict(xs) as tf.Tensor;
      assertCloseMeasured(probabilities[i], expected.dataSync(), { atol: 1e-5 });
      tf.dispose([xs, expected]);
    });
    const result = classifier.classify(clips[0]);
    assert.ok(LABELS.includes(result.label));
    // A batch of one: the same products as classify (a batch of three may take another GEMM
    // kernel for the recurrent step and round differently in the last bit).
    assert.equal(result.confidence, Math.max(...classifier.predict([clips[0]])[0]));
    assert.equal(Object.keys(result.probabilities).join(), LABELS.join());
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Two LSTM members on one input, averaged: the shape `deno task ensemble` builds. */
function ensembleModel(): tf.LayersModel {
  const input = tf.input({ shape: [FRAMES, FEATURES] });
  const members = [4, 7].map((units) => {
    const x = tf.layers.lstm({ units, returnSequences: true }).apply(input) as tf.SymbolicTensor;
    const y = tf.layers.lstm({ units: 5 }).apply(x) as tf.SymbolicTensor;
    return tf.layers.dense({ units: LABELS.length, activation: "softmax" }).apply(
      y,
    ) as tf.SymbolicTensor;
  });
  return tf.model({
    inputs: input,
    outputs: tf.layers.average().apply(members) as tf.SymbolicTensor,
  });
}

Deno.test("LSTM models and ensembles run through the stepper with tfjs's results", () => {
  const clips = [3, 4, 5].map((i) => randomArray(FRAMES * FEATURES, seededUniform(i), -2, 2));
  // Zero padding at the end of one clip, as short utterances have (masked by the first model).
  clips[2].fill(0, 12 * FEATURES);
  const options = { labels: LABELS, inputShape: [null, FRAMES, FEATURES] };
  for (const model of [tfjsModel(), ensembleModel()]) {
    const stepped = createClassifier(model, options);
    const plain = createClassifier(model, { ...options, stepper: false });
    assert.ok(stepped.stepped);
    assert.ok(!plain.stepped);
    const expected = plain.predict(clips);
    const before = tf.memory().numTensors;
    const got = stepped.predict(clips);
    assert.equal(tf.memory().numTensors, before, "the stepper makes no tensors");
    got.forEach((p, i) => assertCloseMeasured(p, expected[i], { atol: 1e-5 }));
    // Not a copy of tfjs's numbers: the stepper computes them itself.
    assert.notDeepEqual(got, expected);
    model.dispose();
  }
  // A bidirectional model cannot be stepped and runs through tfjs.
  const bidirectional = tf.sequential({
    layers: [
      tf.layers.bidirectional({
        layer: tf.layers.lstm({ units: 3 }) as tf.RNN,
        inputShape: [FRAMES, FEATURES],
      }),
      tf.layers.dense({ units: LABELS.length, activation: "softmax" }),
    ],
  });
  const classifier = createClassifier(bidirectional, options);
  assert.ok(!classifier.stepped);
  assert.equal(classifier.predict(clips).length, 3);
  bidirectional.dispose();
});

Deno.test("createClassifier names the expected and actual input shape and label count", () => {
  const model = tfjsModel(300);
  assert.throws(
    () => createClassifier(model, { labels: LABELS }),
    { name: "RangeError", message: "Expected input shape [null, 339, 15] but got [null, 300, 15]" },
  );
  assert.throws(
    () => createClassifier(model, { labels: LABELS.slice(0, 7), inputShape: [null, 300, 15] }),
    { name: "RangeError", message: "Expected 8 labels but got 7" },
  );
  const classifier = createClassifier(model, { labels: LABELS, inputShape: [null, null, 15] });
  assert.throws(() => classifier.predict([new Float32Array(301 * 15 - 1)]), /Expected clips of/);
  model.dispose();
});

Deno.test("predictions leak no tensors", async () => {
  const handler = tf.io.withSaveHandler(() =>
    Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } })
  );
  let saved: tf.io.ModelArtifacts | undefined;
  const model = tfjsModel();
  await model.save({ save: (a) => (saved = a, handler.save!(a)) });
  const classifier = await loadClassifier(tf.io.fromMemory(saved!), {
    labels: LABELS,
    inputShape: [null, FRAMES, FEATURES],
  });
  const clip = randomArray(FRAMES * FEATURES, seededUniform(9), -2, 2);
  classifier.classify(clip);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) {
    classifier.predict([clip, clip]);
    classifier.classify(clip);
  }
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
  classifier.model.dispose();
});
