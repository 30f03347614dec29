/**
 * Request fuzzing in-process: 10 000 generated requests (`lib/testing/fuzz.ts`, seeded) over
 * every route of `routes/_manifest.ts` with the real model behind the recording API. Every
 * answer must be below 500, API errors must be JSON `{ "error": string }`, a refused request
 * (4xx) may write nothing but login-failure counters and session upkeep, another user's id
 * must never be answered with success, and after every batch the app still serves a normal
 * request and the whole store changed only where the logged writes say.
 *
 * The app is built like `createTestApp` builds it, but over a watched store
 * (`watchKv`), so every write is attributed to the request that made it. The fuzz users'
 * passwords are hashed with few PBKDF2 rounds so that password checks stay cheap.
 *
 * `FUZZ_SEED` and `FUZZ_REQUESTS` override the seed and the number of requests;
 * `FUZZ_VERBOSE=1` adds the count of every route, method and status to the summary.
 */
import assert from "node:assert/strict";
import { bodyLimitFor, createApp, MAX_CHUNK_BYTES, MAX_FORM_BYTES } from "../app.ts";
import { encodeWav } from "../lib/audio/encode.ts";
import { FAILURE_WINDOW_MS, MAX_FAILURES_PER_ADDRESS } from "../lib/accounts.ts";
import { hashPassword, hashSessionToken, newSessionToken } from "../lib/auth.ts";
import { testConfig } from "../lib/config.ts";
import { Db, SESSION_REFRESH_MS } from "../lib/db.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import {
  type Auth,
  describeCase,
  fillPattern,
  type FuzzCase,
  type FuzzWorld,
  generateCase,
  keyString,
  kvSnapshot,
  type KvWrite,
  Rng,
  routeMethods,
  routeParams,
  snapshotChanges,
  toRequestInit,
  watchKv,
  type WriteLog,
} from "../lib/testing/fuzz.ts";
import { isApiPath } from "../lib/web/errors.ts";
import { routes } from "../routes/_manifest.ts";
import { TEST_ORIGIN } from "./_helpers.ts";

const model = await loadEmotionModel();
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261125);
const REQUESTS = Number(Deno.env.get("FUZZ_REQUESTS") ?? 10_000);
const BATCH = 250;
const PASSWORD = "fuzzing password 1";
const ADDRESS = "127.0.0.1";
/** Longest a single request may take (a chunk that makes the server work for long is a bug). */
const MAX_REQUEST_MS = 3000;

/** A logged-in user of the fuzz run, with the ids of what they own. */
interface Actor {
  userId: string;
  cookie: string;
  tokenHash: string;
  /** Entries and recordings of this user (new ones are added as the fuzz makes them). */
  ids: { entries: string[]; recordings: string[] };
}

interface Harness {
  app: ReturnType<typeof createApp>;
  /** The app's clock (ms since the epoch); moving it makes sessions refresh. */
  clock: { nowMs: number };
  db: Db;
  raw: Deno.Kv;
  log: WriteLog;
  send(path: string, init?: RequestInit): Promise<Response>;
  newActor(name: string): Promise<Actor>;
  /** Saves an entry for `userId` straight into the store. */
  newEntry(userId: string): Promise<{ id: string }>;
}

async function setUp(): Promise<Harness> {
  const clock = { nowMs: Date.UTC(2026, 0, 15, 12) };
  const raw = await Deno.openKv(":memory:");
  const { kv, log } = watchKv(raw);
  const db = new Db(kv, { nowMs: () => clock.nowMs });
  const app = createApp({ db, config: testConfig(), model });
  const send = (path: string, init: RequestInit = {}) =>
    Promise.resolve(app.request(TEST_ORIGIN + path, init, {
      remoteAddr: { transport: "tcp", hostname: ADDRESS, port: 40000 },
    }));
  const cheapHash = await hashPassword(PASSWORD, 1000);
  let actors = 0;
  const newEntry = (userId: string) =>
    db.createEntry(userId, {
      startedAt: new Date(clock.nowMs).toISOString(),
      durationS: 4,
      dominant: "happy",
      distribution: { happy: 1 },
      segments: [{
        startS: 0.5,
        endS: 3,
        label: "happy",
        confidence: 0.9,
        probabilities: { happy: 0.9, sad: 0.1 },
      }],
      note: "a note",
      mood: 4,
      energy: 3,
    });
  const newActor = async (name: string): Promise<Actor> => {
    const user = await db.createUser(`${name}_${actors++}`, cheapHash);
    const token = newSessionToken();
    const tokenHash = await hashSessionToken(token);
    await db.createSession(user.id, tokenHash);
    const cookie = `moodline_session=${token}`;
    const entry = await newEntry(user.id);
    const post = (path: string, body?: Uint8Array<ArrayBuffer>) =>
      send(path, {
        method: "POST",
        headers: { cookie, origin: TEST_ORIGIN, "content-type": "application/octet-stream" },
        body,
      }).then(async (res) => {
        assert.ok(res.ok, `${path} gave ${res.status}`);
        return await res.json();
      });
    const chunk = new Uint8Array(16000 * 4);
    const live = (await post("/api/sessions")).id as string;
    await post(`/api/sessions/${live}/chunks?seq=0`, chunk);
    const done = (await post("/api/sessions")).id as string;
    await post(`/api/sessions/${done}/chunks?seq=0`, chunk);
    const finished = (await post(`/api/sessions/${done}/finish`)).id as string;
    return {
      userId: user.id,
      cookie,
      tokenHash,
      ids: { entries: [entry.id, finished], recordings: [live, done] },
    };
  };
  return { app, clock, db, raw, log, send, newActor, newEntry };
}

/** Writes a refused request may make: failed-login counters and session upkeep. */
function allowedOnRefusal(write: KvWrite): boolean {
  const collection = write.key[0];
  return collection === "login_failures" || collection === "sessions" ||
    collection === "sessions_by_user";
}

/**
 * `actor` as it can go on fuzzing: the same one while its session and cheap password hold,
 * a new session after a log-out, a new user after the account was deleted or its password
 * changed (a new password is hashed with the full, slow rounds).
 */
async function keepUsable(h: Harness, actor: Actor, name: string): Promise<Actor> {
  const user = await h.db.getUser(actor.userId);
  if (!user || !user.passwordHash.startsWith("pbkdf2-sha256$1000$")) return await h.newActor(name);
  if (await h.db.getSession(actor.tokenHash)) return actor;
  const token = newSessionToken();
  const tokenHash = await hashSessionToken(token);
  await h.db.createSession(user.id, tokenHash);
  return { ...actor, cookie: `moodline_session=${token}`, tokenHash };
}

type Counts = Record<string, number>;

function count(counts: Counts, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function table(counts: Counts): string {
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(
    ", ",
  );
}

Deno.test(`fuzz: ${REQUESTS} generated requests, no 5xx, nothing saved by a refusal`, async () => {
  const h = await setUp();
  const rng = new Rng(SEED);
  let actor = await h.newActor("fuzzer");
  let other = await h.newActor("bystander");
  const failures: string[] = [];
  const fail = (c: FuzzCase, n: number, message: string) => {
    if (failures.length < 10) failures.push(`#${n} ${message}\n    ${describeCase(c)}`);
  };
  const coverage = { route: {} as Counts, body: {} as Counts, trait: {} as Counts };
  const auths: Counts = {}, statuses: Counts = {}, millis: Counts = {};
  let slowest = { ms: 0, what: "" };
  const limits = { bodyLimitFor };

  for (let first = 0; first < REQUESTS; first += BATCH) {
    if (first > 0) {
      // A fresh user each batch keeps lists and exports short; the last one looks on.
      other = actor;
      actor = await h.newActor("fuzzer");
    }
    if (first > 0 && first % (10 * BATCH) === 0) {
      // Past the hourly session refresh, so requests also slide sessions forward. The
      // address stays locked out of logins (each attempt otherwise costs a slow hash).
      h.clock.nowMs += SESSION_REFRESH_MS + 60_000;
      for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
        await h.db.addFailure("ip", ADDRESS, FAILURE_WINDOW_MS);
      }
    }
    const before = await kvSnapshot(h.raw);
    const written = new Set<string>();
    const note = (writes: KvWrite[]) => writes.forEach((w) => written.add(keyString(w.key)));
    note(h.log.take());
    for (let n = first; n < Math.min(first + BATCH, REQUESTS); n++) {
      const world: FuzzWorld = {
        routes,
        cookies: { actor: actor.cookie, other: other.cookie },
        password: PASSWORD,
        ids: { actor: actor.ids, other: other.ids },
        origin: TEST_ORIGIN,
      };
      let clockStart = performance.now();
      const c = generateCase(rng, world, limits);
      const init = toRequestInit(c);
      millis["(generating)"] = (millis["(generating)"] ?? 0) + performance.now() - clockStart;
      count(coverage.route, `${c.method} ${c.pattern ?? "(outside the table)"}`);
      count(coverage.body, c.bodyKind);
      c.traits.forEach((t) => count(coverage.trait, t));
      count(auths, c.auth);
      note(h.log.take());
      let res: Response;
      let bytes: Uint8Array;
      const started = performance.now();
      try {
        res = await h.send(c.path, init);
        bytes = new Uint8Array(await res.arrayBuffer());
      } catch (err) {
        fail(c, n, `threw ${(err as Error)?.stack ?? err}`);
        continue;
      }
      const route = `${c.method} ${c.pattern ?? "(outside the table)"}`;
      const tookMs = performance.now() - started;
      millis[route] = (millis[route] ?? 0) + tookMs;
      if (tookMs > slowest.ms) slowest = { ms: tookMs, what: `#${n} ${describeCase(c)}` };
      // Generous for a shared machine; a slow password hash takes a few hundred ms.
      if (tookMs > MAX_REQUEST_MS) fail(c, n, `took ${Math.round(tookMs)} ms`);
      const writes = h.log.take();
      note(writes);
      count(statuses, `${Math.floor(res.status / 100)}xx`);
      if (Deno.env.get("FUZZ_VERBOSE")) count(statuses, `${route} ${res.status}`);
      const pathname = new URL(TEST_ORIGIN + c.path).pathname;
      const text = new TextDecoder().decode(bytes);
      if (res.status >= 500) fail(c, n, `answered ${res.status}: ${text.slice(0, 200)}`);
      if (res.status >= 400 && isApiPath(pathname) && c.method !== "HEAD") {
        let error: unknown;
        try {
          error = JSON.parse(text).error;
        } catch {
          error = undefined;
        }
        const type = res.headers.get("content-type") ?? "";
        if (!type.startsWith("application/json") || typeof error !== "string") {
          fail(c, n, `API error ${res.status} is not JSON {error}: ${type} ${text.slice(0, 120)}`);
        }
      }
      // A redirect to the login page is a refusal too (a private page, not logged in).
      const toLogin = (res.headers.get("location") ?? "").startsWith("/login?next=");
      if (res.status >= 400 || toLogin) {
        const bad = writes.filter((w) => !allowedOnRefusal(w));
        if (bad.length > 0) {
          fail(c, n, `refused with ${res.status} but wrote ${bad.map((w) => keyString(w.key))}`);
        }
      }
      const sender: Auth | "nobody" = c.auth === "huge-cookie" ? "actor" : c.auth;
      const foreign = (sender === "actor" && c.idOwner === "other") ||
        (sender === "other" && c.idOwner === "actor");
      if (foreign && res.status < 400) {
        fail(c, n, `another user's id was answered with ${res.status}`);
      }
      if (c.bodyKind === "oversize" && !c.streamed && c.method !== "OPTIONS") {
        const declared = c.headers.find(([name]) => name === "content-length")?.[1];
        if (declared && /^\d+$/.test(declared) && res.status !== 413 && res.status !== 403) {
          fail(c, n, `an oversize body with its length declared was answered ${res.status}`);
        }
      }
      if (res.status === 201 && c.pattern === "/api/sessions" && sender === "actor") {
        // Recordings the fuzz starts become targets too: the newest eight besides the first.
        const recordings = actor.ids.recordings;
        recordings[recordings.length < 8 ? recordings.length : 1 + n % 7] = JSON.parse(text).id;
      }
      if (res.status === 204 && c.pattern === "/api/entries/:id" && sender === "actor") {
        // Deleted: the sender gets a new entry, so that entries stay to be fuzzed.
        actor.ids.entries.push((await h.newEntry(actor.userId)).id);
      }
      clockStart = performance.now();
      if (res.status < 400 && !["GET", "HEAD"].includes(c.method)) {
        // Logged out, deleted or given a new password: carry on as fresh users.
        actor = await keepUsable(h, actor, "fuzzer");
        other = await keepUsable(h, other, "bystander");
      }
      millis["(upkeep)"] = (millis["(upkeep)"] ?? 0) + performance.now() - clockStart;
    }
    note(h.log.take());
    const snapStart = performance.now();
    const unexplained = snapshotChanges(before, await kvSnapshot(h.raw)).filter((change) =>
      ![...written].some((key) => change.includes(` ${key}`))
    );
    assert.deepEqual(unexplained, [], "store changes that no logged write explains");
    millis["(snapshots)"] = (millis["(snapshots)"] ?? 0) + performance.now() - snapStart;
    // The app still serves a normal request.
    const me = await h.send("/api/me", { headers: { cookie: actor.cookie } });
    assert.equal(me.status, 200, `GET /api/me after request ${first + BATCH}`);
    assert.equal((await me.json()).id, actor.userId);
    const home = await h.send("/");
    assert.equal(home.status, 200);
    await home.body?.cancel();
    if (failures.length >= 10) break;
  }
  console.log(`seed ${SEED}: statuses ${table(statuses)}\n  senders ${table(auths)}`);
  console.log(`  bodies ${table(coverage.body)}\n  traits ${table(coverage.trait)}`);
  for (const key in millis) millis[key] = Math.round(millis[key]);
  console.log(`  slowest request ${Math.round(slowest.ms)} ms: ${slowest.what.slice(0, 160)}`);
  console.log(`  slowest (ms in all) ${table(millis).split(", ").slice(0, 8).join(", ")}`);
  assert.deepEqual(failures, [], `first failure:\n${failures[0]}`);
  // Every route and every method it handles was fuzzed.
  if (REQUESTS >= 10_000) {
    for (const [pattern, module] of routes) {
      for (const method of routeMethods(module)) {
        const n = coverage.route[`${method} ${pattern}`] ?? 0;
        assert.ok(n >= 20, `${method} ${pattern} got only ${n} requests`);
      }
    }
  }
  h.raw.close();
});

Deno.test("fuzz: body limits hold with a declared length and when streamed", async () => {
  const h = await setUp();
  const actor = await h.newActor("limits");
  const [entryId] = actor.ids.entries;
  const [liveId] = actor.ids.recordings;
  const chunks = `/api/sessions/${liveId}/chunks?seq=1`;
  const form = "application/x-www-form-urlencoded";
  const cases: { method: string; path: string; type: string; size: number }[] = [
    { method: "POST", path: chunks, type: "application/octet-stream", size: MAX_CHUNK_BYTES + 1 },
    { method: "POST", path: chunks, type: "audio/wav", size: MAX_CHUNK_BYTES + 1 },
    { method: "POST", path: "/login", type: form, size: MAX_FORM_BYTES + 1 },
    { method: "POST", path: "/signup", type: form, size: MAX_FORM_BYTES + 1 },
    { method: "POST", path: "/account", type: form, size: MAX_FORM_BYTES + 1 },
  ];
  // The JSON API limit applies to every route under /api that takes a JSON body.
  for (const [pattern, module] of routes) {
    if (!pattern.startsWith("/api/")) continue;
    for (const method of routeMethods(module)) {
      // Bodies are read by the methods that take one; a DELETE ignores its body.
      if (!["POST", "PUT", "PATCH"].includes(method) || pattern.includes("/sessions")) continue;
      const path = fillPattern(
        pattern,
        Object.fromEntries(routeParams(pattern).map((name) => [name, entryId])),
      );
      cases.push({ method, path, type: "application/json", size: bodyLimitFor(path) + 1 });
    }
  }
  const before = await kvSnapshot(h.raw);
  for (const { method, path, type, size } of cases) {
    {
      for (const streamed of [false, true]) {
        const body = new Uint8Array(size).fill(0x61);
        const c: FuzzCase = {
          method,
          path,
          pattern: null,
          headers: [["cookie", actor.cookie], ["origin", TEST_ORIGIN], ["content-type", type]],
          body,
          streamed,
          bodyKind: "oversize",
          auth: "actor",
          idOwner: "actor",
          traits: [],
        };
        if (!streamed) c.headers.push(["content-length", String(size)]);
        const res = await h.send(path, toRequestInit(c));
        const text = await res.text();
        assert.equal(res.status, 413, `${describeCase(c)} → ${res.status} ${text.slice(0, 200)}`);
        if (isApiPath(path)) assert.equal(typeof JSON.parse(text).error, "string");
      }
    }
  }
  assert.deepEqual(snapshotChanges(before, await kvSnapshot(h.raw)), []);
  // A form of exactly the limit is read (and refused for what it says, not for its size).
  const filler = "x".repeat(MAX_FORM_BYTES - "action=nope&pad=".length);
  const atLimit = await h.send("/account", {
    method: "POST",
    headers: {
      cookie: actor.cookie,
      origin: TEST_ORIGIN,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: `action=nope&pad=${filler}`,
  });
  assert.equal(atLimit.status, 400);
  await atLimit.body?.cancel();
  h.raw.close();
});

Deno.test("fuzz: a long chunk at a low sample rate is refused before it is resampled", async () => {
  const h = await setUp();
  const actor = await h.newActor("slow_rate");
  const [liveId] = actor.ids.recordings;
  // 2 MB of 8-bit audio at 1 kHz: 33 minutes, which would take long to upsample to 16 kHz.
  const wav = encodeWav(new Float32Array(MAX_CHUNK_BYTES - 100), 1000, { encoding: "pcm_u8" });
  const started = performance.now();
  const res = await h.send(`/api/sessions/${liveId}/chunks?seq=1`, {
    method: "POST",
    headers: { cookie: actor.cookie, origin: TEST_ORIGIN, "content-type": "audio/wav" },
    body: new Uint8Array(wav),
  });
  const elapsedMs = performance.now() - started;
  assert.equal(res.status, 413);
  assert.deepEqual(await res.json(), { error: "A chunk holds at most 10 s of audio." });
  assert.ok(elapsedMs < 5000, `refusing it took ${Math.round(elapsedMs)} ms`);
  // Ten seconds at 1 kHz are still taken.
  const ok = await h.send(`/api/sessions/${liveId}/chunks?seq=1`, {
    method: "POST",
    headers: { cookie: actor.cookie, origin: TEST_ORIGIN, "content-type": "audio/wav" },
    body: new Uint8Array(encodeWav(new Float32Array(10_000), 1000)),
  });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  h.raw.close();
});
