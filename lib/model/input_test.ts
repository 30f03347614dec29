import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import { deltas, inputWidth, modelInput, normaliseUtterance, VOICED_RMS } from "./input.ts";
import { PIPELINE_VERSION } from "../audio/constants.ts";

Deno.test("deltas of a ramp are its slope; of a constant, zero", () => {
  const frames = 10;
  const ramp = Float32Array.from({ length: frames }, (_, t) => 3 * t);
  const d = deltas(ramp, frames, 1);
  // interior frames see the full ±2 window: slope exactly 3
  assertAllClose(d.subarray(2, 8), new Float32Array(6).fill(3), { atol: 1e-6 });
  assertAllClose(deltas(new Float32Array(frames).fill(7), frames, 1), new Float32Array(frames), {
    atol: 0,
  });
});

Deno.test("utterance normalisation: voiced frames get mean 0 / std 1, others 0", () => {
  const frames = 6;
  const width = 2;
  // column 0 is RMS; frames 4 and 5 are silent padding.
  const data = Float32Array.from([0.1, 10, 0.3, 20, 0.1, 30, 0.3, 40, 0, -50, 0, -50]);
  const out = normaliseUtterance(data, frames, width);
  const col = (c: number, ts: number[]) => ts.map((t) => out[t * width + c]);
  assertAllClose(col(0, [0, 1, 2, 3]), [-1, 1, -1, 1], { atol: 1e-6 });
  const c1 = col(1, [0, 1, 2, 3]);
  const mean = c1.reduce((a, b) => a + b) / 4;
  const std = Math.sqrt(c1.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
  assertAllClose([mean, std], [0, 1], { atol: 1e-6 });
  assert.deepEqual(col(1, [4, 5]), [0, 0]);
  assert.ok(VOICED_RMS > 0);
});

Deno.test("modelInput stacks base features and deltas per frame, and checks the shape", () => {
  const frames = 4;
  const data = Float32Array.from({ length: frames * 15 }, (_, i) => i);
  const cfg = {
    pipelineVersion: PIPELINE_VERSION,
    frames,
    normalisation: "none",
    deltas: 1,
  } as const;
  const x = modelInput({ data, frames, featureCount: 15 }, cfg);
  assert.equal(inputWidth(cfg), 30);
  assert.equal(x.length, frames * 30);
  assert.deepEqual(Array.from(x.subarray(0, 15)), Array.from(data.subarray(0, 15)));
  const d = deltas(data, frames, 15);
  assert.deepEqual(Array.from(x.subarray(45, 60)), Array.from(d.subarray(15, 30)));
  assert.throws(
    () => modelInput({ data, frames, featureCount: 15 }, { ...cfg, frames: 5 }),
    /Expected features \[5, 15\] but got \[4, 15\]/,
  );
});
