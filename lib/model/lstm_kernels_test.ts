import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import {
  fastTanh,
  hardSigmoid,
  lstmBackward,
  lstmForward,
  prepareLstm,
  sigmoid,
} from "./lstm_kernels.ts";

Deno.test("fastTanh stays within float32 rounding of Math.tanh", () => {
  let maxError = 0;
  for (let x = -20; x <= 20; x += 1e-4) {
    maxError = Math.max(maxError, Math.abs(fastTanh(x) - Math.tanh(x)));
  }
  assert.ok(maxError < 3e-8, `max |fastTanh − tanh| = ${maxError}`);
  assert.equal(fastTanh(0), 0);
  assert.equal(fastTanh(1e3), 1);
  assert.equal(fastTanh(-1e3), -1);
});

Deno.test("hardSigmoid is tfjs's clip(0.2·x + 0.5, 0, 1)", () => {
  assert.deepEqual([-3, -2.5, -1, 0, 1, 2.5, 3].map(hardSigmoid), [0, 0, 0.3, 0.5, 0.7, 1, 1]);
});

// One unit, one input, two steps, computed by hand from the LSTM equations.
Deno.test("two steps of a one-unit LSTM equal the equations evaluated by hand", () => {
  const [wi, wf, wc, wo] = [0.5, -0.25, 1, 0.75];
  const [ri, rf, rc, ro] = [0.1, 0.2, -0.3, 0.4];
  const [bi, bf, bc, bo] = [0, 1, 0.1, -0.2];
  const p = prepareLstm({
    inputSize: 1,
    units: 1,
    kernel: new Float32Array([wi, wf, wc, wo]),
    recurrentKernel: new Float32Array([ri, rf, rc, ro]),
    bias: new Float32Array([bi, bf, bc, bo]),
    recurrentActivation: "sigmoid",
  });
  const xs = [0.8, -1.2];
  let h = 0, c = 0;
  const want: number[] = [];
  for (const x of xs) {
    const i = sigmoid(wi * x + ri * h + bi), f = sigmoid(wf * x + rf * h + bf);
    const g = Math.tanh(wc * x + rc * h + bc), o = sigmoid(wo * x + ro * h + bo);
    c = f * c + i * g;
    h = o * Math.tanh(c);
    want.push(h);
  }
  const trace = lstmForward(p, { x: new Float32Array(xs), batchSize: 1, timeSteps: 2 });
  assertAllClose(trace.hidden, want, { atol: 1e-7 });
  const back = lstmForward(p, {
    x: new Float32Array([...xs].reverse()),
    batchSize: 1,
    timeSteps: 2,
    goBackwards: true,
  });
  assertAllClose(back.hidden, want, { atol: 1e-7 });
});

// d(Σ w·h)/dθ by central differences in double precision, against the analytic backward pass.
Deno.test("the backward pass agrees with finite differences", () => {
  const units = 2, inputSize = 3, timeSteps = 4, batchSize = 2;
  const values = (n: number, seed: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.8);
  const kernel = values(inputSize * 4 * units, 1);
  const recurrentKernel = values(units * 4 * units, 2);
  const bias = values(4 * units, 3);
  const x = values(batchSize * timeSteps * inputSize, 4);
  const mask = new Float32Array([1, 1, 0, 1, 0, 1, 1, 1]);
  const outWeights = values(batchSize * timeSteps * units, 5);
  const loss = () => {
    const p = prepareLstm({
      inputSize,
      units,
      kernel,
      recurrentKernel,
      bias,
      recurrentActivation: "sigmoid",
    });
    const t = lstmForward(p, { x, batchSize, timeSteps, mask, goBackwards: true });
    return t.hidden.reduce((s, h, i) => s + h * outWeights[i], 0);
  };
  const p = prepareLstm({
    inputSize,
    units,
    kernel,
    recurrentKernel,
    bias,
    recurrentActivation: "sigmoid",
  });
  const trace = lstmForward(p, { x, batchSize, timeSteps, mask, goBackwards: true });
  const grads = lstmBackward(p, trace, outWeights, true);
  const pairs: Array<[Float32Array, Float32Array]> = [
    [x, grads.dx],
    [kernel, grads.dKernel],
    [recurrentKernel, grads.dRecurrentKernel],
    [bias, grads.dBias],
  ];
  for (const [param, grad] of pairs) {
    const numeric = Array.from(param, (_, i) => {
      const keep = param[i], step = 1e-2;
      param[i] = keep + step;
      const up = loss();
      param[i] = keep - step;
      const down = loss();
      param[i] = keep;
      return (up - down) / (2 * step);
    });
    // float32 storage limits the difference quotient to about 1e-3.
    assertAllClose(grad, numeric, { atol: 2e-3, rtol: 1e-2 });
  }
});
