import * as assert from "node:assert/strict";
import { EMOTION_LABELS } from "../data/labels.ts";
import { affectOf, affectOfSegments, CIRCUMPLEX } from "./affect.ts";

Deno.test("affect: a certain prediction lands on its label's circumplex point", () => {
  for (const label of EMOTION_LABELS) {
    assert.deepEqual(affectOf({ [label]: 1 }), CIRCUMPLEX[label]);
  }
});

Deno.test("affect: probabilities weight the points, unknown labels are ignored", () => {
  const a = affectOf({ happy: 0.5, sad: 0.5, bored: 3 })!;
  assert.ok(Math.abs(a.valence - (0.8 - 0.7) / 2) < 1e-12);
  assert.ok(Math.abs(a.arousal - (0.5 - 0.5) / 2) < 1e-12);
  assert.equal(affectOf({}), null);
  assert.equal(affectOf({ bored: 1 }), null);
});

Deno.test("affect: the circumplex keeps pleasant/unpleasant and calm/activated apart", () => {
  assert.ok(CIRCUMPLEX.happy.valence > 0 && CIRCUMPLEX.calm.valence > 0);
  for (const l of ["sad", "angry", "fearful", "disgust"] as const) {
    assert.ok(CIRCUMPLEX[l].valence < 0, l);
  }
  assert.ok(CIRCUMPLEX.angry.arousal > 0 && CIRCUMPLEX.sad.arousal < 0);
});

Deno.test("affect: segments are weighted by duration; zero-length ones do not count", () => {
  const a = affectOfSegments([
    { startS: 0, endS: 3, probabilities: { happy: 1 } },
    { startS: 3, endS: 4, probabilities: { sad: 1 } },
    { startS: 4, endS: 4, probabilities: { angry: 1 } },
  ])!;
  assert.ok(Math.abs(a.valence - (3 * 0.8 - 0.7) / 4) < 1e-12);
  assert.ok(Math.abs(a.arousal - (3 * 0.5 - 0.5) / 4) < 1e-12);
  assert.equal(affectOfSegments([]), null);
});
