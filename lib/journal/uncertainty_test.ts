/**
 * The "uncertain" rule: top-two margins, the threshold search on scored clips (target met and
 * fallback), the shipped thresholds file, and entry readings with unsure stretches set apart.
 */
import assert from "node:assert/strict";
import calibration from "../../models/default/uncertainty.json" with { type: "json" };
import { acceptanceStats, accepts, chooseThresholds, topTwo } from "./calibration.ts";
import {
  isUncertain,
  orderedShares,
  readingOf,
  readingsFor,
  shownLabel,
  THRESHOLDS,
  UNCERTAIN,
} from "./uncertainty.ts";

const loose = { minConfidence: 0.5, minMargin: 0.2 };

Deno.test("topTwo finds the best label and the runner-up in any order", () => {
  assert.deepEqual(topTwo({ a: 0.1, b: 0.6, c: 0.3 }), { label: "b", first: 0.6, second: 0.3 });
  assert.deepEqual(topTwo({ a: 0.6, b: 0.1, c: 0.3 }), { label: "a", first: 0.6, second: 0.3 });
  assert.deepEqual(topTwo({ a: 0.4, b: 0.4 }), { label: "a", first: 0.4, second: 0.4 });
  assert.deepEqual(topTwo({}), { label: null, first: 0, second: 0 });
});

Deno.test("accepts needs both the confidence and the margin, inclusive", () => {
  assert.equal(accepts({ a: 0.7, b: 0.3 }, loose), true);
  assert.equal(accepts({ a: 0.5, b: 0.3, c: 0.2 }, loose), true, "exactly on both thresholds");
  assert.equal(accepts({ a: 0.45, b: 0.1, c: 0.45 }, loose), false, "low and tied");
  assert.equal(accepts({ a: 0.55, b: 0.4, c: 0.05 }, loose), false, "confident but close");
  assert.equal(accepts({}, { minConfidence: 0, minMargin: 0 }), false, "nothing to show");
});

Deno.test("chooseThresholds keeps the most clips that reach the target accuracy", () => {
  // Right when confident (≥ 0.8), wrong below. Both minConfidence 0.7 and minMargin 0.3 keep
  // just the two right ones; the tie goes to the smaller minConfidence.
  const clips = [
    { label: "a", probabilities: { a: 0.9, b: 0.1 } },
    { label: "a", probabilities: { a: 0.8, b: 0.2 } },
    { label: "a", probabilities: { a: 0.4, b: 0.6 } },
    { label: "b", probabilities: { a: 0.6, b: 0.4 } },
  ];
  const chosen = chooseThresholds(clips, { targetAccuracy: 1, step: 0.1 });
  assert.equal(chosen.targetMet, true);
  assert.equal(chosen.minConfidence, 0);
  assert.equal(chosen.minMargin, 0.3, "the smallest margin that drops the 0.6/0.4 clips");
  assert.deepEqual(chosen.stats, {
    clips: 4,
    accepted: 2,
    acceptedShare: 0.5,
    acceptedAccuracy: 1,
    allAccuracy: 0.5,
  });
});

Deno.test("chooseThresholds falls back when confidence does not separate right from wrong", () => {
  const clips = [
    { label: "a", probabilities: { a: 0.9, b: 0.1 } },
    { label: "b", probabilities: { a: 0.9, b: 0.1 } },
    { label: "a", probabilities: { a: 0.6, b: 0.4 } },
    { label: "a", probabilities: { a: 0.6, b: 0.4 } },
    { label: "b", probabilities: { a: 0.6, b: 0.4 } },
  ];
  const chosen = chooseThresholds(clips, { targetAccuracy: 0.9, step: 0.1, minShare: 0.5 });
  assert.equal(chosen.targetMet, false);
  // Accepting all gives 3/5; the 0.6 clips alone give 2/3, too few; the 0.9 ones 1/2.
  assert.equal(chosen.stats.accepted, 5);
  assert.equal(chosen.minConfidence, 0);
  assert.equal(chosen.minMargin, 0);
  assert.throws(() => chooseThresholds([]), /Expected validation clips/);
});

Deno.test("the shipped thresholds come from the calibration file and are in range", () => {
  assert.equal(THRESHOLDS.minConfidence, calibration.minConfidence);
  assert.equal(THRESHOLDS.minMargin, calibration.minMargin);
  for (const v of [THRESHOLDS.minConfidence, THRESHOLDS.minMargin]) assert.ok(v >= 0 && v <= 1);
  const v = calibration.validation;
  assert.ok(v.clips > 0 && v.accepted <= v.clips);
  assert.ok(Math.abs(v.acceptedShare - v.accepted / v.clips) < 1e-3);
  assert.match(calibration.rule, /minConfidence/);
  // The shipped thresholds applied by isUncertain: a near-certain prediction is shown,
  // an even split never is.
  assert.equal(isUncertain({ happy: 0.99, sad: 0.01 }), false);
  assert.equal(isUncertain({ happy: 0.34, sad: 0.33, calm: 0.33 }), true);
  assert.equal(acceptanceStats([], THRESHOLDS).acceptedAccuracy, null);
});

Deno.test("readingOf counts unsure time as uncertain and picks the longest label", () => {
  const sure = { happy: 0.9, sad: 0.1 };
  const unsure = { happy: 0.45, sad: 0.4, calm: 0.15 };
  const segments = [
    { startS: 0, endS: 2, label: "happy", probabilities: sure },
    { startS: 2, endS: 5, label: "happy", probabilities: unsure },
    { startS: 5, endS: 6, label: "sad", probabilities: { sad: 0.8, happy: 0.2 } },
    { startS: 6, endS: 6, label: "sad", probabilities: unsure },
  ];
  assert.equal(shownLabel(segments[0], loose), "happy");
  assert.equal(shownLabel(segments[1], loose), UNCERTAIN);
  const reading = readingOf(segments, loose);
  assert.deepEqual(reading.distribution, { happy: 2 / 6, uncertain: 3 / 6, sad: 1 / 6 });
  assert.equal(reading.headline, UNCERTAIN);
  assert.equal(reading.uncertainShare, 0.5);
  const mostlySure = readingOf(
    segments.slice(0, 3).map((s, i) => i === 0 ? { ...s, endS: 3 } : s),
    loose,
  );
  assert.equal(mostlySure.headline, "happy", "a real emotion wins a tie with uncertain");
  assert.deepEqual(readingOf([], loose), { distribution: {}, headline: null, uncertainShare: 0 });
});

Deno.test("orderedShares puts the largest first and uncertain last", () => {
  assert.deepEqual(
    orderedShares({ uncertain: 0.5, sad: 0.2, happy: 0.3, calm: 0 }),
    [["happy", 0.3], ["sad", 0.2], [UNCERTAIN, 0.5]],
  );
});

Deno.test("readingsFor reads each entry's segments for its owner and skips missing ones", async () => {
  const asked: string[] = [];
  const source = {
    getEntry(userId: string, id: string) {
      asked.push(`${userId}/${id}`);
      if (id === "gone") return Promise.resolve(null);
      return Promise.resolve({
        segments: [{ startS: 0, endS: 4, label: "calm", probabilities: { calm: 1 } }],
      });
    },
  };
  const readings = await readingsFor(source, "u1", ["a", "gone"]);
  assert.deepEqual(asked, ["u1/a", "u1/gone"]);
  assert.deepEqual(Object.keys(readings), ["a"]);
  assert.equal(readings.a.headline, "calm");
});
