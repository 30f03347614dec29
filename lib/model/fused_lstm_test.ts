import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { FusedLSTM, fusedLstm, withFusedLstm } from "./fused_lstm.ts";
import { assertAllClose } from "../testing/all_close.ts";
import { assertCloseMeasured, randomArray, seededUniform } from "./testing.ts";

await tf.setBackend("cpu");

const OUTPUT_ATOL = 1e-5;
const GRAD_ATOL = 1e-4;

interface Case {
  batchSize: number;
  timeSteps: number;
  inputSize: number;
  units: number;
  returnSequences?: boolean;
  goBackwards?: boolean;
  recurrentActivation?: "hardSigmoid" | "sigmoid";
  useBias?: boolean;
  unitForgetBias?: boolean;
  // Per sequence: how many leading and trailing steps are zero padding.
  padding?: Array<[number, number]>;
  // tfjs 4.22's own LSTM throws in backprop for a single time step (its unstack gradient), so
  // there is no reference gradient to compare with.
  outputsOnly?: boolean;
}

const CASES: Case[] = [
  { batchSize: 1, timeSteps: 1, inputSize: 1, units: 1, outputsOnly: true },
  { batchSize: 1, timeSteps: 2, inputSize: 1, units: 1, returnSequences: true },
  { batchSize: 2, timeSteps: 7, inputSize: 3, units: 5, returnSequences: true },
  { batchSize: 3, timeSteps: 9, inputSize: 4, units: 6, goBackwards: true },
  {
    batchSize: 3,
    timeSteps: 8,
    inputSize: 2,
    units: 7,
    returnSequences: true,
    goBackwards: true,
    recurrentActivation: "sigmoid",
  },
  { batchSize: 5, timeSteps: 12, inputSize: 5, units: 3, useBias: false, unitForgetBias: true },
  {
    batchSize: 4,
    timeSteps: 10,
    inputSize: 3,
    units: 4,
    returnSequences: true,
    padding: [[0, 0], [0, 3], [2, 0], [1, 4]],
  },
  {
    batchSize: 3,
    timeSteps: 10,
    inputSize: 4,
    units: 5,
    goBackwards: true,
    padding: [[0, 5], [3, 0], [10, 0]],
  },
  // Big enough that every product runs on the SIMD kernel.
  {
    batchSize: 4,
    timeSteps: 24,
    inputSize: 13,
    units: 18,
    returnSequences: true,
    padding: [[0, 0], [0, 6], [2, 0], [0, 0]],
  },
];

// Inputs with some whole frames set to zero, which a Masking layer turns into a mask.
function paddedInput(c: Case, seed: number): Float32Array {
  const random = seededUniform(seed);
  const x = randomArray(c.batchSize * c.timeSteps * c.inputSize, random, -2, 2);
  c.padding?.forEach(([lead, trail], b) => {
    for (let t = 0; t < c.timeSteps; t++) {
      if (t >= lead && t < c.timeSteps - trail) continue;
      x.fill(0, (b * c.timeSteps + t) * c.inputSize, (b * c.timeSteps + t + 1) * c.inputSize);
    }
  });
  return x;
}

function layerArgs(c: Case): tf.LSTMLayerArgs {
  return {
    units: c.units,
    returnSequences: c.returnSequences ?? false,
    goBackwards: c.goBackwards ?? false,
    recurrentActivation: c.recurrentActivation,
    useBias: c.useBias,
    unitForgetBias: c.unitForgetBias,
    inputShape: [c.timeSteps, c.inputSize],
    // Larger than default weights push gates into hardSigmoid's flat ends and tanh's curvature,
    // where a wrong slope would show.
    kernelInitializer: tf.initializers.randomUniform({ minval: -1.5, maxval: 1.5, seed: 1 }),
    recurrentInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 2 }),
    biasInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 3 }),
  };
}

// A masking layer in front, as the real model has, so tfjs computes and passes the mask itself.
function maskedModel(lstm: tf.layers.Layer, c: Case): tf.Sequential {
  return tf.sequential({
    layers: [tf.layers.masking({ inputShape: [c.timeSteps, c.inputSize] }), lstm],
  });
}

// The mask of zero-padded frames, as tf.layers.masking computes it, but as a constant: tfjs's own
// LSTM cannot back-propagate into an input that the mask was computed from (no gradient for Any).
function paddingMask(x: Float32Array, c: Case): tf.Tensor2D {
  const mask = new Float32Array(c.batchSize * c.timeSteps);
  for (let r = 0; r < mask.length; r++) {
    for (let k = 0; k < c.inputSize; k++) if (x[r * c.inputSize + k] !== 0) mask[r] = 1;
  }
  return tf.tensor2d(mask, [c.batchSize, c.timeSteps]);
}

// Loss = Σ output · fixed random weights, so every output element gets a distinct gradient.
// Returns d loss / d v for each v of `vars`, in order.
function gradsOf(run: () => tf.Tensor, vars: tf.Variable[], outWeights: tf.Tensor): Float32Array[] {
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(run(), outWeights)) as tf.Scalar,
    vars,
  );
  const ordered = vars.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array));
  value.dispose();
  tf.dispose(Object.values(grads));
  return ordered;
}

function weightVariables(model: tf.LayersModel | tf.layers.Layer): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

Deno.test("FusedLSTM matches tf.layers.lstm outputs and gradients over random shapes", () => {
  let maxOut = 0, maxGrad = 0;
  const track = (grads: Float32Array[], want: Float32Array[], label: string) => {
    assert.equal(grads.length, want.length);
    grads.forEach((g, i) => {
      const diff = assertCloseMeasured(g, want[i], {
        atol: GRAD_ATOL,
        label: `${label} grad ${i}`,
      });
      maxGrad = Math.max(maxGrad, diff);
    });
  };
  CASES.forEach((c, index) => {
    const reference = maskedModel(tf.layers.lstm(layerArgs(c)), c);
    const fused = maskedModel(fusedLstm(layerArgs(c)), c);
    fused.setWeights(reference.getWeights());
    const fusedLayer = fused.layers[1] as FusedLSTM;
    assert.ok(fusedLayer.usesFusedKernels());

    const data = paddedInput(c, 100 + index);
    const x = tf.variable(tf.tensor3d(data, [c.batchSize, c.timeSteps, c.inputSize]));
    const expected = reference.predict(x) as tf.Tensor;
    const actual = fused.predict(x) as tf.Tensor;
    assert.deepEqual(actual.shape, expected.shape);
    const diff = assertCloseMeasured(actual.dataSync(), expected.dataSync(), {
      atol: OUTPUT_ATOL,
      label: `case ${index} output`,
    });
    maxOut = Math.max(maxOut, diff);
    if (c.outputsOnly) {
      tf.dispose([x, expected, actual]);
      return;
    }

    const outWeights = tf.tensor(
      randomArray(expected.size, seededUniform(7 + index)),
      expected.shape,
    );
    // Weights through the Masking layer, as model.fit sees them.
    track(
      gradsOf(() => fused.apply(x) as tf.Tensor, weightVariables(fused), outWeights),
      gradsOf(() => reference.apply(x) as tf.Tensor, weightVariables(reference), outWeights),
      `case ${index} (masking layer)`,
    );
    // Input and weights with the same mask passed explicitly.
    const mask = paddingMask(data, c);
    const referenceLayer = reference.layers[1];
    track(
      gradsOf(
        () => fusedLayer.apply(x, { mask }) as tf.Tensor,
        [x, ...weightVariables(fusedLayer)],
        outWeights,
      ),
      gradsOf(
        () => referenceLayer.apply(x, { mask }) as tf.Tensor,
        [x, ...weightVariables(referenceLayer)],
        outWeights,
      ),
      `case ${index} (explicit mask)`,
    );
    tf.dispose([x, expected, actual, outWeights, mask]);
    reference.dispose();
    fused.dispose();
  });
  console.log(`max |Δoutput| ${maxOut.toExponential(2)}, max |Δgrad| ${maxGrad.toExponential(2)}`);
});

Deno.test("FusedLSTM takes an explicit mask in call like tfjs's LSTM", () => {
  const c: Case = { batchSize: 2, timeSteps: 6, inputSize: 3, units: 4, returnSequences: true };
  const reference = tf.layers.lstm(layerArgs(c));
  const fused = fusedLstm(layerArgs(c));
  const x = tf.tensor3d(randomArray(2 * 6 * 3, seededUniform(5)), [2, 6, 3]);
  const mask = tf.tensor2d([[1, 1, 0, 1, 0, 0], [0, 1, 1, 1, 1, 0]], [2, 6], "bool");
  reference.apply(x);
  fused.apply(x);
  fused.setWeights(reference.getWeights());
  const expected = reference.apply(x, { mask }) as tf.Tensor;
  const actual = fused.apply(x, { mask }) as tf.Tensor;
  assertAllClose(actual.dataSync(), expected.dataSync(), { atol: OUTPUT_ATOL });
  tf.dispose([x, mask, expected, actual]);
});

function stack(make: (args: tf.LSTMLayerArgs) => tf.layers.Layer, t: number, f: number) {
  return tf.sequential({
    layers: [
      tf.layers.masking({ inputShape: [t, f] }),
      make({ units: 6, returnSequences: true }),
      make({ units: 5 }),
      tf.layers.dense({ units: 4, activation: "softmax" }),
    ],
  });
}

Deno.test("stacked FusedLSTMs with a softmax head match the tfjs stack, gradients included", () => {
  const reference = stack(tf.layers.lstm, 11, 4);
  const fused = stack(fusedLstm, 11, 4);
  fused.setWeights(reference.getWeights());
  const data = paddedInput({
    batchSize: 3,
    timeSteps: 11,
    inputSize: 4,
    units: 0,
    padding: [[0, 0], [0, 4], [3, 0]],
  }, 9);
  const x = tf.tensor3d(data, [3, 11, 4]);
  const outWeights = tf.tensor2d(randomArray(12, seededUniform(3)), [3, 4]);
  const expected = reference.predict(x) as tf.Tensor;
  const actual = fused.predict(x) as tf.Tensor;
  assertAllClose(actual.dataSync(), expected.dataSync(), { atol: OUTPUT_ATOL });
  const want = gradsOf(
    () => reference.apply(x) as tf.Tensor,
    weightVariables(reference),
    outWeights,
  );
  const got = gradsOf(() => fused.apply(x) as tf.Tensor, weightVariables(fused), outWeights);
  assert.equal(got.length, 2 * 3 + 2);
  got.forEach((g, i) => assertAllClose(g, want[i], { atol: GRAD_ATOL, label: `grad ${i}` }));
  tf.dispose([x, outWeights, expected, actual]);
});

Deno.test("FusedLSTM works inside tf.layers.bidirectional with tfjs's BiLSTM weight layout", () => {
  const make = (layer: tf.RNN, c: Case) =>
    tf.sequential({
      layers: [
        tf.layers.masking({ inputShape: [c.timeSteps, c.inputSize] }),
        tf.layers.bidirectional({ layer, mergeMode: "concat" }),
      ],
    });
  for (const returnSequences of [true, false]) {
    const c: Case = {
      batchSize: 3,
      timeSteps: 7,
      inputSize: 3,
      units: 4,
      returnSequences,
      padding: [[0, 0], [0, 2], [1, 0]],
    };
    const reference = make(tf.layers.lstm(layerArgs(c)), c);
    const fused = make(fusedLstm(layerArgs(c)), c);
    const refWeights = reference.getWeights();
    assert.deepEqual(
      fused.getWeights().map((w) => w.shape),
      refWeights.map((w) => w.shape),
    );
    fused.setWeights(refWeights);
    const bi = fused.layers[1] as unknown as { forwardLayer: tf.layers.Layer };
    assert.ok(bi.forwardLayer instanceof FusedLSTM);
    const x = tf.tensor3d(paddedInput(c, 21), [3, 7, 3]);
    const expected = reference.predict(x) as tf.Tensor;
    const actual = fused.predict(x) as tf.Tensor;
    assertAllClose(actual.dataSync(), expected.dataSync(), { atol: OUTPUT_ATOL });
    const outWeights = tf.tensor(randomArray(expected.size, seededUniform(4)), expected.shape);
    const want = gradsOf(
      () => reference.apply(x) as tf.Tensor,
      weightVariables(reference),
      outWeights,
    );
    const got = gradsOf(() => fused.apply(x) as tf.Tensor, weightVariables(fused), outWeights);
    assert.equal(got.length, 6);
    got.forEach((g, i) => assertAllClose(g, want[i], { atol: GRAD_ATOL, label: `grad ${i}` }));
    tf.dispose([x, outWeights, expected, actual]);
  }
});

Deno.test("training-time dropout matches tfjs's, given the same masks", () => {
  for (const goBackwards of [false, true]) {
    const c: Case = {
      batchSize: 3,
      timeSteps: 8,
      inputSize: 4,
      units: 5,
      returnSequences: true,
      goBackwards,
      padding: [[0, 0], [0, 3], [1, 0]],
    };
    // A fixed pattern instead of random draws, so both layers drop the same units.
    const dropoutFunc = (ones: tf.Tensor, rate: number) =>
      tf.tidy(() => {
        const pattern = Array.from({ length: ones.size }, (_, i) => (i * 7) % 5 < 2 ? 0 : 1);
        return tf.mul(ones, tf.tensor(pattern, ones.shape)).div(1 - rate);
      });
    const args = { ...layerArgs(c), dropout: 0.3, recurrentDropout: 0.4, dropoutFunc };
    const reference = tf.layers.lstm(args);
    const fused = fusedLstm(args);
    const data = paddedInput(c, 31);
    const x = tf.variable(tf.tensor3d(data, [c.batchSize, c.timeSteps, c.inputSize]));
    const mask = paddingMask(data, c);
    reference.apply(x);
    fused.apply(x);
    fused.setWeights(reference.getWeights());
    const run = (layer: tf.layers.Layer) => () =>
      layer.apply(x, { mask, training: true }) as tf.Tensor;
    const expected = run(reference)(), actual = run(fused)();
    assertAllClose(actual.dataSync(), expected.dataSync(), { atol: OUTPUT_ATOL });
    // Dropout must have had an effect: inference output differs.
    const inference = fused.apply(x, { mask }) as tf.Tensor;
    assert.ok(inference.sub(actual).abs().max().dataSync()[0] > 1e-3);
    const outWeights = tf.tensor(randomArray(expected.size, seededUniform(8)), expected.shape);
    const want = gradsOf(run(reference), [x, ...weightVariables(reference)], outWeights);
    const got = gradsOf(run(fused), [x, ...weightVariables(fused)], outWeights);
    got.forEach((g, i) => assertAllClose(g, want[i], { atol: GRAD_ATOL, label: `grad ${i}` }));
    tf.dispose([x, mask, expected, actual, inference, outWeights]);
  }
});

Deno.test("configurations outside the fused kernels fall back to tfjs and stay correct", () => {
  const args = { units: 3, returnSequences: true, returnState: true, inputShape: [5, 2] };
  const reference = tf.layers.lstm(args);
  const fused = fusedLstm(args);
  assert.equal(fused.usesFusedKernels(), false);
  const x = tf.tensor3d(randomArray(20, seededUniform(8)), [2, 5, 2]);
  const want = reference.apply(x) as tf.Tensor[];
  const got = fused.apply(x) as tf.Tensor[];
  fused.setWeights(reference.getWeights());
  const got2 = fused.apply(x) as tf.Tensor[];
  assert.equal(got.length, 3);
  got2.forEach((g, i) => assertAllClose(g.dataSync(), want[i].dataSync(), { atol: OUTPUT_ATOL }));
  assert.equal(fusedLstm({ units: 3, activation: "relu" }).usesFusedKernels(), false);
  assert.equal(
    fusedLstm({ units: 3, dropout: 0.5, recurrentDropout: 0.2 }).usesFusedKernels(),
    true,
  );
  tf.dispose([x, ...want, ...got, ...got2]);
});

Deno.test("a few RMSProp steps of model.fit lower the loss of a FusedLSTM classifier", async () => {
  const random = seededUniform(11);
  const count = 24, steps = 12, features = 3;
  const x = new Float32Array(count * steps * features);
  const y = new Float32Array(count * 2);
  for (let n = 0; n < count; n++) {
    const label = n % 2;
    y[n * 2 + label] = 1;
    for (let i = 0; i < steps * features; i++) {
      x[n * steps * features + i] = random(-0.5, 0.5) + (label === 1 ? 0.6 : -0.6);
    }
  }
  const model = tf.sequential({
    layers: [
      fusedLstm({ units: 8, returnSequences: true, inputShape: [steps, features] }),
      fusedLstm({ units: 8 }),
      tf.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  model.compile({
    optimizer: tf.train.rmsprop(0.01),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  const xs = tf.tensor3d(x, [count, steps, features]);
  const ys = tf.tensor2d(y, [count, 2]);
  const history = await model.fit(xs, ys, { epochs: 8, batchSize: 8, shuffle: false, verbose: 0 });
  const losses = history.history["loss"] as number[];
  assert.ok(
    losses[losses.length - 1] < 0.5 * losses[0],
    `loss should fall by half: ${losses.map((l) => l.toFixed(3)).join(" → ")}`,
  );
  tf.dispose([xs, ys]);
  model.dispose();
});

function memoryHandler(): tf.io.IOHandler & { artifacts?: tf.io.ModelArtifacts } {
  const handler: tf.io.IOHandler & { artifacts?: tf.io.ModelArtifacts } = {
    save: (artifacts) => {
      // Through JSON, as a file would, so nothing survives that a real save would drop.
      handler.artifacts = {
        ...JSON.parse(JSON.stringify({ ...artifacts, weightData: undefined })),
        weightData: artifacts.weightData,
      };
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
      });
    },
    load: () => Promise.resolve(handler.artifacts!),
  };
  return handler;
}

Deno.test("a model with FusedLSTM layers saves and loads back with tf.loadLayersModel", async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.masking({ inputShape: [9, 3] }),
      fusedLstm({ units: 5, returnSequences: true, recurrentActivation: "sigmoid" }),
      tf.layers.bidirectional({ layer: fusedLstm({ units: 4 }) as tf.RNN }),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  const handler = memoryHandler();
  await model.save(handler);
  const topology = JSON.stringify(handler.artifacts!.modelTopology);
  assert.match(topology, /"class_name":"FusedLSTM"/);
  assert.doesNotMatch(topology, /"class_name":"LSTM"/);
  const loaded = await tf.loadLayersModel(handler);
  assert.ok(loaded.layers[1] instanceof FusedLSTM);
  const x = tf.tensor3d(
    paddedInput({
      batchSize: 2,
      timeSteps: 9,
      inputSize: 3,
      units: 0,
      padding: [[0, 2], [0, 0]],
    }, 2),
    [2, 9, 3],
  );
  const before = model.predict(x) as tf.Tensor;
  const after = loaded.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(after.dataSync()), Array.from(before.dataSync()));
  tf.dispose([x, before, after]);
});

Deno.test("weights saved from tf.layers.lstm load unchanged into FusedLSTM", async () => {
  const model = stack(tf.layers.lstm, 8, 3);
  const handler = memoryHandler();
  await model.save(handler);
  handler.artifacts!.modelTopology = withFusedLstm(handler.artifacts!.modelTopology);
  const loaded = await tf.loadLayersModel(handler);
  assert.ok(loaded.layers[1] instanceof FusedLSTM && loaded.layers[2] instanceof FusedLSTM);
  assert.deepEqual(
    loaded.weights.map((w) => w.originalName),
    model.weights.map((w) => w.originalName),
  );
  const x = tf.tensor3d(randomArray(2 * 8 * 3, seededUniform(12)), [2, 8, 3]);
  const expected = model.predict(x) as tf.Tensor;
  const actual = loaded.predict(x) as tf.Tensor;
  assertAllClose(actual.dataSync(), expected.dataSync(), { atol: OUTPUT_ATOL });
  tf.dispose([x, expected, actual]);
});
