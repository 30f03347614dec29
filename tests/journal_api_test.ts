/**
 * The journal API: editing notes and ratings, deleting entries, and exporting everything as
 * JSON or CSV, each only ever for the entry's owner.
 */
import assert from "node:assert/strict";
import { CSV_COLUMNS } from "../lib/journal/export.ts";
import { createTestApp, TEST_ORIGIN, type TestApp } from "./_helpers.ts";

function newEntry(label: string, segments: number, startedAt = "2026-01-10T09:30:00.000Z") {
  return {
    startedAt,
    durationS: 2 * segments + 1,
    dominant: segments > 0 ? label : null,
    distribution: segments > 0 ? { [label]: 1 } : {},
    segments: Array.from({ length: segments }, (_, i) => ({
      startS: i * 2,
      endS: i * 2 + 1.5,
      label,
      confidence: 0.75,
      probabilities: { [label]: 0.75, neutral: 0.25 },
    })),
  };
}

async function twoUsers(t: TestApp) {
  const alice = await t.signUp("alice");
  const bob = await t.signUp("bob");
  const aliceId = (await t.db.getUserByUsername("alice"))!.id;
  return { alice, bob, aliceId };
}

function json(cookie: string, method: string, body: unknown, type = "application/json") {
  return {
    method,
    headers: { cookie, origin: TEST_ORIGIN, "content-type": type },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

Deno.test("PATCH /api/entries/:id saves note, mood and energy for the owner only", async () => {
  const t = await createTestApp();
  const { alice, bob, aliceId } = await twoUsers(t);
  const entry = await t.db.createEntry(aliceId, newEntry("calm", 2));
  const path = `/api/entries/${entry.id}`;

  const ok = await t.request(path, json(alice, "PATCH", { note: "A long walk.", mood: 4 }));
  assert.equal(ok.status, 200);
  const saved = await ok.json();
  assert.equal(saved.note, "A long walk.");
  assert.equal(saved.mood, 4);
  assert.equal(saved.energy, null);
  assert.equal(saved.userId, undefined);
  const back = await (await t.request(path, { headers: { cookie: alice } })).json();
  assert.equal(back.note, "A long walk.");
  assert.equal(back.segments.length, 2);

  // Clearing a rating with null keeps the rest.
  const cleared = await (await t.request(path, json(alice, "PATCH", { mood: null }))).json();
  assert.equal(cleared.mood, null);
  assert.equal(cleared.note, "A long walk.");

  const other = await t.request(path, json(bob, "PATCH", { note: "mine now" }));
  assert.equal(other.status, 404);
  assert.deepEqual(await other.json(), { error: "No such entry." });
  assert.equal((await t.db.getEntrySummary(aliceId, entry.id))?.note, "A long walk.");
  t.close();
});

Deno.test("PATCH rejects bad edits with a reason and changes nothing", async () => {
  const t = await createTestApp();
  const { alice, aliceId } = await twoUsers(t);
  const entry = await t.db.createEntry(aliceId, newEntry("sad", 1));
  const path = `/api/entries/${entry.id}`;
  await t.request(path, json(alice, "PATCH", { note: "keep me", energy: 2 }));
  const before = await t.db.getEntrySummary(aliceId, entry.id);
  const cases: [unknown, number, RegExp][] = [
    [{ mood: 6 }, 400, /mood/],
    [{ mood: 0 }, 400, /mood/],
    [{ energy: 2.5 }, 400, /energy/],
    [{ energy: "3" }, 400, /energy/],
    [{ note: 5 }, 400, /note/],
    [{ note: "x".repeat(5001) }, 400, /5000/],
    [{ dominant: "happy" }, 400, /Unknown field "dominant"/],
    [{}, 400, /at least one/],
    ["[1,2]", 400, /JSON object/],
    ["{not json", 400, /not valid JSON/],
  ];
  for (const [body, status, message] of cases) {
    const res = await t.request(path, json(alice, "PATCH", body));
    assert.equal(res.status, status, JSON.stringify(body).slice(0, 60));
    assert.match((await res.json()).error, message);
  }
  const wrongType = await t.request(path, json(alice, "PATCH", { mood: 3 }, "text/plain"));
  assert.equal(wrongType.status, 415);
  assert.match((await wrongType.json()).error, /application\/json/);
  assert.deepEqual(await t.db.getEntrySummary(aliceId, entry.id), before);
  t.close();
});

Deno.test("DELETE /api/entries/:id removes the entry with every key; others get 404", async () => {
  const t = await createTestApp();
  const { alice, bob, aliceId } = await twoUsers(t);
  const entry = await t.db.createEntry(aliceId, newEntry("angry", 3));
  const keep = await t.db.createEntry(aliceId, newEntry("happy", 1));
  const path = `/api/entries/${entry.id}`;
  const denied = await t.request(path, {
    method: "DELETE",
    headers: { cookie: bob, origin: TEST_ORIGIN },
  });
  assert.equal(denied.status, 404);
  assert.ok(await t.db.getEntry(aliceId, entry.id));

  const gone = await t.request(path, {
    method: "DELETE",
    headers: { cookie: alice, origin: TEST_ORIGIN },
  });
  assert.equal(gone.status, 204);
  const again = await t.request(path, {
    method: "DELETE",
    headers: { cookie: alice, origin: TEST_ORIGIN },
  });
  assert.equal(again.status, 404);
  const left = (await t.allKeys()).filter((k) => k.includes(entry.id));
  assert.deepEqual(left, []);
  assert.ok(await t.db.getEntry(aliceId, keep.id));
  t.close();
});

Deno.test("export as JSON holds every entry with segments, note and ratings", async () => {
  const t = await createTestApp();
  const { alice, bob, aliceId } = await twoUsers(t);
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const e = await t.db.createEntry(aliceId, newEntry("happy", i));
    await t.db.updateEntry(aliceId, e.id, { note: `day ${i}`, mood: i + 1 });
    ids.push(e.id);
  }
  const bobId = (await t.db.getUserByUsername("bob"))!.id;
  const bobEntry = await t.db.createEntry(bobId, newEntry("sad", 1));

  const res = await t.request("/api/export?format=json", { headers: { cookie: alice } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /application\/json/);
  assert.match(res.headers.get("content-disposition")!, /attachment; filename="moodline-.*\.json"/);
  const text = await res.text();
  assert.ok(!text.includes(bobEntry.id));
  const doc = JSON.parse(text);
  assert.equal(doc.account.username, "alice");
  assert.deepEqual(doc.entries.map((e: { id: string }) => e.id), ids);
  assert.deepEqual(doc.entries.map((e: { segments: unknown[] }) => e.segments.length), [0, 1, 2]);
  assert.deepEqual(doc.entries.map((e: { note: string }) => e.note), ["day 0", "day 1", "day 2"]);
  assert.deepEqual(doc.entries.map((e: { mood: number }) => e.mood), [1, 2, 3]);
  assert.equal(doc.entries[0].userId, undefined);

  const bobExport = await (await t.request("/api/export", { headers: { cookie: bob } })).json();
  assert.deepEqual(bobExport.entries.map((e: { id: string }) => e.id), [bobEntry.id]);

  const bad = await t.request("/api/export?format=xml", { headers: { cookie: alice } });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /json or csv/);
  const anonymous = await t.request("/api/export?format=json");
  assert.equal(anonymous.status, 401);
  t.close();
});

/** Splits CSV text into rows of fields (quoted fields may hold commas, quotes, newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

Deno.test("export as CSV: a header, one row per segment, quoting and formula guard", async () => {
  const t = await createTestApp();
  const { alice, aliceId } = await twoUsers(t);
  const withSegments = await t.db.createEntry(aliceId, newEntry("fearful", 3));
  const empty = await t.db.createEntry(aliceId, newEntry("happy", 0));
  const note = 'Said "no", then\nleft; =cmd';
  await t.db.updateEntry(aliceId, empty.id, { note: "=SUM(A1)", energy: 5 });
  await t.db.updateEntry(aliceId, withSegments.id, { note });

  const res = await t.request("/api/export?format=csv", { headers: { cookie: alice } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /text\/csv/);
  const rows = parseCsv(await res.text());
  assert.deepEqual(rows[0], [...CSV_COLUMNS]);
  const body = rows.slice(1);
  assert.equal(body.length, 3 + 1);
  for (const row of body) assert.equal(row.length, CSV_COLUMNS.length);
  const col = (name: string) => CSV_COLUMNS.indexOf(name as typeof CSV_COLUMNS[number]);
  const segRows = body.filter((r) => r[col("entry_id")] === withSegments.id);
  assert.deepEqual(segRows.map((r) => r[col("segment_index")]), ["0", "1", "2"]);
  assert.equal(segRows[1][col("segment_label")], "fearful");
  assert.equal(segRows[1][col("p_fearful")], "0.75");
  assert.equal(segRows[1][col("p_happy")], "");
  assert.equal(segRows[0][col("note")], note);
  const emptyRow = body.find((r) => r[col("entry_id")] === empty.id)!;
  assert.equal(emptyRow[col("note")], "'=SUM(A1)");
  assert.equal(emptyRow[col("energy")], "5");
  assert.equal(emptyRow[col("segment_index")], "");
  t.close();
});
