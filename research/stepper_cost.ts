/**
 * What ensembles of narrower networks cost the stepper: milliseconds per 3 s window (94 frames ×
 * 15 features) for one and three networks of the recipe's 64 units and four, six and eight of 32
 * units, on random weights, the ensembles alternated pass by pass in one process (median of 7
 * passes over 20 windows). Prints one line per ensemble.
 *
 * Usage: deno run --allow-read --allow-env research/stepper_cost.ts
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fusedLstm } from "../lib/model/fused_lstm.ts";
import { createEnsembleStepper } from "../lib/model/lstm_stepper.ts";
import { memberWeightsOf } from "../lib/model/stepper_weights.ts";

const FRAMES = 94;
const WIDTH = 15;

function network(units: number, seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const lstm = (returnSequences: boolean, s: number) =>
    fusedLstm({
      units,
      returnSequences,
      kernelInitializer: init(s),
      recurrentInitializer: init(s + 1),
    });
  const input = tf.input({ shape: [FRAMES, WIDTH] });
  const x = lstm(false, seed + 2).apply(lstm(true, seed).apply(input)) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 8, activation: "softmax", kernelInitializer: init(seed + 4) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

const ensembles: [string, number, number][] = [
  ["1 × 64 units", 1, 64],
  ["3 × 64 units", 3, 64],
  ["4 × 32 units", 4, 32],
  ["6 × 32 units", 6, 32],
  ["8 × 32 units", 8, 32],
];
const steppers = ensembles.map(([, count, units]) =>
  createEnsembleStepper(
    Array.from({ length: count }, (_, i) => memberWeightsOf(network(units, 10 * i))[0]),
  )
);
const windows = Array.from(
  { length: 20 },
  (_, w) => Float32Array.from({ length: FRAMES * WIDTH }, (_, i) => 3 * Math.sin(0.37 * i + w)),
);
const times = steppers.map(() => [] as number[]);
let checksum = 0;
for (let pass = 0; pass < 9; pass++) {
  steppers.forEach((stepper, e) => {
    const started = performance.now();
    for (const x of windows) checksum += stepper.advance(x, stepper.initialState())[0];
    // the first two passes warm up
    if (pass >= 2) times[e].push((performance.now() - started) / windows.length);
  });
}
if (!Number.isFinite(checksum)) throw new Error("the ensembles' outputs were not finite");
ensembles.forEach(([name], e) => {
  const sorted = times[e].sort((a, b) => a - b);
  console.log(`${name}: ${sorted[sorted.length >> 1].toFixed(2)} ms a window`);
});
