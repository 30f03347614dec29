import assert from "node:assert/strict";
import {
  AUDIO_PAGE_SAMPLES,
  Db,
  DbConflictError,
  type Entry,
  RECORDING_TTL_MS,
  SEGMENTS_PER_PAGE,
  SESSION_TTL_MS,
} from "./db.ts";
import { newRecording, toStoredPrecision } from "./streaming/recording.ts";
import { FUNCTIONAL_COUNT } from "./audio/functionals.ts";
import { EMOTION_LABELS } from "./data/labels.ts";
import { MIN_REFERENCE_ENTRIES, REFERENCE_ENTRIES } from "./model/voice_reference.ts";

async function memoryDb() {
  const clock = { nowMs: Date.UTC(2026, 3, 1) };
  const db = new Db(await Deno.openKv(":memory:"), { nowMs: () => clock.nowMs });
  return { db, clock };
}

function segments(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    startS: i,
    endS: i + 0.9,
    label: i % 2 ? "happy" : "calm",
    confidence: 0.7,
    probabilities: { happy: 0.7, calm: 0.3 },
  }));
}

async function allKeys(db: Db) {
  const keys: Deno.KvKey[] = [];
  for await (const row of db.kv.list({ prefix: [] })) keys.push(row.key);
  return keys;
}

Deno.test("ids are ULIDs in creation order", async () => {
  const { db, clock } = await memoryDb();
  const ids = [db.newId(), db.newId()];
  clock.nowMs += 1;
  ids.push(db.newId());
  for (const id of ids) assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.deepEqual([...ids].sort(), ids);
  db.close();
});

Deno.test("usernames are unique; the duplicate write changes nothing", async () => {
  const { db } = await memoryDb();
  const user = await db.createUser("amy", "hash-1");
  await assert.rejects(db.createUser("amy", "hash-2"), DbConflictError);
  assert.equal((await db.getUserByUsername("amy"))?.id, user.id);
  assert.equal((await db.getUserByUsername("amy"))?.passwordHash, "hash-1");
  assert.equal((await allKeys(db)).length, 2);
  db.close();
});

Deno.test("updateUser keeps id and username", async () => {
  const { db } = await memoryDb();
  const user = await db.createUser("ben", "h");
  const next = await db.updateUser(user.id, (u) => ({ ...u, username: "evil", timeZone: "UTC" }));
  assert.equal(next.username, "ben");
  assert.equal(next.timeZone, "UTC");
  db.close();
});

Deno.test("sessions expire by their own deadline even if KV still returns the row", async () => {
  const { db, clock } = await memoryDb();
  const user = await db.createUser("cat", "h");
  await db.createSession(user.id, "tokenhash");
  assert.equal((await db.getSession("tokenhash"))?.userId, user.id);
  assert.equal(await db.countUserSessions(user.id), 1);
  clock.nowMs += SESSION_TTL_MS;
  assert.equal(await db.getSession("tokenhash"), null);
  assert.equal(await db.countUserSessions(user.id), 0);
  db.close();
});

Deno.test("entries: segments are paged under 64 KiB and come back whole, in order", async () => {
  const { db } = await memoryDb();
  const user = await db.createUser("dan", "h");
  const n = SEGMENTS_PER_PAGE * 3 + 7;
  const entry = await db.createEntry(user.id, {
    startedAt: "2026-04-01T08:00:00.000Z",
    durationS: n,
    dominant: "calm",
    distribution: { calm: 0.5, happy: 0.5 },
    segments: segments(n),
  });
  for await (const row of db.kv.list({ prefix: ["entry_segments", user.id, entry.id] })) {
    const bytes = new TextEncoder().encode(JSON.stringify(row.value)).byteLength;
    assert.ok(bytes < 64 * 1024, `page ${String(row.key[3])} holds ${bytes} bytes`);
  }
  const back = await db.getEntry(user.id, entry.id);
  assert.equal(back?.segmentCount, n);
  assert.deepEqual(back?.segments, segments(n));
  assert.equal(await db.getEntry("someone-else", entry.id), null);
  db.close();
});

Deno.test("entries list newest first with a cursor; deleting leaves no orphan rows", async () => {
  const { db, clock } = await memoryDb();
  const user = await db.createUser("eve", "h");
  const ids = [];
  for (let i = 0; i < 7; i++) {
    clock.nowMs += 1000;
    ids.push(
      (await db.createEntry(user.id, {
        startedAt: new Date(clock.nowMs).toISOString(),
        durationS: 10,
        dominant: "sad",
        distribution: { sad: 1 },
        segments: segments(150),
        voice: { mean: new Float32Array(FUNCTIONAL_COUNT).fill(i), windows: 4 },
      })).id,
    );
  }
  const seen: string[] = [];
  let cursor = "";
  do {
    const page = await db.listEntries(user.id, { reverse: true, limit: 3, cursor });
    seen.push(...page.items.map((e) => e.id));
    cursor = page.cursor;
  } while (cursor);
  assert.deepEqual(seen, [...ids].reverse());
  for (const id of ids) assert.equal(await db.deleteEntry(user.id, id), true);
  assert.equal(await db.deleteEntry(user.id, ids[0]), false);
  const left = (await allKeys(db)).filter((k) => k[0] !== "users" && k[0] !== "users_by_username");
  assert.deepEqual(left, []);
  db.close();
});

Deno.test("entries: the day index follows creates, edits and deletes; no orphan rows", async () => {
  const { db, clock } = await memoryDb();
  const user = await db.createUser("fay", "h");
  const other = await db.createUser("gil", "h");
  const day = (d: number, h: number) => new Date(Date.UTC(2026, 2, d, h)).toISOString();
  const made: Entry[] = [];
  for (const [d, h] of [[1, 23], [2, 0], [2, 12], [5, 6]] as const) {
    clock.nowMs += 1000;
    made.push(
      await db.createEntry(user.id, {
        startedAt: day(d, h),
        durationS: 5,
        dominant: "happy",
        distribution: { happy: 1 },
        segments: segments(3),
      }),
    );
  }
  await db.createEntry(other.id, {
    startedAt: day(2, 1),
    durationS: 5,
    dominant: "sad",
    distribution: { sad: 1 },
    segments: [],
  });
  // [2 March 00:00, 3 March 00:00) holds exactly the two entries of that UTC day.
  const march2 = await db.listEntriesBetween(user.id, Date.UTC(2026, 2, 2), Date.UTC(2026, 2, 3));
  assert.deepEqual(march2.map((e) => e.id), [made[1].id, made[2].id]);
  // A range starting mid-day excludes earlier entries of that day.
  const late = await db.listEntriesBetween(
    user.id,
    Date.UTC(2026, 2, 1, 23, 30),
    Date.UTC(2026, 3, 1),
  );
  assert.deepEqual(late.map((e) => e.id), [made[1].id, made[2].id, made[3].id]);

  clock.nowMs += 1000;
  const edited = await db.updateEntry(user.id, made[1].id, { note: "slept badly", mood: 2 });
  assert.equal(edited?.note, "slept badly");
  assert.equal(edited?.mood, 2);
  assert.equal(edited?.energy, null);
  assert.equal(edited?.updatedAtMs, clock.nowMs);
  const again = await db.listEntriesBetween(user.id, Date.UTC(2026, 2, 2), Date.UTC(2026, 2, 3));
  assert.equal(again[0].note, "slept badly");
  assert.deepEqual(await db.getEntrySummary(user.id, made[1].id), again[0]);
  assert.equal(await db.updateEntry(other.id, made[1].id, { note: "x" }), null);
  await assert.rejects(() => db.updateEntry(user.id, made[1].id, { mood: 6 }), RangeError);
  await assert.rejects(() => db.updateEntry(user.id, made[1].id, { energy: 2.5 }), RangeError);
  assert.equal((await db.getEntrySummary(user.id, made[1].id))?.mood, 2);

  for (const e of made) assert.equal(await db.deleteEntry(user.id, e.id), true);
  const left = (await allKeys(db)).filter((k) => k[1] === user.id && k[0] !== "users");
  assert.deepEqual(left, []);
  assert.equal((await allKeys(db)).filter((k) => k[0] === "entries_by_day").length, 1);
  db.close();
});

Deno.test("entries: affect is derived from the segments at creation", async () => {
  const { db } = await memoryDb();
  const user = await db.createUser("hal", "h");
  const e = await db.createEntry(user.id, {
    startedAt: "2026-04-01T08:00:00.000Z",
    durationS: 4,
    dominant: "happy",
    distribution: { happy: 1 },
    segments: [{ startS: 0, endS: 2, label: "happy", confidence: 1, probabilities: { happy: 1 } }],
  });
  assert.deepEqual(e.affect, { valence: 0.8, arousal: 0.5 });
  assert.equal(e.note, "");
  db.close();
});

Deno.test("voiceReference: from the latest entries' voice samples, gone with their entries", async () => {
  const { db, clock } = await memoryDb();
  const user = await db.createUser("vera", "h");
  const other = await db.createUser("otto", "h");
  const add = async (userId: string, value: number | null) => {
    clock.nowMs += 1000;
    return (await db.createEntry(userId, {
      startedAt: new Date(clock.nowMs).toISOString(),
      durationS: 30,
      dominant: "calm",
      distribution: { calm: 1 },
      segments: segments(3),
      voice: value === null
        ? null
        : { mean: new Float32Array(FUNCTIONAL_COUNT).fill(value), windows: 5 },
    })).id;
  };
  const ids: string[] = [];
  for (let i = 0; i < MIN_REFERENCE_ENTRIES - 1; i++) ids.push(await add(user.id, 1));
  await add(user.id, null); // an entry without speech the member heard: no sample
  assert.equal(await db.voiceReference(user.id), null, "too few samples yet");
  ids.push(await add(user.id, 4));
  const reference = (await db.voiceReference(user.id))!;
  assert.equal(reference.entries, MIN_REFERENCE_ENTRIES);
  // (2 · 5 · 1 + 5 · 4) / 15 = 2
  assert.ok(reference.mean.every((v) => Math.abs(v - 2) < 1e-6), String(reference.mean[0]));
  for (let i = 0; i < 5; i++) await add(other.id, 100);
  assert.equal((await db.voiceReference(user.id))!.mean[0], reference.mean[0], "only one's own");
  // Newest first: once REFERENCE_ENTRIES newer samples exist, the old ones stop counting.
  let newest = "";
  for (let i = 0; i < REFERENCE_ENTRIES; i++) newest = await add(user.id, 7);
  assert.ok((await db.voiceReference(user.id))!.mean.every((v) => Math.abs(v - 7) < 1e-6));
  // Samples of another functionals version do not count.
  const stale = ["entry_voice", user.id, newest];
  const row = await db.kv.get<{ version: string }>(stale);
  await db.kv.set(stale, { ...row.value!, version: "functionals-v0" });
  assert.equal((await db.voiceReference(user.id))!.entries, REFERENCE_ENTRIES - 1);
  // Leanings round-trip as float32 and count only for the LSTMs named.
  const leaning = (v: number) => new Float32Array(EMOTION_LABELS.length).fill(v);
  for (const [value, lstm] of [[-1, "aaaa"], [-2, "aaaa"], [-9, "bbbb"], [-3, "aaaa"]] as const) {
    clock.nowMs += 1000;
    await db.createEntry(user.id, {
      startedAt: new Date(clock.nowMs).toISOString(),
      durationS: 30,
      dominant: "calm",
      distribution: { calm: 1 },
      segments: segments(3),
      voice: {
        mean: new Float32Array(FUNCTIONAL_COUNT).fill(7),
        windows: 5,
        leaning: leaning(value),
        lstm,
      },
    });
  }
  const leaned = (await db.voiceReference(user.id, "aaaa"))!;
  assert.deepEqual(leaned.leaning, leaning(-2));
  assert.equal((await db.voiceReference(user.id, "bbbb"))!.leaning, null, "one sample of bbbb");
  assert.equal((await db.voiceReference(user.id))!.leaning, null, "no LSTMs named");
  // Deleting an entry deletes its sample.
  assert.ok(await db.deleteEntry(user.id, ids[0]));
  const keys = await allKeys(db);
  assert.ok(!keys.some((k) => k[0] === "entry_voice" && k[2] === ids[0]));
  assert.ok(keys.some((k) => k[0] === "entry_voice" && k[2] === ids[1]));
  db.close();
});

Deno.test("deleteUser removes every key of the user, in batches past KV's atomic limit", async () => {
  const { db } = await memoryDb();
  const keep = await db.createUser("keeper", "h");
  const gone = await db.createUser("leaver", "h");
  for (let i = 0; i < 30; i++) {
    await db.createEntry(gone.id, {
      startedAt: "2026-04-01T08:00:00.000Z",
      durationS: 10,
      dominant: "sad",
      distribution: { sad: 1 },
      segments: segments(2000),
      voice: { mean: new Float32Array(FUNCTIONAL_COUNT).fill(i), windows: 4 },
    });
  }
  assert.ok(await db.voiceReference(gone.id), "the voice samples were stored");
  for (let i = 0; i < 3; i++) await db.createSession(gone.id, `gone-${i}`);
  await db.createSession(keep.id, "keep-0");
  await db.addFailure("username", "leaver", 60_000);
  const recording = await db.createRecording(gone.id, newRecording().state);
  const row = (await db.getRecording(gone.id, recording.id))!;
  assert.ok(await db.storePendingChunk(row, 3, new Float32Array(40000), answer(3)));
  await db.deleteUser(gone.id);
  const keys = await allKeys(db);
  assert.ok(!keys.some((k) => k.includes(gone.id) || k.includes("leaver") || k.includes("gone-0")));
  assert.deepEqual(keys.filter((k) => k[0] === "sessions"), [["sessions", "keep-0"]]);
  assert.ok(await db.getUser(keep.id));
  db.close();
});

Deno.test("failure windows count within the window and restart after it", async () => {
  const { db, clock } = await memoryDb();
  assert.equal((await db.addFailure("ip", "1.2.3.4", 1000)).count, 1);
  assert.equal((await db.addFailure("ip", "1.2.3.4", 1000)).count, 2);
  assert.equal((await db.getFailures("ip", "1.2.3.4", 1000))?.count, 2);
  clock.nowMs += 1000;
  assert.equal(await db.getFailures("ip", "1.2.3.4", 1000), null);
  assert.equal((await db.addFailure("ip", "1.2.3.4", 1000)).count, 1);
  db.close();
});

function answer(seq: number) {
  return { seq, current: null, segments: segments(1) };
}

Deno.test("recordings: checked commits, paged audio, pending chunks, no orphans after finish", async () => {
  const { db, clock } = await memoryDb();
  const user = await db.createUser("rec", "h");
  const created = await db.createRecording(user.id, newRecording().state);
  const row = (await db.getRecording(user.id, created.id))!;
  // 2.5 s of audio kept from sample 8000: pages 0, 1 and 2, each under 64 KiB.
  const audio = toStoredPrecision(
    Float32Array.from({ length: 2.5 * AUDIO_PAGE_SAMPLES }, (_, i) => Math.sin(i / 7) * 0.5),
  );
  const state = { ...row.value.state, samplesReceived: 8000 + audio.length, bufferStart: 8000 };
  state.segmentCount = 1;
  const next = { ...row.value, nextSeq: 1, state };
  const committed = await db.commitRecordingChunks(row, next, audio, answer(0), []);
  assert.ok(committed);
  // The same read row again: its versionstamp is stale, so nothing is written.
  const stale = { ...next, nextSeq: 2 };
  assert.equal(await db.commitRecordingChunks(row, stale, audio, answer(1), []), null);
  assert.equal(await db.getChunkAnswer(row.value, 1), null);
  const reread = (await db.getRecording(user.id, created.id))!;
  assert.equal(reread.value.nextSeq, 1);
  assert.equal(reread.versionstamp, committed, "the commit returns the row's new versionstamp");
  assert.deepEqual(await db.getRecordingAudio(reread.value), audio);
  assert.deepEqual(await db.getChunkAnswer(reread.value, 0), answer(0));
  assert.deepEqual(await db.listRecordingSegments(reread.value), answer(0).segments);
  for await (const page of db.kv.list<{ pcm: Uint8Array }>({ prefix: ["recording_audio"] })) {
    assert.ok(page.value.pcm.length <= 2 * AUDIO_PAGE_SAMPLES);
  }
  // An early chunk: stored once (a second copy finds the answer key taken).
  const pendingSamples = toStoredPrecision(new Float32Array(20000).fill(0.25));
  assert.ok(await db.storePendingChunk(reread, 5, pendingSamples, answer(5)));
  const afterPending = (await db.getRecording(user.id, created.id))!;
  assert.notEqual(afterPending.versionstamp, reread.versionstamp, "pending moves the row");
  assert.equal(await db.storePendingChunk(afterPending, 5, pendingSamples, answer(5)), false);
  assert.deepEqual(await db.listPendingChunks(afterPending.value), [
    { seq: 5, samples: pendingSamples },
  ]);
  const saved = await db.finishRecording(afterPending, {
    startedAt: "2026-04-01T08:00:00.000Z",
    durationS: 3,
    dominant: "calm",
    distribution: { calm: 1 },
    segments: segments(1),
  });
  assert.ok(saved);
  const keys = (await allKeys(db)).filter((k) => String(k[0]).startsWith("recording"));
  assert.deepEqual(keys, [["recordings", user.id, created.id]]);
  assert.equal((await db.getRecording(user.id, created.id))!.value.entryId, saved.id);
  // Abandoned recordings are gone once their deadline passes, whatever KV still holds.
  clock.nowMs += RECORDING_TTL_MS;
  assert.equal(await db.getRecording(user.id, created.id), null);
  db.close();
});
