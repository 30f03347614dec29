/**
 * A failing store answers 503 with `Retry-After` and leaves nothing half-written: with
 * every commit failing, sign-up, login, starting a recording, its chunks, finishing it and
 * editing an entry are refused (JSON for the API, the error page for forms) and the store
 * holds exactly the keys it held before; once the store is back, the same requests
 * succeed, and a recording whose chunk was refused and sent again becomes the same entry
 * as one that was never interrupted. Failing reads answer 503 as well.
 */
import assert from "node:assert/strict";
import { createApp, STORE_RETRY_AFTER_S } from "../app.ts";
import { testConfig } from "../lib/config.ts";
import { Db } from "../lib/db.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { type Faults, faultyKv } from "../lib/testing/faulty_kv.ts";
import { sessionCookie, TEST_ORIGIN, TEST_PASSWORD } from "./_helpers.ts";
import { twoUtterances } from "./_speech.ts";
import { float32LittleEndian } from "../islands/audio/chunker.ts";

const RATE = 16000;
const model = await loadEmotionModel();

async function setUp() {
  const faults: Faults = {};
  const store = await Deno.openKv(":memory:");
  const db = new Db(faultyKv(store, faults), { nowMs: () => Date.UTC(2026, 0, 15, 12) });
  const app = createApp({ db, config: testConfig(), model });
  const request = (path: string, init: RequestInit = {}) =>
    Promise.resolve(app.request(TEST_ORIGIN + path, { redirect: "manual", ...init }, {
      remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
    }));
  const form = (path: string, fields: Record<string, string>) =>
    request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  /** Every key and versionstamp, read past the faults. */
  const snapshot = async () => {
    const rows: string[] = [];
    for await (const row of store.list({ prefix: [] })) {
      rows.push(`${JSON.stringify(row.key)}@${row.versionstamp}`);
    }
    return rows;
  };
  return { faults, db, request, form, snapshot, close: () => store.close() };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/** A 503 with Retry-After; JSON `{ error }` under /api, the error page elsewhere. */
async function assertUnavailable(res: Response, api: boolean, what: string) {
  assert.equal(res.status, 503, what);
  assert.equal(res.headers.get("retry-after"), String(STORE_RETRY_AFTER_S), what);
  if (api) {
    const body = await res.json();
    assert.match(body.error, /try again shortly/, what);
  } else {
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/, what);
    assert.match(await res.text(), /try again shortly/, what);
  }
}

/** Runs `call` with commits failing and checks it was refused and wrote nothing. */
async function refusedWhileDown(
  s: Setup,
  what: string,
  api: boolean,
  call: () => Promise<Response>,
) {
  const before = await s.snapshot();
  const injected = s.faults.injected ?? 0;
  s.faults.failCommits = true;
  try {
    await assertUnavailable(await call(), api, what);
  } finally {
    s.faults.failCommits = false;
  }
  assert.ok((s.faults.injected ?? 0) > injected, `${what}: a fault was injected`);
  assert.deepEqual(await s.snapshot(), before, `${what}: nothing written`);
}

function api(s: Setup, cookie: string) {
  return (path: string, init: RequestInit = {}) =>
    s.request(path, {
      method: "POST",
      ...init,
      headers: { cookie, origin: TEST_ORIGIN, ...(init.headers ?? {}) },
    });
}

Deno.test("failing commits answer 503 and write nothing; the same requests succeed after", async () => {
  const s = await setUp();
  try {
    const fields = { username: "outage", password: TEST_PASSWORD };
    await refusedWhileDown(s, "sign-up", false, () => s.form("/signup", fields));
    const signup = await s.form("/signup", fields);
    assert.equal(signup.status, 303);
    await signup.body?.cancel();

    await refusedWhileDown(s, "login", false, () => s.form("/login", fields));
    const login = await s.form("/login", fields);
    assert.equal(login.status, 303);
    await login.body?.cancel();
    const send = api(s, sessionCookie(login));

    await refusedWhileDown(s, "start recording", true, () => send("/api/sessions"));
    const started = await send("/api/sessions");
    assert.equal(started.status, 201);
    const { id } = await started.json();
    const chunk = float32LittleEndian(new Float32Array(RATE));
    const post = () =>
      send(`/api/sessions/${id}/chunks?seq=0`, {
        headers: { "content-type": "application/octet-stream" },
        body: chunk,
      });
    await refusedWhileDown(s, "chunk", true, post);
    assert.equal((await post()).status, 200);
    await refusedWhileDown(s, "finish", true, () => send(`/api/sessions/${id}/finish`));
    const finished = await send(`/api/sessions/${id}/finish`);
    assert.equal(finished.status, 200);
    const entry = await finished.json();

    const patch = () =>
      send(`/api/entries/${entry.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ note: "after the outage", mood: 4 }),
      });
    await refusedWhileDown(s, "edit entry", true, patch);
    const edited = await patch();
    assert.equal(edited.status, 200);
    assert.equal((await edited.json()).note, "after the outage");
  } finally {
    s.close();
  }
});

Deno.test("failing reads answer 503 on pages and the API", async () => {
  const s = await setUp();
  try {
    const signup = await s.form("/signup", { username: "reader", password: TEST_PASSWORD });
    const cookie = sessionCookie(signup);
    await signup.body?.cancel();
    s.faults.failReads = true;
    await assertUnavailable(await s.request("/dashboard", { headers: { cookie } }), false, "page");
    await assertUnavailable(
      await s.request("/api/entries", { headers: { cookie } }),
      true,
      "API list",
    );
    s.faults.failReads = false;
    const ok = await s.request("/api/entries", { headers: { cookie } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    s.close();
  }
});

Deno.test("a chunk refused during an outage and sent again gives the uninterrupted entry", async () => {
  const s = await setUp();
  try {
    const signup = await s.form("/signup", { username: "steady", password: TEST_PASSWORD });
    const send = api(s, sessionCookie(signup));
    await signup.body?.cancel();
    const audio = await twoUtterances();
    const chunks: Float32Array[] = [];
    for (let i = 0; i < audio.length; i += RATE) chunks.push(audio.subarray(i, i + RATE));
    const sendChunk = (id: string, seq: number) =>
      send(`/api/sessions/${id}/chunks?seq=${seq}`, {
        headers: { "content-type": "application/octet-stream" },
        body: float32LittleEndian(chunks[seq]),
      });
    const record = async (onChunk: (id: string, seq: number) => Promise<void>) => {
      const { id } = await (await send("/api/sessions")).json();
      const answers = [];
      for (let seq = 0; seq < chunks.length; seq++) {
        await onChunk(id, seq);
        const res = await sendChunk(id, seq);
        assert.equal(res.status, 200, `chunk ${seq}`);
        answers.push(await res.json());
      }
      const res = await send(`/api/sessions/${id}/finish`);
      assert.equal(res.status, 200);
      const { id: _id, startedAt: _at, ...entry } = await res.json();
      return { answers, entry };
    };

    const whole = await record(() => Promise.resolve());
    const failAt = Math.floor(chunks.length / 2);
    const interrupted = await record(async (id, seq) => {
      if (seq !== failAt) return;
      await refusedWhileDown(s, `chunk ${seq}`, true, () => sendChunk(id, seq));
    });
    assert.ok(whole.entry.segmentCount > 0, "the recording has speech");
    assert.deepEqual(interrupted.answers, whole.answers);
    assert.deepEqual(interrupted.entry, whole.entry);
  } finally {
    s.close();
  }
});
