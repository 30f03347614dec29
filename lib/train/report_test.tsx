import assert from "node:assert/strict";
import { reportPictures } from "./report.tsx";
import type { EpochRecord } from "./trainer.ts";

const epoch = (n: number, val: number | null): EpochRecord => ({
  epoch: n,
  loss: 1 / n,
  accuracy: 0.5,
  valLoss: val === null ? null : 2 / n,
  valAccuracy: val,
  seconds: 1,
});

Deno.test("reportPictures draws a validation curve only for runs that had validation clips", () => {
  const labels = ["neutral", "calm"];
  const held = reportPictures("held", labels, {}, [epoch(1, 0.4), epoch(2, 0.6)]);
  const all = reportPictures("all", labels, {}, [epoch(1, null), epoch(2, null)]);
  for (const file of ["loss.svg", "accuracy.svg"]) {
    assert.match(held[file], />training<\/text>/);
    assert.match(held[file], />validation<\/text>/);
    assert.match(all[file], />training<\/text>/);
    assert.doesNotMatch(all[file], />validation<\/text>/);
  }
});
