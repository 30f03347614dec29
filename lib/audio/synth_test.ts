import assert from "node:assert/strict";
import { rms } from "./features.ts";
import { seededRandom, sine, speechLikeSignal } from "./synth.ts";

Deno.test("seeded random is reproducible and uniform-ish in [0, 1)", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const values = Array.from({ length: 10000 }, () => a());
  assert.deepEqual(values.slice(0, 5), Array.from({ length: 5 }, () => b()));
  assert.ok(values.every((v) => v >= 0 && v < 1));
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01, String(mean));
  assert.notEqual(seededRandom(43)(), seededRandom(42)());
});

Deno.test("speech-like signal: deterministic, peak 0.5, with pauses and loud syllables", () => {
  const x = speechLikeSignal({ durationS: 4, seed: 9 });
  assert.deepEqual(x, speechLikeSignal({ durationS: 4, seed: 9 }));
  assert.equal(x.length, 64000);
  assert.ok(Math.abs(Math.max(...x.map(Math.abs)) - 0.5) < 1e-6);
  const frames = rms(x);
  const loud = Math.max(...frames);
  assert.ok(frames.some((v) => v < 0.05 * loud), "has pauses");
  assert.ok(frames.filter((v) => v > 0.3 * loud).length > 10, "has syllables");
  assert.equal(sine(4, 4000, 16000)[1], 1);
  assert.throws(() => speechLikeSignal({ durationS: 0 }), /Expected durationS > 0, but got 0/);
});
