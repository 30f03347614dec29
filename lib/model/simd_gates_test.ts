import assert from "node:assert/strict";
import {
  lstmBackward,
  lstmForward,
  type LstmSequenceBatch,
  type PreparedLstm,
  prepareLstm,
  setSimdGates,
} from "./lstm_kernels.ts";
import { simdGatesAvailable } from "./simd_gates.ts";
import { TANH_RATIONAL_LIMIT } from "./kernel_constants.ts";

// Deterministic values in [-scale/2, scale/2).
function values(n: number, seed: number, scale: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => {
    x = (x * 16807) % 2147483647;
    return (x / 2147483647 - 0.5) * scale;
  });
}

// Indices where two arrays differ in any bit (so +0 and −0 differ, and equal NaNs do not).
function bitDifferences(a: Float32Array, b: Float32Array): number[] {
  assert.equal(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: number[] = [];
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) out.push(i);
  return out;
}

interface Case {
  name: string;
  batchSize: number;
  timeSteps: number;
  inputSize: number;
  units: number;
  weightScale: number;
  bias?: Float32Array;
  masked?: boolean;
  goBackwards?: boolean;
  returnSequences?: boolean;
  recurrentDropout?: boolean;
  outputScale?: number;
}

function run(c: Case, useSimd?: boolean) {
  const gateSize = 4 * c.units;
  const p: PreparedLstm = prepareLstm({
    inputSize: c.inputSize,
    units: c.units,
    kernel: values(c.inputSize * gateSize, 3, c.weightScale),
    recurrentKernel: values(c.units * gateSize, 5, c.weightScale),
    bias: c.bias ?? values(gateSize, 7, 1),
    recurrentActivation: "hardSigmoid",
  });
  const rows = c.batchSize * c.timeSteps;
  const batch: LstmSequenceBatch = {
    x: values(rows * c.inputSize, 11, 4),
    batchSize: c.batchSize,
    timeSteps: c.timeSteps,
    mask: c.masked ? Float32Array.from({ length: rows }, (_, i) => i % 5 === 2 ? 0 : 1) : null,
    goBackwards: c.goBackwards,
    recurrentDropoutMask: c.recurrentDropout
      ? values(c.batchSize * c.units, 13, 2).map((v) => v > 0 ? 1 / 0.7 : 0)
      : null,
  };
  const returnSequences = c.returnSequences ?? true;
  const dOutput = values(returnSequences ? rows * c.units : c.batchSize * c.units, 17, 1)
    .map((v) => v * (c.outputScale ?? 1));
  const trace = lstmForward(p, batch, useSimd);
  const grads = lstmBackward(p, trace, dOutput, returnSequences, useSimd);
  return { trace, grads };
}

const CASES: Case[] = [
  {
    name: "one step, two units",
    batchSize: 1,
    timeSteps: 1,
    inputSize: 1,
    units: 2,
    weightScale: 1,
  },
  { name: "small", batchSize: 3, timeSteps: 7, inputSize: 5, units: 4, weightScale: 1 },
  {
    name: "masked, recurrent dropout, large pre-activations (tanh through Math.exp)",
    batchSize: 4,
    timeSteps: 9,
    inputSize: 3,
    units: 6,
    weightScale: 30,
    masked: true,
    recurrentDropout: true,
  },
  {
    name: "backwards, last output only",
    batchSize: 5,
    timeSteps: 11,
    inputSize: 4,
    units: 8,
    weightScale: 2,
    masked: true,
    goBackwards: true,
    returnSequences: false,
  },
  {
    // i = f = 1 and g near 1 make the cell grow by about 1 a step, past the rational tanh's
    // range, in both passes.
    name: "growing cells",
    batchSize: 2,
    timeSteps: 24,
    inputSize: 2,
    units: 4,
    weightScale: 0.1,
    bias: Float32Array.from({ length: 16 }, () => 6),
  },
  {
    name: "gradients small enough to flush",
    batchSize: 2,
    timeSteps: 40,
    inputSize: 3,
    units: 2,
    weightScale: 1,
    outputScale: 1e-28,
  },
  {
    name: "the recipe's layer",
    batchSize: 8,
    timeSteps: 94,
    inputSize: 15,
    units: 64,
    weightScale: 0.5,
  },
];

Deno.test("the gate kernels serve hardSigmoid layers of even width", () => {
  assert.equal(simdGatesAvailable(64, true), true);
  assert.equal(simdGatesAvailable(2, true), true);
  assert.equal(simdGatesAvailable(5, true), false);
  assert.equal(simdGatesAvailable(64, false), false);
});

for (const c of CASES) {
  Deno.test(`SIMD gate loops equal the scalar loops bit for bit: ${c.name}`, () => {
    const simd = run(c, true), scalar = run(c, false);
    const pairs: Array<[string, Float32Array, Float32Array]> = [
      ["gates", simd.trace.gates, scalar.trace.gates],
      ["cells", simd.trace.cells, scalar.trace.cells],
      ["hidden", simd.trace.hidden, scalar.trace.hidden],
      ["dx", simd.grads.dx, scalar.grads.dx],
      ["dKernel", simd.grads.dKernel, scalar.grads.dKernel],
      ["dRecurrentKernel", simd.grads.dRecurrentKernel, scalar.grads.dRecurrentKernel],
      ["dBias", simd.grads.dBias, scalar.grads.dBias],
    ];
    for (const [name, a, b] of pairs) {
      assert.deepEqual(bitDifferences(a, b), [], `${name} differs`);
    }
    // The results are not trivially zero.
    assert.ok(simd.trace.hidden.some((h) => h !== 0));
    assert.ok(simd.grads.dKernel.some((g) => g !== 0));
  });
}

Deno.test("the cases reach tanh's Math.exp branch and flushed gradients", () => {
  const growing = run(CASES.find((c) => c.name === "growing cells")!, true);
  assert.ok(
    growing.trace.cells.some((c) => Math.abs(c) > TANH_RATIONAL_LIMIT),
    "no cell beyond the rational range",
  );
  const tiny = run(CASES.find((c) => c.name === "gradients small enough to flush")!, false);
  const dZFlushed = tiny.grads.dBias.some((g) => g !== 0 && Math.abs(g) < 1e-27);
  assert.ok(dZFlushed, "no gradient as small as the flushed ones");
});

Deno.test("setSimdGates sets the default route and reports the previous setting", () => {
  const c = CASES[2];
  const previous = setSimdGates(false);
  try {
    assert.equal(setSimdGates(false), false);
    const scalarDefault = run(c);
    assert.equal(setSimdGates(true), false);
    assert.equal(setSimdGates(true), true);
    const simdDefault = run(c);
    assert.deepEqual(bitDifferences(scalarDefault.grads.dKernel, simdDefault.grads.dKernel), []);
  } finally {
    setSimdGates(previous);
  }
});

Deno.test("a forward pass's trace does not change when the scratch is reused", () => {
  const c = CASES[1];
  const first = run(c, true);
  const copy = first.trace.hidden.slice();
  run({ ...c, weightScale: 3 }, true);
  assert.deepEqual(bitDifferences(first.trace.hidden, copy), []);
});
