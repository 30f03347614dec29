import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fusedLstm, lstmWeightsOf } from "./fused_lstm.ts";
import { createClassifierStepper, createLstmStepper } from "./lstm_stepper.ts";
import { classifierWeightsOf } from "./stepper_weights.ts";
import { assertCloseMeasured, randomArray, seededUniform } from "./testing.ts";

await tf.setBackend("cpu");

const FRAMES = 40, FEATURES = 5;

function randomBlocks(total: number, seed: number): number[] {
  const random = seededUniform(seed);
  const sizes: number[] = [];
  for (let done = 0; done < total;) {
    const n = Math.min(total - done, Math.floor(random(0, 9))); // zero-size blocks included
    sizes.push(n);
    done += n;
  }
  return sizes;
}

function initialisers(seed: number) {
  return {
    kernelInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed }),
    recurrentInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed + 1 }),
    biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 2 }),
  };
}

Deno.test("stepping one LSTM in random blocks reproduces its full-sequence outputs", () => {
  for (const recurrentActivation of ["hardSigmoid", "sigmoid"] as const) {
    const layer = tf.layers.lstm({
      units: 6,
      returnSequences: true,
      recurrentActivation,
      ...initialisers(3),
    });
    const x = randomArray(FRAMES * FEATURES, seededUniform(1), -2, 2);
    const xs = tf.tensor3d(x, [1, FRAMES, FEATURES]);
    const full = layer.apply(xs) as tf.Tensor;
    const expected = full.dataSync();
    const stepper = createLstmStepper(lstmWeightsOf(layer));
    const state = stepper.initialState();
    let t = 0;
    for (const n of randomBlocks(FRAMES, 7)) {
      const out = stepper.advance(x.subarray(t * FEATURES, (t + n) * FEATURES), state);
      assert.equal(out.length, n * 6);
      assertCloseMeasured(out, expected.subarray(t * 6, (t + n) * 6), { atol: 1e-5 });
      t += n;
    }
    assert.equal(t, FRAMES);
    tf.dispose([xs, full]);
  }
});

function classifier(masking: boolean) {
  return tf.sequential({
    layers: [
      ...(masking ? [tf.layers.masking({ inputShape: [null, FEATURES] })] : []),
      fusedLstm({
        units: 7,
        returnSequences: true,
        ...(masking ? {} : { inputShape: [null, FEATURES] }),
        ...initialisers(10),
      }),
      fusedLstm({ units: 6, ...initialisers(20) }),
      tf.layers.dense({ units: 4, activation: "softmax" }),
    ],
  });
}

Deno.test("the classifier stepper matches model.predict on every prefix, with zero padding", () => {
  for (const masking of [false, true]) {
    const model = classifier(masking);
    const x = randomArray(FRAMES * FEATURES, seededUniform(5), -2, 2);
    // Silent frames inside the stream: skipped with a Masking layer, ordinary input without.
    for (const t of [0, 1, 13, 14, 15, 39]) x.fill(0, t * FEATURES, (t + 1) * FEATURES);
    const stepper = createClassifierStepper(classifierWeightsOf(model));
    assert.equal(stepper.classes, 4);
    const state = stepper.initialState();
    let t = 0, maxDiff = 0;
    for (const n of randomBlocks(FRAMES, 11)) {
      const probabilities = stepper.advance(x.subarray(t * FEATURES, (t + n) * FEATURES), state);
      t += n;
      if (t === 0) continue;
      const prefix = tf.tensor3d(x.subarray(0, t * FEATURES), [1, t, FEATURES]);
      const expected = model.predict(prefix) as tf.Tensor;
      const diff = assertCloseMeasured(probabilities, expected.dataSync(), {
        atol: 1e-5,
        label: `after ${t} frames, masking ${masking}`,
      });
      maxDiff = Math.max(maxDiff, diff);
      tf.dispose([prefix, expected]);
    }
    assert.equal(state.frames, FRAMES);
    console.log(`masking ${masking}: max |Δp| ${maxDiff.toExponential(2)}`);
    model.dispose();
  }
});

Deno.test("classifierWeightsOf refuses layers that cannot stream", () => {
  const bi = tf.sequential({
    layers: [
      tf.layers.bidirectional({
        layer: fusedLstm({ units: 3 }) as tf.RNN,
        inputShape: [null, FEATURES],
      }),
      tf.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  assert.throws(() => classifierWeightsOf(bi), /bidirectional and needs the whole clip/);
  const backwards = tf.sequential({
    layers: [
      fusedLstm({ units: 3, goBackwards: true, inputShape: [null, FEATURES] }),
      tf.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  assert.throws(() => classifierWeightsOf(backwards), /goes backwards/);
  const linear = tf.sequential({
    layers: [fusedLstm({ units: 3, inputShape: [null, FEATURES] }), tf.layers.dense({ units: 2 })],
  });
  assert.throws(() => classifierWeightsOf(linear), /softmax/);
  const stepper = createLstmStepper(lstmWeightsOf(linear.layers[0]));
  assert.throws(
    () => stepper.advance(new Float32Array(7), stepper.initialState()),
    /Expected frames of length n × 5, but got 7/,
  );
});
