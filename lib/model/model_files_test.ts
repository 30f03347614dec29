import assert from "node:assert/strict";
import { heldOutDifference, type SplitEntry } from "./model_files.ts";

const clip = (path: string, label = "sad"): SplitEntry => ({
  corpus: "ravdess",
  path,
  label,
  speaker: "Actor_17",
});

Deno.test("heldOutDifference compares held-out clips as sets of corpus paths", () => {
  const a = { val: [clip("a.wav"), clip("b.wav")], test: [clip("c.wav")] };
  assert.equal(heldOutDifference(a, { val: [clip("b.wav"), clip("a.wav")], test: a.test }), null);
  assert.equal(heldOutDifference(a, { val: a.val, test: [clip("d.wav")] }), "test");
  assert.equal(heldOutDifference(a, { val: [clip("a.wav")], test: [clip("x.wav")] }), "val");
  const tess = { ...a, test: [{ ...clip("c.wav"), corpus: "tess" }] };
  assert.equal(heldOutDifference(a, tess), "test");
});
