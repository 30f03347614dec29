/**
 * The kept-audio cache of live recordings changes no result: a recording advanced by one
 * process hits the cache, and one advanced in turns by two processes over the same store
 * (each with its own cache) reads the store whenever the other moved it on.
 */
import assert from "node:assert/strict";
import { Db } from "../db.ts";
import { loadEmotionModel } from "../model/emotion_model.ts";
import { twoUtterances } from "../../tests/_speech.ts";
import { liveModelOf } from "./recording.ts";
import { MIN_REFERENCE_WINDOWS } from "../model/voice_reference.ts";
import { addChunk, finishRecordingEntry, keptAudioCacheOf, startRecording } from "./sessions.ts";

const RATE = 16000;
const live = liveModelOf(await loadEmotionModel());

async function record(dbs: Db[], userId: string, pick: (seq: number) => number) {
  const audio = await twoUtterances();
  const id = await startRecording(dbs[0], userId, live);
  const answers = [];
  for (let seq = 0; seq * RATE < audio.length; seq++) {
    const chunk = audio.subarray(seq * RATE, (seq + 1) * RATE);
    answers.push(await addChunk(dbs[pick(seq)], live, userId, id, seq, chunk));
  }
  const entry = await finishRecordingEntry(dbs[pick(answers.length)], live, userId, id);
  return { answers, segments: entry.segments, distribution: entry.distribution };
}

Deno.test("kept audio comes from the cache within a process and from the store after another process", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const one = new Db(kv);
    const user = await one.createUser("cache", "-");
    const alone = await record([one], user.id, () => 0);
    const chunks = alone.answers.length;
    // The first chunk finds nothing cached; every later one, and the finish, hit.
    assert.deepEqual(keptAudioCacheOf(one).stats(), {
      entries: 0,
      bytes: 0,
      hits: chunks,
      misses: 1,
    });

    // Two processes over one store, taking turns: each finds the row moved by the other.
    const a = new Db(kv), b = new Db(kv);
    const turns = await record([a, b], user.id, (seq) => seq % 2);
    assert.deepEqual(turns, alone);
    assert.equal(keptAudioCacheOf(a).stats().hits + keptAudioCacheOf(b).stats().hits, 0);

    // Runs of a few chunks per process: hits within a run, a miss after each switch.
    const c = new Db(kv), d = new Db(kv);
    const runs = await record([c, d], user.id, (seq) => Math.floor(seq / 3) % 2);
    assert.deepEqual(runs, alone);
    assert.ok(keptAudioCacheOf(c).stats().hits > 0);
    assert.ok(keptAudioCacheOf(d).stats().misses > 0);
  } finally {
    kv.close();
  }
});

Deno.test("recordings keep voice samples; once there are enough, new recordings use the reference", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const db = new Db(kv);
    const user = await db.createUser("regular", "-");
    const fresh = await db.createUser("newcomer", "-");
    const stateOf = async (userId: string, id: string) =>
      (await db.getRecording(userId, id))!.value.state;
    let recordings = 0;
    while (!(await db.voiceReference(user.id))) {
      const id = await startRecording(db, user.id, live);
      assert.equal((await stateOf(user.id, id)).reference, null, "no reference yet");
      await record([db], user.id, () => 0);
      recordings++;
      assert.ok(recordings <= MIN_REFERENCE_WINDOWS, "every entry adds a voice sample");
    }
    const reference = (await db.voiceReference(user.id, live.model.lstm ?? null))!;
    assert.equal(reference.entries, recordings);
    assert.ok(reference.leaning, "the samples hold the LSTMs' leaning");
    const id = await startRecording(db, user.id, live);
    assert.deepEqual((await stateOf(user.id, id)).reference, reference.mean);
    assert.deepEqual((await stateOf(user.id, id)).leaning, reference.leaning);
    // Other LSTMs (a retrained model): the reference stays, their leaning is not used.
    const retrained = liveModelOf({ ...live.model, lstm: "0123456789abcdef" });
    const otherId = await startRecording(db, user.id, retrained);
    assert.deepEqual((await stateOf(user.id, otherId)).reference, reference.mean);
    assert.equal((await stateOf(user.id, otherId)).leaning, null);
    // Without the model's voice member no reference is looked up.
    const plainLive = liveModelOf({ ...live.model, voice: null });
    const plainId = await startRecording(db, user.id, plainLive);
    assert.equal((await stateOf(user.id, plainId)).reference, null);

    // The same speech is classified otherwise for the regular than for the newcomer.
    const regular = await record([db], user.id, () => 0);
    const newcomer = await record([db], fresh.id, () => 0);
    assert.equal(regular.segments.length, newcomer.segments.length);
    assert.notDeepEqual(regular.segments, newcomer.segments);
  } finally {
    kv.close();
  }
});
