/**
 * One user's data is invisible to another. Alice has an entry, a live recording and a
 * finished one; Bob then sends every method of every `:id` route in `routes/_manifest.ts`
 * with each of Alice's ids (and bodies each route might take) and must get exactly what an id
 * that never existed gets: 404, JSON for the API and the error page for pages. The store must
 * be unchanged afterwards, and none of Bob's pages or API answers without an id (lists,
 * history, export, …) may show any of Alice's ids or words.
 *
 * The routes come from the manifest, so a route added later is covered without a change
 * here. Each route is also sent by Alice herself, to show the requests would have worked.
 */
import assert from "node:assert/strict";
import { encodeWav } from "../lib/audio/encode.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import {
  fillPattern,
  kvSnapshot,
  routeMethods,
  routeParams,
  snapshotChanges,
} from "../lib/testing/fuzz.ts";
import { isApiPath } from "../lib/web/errors.ts";
import { routes } from "../routes/_manifest.ts";
import { createTestApp, TEST_ORIGIN, type TestApp } from "./_helpers.ts";

const model = await loadEmotionModel();
const RATE = 16000;
const SECRET = "alice-private-note-7f3a";

/** Half a second of a quiet tone, as raw Float32 and as a WAV file. */
const tone = new Float32Array(RATE / 2).map((_, i) =>
  0.2 * Math.sin((2 * Math.PI * 220 * i) / RATE)
);
const AUDIO_RAW = new Uint8Array(tone.buffer);
const AUDIO_WAV = new Uint8Array(encodeWav(tone, RATE));

/** Bodies a route might take; each body-taking method is sent every one of them. */
const BODIES: { name: string; type: string; body: Uint8Array<ArrayBuffer> }[] = [
  {
    name: "json",
    type: "application/json",
    body: new TextEncoder().encode(JSON.stringify({ note: "bob was here", mood: 1, energy: 1 })),
  },
  {
    name: "form",
    type: "application/x-www-form-urlencoded",
    body: new TextEncoder().encode("note=bob+was+here&action=delete&password=x"),
  },
  { name: "raw audio", type: "application/octet-stream", body: AUDIO_RAW },
  { name: "wav", type: "audio/wav", body: AUDIO_WAV },
];

/** What Alice owns, by id. */
interface Owned {
  entry: string;
  liveRecording: string;
  finishedRecording: string;
  finishedEntry: string;
}

function post(t: TestApp, cookie: string, path: string, body?: Uint8Array<ArrayBuffer>) {
  return t.request(path, {
    method: "POST",
    headers: { cookie, origin: TEST_ORIGIN, "content-type": "application/octet-stream" },
    body,
  });
}

async function ownData(t: TestApp, cookie: string, userId: string): Promise<Owned> {
  const entry = await t.db.createEntry(userId, {
    startedAt: "2026-01-14T08:00:00.000Z",
    durationS: 12,
    dominant: "calm",
    distribution: { calm: 1 },
    segments: [{
      startS: 1,
      endS: 4,
      label: "calm",
      confidence: 0.8,
      probabilities: { calm: 0.8, sad: 0.2 },
    }],
    note: SECRET,
    mood: 2,
    energy: 4,
  });
  const start = async () => {
    const res = await post(t, cookie, "/api/sessions");
    assert.equal(res.status, 201);
    return (await res.json()).id as string;
  };
  const chunk0 = async (id: string) => {
    const res = await post(t, cookie, `/api/sessions/${id}/chunks?seq=0`, AUDIO_RAW);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  };
  const liveRecording = await start();
  await chunk0(liveRecording);
  const finishedRecording = await start();
  await chunk0(finishedRecording);
  const finished = await post(t, cookie, `/api/sessions/${finishedRecording}/finish`);
  assert.equal(finished.status, 200);
  const finishedEntry = (await finished.json()).id as string;
  return { entry: entry.id, liveRecording, finishedRecording, finishedEntry };
}

/** The `:id` routes of the manifest with the methods each handles. */
function idRoutes(): { pattern: string; methods: string[] }[] {
  const out = [];
  for (const [pattern, module] of routes) {
    if (routeParams(pattern).length === 0) continue;
    const methods = routeMethods(module);
    if (methods.length === 0) {
      throw new Error(`${pattern} has an :id but no handler to test: export handlers or a page`);
    }
    out.push({ pattern, methods });
  }
  return out;
}

interface Answer {
  status: number;
  type: string;
  text: string;
}

async function send(
  t: TestApp,
  cookie: string,
  method: string,
  path: string,
  body: (typeof BODIES)[number] | null,
): Promise<Answer> {
  const headers: Record<string, string> = { cookie, origin: TEST_ORIGIN };
  if (body) headers["content-type"] = body.type;
  const res = await t.request(path, {
    method,
    headers,
    body: body?.body,
    redirect: "manual",
  });
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    text: await res.text(),
  };
}

/** The request variants of one method: with each body for methods that take one. */
function variants(method: string): ((typeof BODIES)[number] | null)[] {
  return method === "GET" || method === "HEAD" ? [null] : [null, ...BODIES];
}

function pathFor(pattern: string, id: string): string {
  const values = Object.fromEntries(routeParams(pattern).map((name) => [name, id]));
  // `seq` is what a chunk needs and other routes ignore; 1 is new for every recording.
  return `${fillPattern(pattern, values)}?seq=1`;
}

Deno.test("another user's ids answer 404 on every :id route and method, changing nothing", async () => {
  const t = await createTestApp({}, { model });
  const alice = await t.signUp("alice");
  const bob = await t.signUp("bob");
  const aliceId = (await t.db.getUserByUsername("alice"))!.id;
  const owned = await ownData(t, alice, aliceId);
  const aliceIds = Object.values(owned);
  const table = idRoutes();
  assert.ok(table.length >= 3, `only ${table.length} :id routes in the manifest`);

  const before = await kvSnapshot(t.db.kv);
  let requests = 0;
  for (const { pattern, methods } of table) {
    for (const method of methods) {
      for (const body of variants(method)) {
        // What Bob gets for an id that never existed, to compare with each of Alice's.
        const unknownId = t.db.newId();
        const unknown = await send(t, bob, method, pathFor(pattern, unknownId), body);
        const what = `${method} ${pattern} with ${body?.name ?? "no"} body`;
        assert.ok(unknown.status >= 400 && unknown.status < 500, `${what}: ${unknown.status}`);
        for (const id of aliceIds) {
          const answer = await send(t, bob, method, pathFor(pattern, id), body);
          requests++;
          const label = `Bob's ${what} on Alice's ${id}`;
          assert.deepEqual(
            { ...answer, text: answer.text.replaceAll(id, "ID") },
            { ...unknown, text: unknown.text.replaceAll(unknownId, "ID") },
            `${label} must answer as an unknown id does`,
          );
          assert.ok(!answer.text.includes(SECRET), `${label} shows Alice's note`);
          if (answer.status !== 404) continue;
          if (isApiPath(pattern)) {
            assert.match(answer.type, /^application\/json/, label);
            assert.equal(typeof JSON.parse(answer.text).error, "string", label);
          } else {
            assert.match(answer.type, /^text\/html/, label);
          }
        }
      }
      // Some variant must reach the id lookup, or this method was not really tested.
      const reached = [];
      for (const body of variants(method)) {
        const a = await send(t, bob, method, pathFor(pattern, owned.entry), body);
        const b = await send(t, bob, method, pathFor(pattern, owned.liveRecording), body);
        if (a.status === 404 || b.status === 404) reached.push(body?.name ?? "no body");
      }
      assert.ok(reached.length > 0, `${method} ${pattern}: no request of Bob's got as far as 404`);
    }
  }
  assert.deepEqual(snapshotChanges(before, await kvSnapshot(t.db.kv)), [], "Alice's data changed");
  assert.ok(requests > 20, `only ${requests} requests`);

  // Alice herself gets through on each route and method, on fresh data of hers each time.
  for (const { pattern, methods } of table) {
    for (const method of methods) {
      const fresh = Object.values(await ownData(t, alice, aliceId));
      const statuses = [];
      for (const id of fresh) {
        for (const body of variants(method)) {
          statuses.push((await send(t, alice, method, pathFor(pattern, id), body)).status);
        }
      }
      assert.ok(
        statuses.some((s) => s < 400),
        `${method} ${pattern}: Alice never got through (${statuses.join(" ")})`,
      );
    }
  }
  t.close();
});

Deno.test("lists, pages and exports without an id show none of another user's data", async () => {
  const t = await createTestApp({}, { model });
  const alice = await t.signUp("alice");
  const bob = await t.signUp("bob");
  const aliceId = (await t.db.getUserByUsername("alice"))!.id;
  const owned = await ownData(t, alice, aliceId);
  const secrets = [...Object.values(owned), aliceId, SECRET];
  const pages = routes.filter(([pattern, module]) =>
    routeParams(pattern).length === 0 && routeMethods(module).includes("GET")
  ).map(([pattern]) => pattern);
  for (const path of ["/api/entries", "/entries", "/api/export"]) {
    if (routes.some(([p]) => p === path)) assert.ok(pages.includes(path), path);
  }
  const before = await kvSnapshot(t.db.kv);
  for (const pattern of pages) {
    for (const query of ["", "?format=json", "?format=csv", "?limit=100"]) {
      const answer = await send(t, bob, "GET", pattern + query, null);
      assert.ok(answer.status < 500, `GET ${pattern}${query}: ${answer.status}`);
      for (const secret of secrets) {
        assert.ok(!answer.text.includes(secret), `Bob's GET ${pattern}${query} shows ${secret}`);
      }
    }
  }
  assert.deepEqual(snapshotChanges(before, await kvSnapshot(t.db.kv)), []);
  // The same pages do show Alice her own entries, so the check above can fail.
  const own = await send(t, alice, "GET", "/api/entries", null);
  assert.ok(own.text.includes(owned.entry) && own.text.includes(owned.finishedEntry));
  if (pages.includes("/api/export")) {
    for (const format of ["json", "csv"]) {
      const exported = await send(t, alice, "GET", `/api/export?format=${format}`, null);
      assert.equal(exported.status, 200);
      assert.ok(exported.text.includes(SECRET), `Alice's ${format} export has her note`);
    }
  }
  t.close();
});
