/**
 * In-process route tests: every page and API route of the foundation, the account flows
 * and the security rules (cookie flags, CSRF, rate limit, expiry, isolation, deletion).
 */
import assert from "node:assert/strict";
import { FAILURE_WINDOW_MS } from "../lib/accounts.ts";
import { SESSION_TTL_MS } from "../lib/db.ts";
import { newRecording } from "../lib/streaming/recording.ts";
import { FUNCTIONAL_COUNT } from "../lib/audio/functionals.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { MIN_REFERENCE_ENTRIES, MIN_REFERENCE_WINDOWS } from "../lib/model/voice_reference.ts";
import { createTestApp, sessionCookie, TEST_ORIGIN, TEST_PASSWORD } from "./_helpers.ts";

function exampleEntry(label: string, segments = 2) {
  return {
    startedAt: "2026-01-15T12:00:00.000Z",
    durationS: 61.5,
    dominant: label,
    distribution: { [label]: 1 },
    segments: Array.from({ length: segments }, (_, i) => ({
      startS: i * 2,
      endS: i * 2 + 1.5,
      label,
      confidence: 0.9,
      // Sure enough for the shipped uncertainty rule (a margin of 0.75 over the second).
      probabilities: { [label]: 0.9, neutral: 0.1 },
    })),
  };
}

Deno.test("public pages answer with HTML", async () => {
  const t = await createTestApp();
  for (
    const [path, text] of [["/", "Hear how your days feel."], ["/signup", "Create your journal"], [
      "/login",
      "Log in",
    ]]
  ) {
    const res = await t.request(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await res.text();
    assert.ok(html.startsWith("<!DOCTYPE html>"), path);
    assert.ok(html.includes(text), `${path} shows "${text}"`);
    assert.ok(html.includes("<style data-twind>"), `${path} has its CSS inlined`);
    if (path === "/signup") {
      // Only the time-zone picker, which preselects the browser's zone.
      assert.ok(html.includes('data-island="TimeZoneSelect"'), path);
    } else assert.ok(!html.includes("<script"), `${path} ships no JavaScript`);
  }
  t.close();
});

Deno.test("private pages redirect to login with next, API answers 401 JSON", async () => {
  const t = await createTestApp();
  for (const path of ["/dashboard", "/entries", "/account", "/entries?cursor=x"]) {
    const res = await t.request(path, { redirect: "manual" });
    assert.equal(res.status, 303, path);
    assert.equal(res.headers.get("location"), `/login?next=${encodeURIComponent(path)}`);
  }
  for (const path of ["/api/me", "/api/entries", "/api/entries/01ABC"]) {
    const res = await t.request(path);
    assert.equal(res.status, 401, path);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await res.json(), { error: "Log in first." });
  }
  t.close();
});

Deno.test("unknown paths: error page for pages, JSON for the API", async () => {
  const t = await createTestApp();
  const page = await t.request("/no/such/page");
  assert.equal(page.status, 404);
  assert.match(await page.text(), /Page not found/);
  const api = await t.request("/api/no-such-thing");
  assert.equal(api.status, 404);
  assert.deepEqual(await api.json(), { error: "There is nothing at this address." });
  t.close();
});

Deno.test("sign up: normalised name, session cookie flags, dashboard empty state", async () => {
  const t = await createTestApp();
  const res = await t.postForm("/signup", { username: "  Alice.W ", password: TEST_PASSWORD });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/dashboard");
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("moodline_session="))!;
  assert.match(setCookie, /^moodline_session=[A-Za-z0-9_-]{43};/);
  assert.match(setCookie, /; HttpOnly/);
  assert.match(setCookie, /; SameSite=Lax/);
  assert.match(setCookie, /; Path=\//);
  assert.match(setCookie, /; Max-Age=2592000/);
  assert.doesNotMatch(setCookie, /Secure/, "no Secure flag over plain http");
  const cookie = sessionCookie(res);
  const dash = await t.request("/dashboard", { headers: { cookie } });
  assert.equal(dash.status, 200);
  const html = await dash.text();
  assert.match(html, /Hello, alice\.w/);
  assert.match(html, /No entries yet — record your first/);
  const me = await (await t.request("/api/me", { headers: { cookie } })).json();
  assert.equal(me.username, "alice.w");
  assert.equal(me.passwordHash, undefined);
  t.close();
});

Deno.test("session cookie is Secure when served over https", async () => {
  const t = await createTestApp();
  const res = await t.request("https://moodline.example/signup", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: "secure", password: TEST_PASSWORD }).toString(),
  });
  assert.equal(res.status, 303);
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("moodline_session="))!;
  assert.match(setCookie, /; Secure/);
  t.close();
});

Deno.test("sign up rejects bad names, short passwords and taken names, keeping input", async () => {
  const t = await createTestApp();
  await t.signUp("bob");
  const cases: [Record<string, string>, RegExp][] = [
    [{ username: "ab", password: TEST_PASSWORD }, /3 to 32 characters/],
    [{ username: "x".repeat(33), password: TEST_PASSWORD }, /3 to 32 characters/],
    [{ username: "bad name!", password: TEST_PASSWORD }, /may use only/],
    [{ username: "carol", password: "short" }, /at least 10 characters/],
    [{ username: " BOB ", password: TEST_PASSWORD }, /username is taken/],
  ];
  for (const [fields, message] of cases) {
    const res = await t.postForm("/signup", fields);
    assert.equal(res.status, 400, JSON.stringify(fields));
    const html = await res.text();
    assert.match(html, message);
    assert.match(html, /role="alert"/);
    assert.equal(res.headers.getSetCookie().length, 0);
  }
  assert.equal(await t.db.getUserByUsername("carol"), null);
  t.close();
});

Deno.test("forms must be url-encoded; oversize bodies get 413", async () => {
  const t = await createTestApp();
  const json = await t.request("/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "x", password: "y" }),
  });
  assert.equal(json.status, 415);
  const big = await t.postForm("/login", { username: "x", password: "y".repeat(20_000) });
  assert.equal(big.status, 413);
  t.close();
});

Deno.test("login: wrong password and unknown user get the same 401 message", async () => {
  const t = await createTestApp();
  await t.signUp("dora");
  const wrong = await t.postForm("/login", { username: "dora", password: "not the password" });
  const unknown = await t.postForm("/login", { username: "nobody", password: TEST_PASSWORD });
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  const message = (html: string) => html.match(/role="alert"[^>]*>([^<]*)</)?.[1];
  assert.equal(message(await wrong.text()), "Wrong username or password.");
  assert.equal(message(await unknown.text()), "Wrong username or password.");
  const ok = await t.postForm("/login", {
    username: "DORA",
    password: TEST_PASSWORD,
    next: "/account",
  });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), "/account");
  sessionCookie(ok);
  t.close();
});

Deno.test("login ignores off-site next targets", async () => {
  const t = await createTestApp();
  await t.signUp("erin");
  for (const next of ["https://evil.example/", "//evil.example", "/\\evil.example"]) {
    const res = await t.postForm("/login", { username: "erin", password: TEST_PASSWORD, next });
    assert.equal(res.headers.get("location"), "/dashboard", next);
  }
  t.close();
});

Deno.test("rate limit: 5 failures per username lock it for 15 minutes with Retry-After", async () => {
  const t = await createTestApp();
  await t.signUp("frank");
  for (let i = 0; i < 5; i++) {
    const res = await t.postForm("/login", { username: "frank", password: `wrong ${i}` });
    assert.equal(res.status, 401, `attempt ${i + 1}`);
    await res.body?.cancel();
  }
  const locked = await t.postForm("/login", { username: "frank", password: TEST_PASSWORD });
  assert.equal(locked.status, 429, "even the right password waits");
  assert.equal(locked.headers.get("retry-after"), String(FAILURE_WINDOW_MS / 1000));
  assert.match(await locked.text(), /Too many failed attempts\. Try again in 15 minutes\./);
  const otherUser = await t.postForm("/login", { username: "ghost", password: "whatever" });
  assert.equal(otherUser.status, 401, "other usernames from the same address still work");
  t.clock.nowMs += FAILURE_WINDOW_MS;
  const later = await t.postForm("/login", { username: "frank", password: TEST_PASSWORD });
  assert.equal(later.status, 303);
  t.close();
});

Deno.test("rate limit: 20 failures from one address lock that address only", async () => {
  const t = await createTestApp();
  await t.signUp("gina");
  for (let i = 0; i < 20; i++) {
    const res = await t.postForm("/login", { username: `user${i}`, password: "wrong" }, {
      address: "203.0.113.9",
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
  const locked = await t.postForm("/login", { username: "gina", password: TEST_PASSWORD }, {
    address: "203.0.113.9",
  });
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get("retry-after")) > 0);
  await locked.body?.cancel();
  const elsewhere = await t.postForm("/login", { username: "gina", password: TEST_PASSWORD }, {
    address: "198.51.100.7",
  });
  assert.equal(elsewhere.status, 303);
  t.close();
});

Deno.test("CSRF: cross-site state-changing requests get 403, same-site pass", async () => {
  const t = await createTestApp();
  const cookie = await t.signUp("hana");
  const cross = await t.postForm("/logout", {}, { cookie, origin: "https://evil.example" });
  assert.equal(cross.status, 403);
  await cross.body?.cancel();
  assert.equal((await t.request("/api/me", { headers: { cookie } })).status, 200, "still in");
  const api = await t.request("/api/entries", {
    method: "POST",
    headers: { cookie, origin: "https://evil.example", "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(api.status, 403);
  assert.deepEqual(await api.json(), { error: "Cross-site request refused." });
  const fetchSite = await t.request("/logout", {
    method: "POST",
    headers: { cookie, "sec-fetch-site": "cross-site" },
  });
  assert.equal(fetchSite.status, 403);
  await fetchSite.body?.cancel();
  const same = await t.postForm("/logout", {}, { cookie, origin: TEST_ORIGIN });
  assert.equal(same.status, 303);
  t.close();
});

Deno.test("logout deletes the session row; the old cookie no longer works", async () => {
  const t = await createTestApp();
  const cookie = await t.signUp("ivan");
  const before = (await t.allKeys()).filter((k) => k[0] === "sessions").length;
  assert.equal(before, 1);
  const res = await t.postForm("/logout", {}, { cookie });
  assert.equal(res.status, 303);
  assert.match(res.headers.getSetCookie().join(), /moodline_session=;.*Max-Age=0/);
  assert.equal((await t.allKeys()).filter((k) => k[0] === "sessions").length, 0);
  const after = await t.request("/dashboard", { headers: { cookie }, redirect: "manual" });
  assert.equal(after.status, 303);
  t.close();
});

Deno.test("sessions expire after 30 days idle and slide while used", async () => {
  const t = await createTestApp();
  const cookie = await t.signUp("jane");
  t.clock.nowMs += SESSION_TTL_MS - 60_000;
  const used = await t.request("/api/me", { headers: { cookie } });
  assert.equal(used.status, 200, "still valid just before 30 days");
  assert.match(used.headers.getSetCookie().join(), /moodline_session=.*Max-Age=2592000/);
  t.clock.nowMs += SESSION_TTL_MS - 60_000;
  assert.equal((await t.request("/api/me", { headers: { cookie } })).status, 200, "slid");
  t.clock.nowMs += SESSION_TTL_MS + 1;
  assert.equal((await t.request("/api/me", { headers: { cookie } })).status, 401, "expired");
  assert.equal((await t.allKeys()).filter((k) => String(k[0]).startsWith("sessions")).length, 0);
  t.close();
});

Deno.test("a forged or malformed session cookie is ignored", async () => {
  const t = await createTestApp();
  for (const cookie of ["moodline_session=abc", `moodline_session=${"A".repeat(43)}`]) {
    assert.equal((await t.request("/api/me", { headers: { cookie } })).status, 401);
  }
  t.close();
});

Deno.test("user A cannot read user B's entries", async () => {
  const t = await createTestApp();
  const alice = await t.signUp("alice");
  const bob = await t.signUp("bob");
  const aliceUser = (await t.db.getUserByUsername("alice"))!;
  const entry = await t.db.createEntry(aliceUser.id, exampleEntry("happy"));
  const own = await t.request(`/api/entries/${entry.id}`, { headers: { cookie: alice } });
  assert.equal(own.status, 200);
  const body = await own.json();
  assert.equal(body.dominant, "happy");
  assert.equal(body.segments.length, 2);
  assert.equal(body.userId, undefined);
  const other = await t.request(`/api/entries/${entry.id}`, { headers: { cookie: bob } });
  assert.equal(other.status, 404);
  assert.deepEqual(await other.json(), { error: "No such entry." });
  const ownPage = await t.request(`/entries/${entry.id}`, { headers: { cookie: alice } });
  assert.equal(ownPage.status, 200);
  assert.match(await ownPage.text(), /mostly\s*<strong>happy<\/strong>/);
  const otherPage = await t.request(`/entries/${entry.id}`, { headers: { cookie: bob } });
  assert.equal(otherPage.status, 404);
  assert.match(await otherPage.text(), /no such entry in your journal/);
  const bobList = await (await t.request("/api/entries", { headers: { cookie: bob } })).json();
  assert.deepEqual(bobList, { entries: [], cursor: "" });
  const bobJournal = await (await t.request("/entries", { headers: { cookie: bob } })).text();
  assert.match(bobJournal, /No entries yet/);
  const aliceJournal = await (await t.request("/entries", { headers: { cookie: alice } }))
    .text();
  assert.match(aliceJournal, new RegExp(`/entries/${entry.id}`));
  t.close();
});

Deno.test("entries API pages with a cursor and rejects bad paging input", async () => {
  const t = await createTestApp();
  const cookie = await t.signUp("kim");
  const user = (await t.db.getUserByUsername("kim"))!;
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    t.clock.nowMs += 1000;
    ids.push((await t.db.createEntry(user.id, exampleEntry("calm"))).id);
  }
  const first = await (await t.request("/api/entries?limit=3", { headers: { cookie } })).json();
  assert.deepEqual(first.entries.map((e: { id: string }) => e.id), ids.slice(2).reverse());
  const second = await (await t.request(
    `/api/entries?limit=3&cursor=${encodeURIComponent(first.cursor)}`,
    { headers: { cookie } },
  )).json();
  assert.deepEqual(second.entries.map((e: { id: string }) => e.id), ids.slice(0, 2).reverse());
  assert.equal(second.cursor, "");
  for (const query of ["limit=0", "limit=abc", "limit=1000", "cursor=garbage"]) {
    const res = await t.request(`/api/entries?${query}`, { headers: { cookie } });
    assert.equal(res.status, 400, query);
    assert.equal(typeof (await res.json()).error, "string");
  }
  t.close();
});

Deno.test("account: change password logs out other devices and needs the old one", async () => {
  const t = await createTestApp();
  const first = await t.signUp("lena");
  const secondLogin = await t.postForm("/login", { username: "lena", password: TEST_PASSWORD });
  const second = sessionCookie(secondLogin);
  const wrong = await t.postForm("/account", {
    action: "password",
    current_password: "not it at all",
    new_password: "a brand new password",
  }, { cookie: first });
  assert.equal(wrong.status, 400);
  assert.match(await wrong.text(), /current password is not right/);
  const ok = await t.postForm("/account", {
    action: "password",
    current_password: TEST_PASSWORD,
    new_password: "a brand new password",
  }, { cookie: first });
  assert.equal(ok.status, 303);
  assert.equal((await t.request("/api/me", { headers: { cookie: first } })).status, 200);
  assert.equal((await t.request("/api/me", { headers: { cookie: second } })).status, 401);
  const oldPw = await t.postForm("/login", { username: "lena", password: TEST_PASSWORD });
  assert.equal(oldPw.status, 401);
  const newPw = await t.postForm("/login", { username: "lena", password: "a brand new password" });
  assert.equal(newPw.status, 303);
  t.close();
});

Deno.test("account: log out everywhere ends every session", async () => {
  const t = await createTestApp();
  const first = await t.signUp("mia");
  const second = sessionCookie(
    await t.postForm("/login", { username: "mia", password: TEST_PASSWORD }),
  );
  const page = await (await t.request("/account", { headers: { cookie: first } })).text();
  assert.match(page, /logged in on 2 devices/);
  const res = await t.postForm("/account", { action: "logout-everywhere" }, { cookie: first });
  assert.equal(res.status, 303);
  for (const cookie of [first, second]) {
    assert.equal((await t.request("/api/me", { headers: { cookie } })).status, 401);
  }
  t.close();
});

Deno.test("account: time zone is validated and stored", async () => {
  const t = await createTestApp();
  const cookie = await t.signUp("nora");
  const bad = await t.postForm("/account", { action: "timezone", time_zone: "Mars/Olympus" }, {
    cookie,
  });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
  const ok = await t.postForm("/account", { action: "timezone", time_zone: "Europe/Berlin" }, {
    cookie,
  });
  assert.equal(ok.status, 303);
  const me = await (await t.request("/api/me", { headers: { cookie } })).json();
  assert.equal(me.timeZone, "Europe/Berlin");
  t.close();
});

Deno.test("account deletion needs the password and leaves no key of the user", async () => {
  const t = await createTestApp();
  const cookie = await t.signUp("olga");
  await t.postForm("/login", { username: "olga", password: "one wrong try" });
  const other = await t.signUp("pete");
  const olga = (await t.db.getUserByUsername("olga"))!;
  const pete = (await t.db.getUserByUsername("pete"))!;
  await t.db.createEntry(olga.id, exampleEntry("sad", 250));
  await t.db.createEntry(olga.id, exampleEntry("angry"));
  const peteEntry = await t.db.createEntry(pete.id, exampleEntry("happy"));
  // A live recording in progress, with an early chunk waiting for the gap before it.
  const recording = await t.db.createRecording(olga.id, newRecording().state);
  const row = (await t.db.getRecording(olga.id, recording.id))!;
  const early = { seq: 2, current: null, segments: [] };
  assert.ok(await t.db.storePendingChunk(row, 2, new Float32Array(16000), early));

  const refused = await t.postForm("/account", { action: "delete", password: "wrong one!!" }, {
    cookie,
  });
  assert.equal(refused.status, 400);
  assert.match(await refused.text(), /nothing was deleted/);
  assert.ok(await t.db.getUser(olga.id));

  const res = await t.postForm("/account", { action: "delete", password: TEST_PASSWORD }, {
    cookie,
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/?deleted=1");
  const landing = await (await t.request("/?deleted=1")).text();
  assert.match(landing, /Your account and all its data were deleted/);
  const keys = await t.allKeys();
  const mentions = keys.filter((k) => k.some((part) => part === olga.id || part === "olga"));
  assert.deepEqual(mentions, []);
  const sessionsLeft = [];
  for await (const row of t.db.kv.list<{ userId: string }>({ prefix: ["sessions"] })) {
    if (row.value.userId === olga.id) sessionsLeft.push(row.key);
  }
  assert.deepEqual(sessionsLeft, []);
  assert.equal((await t.request("/api/me", { headers: { cookie } })).status, 401);
  const peteStill = await t.request(`/api/entries/${peteEntry.id}`, { headers: { cookie: other } });
  assert.equal(peteStill.status, 200, "other users keep their data");
  await peteStill.body?.cancel();
  t.close();
});

Deno.test("every Tailwind class used on a page compiles to CSS", async () => {
  const t = await createTestApp();
  const cookie = await t.signUp("stylist");
  const user = (await t.db.getUserByUsername("stylist"))!;
  const entry = await t.db.createEntry(user.id, exampleEntry("calm"));
  const pages: [string, string | undefined][] = [
    ["/", undefined],
    ["/login", undefined],
    ["/nowhere", undefined],
    ["/dashboard", cookie],
    ["/entries", cookie],
    [`/entries/${entry.id}`, cookie],
    ["/account", cookie],
  ];
  const escape = (cls: string) => cls.replace(/[^a-zA-Z0-9_-]/g, (ch) => `\\${ch}`);
  const signupError = await t.postForm("/signup", { username: "x", password: "y" });
  const htmls = [await signupError.text()];
  for (const [path, c] of pages) {
    htmls.push(await (await t.request(path, { headers: c ? { cookie: c } : {} })).text());
  }
  for (const html of htmls) {
    const css = html.match(/<style data-twind>(.*?)<\/style>/s)?.[1] ?? "";
    const classes = new Set(
      [...html.matchAll(/class="([^"]*)"/g)].flatMap((m) => m[1].split(/\s+/).filter(Boolean)),
    );
    const missing = [...classes].filter((cls) => !css.includes(`.${escape(cls)}`));
    assert.deepEqual(missing, [], "classes without CSS");
  }
  t.close();
});

Deno.test("dashboard says whether classification is tuned to the person's voice", async () => {
  const model = await loadEmotionModel();
  assert.ok(model.voice, "the shipped model has a voice-referenced member");
  const t = await createTestApp({}, { model });
  const cookie = await t.signUp("vivian");
  const user = (await t.db.getUserByUsername("vivian"))!;
  const dashboard = async () =>
    await (await t.request("/dashboard", { headers: { cookie } })).text();
  assert.match(await dashboard(), /data-voice="learning"[^>]*>Moodline tunes itself to your voice/);
  for (let i = 0; i < MIN_REFERENCE_ENTRIES; i++) {
    await t.db.createEntry(user.id, {
      ...exampleEntry("calm"),
      voice: { mean: new Float32Array(FUNCTIONAL_COUNT), windows: MIN_REFERENCE_WINDOWS },
    });
  }
  assert.match(
    await dashboard(),
    new RegExp(
      `data-voice="tuned"[^>]*>Tuned to your voice from your last ${MIN_REFERENCE_ENTRIES} recordings`,
    ),
  );
  // Without a voice member nothing is said.
  const plain = await createTestApp({}, { model: { ...model, voice: null } });
  const other = await plain.signUp("paula");
  const html = await (await plain.request("/dashboard", { headers: { cookie: other } })).text();
  assert.doesNotMatch(html, /data-voice=/);
  plain.close();
  t.close();
});
