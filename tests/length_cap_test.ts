/**
 * The length cap of live recordings ({@link MAX_RECORDING_S}): over HTTP with the real cap
 * (30 minutes of silence in 10 s chunks, which is cheap: silence opens no utterance), and
 * through `addChunk` with a small injected cap for early (out-of-order) chunks. A refused
 * chunk stores nothing, and the recording can still be finished with what it had.
 */
import assert from "node:assert/strict";
import { MODEL_SAMPLE_RATE_HZ } from "../lib/audio/constants.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { liveModelOf } from "../lib/streaming/recording.ts";
import {
  addChunk,
  finishRecordingEntry,
  MAX_CHUNK_S,
  MAX_RECORDING_S,
  RecordingTooLongError,
  startRecording,
} from "../lib/streaming/sessions.ts";
import { createTestApp, TEST_ORIGIN, type TestApp } from "./_helpers.ts";

const RATE = MODEL_SAMPLE_RATE_HZ;
const model = await loadEmotionModel();

/** Every key and value in the store, serialised so two snapshots compare with `equal`. */
async function snapshot(t: TestApp): Promise<string[]> {
  const rows: string[] = [];
  for await (const row of t.db.kv.list({ prefix: [] })) {
    rows.push(Deno.inspect([row.key, row.value], { depth: Infinity, iterableLimit: Infinity }));
  }
  return rows;
}

function post(t: TestApp, cookie: string, path: string, body?: Uint8Array<ArrayBuffer>) {
  return t.request(path, {
    method: "POST",
    headers: { cookie, origin: TEST_ORIGIN, "content-type": "application/octet-stream" },
    body,
  });
}

/** `seconds` of silence as a raw Float32 body (all zero bytes). */
function silence(seconds: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Math.round(seconds * RATE) * 4);
}

Deno.test("a chunk past 30 minutes is refused with 413 and the recording keeps what it had", async () => {
  const t = await createTestApp({}, { model });
  const cookie = await t.signUp("long_talker");
  const started = await post(t, cookie, "/api/sessions");
  assert.equal(started.status, 201);
  const { id } = await started.json();
  const chunks = MAX_RECORDING_S / MAX_CHUNK_S;
  const body = silence(MAX_CHUNK_S);
  // Up to the cap minus one second, every chunk is taken.
  for (let seq = 0; seq < chunks - 1; seq++) {
    const res = await post(t, cookie, `/api/sessions/${id}/chunks?seq=${seq}`, body);
    const text = await res.text();
    assert.equal(res.status, 200, `chunk ${seq}: ${text}`);
  }
  const last = chunks - 1;
  const ok = await post(t, cookie, `/api/sessions/${id}/chunks?seq=${last}`, silence(9));
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  // Exactly at the cap now less one second: two seconds are too many, also as an early chunk.
  const before = await snapshot(t);
  for (const seq of [last + 1, last + 2]) {
    const refused = await post(t, cookie, `/api/sessions/${id}/chunks?seq=${seq}`, silence(2));
    assert.equal(refused.status, 413);
    assert.equal(refused.headers.get("content-type"), "application/json");
    assert.deepEqual(await refused.json(), {
      error: "Recordings are limited to 30 minutes. Finish this one and start a new entry.",
    });
  }
  assert.deepEqual(await snapshot(t), before, "a refused chunk stores nothing");
  // One more second fits exactly; after it nothing more does.
  const fits = await post(t, cookie, `/api/sessions/${id}/chunks?seq=${last + 1}`, silence(1));
  assert.equal(fits.status, 200);
  await fits.body?.cancel();
  const over = await post(
    t,
    cookie,
    `/api/sessions/${id}/chunks?seq=${last + 2}`,
    new Uint8Array(4),
  );
  assert.equal(over.status, 413);
  await over.body?.cancel();
  const finished = await post(t, cookie, `/api/sessions/${id}/finish`);
  assert.equal(finished.status, 200);
  const entry = await finished.json();
  assert.equal(entry.durationS, MAX_RECORDING_S);
  assert.deepEqual(entry.segments, []);
  t.close();
});

Deno.test("early chunks count toward the cap, and a refused one leaves the recording finishable", async () => {
  const t = await createTestApp();
  const live = liveModelOf(model);
  const user = await t.db.createUser("early_bird", "x");
  const id = await startRecording(t.db, user.id);
  const options = { maxRecordingS: 3 };
  const second = new Float32Array(RATE);
  await addChunk(t.db, live, user.id, id, 0, second, options);
  // Seq 2 waits for seq 1; together with seq 0 it leaves room for one second only.
  await addChunk(t.db, live, user.id, id, 2, second, options);
  const before = await snapshot(t);
  for (const [seq, length] of [[1, RATE + 1], [3, RATE + 1], [5, 2 * RATE]]) {
    await assert.rejects(
      addChunk(t.db, live, user.id, id, seq, new Float32Array(length), options),
      (err: unknown) => err instanceof RecordingTooLongError && err.maxS === 3,
      `seq ${seq} of ${length} samples`,
    );
  }
  assert.deepEqual(await snapshot(t), before);
  // The refusal is not remembered as an answer: a chunk that fits is taken under seq 1.
  const answer = await addChunk(t.db, live, user.id, id, 1, second, options);
  assert.equal(answer.seq, 1);
  const entry = await finishRecordingEntry(t.db, live, user.id, id);
  assert.equal(entry.durationS, 3);
  // A refused chunk before any gap: the recording is finished with what it had.
  const other = await startRecording(t.db, user.id);
  await addChunk(t.db, live, user.id, other, 0, second, { maxRecordingS: 1 });
  await assert.rejects(
    addChunk(t.db, live, user.id, other, 1, new Float32Array(1), { maxRecordingS: 1 }),
    RecordingTooLongError,
  );
  assert.equal((await finishRecordingEntry(t.db, live, user.id, other)).durationS, 1);
  t.close();
});

Deno.test("the cap message names seconds when the cap is not whole minutes", () => {
  assert.equal(new RecordingTooLongError(1800).message.includes("30 minutes"), true);
  assert.equal(new RecordingTooLongError(90).message.includes("90 seconds"), true);
});
