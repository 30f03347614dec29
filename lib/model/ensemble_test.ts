import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  ENSEMBLE_AVERAGE_LAYER,
  ensembleArtifacts,
  memberArtifactsOf,
  memberChainsOf,
} from "./ensemble.ts";
import { fusedLstm } from "./fused_lstm.ts";
import { createClassifierStepper, createEnsembleStepper } from "./lstm_stepper.ts";
import { classifierWeightsOf, memberWeightsOf } from "./stepper_weights.ts";
import { assertCloseMeasured, randomArray, seededUniform } from "./testing.ts";

await tf.setBackend("cpu");

const FRAMES = 12, FEATURES = 5, CLASSES = 4;

function initialisers(seed: number) {
  return {
    kernelInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed }),
    recurrentInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed + 1 }),
    biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 2 }),
  };
}

/** A functional model shaped like the shipped one, with its own random weights. */
function member(seed: number, dropout = false, frames: number | null = FRAMES): tf.LayersModel {
  const input = tf.input({ shape: [frames, FEATURES], name: "features" });
  let x = fusedLstm({ units: 7, returnSequences: true, ...initialisers(seed) })
    .apply(input) as tf.SymbolicTensor;
  if (dropout) x = tf.layers.dropout({ rate: 0.3 }).apply(x) as tf.SymbolicTensor;
  x = fusedLstm({ units: 6, ...initialisers(seed + 10) }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({
    units: CLASSES,
    activation: "softmax",
    kernelInitializer: tf.initializers.randomUniform({ minval: -2, maxval: 2, seed: seed + 20 }),
    name: "emotion",
  }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    saved = artifacts;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  return saved!;
}

Deno.test("an ensemble predicts the mean of its members' probabilities", async () => {
  const members = [member(1), member(30, true), member(60)];
  const artifacts = ensembleArtifacts(await Promise.all(members.map(artifactsOf)), "trio");
  const ensemble = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  assert.equal(ensemble.name, "trio");
  assert.equal(ensemble.countParams(), members.reduce((n, m) => n + m.countParams(), 0));
  assert.equal(ensemble.outputLayers[0].name, ENSEMBLE_AVERAGE_LAYER);
  const x = tf.tensor3d(randomArray(3 * FRAMES * FEATURES, seededUniform(2), -2, 2), [
    3,
    FRAMES,
    FEATURES,
  ]);
  const outputs = members.map((m) => (m.predict(x) as tf.Tensor).dataSync());
  const mean = outputs[0].map((_, i) => outputs.reduce((s, o) => s + o[i], 0) / outputs.length);
  const got = (ensemble.predict(x) as tf.Tensor).dataSync();
  assertCloseMeasured(got, mean, { atol: 1e-6, label: "ensemble vs mean of members" });
  // The members differ, so the test would notice a branch left out or counted twice.
  assert.ok(Math.abs(outputs[0][0] - outputs[1][0]) > 1e-3);
  tf.dispose(x);
});

Deno.test("the ensemble stepper matches the ensemble's predictions on every prefix", async () => {
  const members = [member(3), member(40, true)];
  // Steppers run on prefixes of any length, so the models take sequences of any length.
  const open = [member(3, false, null), member(40, true, null)];
  open.forEach((m, i) => m.setWeights(members[i].getWeights()));
  const ensemble = await tf.loadLayersModel(
    tf.io.fromMemory(ensembleArtifacts(await Promise.all(open.map(artifactsOf)))),
  );
  const chains = memberChainsOf(ensemble);
  assert.deepEqual(chains.map((c) => c.map((l) => l.getClassName())), [
    ["FusedLSTM", "FusedLSTM", "Dense"],
    ["FusedLSTM", "Dropout", "FusedLSTM", "Dense"],
  ]);
  assert.throws(() => classifierWeightsOf(ensemble), /ensemble of 2 \(use memberWeightsOf\)/);
  const stepper = createEnsembleStepper(memberWeightsOf(ensemble));
  const state = stepper.initialState();
  assert.equal(state.layers.length, 4);
  const x = randomArray(FRAMES * FEATURES, seededUniform(9), -2, 2);
  let t = 0;
  for (const n of [1, 0, 4, 2, 5]) {
    const probs = stepper.advance(x.subarray(t * FEATURES, (t + n) * FEATURES), state);
    t += n;
    if (t === 0) continue;
    const prefix = tf.tensor3d(x.subarray(0, t * FEATURES), [1, t, FEATURES]);
    const expected = (ensemble.predict(prefix) as tf.Tensor).dataSync();
    assertCloseMeasured(probs, expected, { atol: 1e-5, label: `after ${t} frames` });
    tf.dispose(prefix);
  }
  assert.equal(state.frames, FRAMES);
});

Deno.test("a one-member stepper is that member's own stepper", () => {
  const model = member(5);
  const weights = classifierWeightsOf(model);
  assert.deepEqual(memberWeightsOf(model), [weights]);
  const x = randomArray(FRAMES * FEATURES, seededUniform(4), -2, 2);
  const a = createEnsembleStepper([weights]), b = createClassifierStepper(weights);
  assert.deepEqual(
    Array.from(a.advance(x, a.initialState())),
    Array.from(b.advance(x, b.initialState())),
  );
});

Deno.test("ensembles refuse members that do not fit together", async () => {
  const a = await artifactsOf(member(1));
  assert.throws(() => ensembleArtifacts([a]), /at least 2 members, but got 1/);
  const longer = await artifactsOf(member(2, false, FRAMES + 1));
  assert.throws(
    () => ensembleArtifacts([a, longer]),
    /input shape to be \[null,12,5\], but member 2 has \[null,13,5\]/,
  );
  const sequential = tf.sequential({
    layers: [tf.layers.dense({ units: CLASSES, inputShape: [FRAMES, FEATURES] })],
  });
  assert.throws(
    () => ensembleArtifacts([a, { ...a, modelTopology: sequentialTopology(sequential) }]),
    /member 2 to be a functional layers model \("Model"\), but got "Sequential"/,
  );
  const w = memberWeightsOf(member(1))[0];
  const wider = { ...w, head: { ...w.head, classes: CLASSES + 1 } };
  wider.head.kernel = new Float32Array(wider.head.inputSize * wider.head.classes);
  assert.throws(() => createEnsembleStepper([w, wider]), /member 2 takes 5 and gives 5/);
});

function sequentialTopology(model: tf.LayersModel) {
  return {
    class_name: model.getClassName(),
    config: model.getConfig(),
  } as unknown as tf.io.ModelArtifacts["modelTopology"];
}

Deno.test("an ensemble splits back into its members, bit for bit, and combines again", async () => {
  const members = [member(1), member(30, true), member(60)];
  const saved = await Promise.all(members.map(artifactsOf));
  const pair = ensembleArtifacts(saved.slice(0, 2), "pair");
  const split = memberArtifactsOf(pair);
  assert.equal(split.length, 2);
  split.forEach((artifacts, m) => {
    assert.deepEqual(
      artifacts.weightSpecs!.map((s) => s.name),
      saved[m].weightSpecs!.map((s) => s.name),
    );
    assert.deepEqual(
      new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!)),
      new Uint8Array(tf.io.CompositeArrayBuffer.join(saved[m].weightData!)),
    );
  });
  assert.deepEqual(memberArtifactsOf(saved[2]), [saved[2]], "a plain model is its only member");
  const again = ensembleArtifacts([...split, saved[2]], "trio");
  const direct = ensembleArtifacts(saved, "trio");
  assert.deepEqual(again.weightSpecs, direct.weightSpecs);
  assert.deepEqual(
    new Uint8Array(tf.io.CompositeArrayBuffer.join(again.weightData!)),
    new Uint8Array(tf.io.CompositeArrayBuffer.join(direct.weightData!)),
  );
  const [a, b] = await Promise.all(
    [again, direct].map((x) => tf.loadLayersModel(tf.io.fromMemory(x))),
  );
  const x = tf.tensor3d(randomArray(2 * FRAMES * FEATURES, seededUniform(5)), [
    2,
    FRAMES,
    FEATURES,
  ]);
  assert.deepEqual(
    Array.from((a.predict(x) as tf.Tensor).dataSync()),
    Array.from((b.predict(x) as tf.Tensor).dataSync()),
  );
  const alone = await tf.loadLayersModel(tf.io.fromMemory(split[1]));
  assert.deepEqual(
    Array.from((alone.predict(x) as tf.Tensor).dataSync()),
    Array.from((members[1].predict(x) as tf.Tensor).dataSync()),
    "a split member predicts as the model it came from",
  );
});
