/**
 * Test helpers shared by the model tests.
 *
 * @module
 */

import { AssertionError } from "node:assert/strict";

/** Tolerances of {@link assertAllClose}: `|actual − expected| ≤ atol + rtol·|expected|`. */
export interface CloseOptions {
  /** Absolute tolerance; default 1e-6. */
  atol?: number;
  /** Relative tolerance; default 0. */
  rtol?: number;
  /** Prefix for the failure message. */
  label?: string;
}

/**
 * Asserts elementwise closeness of two equally long numeric arrays (numpy's `allclose` rule) and
 * returns the largest absolute difference so that tests can report how close they came. The
 * failure message names the worst index, because "not close" alone is useless for a 10k-element
 * gradient.
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: CloseOptions = {},
): number {
  const { atol = 1e-6, rtol = 0, label = "arrays" } = options;
  if (actual.length !== expected.length) {
    throw new AssertionError({
      message: `${label}: expected length ${expected.length} but got ${actual.length}`,
    });
  }
  let maxDiff = 0, worst = -1, worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= maxDiff)) maxDiff = diff;
    const excess = diff - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    throw new AssertionError({
      message: `${label}: not close at index ${worst}: ${actual[worst]} vs ${expected[worst]} ` +
        `(max |diff| ${maxDiff}, atol ${atol}, rtol ${rtol})`,
    });
  }
  return maxDiff;
}

/**
 * Deterministic uniform random numbers in [lo, hi) (mulberry32), so failures reproduce and
 * weights can be drawn without touching tfjs's global random state.
 */
export function seededUniform(seed: number): (lo?: number, hi?: number) => number {
  let state = seed >>> 0;
  return (lo = 0, hi = 1) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + (hi - lo) * u;
  };
}

/** A `Float32Array` of `length` seeded uniform values in [lo, hi). */
export function randomArray(
  length: number,
  random: (lo?: number, hi?: number) => number,
  lo = -1,
  hi = 1,
): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = random(lo, hi);
  return out;
}
