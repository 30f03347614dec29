/**
 * Element-wise closeness assertion for numeric arrays, in the spirit of `numpy.allclose`:
 * an element passes when `|actual − expected| ≤ atol + rtol·|expected|`.
 */

import { AssertionError } from "node:assert/strict";

/** Tolerances for {@link assertAllClose}; both default to 0 (exact equality). */
export interface AllCloseOptions {
  /** Absolute tolerance, in the unit of the values. */
  atol?: number;
  /** Relative tolerance, as a fraction of `|expected|`. */
  rtol?: number;
  /** Prefix for the failure message, e.g. the name of the quantity and the fixture file. */
  label?: string;
}

/** Summary of how far two arrays are apart; returned by {@link compareAllClose}. */
export interface AllCloseReport {
  /** Number of compared elements. */
  length: number;
  /** Number of elements outside the tolerance. */
  failures: number;
  /** Index of the first failing element, or -1. */
  firstFailure: number;
  /** Largest `|actual − expected|` over all elements. */
  maxAbsDiff: number;
  /** Index where {@link maxAbsDiff} occurs, or -1 for empty input. */
  maxAbsDiffIndex: number;
  /** Largest `|actual − expected| / |expected|` over elements with non-zero expected value. */
  maxRelDiff: number;
}

/**
 * Compares two equally long numeric arrays element by element and reports the worst
 * differences without throwing. Tests use it to print the error they actually achieved, and
 * {@link assertAllClose} builds its message from it. NaN only matches NaN, and an infinity
 * only the same infinity, so a pipeline that starts emitting NaN fails loudly.
 */
export function compareAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: AllCloseOptions = {},
): AllCloseReport {
  const atol = options.atol ?? 0;
  const rtol = options.rtol ?? 0;
  if (!(atol >= 0)) throw new RangeError(`Expected atol >= 0, but got ${atol}`);
  if (!(rtol >= 0)) throw new RangeError(`Expected rtol >= 0, but got ${rtol}`);
  const length = Math.min(actual.length, expected.length);
  let failures = 0;
  let firstFailure = -1;
  let maxAbsDiff = 0;
  let maxAbsDiffIndex = length > 0 ? 0 : -1;
  let maxRelDiff = 0;
  for (let i = 0; i < length; i++) {
    const a = actual[i];
    const e = expected[i];
    let diff: number;
    let ok: boolean;
    if (Number.isNaN(a) || Number.isNaN(e)) {
      ok = Number.isNaN(a) && Number.isNaN(e);
      diff = ok ? 0 : Infinity;
    } else if (!Number.isFinite(a) || !Number.isFinite(e)) {
      ok = a === e;
      diff = ok ? 0 : Infinity;
    } else {
      diff = Math.abs(a - e);
      ok = diff <= atol + rtol * Math.abs(e);
      if (e !== 0) maxRelDiff = Math.max(maxRelDiff, diff / Math.abs(e));
    }
    if (diff > maxAbsDiff) {
      maxAbsDiff = diff;
      maxAbsDiffIndex = i;
    }
    if (!ok) {
      failures++;
      if (firstFailure < 0) firstFailure = i;
    }
  }
  return { length, failures, firstFailure, maxAbsDiff, maxAbsDiffIndex, maxRelDiff };
}

/**
 * Asserts that `actual` and `expected` have the same length and agree element-wise within
 * `atol + rtol·|expected|`. On failure the message names the first failing index with both
 * values, the number of failing elements and the largest absolute difference with its
 * index, which is what one needs to tell a convention error (large, systematic) from
 * rounding (tiny, scattered).
 *
 * @example
 * assertAllClose(mfccRow, goldenRow, { atol: 1e-3, label: "mfcc speech_a" });
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: AllCloseOptions = {},
): void {
  const prefix = options.label ? `${options.label}: ` : "";
  if (actual.length !== expected.length) {
    throw new AssertionError({
      message: `${prefix}Expected length ${expected.length}, but got ${actual.length}`,
      actual: actual.length,
      expected: expected.length,
      operator: "assertAllClose",
    });
  }
  const report = compareAllClose(actual, expected, options);
  if (report.failures === 0) return;
  const i = report.firstFailure;
  const j = report.maxAbsDiffIndex;
  const atol = options.atol ?? 0;
  const rtol = options.rtol ?? 0;
  throw new AssertionError({
    message: `${prefix}${report.failures} of ${report.length} elements differ by more than ` +
      `atol=${atol} + rtol=${rtol}·|expected|; first at index ${i}: ` +
      `actual ${actual[i]}, expected ${expected[i]}; max |diff| ${report.maxAbsDiff} ` +
      `at index ${j} (actual ${actual[j]}, expected ${expected[j]})`,
    actual: actual[i],
    expected: expected[i],
    operator: "assertAllClose",
  });
}
