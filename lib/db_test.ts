import assert from "node:assert/strict";
import { Db, DbConflictError, SEGMENTS_PER_PAGE, SESSION_TTL_MS } from "./db.ts";

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
    });
  }
  for (let i = 0; i < 3; i++) await db.createSession(gone.id, `gone-${i}`);
  await db.createSession(keep.id, "keep-0");
  await db.addFailure("username", "leaver", 60_000);
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
