import assert from "node:assert/strict";
import { seededRandom } from "../audio/synth.ts";
import { advanceVad, flushVad, initialVadState, type Utterance } from "./vad.ts";

const RATE = 16000;

/** Noise at −60 dBFS with tone bursts (−20 dBFS) at the given [start, end) seconds. */
function scene(seconds: number, bursts: [number, number][]): Float32Array {
  const random = seededRandom(11);
  const x = new Float32Array(seconds * RATE);
  for (let i = 0; i < x.length; i++) x[i] = 0.001 * (random() * 2 - 1) * Math.sqrt(3);
  for (const [a, b] of bursts) {
    for (let i = a * RATE; i < b * RATE; i++) x[i] += 0.1 * Math.SQRT2 * Math.sin(i * 0.2);
  }
  return x;
}

function run(x: Float32Array, pieceSizes: number[]): Utterance[] {
  let state = initialVadState();
  const found: Utterance[] = [];
  let pending = new Float32Array(0);
  let offset = 0;
  let k = 0;
  while (offset < x.length) {
    const size = pieceSizes[k++ % pieceSizes.length];
    const piece = x.subarray(offset, Math.min(x.length, offset + size));
    offset += piece.length;
    const joined = new Float32Array(pending.length + piece.length);
    joined.set(pending);
    joined.set(piece, pending.length);
    const whole = joined.length - (joined.length % 512);
    const step = advanceVad(state, joined.subarray(0, whole));
    state = step.state;
    found.push(...step.closed);
    pending = joined.slice(whole);
  }
  return [...found, ...flushVad(state)];
}

Deno.test("bursts in steady noise become utterances within a hop of their edges", () => {
  const x = scene(8, [[1, 2.5], [4, 5]]);
  const found = run(x, [16000]);
  assert.equal(found.length, 2, JSON.stringify(found));
  const expected = [[1, 2.5], [4, 5]];
  found.forEach((u, i) => {
    assert.ok(Math.abs(u.startSample - expected[i][0] * RATE) <= 512, `start ${u.startSample}`);
    assert.ok(Math.abs(u.endSample - expected[i][1] * RATE) <= 512, `end ${u.endSample}`);
  });
});

Deno.test("noise alone, and clicks shorter than 0.3 s, are not utterances", () => {
  assert.deepEqual(run(scene(4, []), [16000]), []);
  assert.deepEqual(run(scene(4, [[1, 1.15]]), [16000]), []);
});

Deno.test("long speech is closed at the maximum length and goes on in a new utterance", () => {
  const found = run(scene(16, [[1, 15]]), [16000]);
  assert.ok(found.length >= 3, JSON.stringify(found));
  for (const u of found) assert.ok(u.endSample - u.startSample <= 6 * RATE);
  for (let i = 1; i < found.length; i++) assert.ok(found[i].startSample >= found[i - 1].endSample);
});

Deno.test("the result does not depend on how the stream is cut into chunks", () => {
  const x = scene(9, [[0.5, 2], [3, 3.6], [5, 8.2]]);
  const whole = run(x, [x.length]);
  assert.deepEqual(run(x, [16000]), whole);
  assert.deepEqual(run(x, [137, 4001, 999]), whole);
});

Deno.test("a stream that ends mid-utterance is closed by flush; bad chunk sizes are refused", () => {
  const found = run(scene(3, [[1, 3]]), [16000]);
  assert.equal(found.length, 1);
  assert.ok(Math.abs(found[0].endSample - 3 * RATE) <= 512);
  assert.throws(() => advanceVad(initialVadState(), new Float32Array(100)), /multiple of 512/);
});
