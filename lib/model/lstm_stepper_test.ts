import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fusedLstm, lstmWeightsOf } from "./fused_lstm.ts";
import { createClassifierStepper, createLstmStepper } from "./lstm_stepper.ts";
import { prepareLstm } from "./lstm_kernels.ts";
import { createSimdLstmLayer } from "./simd_lstm.ts";
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

// 6 units run the scalar loop; 8 and 64 (multiples of 4) the SIMD kernel of simd_lstm.ts, which
// the last case forces off again.
const STEPPER_CASES = [
  { units: 6, simd: true },
  { units: 8, simd: true },
  { units: 64, simd: true },
  { units: 8, simd: false },
];

Deno.test("stepping one LSTM in random blocks reproduces its full-sequence outputs", () => {
  for (const recurrentActivation of ["hardSigmoid", "sigmoid"] as const) {
    for (const { units, simd } of STEPPER_CASES) {
      const layer = tf.layers.lstm({
        units,
        returnSequences: true,
        recurrentActivation,
        ...initialisers(3),
      });
      // Inputs up to ±6 drive some gates into saturation, where tanh's clamp matters.
      const x = randomArray(FRAMES * FEATURES, seededUniform(1), -6, 6);
      const xs = tf.tensor3d(x, [1, FRAMES, FEATURES]);
      const full = layer.apply(xs) as tf.Tensor;
      const expected = full.dataSync();
      const weights = lstmWeightsOf(layer);
      assert.equal(createSimdLstmLayer(prepareLstm(weights)) !== null, units % 4 === 0);
      const stepper = createLstmStepper(weights, { simd });
      const state = stepper.initialState();
      let t = 0;
      for (const n of randomBlocks(FRAMES, 7)) {
        const out = stepper.advance(x.subarray(t * FEATURES, (t + n) * FEATURES), state);
        assert.equal(out.length, n * units);
        assertCloseMeasured(out, expected.subarray(t * units, (t + n) * units), {
          atol: 1e-5,
          label: `${recurrentActivation}, ${units} units, simd ${simd}, frame ${t}`,
        });
        t += n;
      }
      assert.equal(t, FRAMES);
      assertCloseMeasured(state.h, expected.subarray((FRAMES - 1) * units), { atol: 1e-5 });
      tf.dispose([xs, full]);
    }
  }
});

function classifier(masking: boolean, units: [number, number]) {
  return tf.sequential({
    layers: [
      ...(masking ? [tf.layers.masking({ inputShape: [null, FEATURES] })] : []),
      fusedLstm({
        units: units[0],
        returnSequences: true,
        ...(masking ? {} : { inputShape: [null, FEATURES] }),
        ...initialisers(10),
      }),
      fusedLstm({ units: units[1], ...initialisers(20) }),
      tf.layers.dense({ units: 4, activation: "softmax" }),
    ],
  });
}

Deno.test("the classifier stepper matches model.predict on every prefix, with zero padding", () => {
  // [7, 6] units run the scalar loop, [8, 4] the SIMD kernel.
  for (const [masking, units] of [[false, [7, 6]], [true, [7, 6]], [true, [8, 4]]] as const) {
    const model = classifier(masking, [...units]);
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
        label: `after ${t} frames, masking ${masking}, units ${units}`,
      });
      maxDiff = Math.max(maxDiff, diff);
      tf.dispose([prefix, expected]);
    }
    assert.equal(state.frames, FRAMES);
    console.log(`masking ${masking}, units ${units}: max |Δp| ${maxDiff.toExponential(2)}`);
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
