/**
 * The gate's matrix operations: the SIMD route against the scalar route (bit for bit), and
 * the smoothing against a direct 2-D convolution with the triangle filter.
 */

import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import { ALL_ONE, ALL_ZERO, GateMatrices } from "./gate_matrix.ts";
import { seededRandom } from "./synth.ts";

interface Case {
  rows: number;
  bins: number;
  hTime: number;
  hFreq: number;
  /** Mask values for fail/pass: 0/1 (full strength) or p-scaled. */
  off: number;
  on: number;
}

const CASES: Case[] = [
  { rows: 9, bins: 65, hTime: 3, hFreq: 16, off: 0, on: 1 },
  { rows: 8, bins: 64, hTime: 1, hFreq: 4, off: 0.5, on: 1 },
  { rows: 1, bins: 7, hTime: 2, hFreq: 9, off: 0, on: 1 },
  { rows: 5, bins: 3, hTime: 6, hFreq: 1, off: 0.3, on: 1 },
  { rows: 2, bins: 513, hTime: 3, hFreq: 16, off: 0, on: 1 },
];

/** Runs every operation on one GateMatrices and returns all results. */
function runAll(matrices: GateMatrices, c: Case, seed: number): Float64Array[] {
  const random = seededRandom(seed);
  const { rows, bins } = c;
  matrices.prepare(rows, bins, c.hTime, c.hFreq);
  const { stride } = matrices;
  const power = () => random() ** 6;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < bins; k++) matrices.spectrum[r * stride + k] = power();
  }
  matrices.spectrum[0] = 0;
  const maxima = matrices.spectrumColumnMax(0).slice();
  for (let k = 0; k < bins; k++) {
    matrices.minPower[k] = random() ** 6;
    matrices.floorPasses[k] = random() < 0.1 ? 1 : 0;
  }
  matrices.threshold(c.on, c.off);
  const mask = matrices.mask.slice();
  const flags = Float64Array.from(matrices.smooth((c.hTime + 1) ** 2 * (c.hFreq + 1) ** 2));
  const smoothed = matrices.mask.slice();
  matrices.spectrumToAmplitudeDb();
  const db = matrices.spectrum.slice();
  const floor = matrices.spectrumColumnMax(-Infinity).map((max) => max - 20);
  const sums = matrices.clampSpectrumAndSum(floor).slice();
  const clamped = matrices.spectrum.slice();
  const squares = matrices.spectrumSquaredDeviations(sums.map((s) => s / rows)).slice();
  // Only the `bins` values of each row are defined.
  const rowsOnly = (m: Float64Array) =>
    Float64Array.from(
      { length: rows * bins },
      (_, i) => m[Math.floor(i / bins) * stride + i % bins],
    );
  return [
    maxima,
    rowsOnly(mask),
    flags,
    rowsOnly(smoothed),
    rowsOnly(db),
    sums,
    rowsOnly(clamped),
    squares,
  ];
}

Deno.test("SIMD and scalar routes give bit-identical results", () => {
  const simd = new GateMatrices(true);
  const scalar = new GateMatrices(false);
  CASES.forEach((c, i) => {
    const a = runAll(simd, c, 100 + i);
    const b = runAll(scalar, c, 100 + i);
    a.forEach((values, j) => assert.deepEqual(values, b[j], `case ${i}, output ${j}`));
  });
});

Deno.test("smooth: equals a direct 2-D convolution with the triangle, zero outside", () => {
  for (const useSimd of [true, false]) {
    CASES.forEach((c, i) => {
      const matrices = new GateMatrices(useSimd);
      const random = seededRandom(7 + i);
      matrices.prepare(c.rows, c.bins, c.hTime, c.hFreq);
      const { rows, bins, stride } = matrices;
      const input = Float64Array.from(
        { length: rows * bins },
        () => (random() < 0.4 ? c.on : c.off),
      );
      for (let r = 0; r < rows; r++) {
        matrices.mask.set(input.subarray(r * bins, (r + 1) * bins), r * stride);
      }
      const total = (c.hTime + 1) ** 2 * (c.hFreq + 1) ** 2;
      const flags = matrices.smooth(total);
      const weight = (d: number, h: number) => Math.max(0, h + 1 - Math.abs(d));
      for (let r = 0; r < rows; r++) {
        const expected = Float64Array.from({ length: bins }, (_, k) => {
          let sum = 0;
          for (let r2 = 0; r2 < rows; r2++) {
            for (let k2 = 0; k2 < bins; k2++) {
              sum += input[r2 * bins + k2] * weight(r2 - r, c.hTime) * weight(k2 - k, c.hFreq);
            }
          }
          return sum / total;
        });
        const actual = matrices.mask.subarray(r * stride, r * stride + bins);
        assertAllClose(actual, expected, { atol: 1e-15, label: `case ${i} row ${r}` });
        const expectedFlags = (actual.every((v) => v === 1) ? ALL_ONE : 0) |
          (actual.every((v) => v === 0) ? ALL_ZERO : 0);
        assert.equal(flags[r], expectedFlags);
      }
    });
  }
});

Deno.test("smooth: an all-pass block away from the edges stays exactly 1", () => {
  const matrices = new GateMatrices();
  matrices.prepare(20, 64, 3, 4);
  matrices.mask.fill(1);
  const flags = matrices.smooth(16 * 25);
  // Rows far enough from the first and last have full support in time; bins near the edges
  // do not, so no row is all 1; the centre values are exact ones.
  assert.equal(matrices.mask[10 * matrices.stride + 30], 1);
  assert.ok(flags.every((f) => f === 0));
});
