import assert from "node:assert/strict";
import {
  formatTable,
  measureFeaturesRealtimeFactor,
  measureHistoryRenderMs,
  MEASUREMENTS,
  measureRecipeTrainStep,
  measureSegmentCost,
  measureStepperSimd,
  measureTtaCopies,
  measureTtaCost,
  runMeasurements,
} from "./bench.ts";

Deno.test("featuresRealtimeFactor measures a positive rate", () => {
  const m = measureFeaturesRealtimeFactor({ durationS: 3, repeats: 1 });
  assert.ok(Number.isFinite(m.value) && m.value > 0, String(m.value));
  assert.equal(m.unit, "s audio / s");
  assert.match(formatTable({ featuresRealtimeFactor: m }), /^figure\s+value\s+unit\s+what\n/);
});

Deno.test("every figure is a named measurement; unknown names are refused", async () => {
  assert.deepEqual(Object.keys(MEASUREMENTS), [
    "featuresRealtimeFactor",
    "lstmInferMs",
    "lstmInferSpeedup",
    "lstmTrainBatchSpeedup",
    "recipeTrainStepMs",
    "recipeTrainStepSpeedup",
    "recipeTrainStepGateSpeedup",
    "chunkMsP50",
    "chunkMsP99",
    "incrementalVsWindowSpeedup",
    "segmentMs",
    "segmentNetworkMs",
    "segmentDenseMs",
    "stepperSimdSpeedup",
    "segmentTtaMs",
    "segmentTtaCostRatio",
    "segmentTta3CostRatio",
    "ttaCopiesSpeedup",
    "historyRenderMs",
  ]);
  await assert.rejects(() => runMeasurements(["noSuchFigure"]), RangeError);
});

Deno.test("historyRenderMs renders a real history page and times it", async () => {
  const m = await measureHistoryRenderMs({ entries: 20, repeats: 2 });
  assert.ok(Number.isFinite(m.value) && m.value > 0, String(m.value));
  assert.equal(m.unit, "ms");
});

// Timings only: which is larger is left to `deno task bench`, since a test run beside others
// cannot promise it.
Deno.test("segment figures time the whole classification, the network and the dense member", async () => {
  const { segmentMs, networkMs, denseMs } = await measureSegmentCost({ windows: 2, repeats: 1 });
  assert.ok(Number.isFinite(networkMs) && networkMs > 0, String(networkMs));
  assert.ok(Number.isFinite(denseMs) && denseMs > 0, String(denseMs));
  assert.ok(Number.isFinite(segmentMs) && segmentMs > 0, String(segmentMs));
});

Deno.test("stepperSimdSpeedup times the scalar loop and the SIMD kernel on the same windows", async () => {
  const { scalarMs, simdMs } = await measureStepperSimd({ windows: 2, repeats: 1 });
  assert.ok(Number.isFinite(scalarMs) && scalarMs > 0, String(scalarMs));
  assert.ok(Number.isFinite(simdMs) && simdMs > 0, String(simdMs));
});

Deno.test("segmentTtaCostRatio times classification with and without the copies", async () => {
  for (const copies of [undefined, 3]) {
    const { plainMs, ttaMs } = await measureTtaCost({ windows: 1, repeats: 1, copies });
    assert.ok(Number.isFinite(plainMs) && plainMs > 0, String(plainMs));
    assert.ok(Number.isFinite(ttaMs) && ttaMs > 0, String(ttaMs));
  }
  // The count reaches the classification, which checks it.
  await assert.rejects(() => measureTtaCost({ windows: 1, repeats: 1, copies: 7 }), RangeError);
});

Deno.test("ttaCopiesSpeedup times training's copies and test-time augmentation's", async () => {
  const { trainingMs, ttaMs } = await measureTtaCopies({ windows: 1, repeats: 1 });
  assert.ok(Number.isFinite(trainingMs) && trainingMs > 0, String(trainingMs));
  assert.ok(Number.isFinite(ttaMs) && ttaMs > 0, String(ttaMs));
});

Deno.test("recipeTrainStepSpeedup times a training step with tfjs's and the fused layers", async () => {
  const step = await measureRecipeTrainStep({ repeats: 1, frames: 8 });
  for (const [name, ms] of Object.entries(step)) assert.ok(ms > 0, `${name} ${ms}`);
  assert.deepEqual(Object.keys(step), ["tfjsMs", "fusedMs", "scalarGatesMs", "simdGatesMs"]);
});
