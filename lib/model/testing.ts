/**
 * Test helpers shared by the model tests: measured closeness, seeded random data and a dense
 * member's settings.
 *
 * @module
 */

import { FUNCTIONALS_VERSION } from "../audio/functionals.ts";
import { EMOTION_LABELS } from "../data/labels.ts";
import { type AllCloseOptions, assertAllClose, compareAllClose } from "../testing/all_close.ts";
import type { FunctionalsConfig } from "./functionals_model.ts";

/**
 * {@link assertAllClose} that also returns the largest absolute difference, so tests can report
 * how close the fused code came to tfjs and not only that it passed.
 */
export function assertCloseMeasured(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: AllCloseOptions,
): number {
  assertAllClose(actual, expected, options);
  return compareAllClose(actual, expected, options).maxAbsDiff;
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

/** A dense member's `config.json` for tests: one seed, tiny, every voice trained, weight 0.5. */
export function functionalsConfigOf(overrides: Partial<FunctionalsConfig> = {}): FunctionalsConfig {
  return {
    version: FUNCTIONALS_VERSION,
    labels: [...EMOTION_LABELS],
    units: 4,
    l2: 0,
    epochs: 1,
    batchSize: 1,
    learningRate: 0.001,
    seeds: [1],
    weight: 0.5,
    heldOutActors: { test: [], val: [] },
    trainClips: 1,
    ...overrides,
  };
}
