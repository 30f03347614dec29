import assert from "node:assert/strict";
import { CHUNK_SAMPLES, Chunker, float32LittleEndian } from "./chunker.ts";

function ramp(from: number, length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => from + i);
}

Deno.test("chunks are exactly 16000 samples, numbered from 0, in input order", () => {
  const chunker = new Chunker();
  const chunks = [];
  let next = 0;
  for (const size of [1000, 15000, 1, 31999, 7, 40000]) {
    chunks.push(...chunker.push(ramp(next, size)));
    next += size;
  }
  assert.equal(CHUNK_SAMPLES, 16000);
  assert.deepEqual(chunks.map((c) => c.seq), [0, 1, 2, 3, 4]);
  for (const [i, chunk] of chunks.entries()) {
    assert.equal(chunk.samples.length, 16000);
    assert.equal(chunk.samples[0], i * 16000);
    assert.equal(chunk.samples[15999], i * 16000 + 15999);
  }
  assert.equal(chunker.bufferedSamples, next - 5 * 16000);
});

Deno.test("flush hands out the remainder once, as a shorter last chunk", () => {
  const chunker = new Chunker();
  assert.equal(chunker.push(ramp(0, 16000 + 250)).length, 1);
  const [last, ...rest] = chunker.flush();
  assert.deepEqual(rest, []);
  assert.equal(last.seq, 1);
  assert.deepEqual(last.samples, ramp(16000, 250));
  assert.deepEqual(chunker.flush(), []);
  assert.throws(() => chunker.push(ramp(0, 1)), /after flush/);
});

Deno.test("flush after a whole number of chunks adds none", () => {
  const chunker = new Chunker(4);
  assert.deepEqual(chunker.push(ramp(0, 8)).map((c) => c.seq), [0, 1]);
  assert.deepEqual(chunker.flush(), []);
});

Deno.test("chunks handed out are never reused by later pushes", () => {
  const chunker = new Chunker(4);
  const [first] = chunker.push(ramp(0, 4));
  chunker.push(ramp(100, 6));
  assert.deepEqual(first.samples, ramp(0, 4));
});

Deno.test("the wire format is little-endian float32 with no header", () => {
  const samples = new Float32Array([0, 1, -0.5, 0.1]);
  const bytes = float32LittleEndian(samples);
  assert.equal(bytes.length, 16);
  const view = new DataView(bytes.buffer);
  assert.deepEqual([0, 1, 2, 3].map((i) => view.getFloat32(i * 4, true)), Array.from(samples));
  assert.deepEqual(Array.from(bytes.subarray(4, 8)), [0x00, 0x00, 0x80, 0x3f]);
  // A view into a larger buffer is encoded from its own offset.
  assert.deepEqual(float32LittleEndian(samples.subarray(1, 2)), bytes.subarray(4, 8));
});
