import assert from "node:assert/strict";
import { sine } from "../audio/synth.ts";
import { augmentClip } from "./augment.ts";
import { timeStretch } from "./stretch.ts";

/** Zero crossings per second over `x[from, to)` of 16 kHz audio. */
function crossingRate(x: Float32Array, from = 0, to = x.length): number {
  let n = 0;
  for (let i = from + 1; i < to; i++) if ((x[i - 1] < 0) !== (x[i] < 0)) n++;
  return n / ((to - from) / 16000);
}

/** Centre (seconds) of the loudest 50 ms of 16 kHz audio. */
function loudest(x: Float32Array): number {
  let best = -1, at = 0;
  for (let i = 0; i + 800 <= x.length; i += 160) {
    let e = 0;
    for (let j = i; j < i + 800; j++) e += x[j] * x[j];
    if (e > best) [best, at] = [e, i + 400];
  }
  return at / 16000;
}

Deno.test("timeStretch changes length by 1/rate and keeps the pitch", () => {
  const tone = sine(16000, 200, 16000, 0.5);
  for (const rate of [0.8, 1.25]) {
    const out = timeStretch(tone, rate);
    assert.equal(out.length, Math.round(16000 / rate));
    // 200 Hz is 400 crossings a second, away from the ends.
    const r = crossingRate(out, 1000, out.length - 1000);
    assert.ok(Math.abs(r - 400) < 6, `rate ${rate}: ${r} crossings/s`);
    // Overlapping frames add in phase: the level stays that of the tone.
    let peak = 0;
    for (let i = 1000; i < out.length - 1000; i++) peak = Math.max(peak, Math.abs(out[i]));
    assert.ok(peak > 0.45 && peak < 0.55, `rate ${rate}: peak ${peak}`);
  }
});

Deno.test("timeStretch moves events in time by 1/rate", () => {
  // A 150 Hz burst at 0.5 s in 1 s of quiet 300 Hz tone.
  const x = sine(16000, 300, 16000, 0.05);
  const burst = sine(800, 150, 16000, 0.9);
  for (let i = 0; i < burst.length; i++) x[7600 + i] += burst[i];
  assert.ok(Math.abs(loudest(x) - 0.5) < 0.02);
  assert.ok(Math.abs(loudest(timeStretch(x, 0.8)) - 0.625) < 0.03);
  assert.ok(Math.abs(loudest(timeStretch(x, 1.25)) - 0.4) < 0.03);
});

Deno.test("timeStretch keeps clips shorter than a frame and refuses rates out of range", () => {
  const short = sine(300, 200, 16000, 0.5);
  assert.deepEqual(timeStretch(short, 1.5), short.subarray(0, 200));
  assert.equal(timeStretch(short, 0.75).length, 400);
  assert.throws(() => timeStretch(short, 3), /between 0\.5 and 2/);
  assert.throws(() => timeStretch(short, Number.NaN), RangeError);
});

Deno.test("a voice shift moves the pitch by speed and keeps length and timing", () => {
  const x = sine(16000, 300, 16000, 0.05);
  const burst = sine(800, 200, 16000, 0.9);
  for (let i = 0; i < burst.length; i++) x[7600 + i] += burst[i];
  const shifted = augmentClip(x, { speed: 1.2, snrDb: null, seed: 1, keepTempo: true });
  assert.equal(shifted.length, x.length);
  assert.ok(Math.abs(loudest(shifted) - 0.5) < 0.02, `${loudest(shifted)}`);
  // Inside the burst: 200 Hz becomes 240 Hz (480 crossings a second).
  const r = crossingRate(shifted, 7700, 8300);
  assert.ok(Math.abs(r - 480) < 15, `${r} crossings/s`);
  // Speed perturbation alone would have moved the burst to 0.5 / 1.2 s.
  const sped = augmentClip(x, { speed: 1.2, snrDb: null, seed: 1 });
  assert.ok(Math.abs(loudest(sped) - 0.5 / 1.2) < 0.02);
});
