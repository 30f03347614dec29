import assert from "node:assert/strict";
import {
  accuracy,
  accuracyByGroup,
  argMax,
  confusionMatrix,
  recallPerClass,
  unweightedAverageRecall,
  wilsonInterval,
} from "./metrics.ts";

Deno.test("confusion matrix, accuracy, recall and UAR on a worked example", () => {
  // class 0: 3 clips, 2 right; class 1: 1 clip, right; class 2: none.
  const m = confusionMatrix([0, 0, 0, 1], [0, 0, 1, 1], 3);
  assert.deepEqual(m, [[2, 1, 0], [0, 1, 0], [0, 0, 0]]);
  assert.equal(accuracy(m), 0.75);
  assert.deepEqual(recallPerClass(m), [2 / 3, 1, null]);
  assert.equal(unweightedAverageRecall(m), (2 / 3 + 1) / 2);
});

Deno.test("UAR differs from accuracy when classes are unbalanced", () => {
  const truth = [...new Array(90).fill(0), ...new Array(10).fill(1)];
  const always0 = new Array(100).fill(0);
  const m = confusionMatrix(truth, always0, 2);
  assert.equal(accuracy(m), 0.9);
  assert.equal(unweightedAverageRecall(m), 0.5);
});

Deno.test("metrics reject mismatched or out-of-range input", () => {
  assert.throws(() => confusionMatrix([0, 1], [0], 2), /as many predictions/);
  assert.throws(() => confusionMatrix([0, 2], [0, 1], 2), /below 2/);
  assert.throws(() => confusionMatrix([0, -1], [0, 1], 2), /below 2/);
  assert.equal(accuracy(confusionMatrix([], [], 2)), 0);
});

Deno.test("argMax picks the first largest", () => {
  assert.equal(argMax([0.1, 0.7, 0.7, 0.2]), 1);
  assert.equal(argMax(new Float32Array([3])), 0);
});

Deno.test("accuracy by group counts each group's clips and right answers", () => {
  const byCorpus = accuracyByGroup(
    [0, 1, 2, 3, 0],
    [0, 2, 2, 3, 1],
    ["tess", "ravdess", "tess", "ravdess", "ravdess"],
  );
  assert.deepEqual(byCorpus, {
    tess: { clips: 2, accuracy: 1 },
    ravdess: { clips: 3, accuracy: 1 / 3 },
  });
  assert.throws(() => accuracyByGroup([0], [0], []), /as many labels, predictions and groups/);
});

Deno.test("Wilson interval: known values, symmetric for 1/2, never outside [0, 1]", () => {
  // 107 of 240 (the shipped model's unseen-speaker test score): 38.43 … 50.91 %.
  const [lo, hi] = wilsonInterval(107, 240);
  assert.ok(Math.abs(lo - 0.3843) < 1e-4 && Math.abs(hi - 0.5091) < 1e-4, `${lo} ${hi}`);
  const [a, b] = wilsonInterval(50, 100);
  assert.ok(Math.abs(a + b - 1) < 1e-12);
  assert.deepEqual(wilsonInterval(0, 0), [0, 1]);
  // None of 10: the textbook upper bound 0.2775.
  const [zero, upper] = wilsonInterval(0, 10);
  assert.equal(zero, 0);
  assert.ok(Math.abs(upper - 0.2775) < 1e-4, `${upper}`);
  assert.ok(wilsonInterval(10, 10)[1] <= 1);
  assert.throws(() => wilsonInterval(11, 10), /right <= n/);
});
