/**
 * The live recording API in-process: start, chunks by seq (raw Float32 and WAV), repeats,
 * out-of-order chunks, errors, finish, and a recording continued by a second app over the
 * same store (a restarted server) giving the same entry as an uninterrupted one.
 */
import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { testConfig } from "../lib/config.ts";
import { encodeWav } from "../lib/audio/encode.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { createTestApp, TEST_ORIGIN, type TestApp } from "./_helpers.ts";
import { twoUtterances } from "./_speech.ts";
import { float32LittleEndian } from "../islands/audio/chunker.ts";

const RATE = 16000;
const model = await loadEmotionModel();

function chunksOf(samples: Float32Array, size = RATE): Float32Array[] {
  const out = [];
  for (let i = 0; i < samples.length; i += size) out.push(samples.subarray(i, i + size));
  return out;
}

type Send = (path: string, init?: RequestInit) => Promise<Response>;

function sender(t: TestApp, cookie: string): Send {
  return (path, init = {}) =>
    t.request(path, {
      method: "POST",
      ...init,
      headers: { cookie, origin: TEST_ORIGIN, ...(init.headers ?? {}) },
    });
}

async function start(send: Send): Promise<string> {
  const res = await send("/api/sessions");
  assert.equal(res.status, 201);
  const { id } = await res.json();
  assert.equal(typeof id, "string");
  return id;
}

function sendChunk(send: Send, id: string, seq: number | string, samples: Float32Array) {
  return send(`/api/sessions/${id}/chunks?seq=${seq}`, {
    headers: { "content-type": "application/octet-stream" },
    body: float32LittleEndian(samples),
  });
}

async function setUp() {
  const t = await createTestApp({}, { model });
  const cookie = await t.signUp("rita");
  return { t, cookie, send: sender(t, cookie) };
}

Deno.test("a recording streamed in 1 s chunks becomes an entry with its segments", async () => {
  const { t, cookie, send } = await setUp();
  const id = await start(send);
  const audio = await twoUtterances();
  let sawCurrent = false;
  const segments = [];
  for (const [seq, chunk] of chunksOf(audio).entries()) {
    const res = await sendChunk(send, id, seq, chunk);
    assert.equal(res.status, 200);
    const answer = await res.json();
    assert.equal(answer.seq, seq);
    if (answer.current) {
      sawCurrent = true;
      assert.deepEqual(Object.keys(answer.current.probabilities), model.config.labels);
    }
    segments.push(...answer.segments);
  }
  assert.ok(sawCurrent, "a running prediction while speech is open");
  const res = await send(`/api/sessions/${id}/finish`);
  assert.equal(res.status, 200);
  const entry = await res.json();
  assert.equal(entry.durationS, audio.length / RATE);
  assert.ok(entry.segments.length >= 2, `segments: ${entry.segments.length}`);
  assert.deepEqual(entry.segments.slice(0, segments.length), segments);
  const shares = Object.values(entry.distribution) as number[];
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.equal(
    entry.dominant,
    Object.entries(entry.distribution).sort((a, b) => (b[1] as number) - (a[1] as number))[0][0],
  );
  assert.ok(!Number.isNaN(Date.parse(entry.startedAt)));
  // The entry is saved, and a repeated finish answers with the same one.
  const again = await send(`/api/sessions/${id}/finish`);
  assert.deepEqual(await again.json(), entry);
  const stored = await t.request(`/api/entries/${entry.id}`, { headers: { cookie } });
  assert.deepEqual(await stored.json(), entry);
  // Nothing of the recording is left but its row, which remembers the entry.
  const keys = (await t.allKeys()).filter((k) => String(k[0]).startsWith("recording"));
  assert.deepEqual(keys.map((k) => k[0]), ["recordings"]);
  // Chunks after finish are refused.
  assert.equal((await sendChunk(send, id, 99, new Float32Array(100))).status, 409);
  t.close();
});

Deno.test("a repeated seq gets the same answer and changes nothing", async () => {
  const { t, send } = await setUp();
  const id = await start(send);
  const audio = await twoUtterances();
  const chunks = chunksOf(audio);
  const first = await (await sendChunk(send, id, 0, chunks[0])).json();
  const second = await (await sendChunk(send, id, 1, chunks[1])).json();
  const before = await t.allKeys();
  assert.deepEqual(await (await sendChunk(send, id, 1, chunks[1])).json(), second);
  // Even a different body under a used seq changes nothing.
  assert.deepEqual(await (await sendChunk(send, id, 0, chunks[3])).json(), first);
  assert.deepEqual(await t.allKeys(), before);
  // Concurrent copies of the same chunk: one commits, the other finds its answer.
  const answers = await Promise.all(
    [0, 1, 2].map(() => sendChunk(send, id, 2, chunks[2]).then((r) => r.json())),
  );
  assert.deepEqual(answers[1], answers[0]);
  assert.deepEqual(answers[2], answers[0]);
  t.close();
});

async function entryOf(send: Send, id: string) {
  const entry = await (await send(`/api/sessions/${id}/finish`)).json();
  const { id: _id, startedAt: _at, ...rest } = entry;
  return rest;
}

Deno.test("out-of-order chunks are placed by seq", async () => {
  const { t, send } = await setUp();
  const audio = await twoUtterances();
  const chunks = chunksOf(audio);
  const inOrder = await start(send);
  for (const [seq, chunk] of chunks.entries()) await sendChunk(send, inOrder, seq, chunk);
  const shuffled = await start(send);
  const order = chunks.map((_, i) => i);
  [order[1], order[3]] = [order[3], order[1]];
  [order[4], order[5]] = [order[5], order[4]];
  for (const seq of order) {
    const res = await sendChunk(send, shuffled, seq, chunks[seq]);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).seq, seq);
  }
  assert.deepEqual(await entryOf(send, shuffled), await entryOf(send, inOrder));
  t.close();
});

Deno.test("a recording continues on a restarted server with nothing lost", async () => {
  const { t, cookie, send } = await setUp();
  const audio = await twoUtterances();
  const chunks = chunksOf(audio);
  const whole = await start(send);
  for (const [seq, chunk] of chunks.entries()) await sendChunk(send, whole, seq, chunk);
  const expected = await entryOf(send, whole);

  const interrupted = await start(send);
  const half = Math.floor(chunks.length / 2);
  for (let seq = 0; seq < half; seq++) await sendChunk(send, interrupted, seq, chunks[seq]);
  // A second app over the same store stands for the restarted process.
  const restarted = createApp({ db: t.db, config: testConfig(), model });
  const send2: Send = (path, init = {}) =>
    Promise.resolve(restarted.request(TEST_ORIGIN + path, {
      method: "POST",
      ...init,
      headers: { cookie, origin: TEST_ORIGIN, ...(init.headers ?? {}) },
    }));
  for (let seq = half; seq < chunks.length; seq++) {
    assert.equal((await sendChunk(send2, interrupted, seq, chunks[seq])).status, 200);
  }
  assert.deepEqual(await entryOf(send2, interrupted), expected);
  t.close();
});

Deno.test("errors: seq, content type, bad audio, oversize, other users, not logged in", async () => {
  const { t, send } = await setUp();
  const id = await start(send);
  const one = new Float32Array(RATE);
  for (const seq of ["-1", "1.5", "x", "99999999999", ""]) {
    const res = await sendChunk(send, id, seq, one);
    assert.equal(res.status, 400, `seq ${seq}`);
    assert.ok((await res.json()).error);
  }
  const text = await send(`/api/sessions/${id}/chunks?seq=0`, {
    headers: { "content-type": "text/plain" },
    body: "hello",
  });
  assert.equal(text.status, 415);
  assert.ok((await text.json()).error);
  const badWav = await send(`/api/sessions/${id}/chunks?seq=0`, {
    headers: { "content-type": "audio/wav" },
    body: new TextEncoder().encode("RIFF....WAVEjunk"),
  });
  assert.equal(badWav.status, 422);
  assert.ok((await badWav.json()).error);
  const ragged = await send(`/api/sessions/${id}/chunks?seq=0`, {
    headers: { "content-type": "application/octet-stream" },
    body: new Uint8Array(7),
  });
  assert.equal(ragged.status, 422);
  await ragged.body?.cancel();
  const huge = await send(`/api/sessions/${id}/chunks?seq=0`, {
    headers: { "content-type": "application/octet-stream" },
    body: new Uint8Array(2 * 1024 * 1024 + 4),
  });
  assert.equal(huge.status, 413);
  await huge.body?.cancel();
  // Without a declared length, the body is cut off once it passes 2 MB.
  const streamed = await send(`/api/sessions/${id}/chunks?seq=0`, {
    headers: { "content-type": "application/octet-stream" },
    body: new ReadableStream({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(64 * 1024));
        controller.close();
      },
    }),
    duplex: "half",
  } as RequestInit);
  assert.equal(streamed.status, 413);
  await streamed.body?.cancel();
  // A WAV at a rate no microphone has is refused before any resampling.
  const fast = await send(`/api/sessions/${id}/chunks?seq=0`, {
    headers: { "content-type": "audio/wav" },
    body: new Uint8Array(encodeWav([new Float32Array(192000)], 192000)),
  });
  assert.equal(fast.status, 422);
  assert.match((await fast.json()).error, /at most 96000 Hz, but got 192000 Hz/);
  // A Content-Length that is not a number is refused, not skipped past the size limit.
  const garbled = await send(`/api/sessions/${id}/chunks?seq=0`, {
    headers: { "content-type": "application/octet-stream", "content-length": "abc" },
    body: float32LittleEndian(one),
  });
  assert.equal(garbled.status, 400);
  assert.match((await garbled.json()).error, /Content-Length/);
  // A WAV at another rate and with two channels is decoded and resampled.
  const stereo = encodeWav([new Float32Array(44100), new Float32Array(44100)], 44100);
  const wav = await send(`/api/sessions/${id}/chunks?seq=0`, {
    headers: { "content-type": "audio/wav" },
    body: new Uint8Array(stereo),
  });
  assert.equal(wav.status, 200);
  assert.deepEqual(await wav.json(), { seq: 0, current: null, segments: [] });

  // An early chunk far beyond the gap is refused rather than stored.
  assert.equal((await sendChunk(send, id, 40, one)).status, 409);

  const otherCookie = await t.signUp("sam");
  const other = sender(t, otherCookie);
  assert.equal((await sendChunk(other, id, 1, one)).status, 404);
  assert.equal((await other(`/api/sessions/${id}/finish`)).status, 404);
  assert.equal((await sendChunk(send, "01NOSUCHRECORDING", 0, one)).status, 404);
  const anonymous = sender(t, "");
  const res = await anonymous("/api/sessions");
  assert.equal(res.status, 401);
  assert.ok((await res.json()).error);
  assert.equal((await sendChunk(anonymous, id, 1, one)).status, 401);
  t.close();
});

Deno.test("abandoned recordings expire; account deletion removes recording keys", async () => {
  const { t, send } = await setUp();
  const audio = await twoUtterances();
  const id = await start(send);
  const chunks = chunksOf(audio);
  await sendChunk(send, id, 0, chunks[0]);
  await sendChunk(send, id, 2, chunks[2]);
  t.clock.nowMs += 25 * 3600 * 1000;
  assert.equal((await sendChunk(send, id, 1, chunks[1])).status, 404);
  const fresh = await start(send);
  for (const seq of [0, 1, 3]) await sendChunk(send, fresh, seq, chunks[seq]);
  const rita = (await t.db.getUserByUsername("rita"))!;
  await t.db.deleteUser(rita.id);
  const left = (await t.allKeys()).filter((k) => k.includes(rita.id));
  assert.deepEqual(left, []);
  t.close();
});
