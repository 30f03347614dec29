import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { FusedDropout, fusedDropout, setDropoutStep } from "./fused_dropout.ts";
import { FusedRMSProp, fusedRmsprop } from "./fused_rmsprop.ts";
import { fusedLstm } from "./fused_lstm.ts";

await tf.setBackend("cpu");

/** The values of what a layer's `apply` returned for a concrete tensor. */
function values(t: unknown): Float32Array {
  const tensor = (Array.isArray(t) ? t[0] : t) as tf.Tensor;
  return Float32Array.from(tensor.dataSync() as Float32Array);
}

function sameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

Deno.test("tfjs's seeded Dropout drops the same units on every call (what fixed masks keep)", () => {
  const layer = tf.layers.dropout({ rate: 0.3, seed: 7 });
  const x = tf.ones([4, 6, 5]);
  const first = values(layer.apply(x, { training: true }));
  const second = values(layer.apply(x, { training: true }));
  sameBits(second, first, "second call");
  assert.ok(first.some((v) => v === 0) && first.some((v) => v !== 0));
});

Deno.test("fixed masks: outputs and gradients equal tfjs's seeded Dropout bit for bit", () => {
  for (
    const [rate, seed, shape] of [[0.3, 7, [4, 6, 5]], [0.5, 11, [3, 8]], [0.1, 2, [
      2,
      3,
      4,
    ]]] as const
  ) {
    const tfjs = tf.layers.dropout({ rate, seed });
    const fused = fusedDropout({ rate, seed });
    const x = tf.randomNormal([...shape], 0, 1, "float32", seed + 1);
    for (let call = 0; call < 2; call++) {
      sameBits(
        values(fused.apply(x, { training: true })),
        values(tfjs.apply(x, { training: true })),
        `rate ${rate}, call ${call}: output`,
      );
    }
    const dy = tf.randomNormal([...shape], 0, 1, "float32", seed + 2);
    const grad = (layer: tf.layers.Layer) =>
      values(
        tf.grad((input: tf.Tensor) =>
          tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, dy))
        )(x),
      );
    sameBits(grad(fused), grad(tfjs), `rate ${rate}: gradient`);
  }
});

Deno.test("a dropout layer passes the input through outside training", () => {
  const x = tf.randomNormal([3, 4], 0, 1, "float32", 5);
  for (const masks of ["fixed", "fresh"] as const) {
    const layer = fusedDropout({ rate: 0.4, seed: 1, masks });
    sameBits(values(layer.apply(x)), values(x), `${masks}: inference`);
    sameBits(values(layer.apply(x, { training: false })), values(x), `${masks}: training false`);
  }
});

Deno.test("fresh masks: a new mask each step, the same mask for the same (seed, step)", () => {
  const x = tf.ones([32, 94, 8]);
  const layer = fusedDropout({ rate: 0.3, seed: 4, masks: "fresh" });
  const a = values(layer.apply(x, { training: true }));
  const b = values(layer.apply(x, { training: true }));
  assert.equal(layer.step, 2);
  const differ = a.filter((v, i) => v !== b[i]).length;
  // Two independent masks of rate 0.3 disagree on 2·0.3·0.7 = 42 % of the units.
  assert.ok(Math.abs(differ / a.length - 0.42) < 0.02, `masks differ on ${differ} of ${a.length}`);
  const dropped = a.filter((v) => v === 0).length / a.length;
  assert.ok(Math.abs(dropped - 0.3) < 0.01, `dropped ${dropped}`);
  const kept = a.find((v) => v !== 0)!;
  assert.equal(kept, Math.fround(1 / Math.fround(0.7)));

  const again = fusedDropout({ rate: 0.3, seed: 4, masks: "fresh" });
  again.step = 1;
  sameBits(values(again.apply(x, { training: true })), b, "step 1 drawn again");
  const otherSeed = fusedDropout({ rate: 0.3, seed: 5, masks: "fresh" });
  const c = values(otherSeed.apply(x, { training: true }));
  assert.ok(c.some((v, i) => v !== a[i]), "another seed draws another mask");
});

Deno.test("setDropoutStep sets the step of every FusedDropout of a model", () => {
  const input = tf.input({ shape: [6] });
  const d1 = fusedDropout({ rate: 0.5, seed: 1, masks: "fresh" });
  const d2 = fusedDropout({ rate: 0.5, seed: 2, masks: "fresh" });
  const out = tf.layers.dense({ units: 2 }).apply(
    d2.apply(d1.apply(input)) as tf.SymbolicTensor,
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  setDropoutStep(model, 41);
  assert.deepEqual([d1.step, d2.step], [41, 41]);
});

Deno.test("bad dropout arguments are refused with the reason", () => {
  assert.throws(() => fusedDropout({ rate: 1, seed: 1 }), /dropout rate in \[0, 1\)/);
  assert.throws(() => fusedDropout({ rate: 0.3, seed: NaN }), /finite dropout seed/);
  assert.throws(
    () => fusedDropout({ rate: 0.3, seed: 1, masks: "other" as "fixed" }),
    /"fixed" or "fresh"/,
  );
});

Deno.test("a FusedDropout is saved with its mask policy and loads back", () => {
  const layer = fusedDropout({ rate: 0.25, seed: 9, masks: "fresh", name: "drop" });
  const config = layer.getConfig();
  assert.equal(config.masks, "fresh");
  const copy = FusedDropout.fromConfig(
    FusedDropout as unknown as tf.serialization.SerializableConstructor<FusedDropout>,
    config,
  );
  assert.equal(copy.masks, "fresh");
  assert.equal(copy.maskSeed, 9);
  assert.equal(copy.getConfig().rate, 0.25);
  assert.equal(
    tf.serialization.SerializationMap.getMap().classNameMap["FusedDropout"][0],
    FusedDropout as unknown,
  );
});

// The recipe's network, trained a few steps with tfjs's Dropout and RMSProp and with the fused
// ones: every weight and optimizer accumulator must come out the same, bit for bit.
function recipe(fused: boolean): tf.LayersModel {
  const input = tf.input({ shape: [9, 4] });
  const drop = (seed: number) =>
    fused ? fusedDropout({ rate: 0.3, seed }) : tf.layers.dropout({ rate: 0.3, seed });
  let x = fusedLstm({
    units: 6,
    returnSequences: true,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    recurrentInitializer: tf.initializers.glorotUniform({ seed: 2 }),
  }).apply(input) as tf.SymbolicTensor;
  x = drop(4).apply(x) as tf.SymbolicTensor;
  x = fusedLstm({
    units: 6,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    recurrentInitializer: tf.initializers.glorotUniform({ seed: 5 }),
  }).apply(x) as tf.SymbolicTensor;
  x = drop(5).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({
    units: 3,
    activation: "softmax",
    kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }),
  }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  model.compile({
    optimizer: fused ? fusedRmsprop(0.01) : tf.train.rmsprop(0.01),
    loss: "categoricalCrossentropy",
  });
  return model;
}

Deno.test("the fused Dropout and RMSProp train the recipe to tfjs's weights bit for bit", async () => {
  const reference = recipe(false);
  const fused = recipe(true);
  for (let step = 0; step < 6; step++) {
    // The last batch of an epoch is smaller: its mask has another shape.
    const n = step === 5 ? 3 : 5;
    const x = tf.randomNormal([n, 9, 4], 0, 1, "float32", 100 + step);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0].slice(0, n), "int32"), 3);
    const lossRef = await reference.trainOnBatch(x, y) as number;
    const lossFused = await fused.trainOnBatch(x, y) as number;
    assert.equal(lossFused, lossRef, `step ${step}: loss`);
  }
  const a = reference.getWeights(), b = fused.getWeights();
  a.forEach((w, i) => sameBits(values(b[i]), values(w), `weight ${i}`));
  const oa = await reference.optimizer.getWeights(), ob = await fused.optimizer.getWeights();
  assert.equal(ob.length, oa.length);
  oa.forEach((w, i) => {
    // The layers of the two models are numbered apart; the variable within a layer is the same.
    const within = (name: string) => name.replace(/^[^/]*\//, "");
    assert.equal(within(ob[i].name), within(w.name));
    sameBits(values(ob[i].tensor), values(w.tensor), `optimizer ${w.name}`);
  });
});

Deno.test("the fused RMSProp matches tfjs's with momentum and a changed learning rate", () => {
  const make = (fused: boolean) => {
    const v = tf.variable(tf.randomNormal([40], 0, 1, "float32", 3));
    const opt = fused
      ? new FusedRMSProp(0.01, 0.8, 0.5, 1e-6)
      : tf.train.rmsprop(0.01, 0.8, 0.5, 1e-6);
    return { v, opt, state: opt as unknown as { learningRate: number } };
  };
  const ref = make(false), fused = make(true);
  for (let step = 0; step < 5; step++) {
    if (step === 3) ref.state.learningRate = fused.state.learningRate = 0.003;
    const g = tf.randomNormal([40], 0, 1, "float32", 10 + step);
    ref.opt.applyGradients({ [ref.v.name]: g });
    fused.opt.applyGradients({ [fused.v.name]: g });
  }
  sameBits(values(fused.v), values(ref.v), "variable");
});
