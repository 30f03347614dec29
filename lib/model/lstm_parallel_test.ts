import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import { fusedLstm } from "./fused_lstm.ts";
import { lstmBackward, lstmForward, type LstmWeights, prepareLstm } from "./lstm_kernels.ts";
import {
  lstmWorkerRunning,
  shardedBackward,
  shardedForward,
  startLstmWorker,
  stopLstmWorker,
} from "./lstm_parallel.ts";
import { randomArray, seededUniform } from "./testing.ts";

await tf.setBackend("cpu");

const [BATCH, TIME, INPUT, UNITS] = [5, 70, 16, 32]; // above the split threshold

function setup(seed: number) {
  const random = seededUniform(seed);
  const weights: LstmWeights = {
    inputSize: INPUT,
    units: UNITS,
    kernel: randomArray(INPUT * 4 * UNITS, random, -0.5, 0.5),
    recurrentKernel: randomArray(UNITS * 4 * UNITS, random, -0.5, 0.5),
    bias: randomArray(4 * UNITS, random),
    recurrentActivation: "hardSigmoid",
  };
  const x = randomArray(BATCH * TIME * INPUT, random, -2, 2);
  const mask = new Float32Array(BATCH * TIME).fill(1);
  mask.fill(0, 2 * TIME + 50, 3 * TIME); // a padded tail in a row the worker does not get
  mask.fill(0, 4 * TIME, 4 * TIME + 9); // a padded head in a row it does
  const dOutput = randomArray(BATCH * TIME * UNITS, random);
  const dropout = (n: number) =>
    Float32Array.from({ length: n }, () => random() < 0.3 ? 0 : 1 / 0.7);
  const batch = {
    x,
    batchSize: BATCH,
    timeSteps: TIME,
    mask,
    goBackwards: true,
    inputDropoutMask: dropout(BATCH * INPUT),
    recurrentDropoutMask: dropout(BATCH * UNITS),
  };
  return { weights, batch, dOutput };
}

Deno.test("batches split with the worker give the single-thread results", async () => {
  await startLstmWorker();
  try {
    assert.ok(lstmWorkerRunning());
    const { weights, batch, dOutput } = setup(1);
    const p = prepareLstm(weights);
    const want = lstmForward(p, batch);
    const wantGrads = lstmBackward(p, want, dOutput, true);
    const sharded = shardedForward(p, weights, batch);
    assert.ok(sharded.remote !== null, "the batch should have been split");
    assertAllClose(sharded.hidden, want.hidden, { atol: 1e-7 });
    const grads = shardedBackward(p, sharded, dOutput, true);
    assertAllClose(grads.dx, wantGrads.dx, { atol: 1e-6 });
    assertAllClose(grads.dKernel, wantGrads.dKernel, { atol: 1e-5 });
    assertAllClose(grads.dRecurrentKernel, wantGrads.dRecurrentKernel, { atol: 1e-5 });
    assertAllClose(grads.dBias, wantGrads.dBias, { atol: 1e-5 });

    // Worker gone between forward and backward: its rows are recomputed here.
    const orphan = shardedForward(p, weights, batch);
    stopLstmWorker();
    const recovered = shardedBackward(p, orphan, dOutput, true);
    assertAllClose(recovered.dKernel, wantGrads.dKernel, { atol: 1e-5 });
  } finally {
    stopLstmWorker();
  }
});

Deno.test("FusedLSTM trained with the worker matches tf.layers.lstm gradients", async () => {
  await startLstmWorker();
  try {
    const args = { units: UNITS, inputShape: [TIME, INPUT] };
    const reference = tf.sequential({ layers: [tf.layers.lstm(args)] });
    const fused = tf.sequential({ layers: [fusedLstm(args)] });
    fused.setWeights(reference.getWeights());
    const x = tf.tensor3d(randomArray(BATCH * TIME * INPUT, seededUniform(3), -2, 2), [
      BATCH,
      TIME,
      INPUT,
    ]);
    const grads = (model: tf.LayersModel) => {
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar,
        vars,
      );
      const out = vars.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array));
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const want = grads(reference), got = grads(fused);
    got.forEach((g, i) => assertAllClose(g, want[i], { atol: 1e-4, label: `grad ${i}` }));
    const before = fused.predict(x) as tf.Tensor, after = reference.predict(x) as tf.Tensor;
    assertAllClose(before.dataSync(), after.dataSync(), { atol: 1e-5 });
    tf.dispose([x, before, after]);
  } finally {
    stopLstmWorker();
  }
});
