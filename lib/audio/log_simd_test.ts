/**
 * The table-driven logarithm against `Math.log` (within 1 ulp), and the SIMD kernel against
 * its scalar twin (bit for bit).
 */

import assert from "node:assert/strict";
import { DB_PER_NEPER, naturalLog, powerToAmplitudeDb, powerToDecibels } from "./log_simd.ts";
import { seededRandom } from "./synth.ts";

/** Distance between x and the next double away from zero. */
function ulp(x: number): number {
  const bits = new BigUint64Array(new Float64Array([Math.abs(x)]).buffer)[0];
  const exponent = Number((bits >> 52n) & 0x7ffn);
  return 2 ** (Math.max(exponent, 1) - 1075);
}

function testInputs(): Float64Array {
  const random = seededRandom(42);
  const values: number[] = [];
  for (let i = 0; i < 40000; i++) values.push(Math.exp((random() - 0.5) * 160));
  for (let i = 0; i < 20000; i++) values.push(1 + (random() - 0.5) * 2 ** -6);
  for (let i = 0; i < 5000; i++) values.push(1 + (random() - 0.5) * 2 ** -30);
  for (let e = -1000; e <= 1000; e += 7) {
    // Powers of two and the ends of z's range [0.6875, 1.375) around them.
    for (const m of [1, 0.6875, 1.375, Math.SQRT2, 1 - 2 ** -53, 1 + 2 ** -52]) {
      values.push(2 ** e * m);
    }
  }
  values.push(Number.EPSILON, 1, Number.MIN_VALUE * 2 ** 52, Number.MAX_VALUE);
  return Float64Array.from(values);
}

Deno.test("naturalLog is within 1 ulp of Math.log, exact at 1 and near 1 relative", () => {
  let worst = 0;
  for (const x of testInputs()) {
    const expected = Math.log(x);
    const error = Math.abs(naturalLog(x) - expected) / ulp(expected);
    if (error > worst) worst = error;
    assert.ok(error <= 1, `ln(${x}): ${naturalLog(x)} vs ${expected}`);
  }
  assert.equal(naturalLog(1), 0);
  assert.equal(naturalLog(Infinity), Infinity);
  assert.ok(Number.isNaN(naturalLog(NaN)));
  console.log(`largest difference from Math.log: ${worst.toFixed(2)} ulp`);
});

Deno.test("powerToAmplitudeDb: 20·log10(√p + ε), SIMD and scalar routes bit-identical", () => {
  const random = seededRandom(7);
  // An odd length, longer than one kernel block, with zeros, infinities and NaN.
  const powers = Float64Array.from({ length: 20001 }, () => random() ** 8 * 10);
  powers[0] = 0;
  powers[1] = Infinity;
  powers[2] = NaN;
  powers[3] = 1;
  const simd = powers.slice();
  const scalar = powers.slice();
  powerToAmplitudeDb(simd, true);
  powerToAmplitudeDb(scalar, false);
  assert.deepEqual(simd, scalar);
  for (let i = 0; i < powers.length; i += 97) {
    const expected = 20 * Math.log10(Math.sqrt(powers[i]) + Number.EPSILON);
    assert.ok(Math.abs(simd[i] - expected) <= 4 * ulp(expected), `p = ${powers[i]}`);
  }
  assert.equal(simd[0], DB_PER_NEPER * naturalLog(Number.EPSILON));
  assert.equal(simd[1], Infinity);
  assert.ok(Number.isNaN(simd[2]));
});

Deno.test("powerToDecibels: 10·log10(max(p, amin)), exact at amin, SIMD equal to scalar", () => {
  const random = seededRandom(9);
  const amin = 1e-10;
  const aminDb = 10 * Math.log10(amin);
  const powers = Float64Array.from({ length: 9001 }, () => random() ** 12 * 100);
  powers.set([0, amin, amin / 2, 1, NaN, Infinity], 0);
  const simd = powers.slice();
  const scalar = powers.slice();
  powerToDecibels(simd, amin, aminDb, true);
  powerToDecibels(scalar, amin, aminDb, false);
  // As plain arrays, so that NaN equals NaN whatever its sign bit.
  assert.deepEqual([...simd], [...scalar]);
  assert.deepEqual([...simd.subarray(0, 4)], [aminDb, aminDb, aminDb, 0]);
  assert.ok(Number.isNaN(simd[4]));
  assert.equal(simd[5], Infinity);
  for (let i = 6; i < powers.length; i++) {
    const expected = 10 * Math.log10(Math.max(powers[i], amin));
    assert.ok(Math.abs(simd[i] - expected) <= 4 * ulp(expected), `p = ${powers[i]}`);
  }
});
