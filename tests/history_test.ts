/**
 * In-process tests of the history page: login, local days in the person's time zone,
 * isolation between users, the range filters and their errors, charts with table
 * fallbacks, and the empty state.
 */
import assert from "node:assert/strict";
import type { Db } from "../lib/db.ts";
import { createTestApp, type TestApp } from "./_helpers.ts";

const DAY_MS = 24 * 3600 * 1000;

function entryAt(startedAt: string, label: string, fields: { mood?: number } = {}) {
  return {
    startedAt,
    durationS: 30,
    dominant: label,
    distribution: { [label]: 1 },
    segments: [{
      startS: 0,
      endS: 30,
      label,
      confidence: 0.9,
      probabilities: { [label]: 1 },
    }],
    ...fields,
  };
}

/** Signs `username` up, optionally sets their zone; returns the cookie and user id. */
async function user(t: TestApp, username: string, timeZone: string | null = null) {
  const cookie = await t.signUp(username);
  const id = (await t.db.getUserByUsername(username))!.id;
  if (timeZone) await t.db.updateUser(id, (u) => ({ ...u, timeZone }));
  return { cookie, id };
}

async function page(t: TestApp, path: string, cookie: string) {
  const res = await t.request(path, { headers: { cookie } });
  return { status: res.status, html: await res.text() };
}

/** The calendar cells as `[day, emotion]`, emotion "" for a day without entries. */
function cells(html: string): [string, string][] {
  return [...html.matchAll(/<rect data-day="([\d-]+)"(?: data-emotion="(\w*)")?/g)].map((m) => [
    m[1],
    m[2] ?? "",
  ]);
}

/** The number in "N entries from …" (or "1 entry from …"). */
function entryCount(html: string): number {
  const match = /(\d+) entr(?:y|ies) from/.exec(html);
  if (!match) throw new Error("Expected an entry count on the page, but found none");
  return Number(match[1]);
}

function iso(db: Db, offsetMs: number): string {
  return new Date(db.nowMs() + offsetMs).toISOString();
}

Deno.test("history needs a login: pages redirect to login with where they were going", async () => {
  const t = await createTestApp();
  for (const path of ["/history", "/history?range=7", "/history?from=2026-01-01&to=2026-01-02"]) {
    const res = await t.request(path, { redirect: "manual" });
    assert.equal(res.status, 303, path);
    assert.equal(res.headers.get("location"), `/login?next=${encodeURIComponent(path)}`);
  }
  t.close();
});

Deno.test("history: the empty state links to recording and names the zone", async () => {
  const t = await createTestApp();
  const { cookie } = await user(t, "empty.user");
  const { status, html } = await page(t, "/history", cookie);
  assert.equal(status, 200);
  assert.match(html, /No entries in these days yet/);
  assert.match(html, /href="\/dashboard"[^>]*>Record an entry</);
  assert.match(html, /days are counted in UTC/);
  assert.match(html, /href="\/account"/);
  assert.match(html, /<a href="\/history" aria-current="page"/, "the nav marks History");
  assert.equal(entryCount(html), 0);
  assert.ok(!html.includes("<svg"), "no charts without entries");
  assert.ok(!html.includes("<script"), "no JavaScript is shipped");
  t.close();
});

Deno.test("history: entries land on the local day of the person's zone", async () => {
  const t = await createTestApp(); // now: 2026-01-15 12:00 UTC
  const { cookie, id } = await user(t, "tokyo.user", "Asia/Tokyo");
  // 2026-01-14 20:00 UTC is 05:00 on the 15th in Tokyo but noon on the 14th in Los Angeles.
  await t.db.createEntry(id, entryAt("2026-01-14T20:00:00Z", "happy", { mood: 4 }));
  // 2026-01-13 10:00 UTC is the 13th in both.
  await t.db.createEntry(id, entryAt("2026-01-13T10:00:00Z", "sad"));
  const tokyo = await page(t, "/history?range=7", cookie);
  assert.equal(tokyo.status, 200);
  assert.match(tokyo.html, /your time zone, Asia\/Tokyo/);
  assert.deepEqual(cells(tokyo.html), [
    ["2026-01-09", ""],
    ["2026-01-10", ""],
    ["2026-01-11", ""],
    ["2026-01-12", ""],
    ["2026-01-13", "sad"],
    ["2026-01-14", ""],
    ["2026-01-15", "happy"],
  ]);
  assert.equal(entryCount(tokyo.html), 2);
  // The charts carry accessible names and a table with the same figures.
  for (const chart of ["dominant-emotion-per-day", "weekly-share-of-each-emotion"]) {
    assert.match(tokyo.html, new RegExp(`<title id="${chart}-title">`));
    assert.match(tokyo.html, new RegExp(`<desc id="${chart}-desc">`));
  }
  assert.match(tokyo.html, /<details>/);
  assert.match(tokyo.html, /<th scope="row"[^>]*>Thu 15 Jan 2026<\/th><td>\+0\.80<\/td>/);
  assert.match(tokyo.html, /<td>4\.0<\/td>/, "the mood rating appears in the table");

  await t.db.updateUser(id, (u) => ({ ...u, timeZone: "America/Los_Angeles" }));
  const la = await page(t, "/history?range=7", cookie);
  assert.deepEqual(cells(la.html).filter(([, e]) => e), [["2026-01-13", "sad"], [
    "2026-01-14",
    "happy",
  ]]);
  t.close();
});

Deno.test("history: another user's entries never appear", async () => {
  const t = await createTestApp();
  const alice = await user(t, "alice");
  const bob = await user(t, "bob");
  await t.db.createEntry(alice.id, entryAt("2026-01-15T08:00:00Z", "calm"));
  for (let i = 0; i < 5; i++) {
    await t.db.createEntry(bob.id, entryAt(`2026-01-1${i}T09:00:00Z`, "angry"));
  }
  const { html } = await page(t, "/history?range=30", alice.cookie);
  assert.equal(entryCount(html), 1);
  assert.deepEqual(cells(html).filter(([, e]) => e), [["2026-01-15", "calm"]]);
  assert.ok(!/angry/i.test(html), "nothing of Bob's shows on Alice's page");
  const bobs = await page(t, "/history?range=30", bob.cookie);
  assert.equal(entryCount(bobs.html), 5);
  assert.ok(!/data-emotion="calm"/.test(bobs.html));
  t.close();
});

Deno.test("history: preset and custom ranges pick the right entries and days", async () => {
  const t = await createTestApp();
  const { cookie, id } = await user(t, "ranges");
  for (const daysAgo of [2, 20, 60, 200, 400]) {
    await t.db.createEntry(id, entryAt(iso(t.db, -daysAgo * DAY_MS), "neutral"));
  }
  const expected: [string, number, number][] = [
    ["/history", 2, 30],
    ["/history?range=7", 1, 7],
    ["/history?range=30", 2, 30],
    ["/history?range=90", 3, 90],
    ["/history?range=365", 4, 365],
  ];
  for (const [path, entries, days] of expected) {
    const { status, html } = await page(t, path, cookie);
    assert.equal(status, 200, path);
    assert.equal(entryCount(html), entries, path);
    const shown = cells(html);
    assert.equal(shown.length, days, path);
    assert.equal(shown.at(-1)![0], "2026-01-15", `${path} ends today`);
  }
  const preset = await page(t, "/history?range=90", cookie);
  assert.match(preset.html, /<a href="\/history\?range=90" aria-current="page"/);
  assert.match(preset.html, /<title id="[\w-]+">Valence, arousal and self-rated mood per day</);
  // Beyond 92 days the trend shows weekly means.
  const year = await page(t, "/history?range=365", cookie);
  assert.match(year.html, /<title id="[\w-]+">Valence, arousal and self-rated mood per week</);
  assert.match(year.html, /<th scope="col">Week of<\/th><th scope="col">Valence/);

  // Custom: inclusive of both ends; the form shows the dates chosen.
  const custom = await page(t, "/history?from=2024-11-11&to=2025-06-29", cookie);
  assert.equal(custom.status, 200);
  // 400 and 200 days before 2026-01-15 are 2024-12-11 and 2025-06-29.
  assert.equal(entryCount(custom.html), 2);
  const shown = cells(custom.html);
  assert.deepEqual([shown[0][0], shown.at(-1)![0]], ["2024-11-11", "2025-06-29"]);
  assert.match(custom.html, /name="from" type="date" value="2024-11-11"/);
  assert.match(custom.html, /name="to" type="date" value="2025-06-29"/);
  assert.ok(!custom.html.includes('aria-current="page" class="px-3'), "no preset is marked");
  const oneDay = await page(t, "/history?from=2025-06-29&to=2025-06-29", cookie);
  assert.deepEqual(cells(oneDay.html), [["2025-06-29", "neutral"]]);
  const dayAfter = await page(t, "/history?from=2025-06-30&to=2025-06-30", cookie);
  assert.equal(entryCount(dayAfter.html), 0);
  assert.match(dayAfter.html, /No entries in these days yet/);
  t.close();
});

Deno.test("history: bad ranges answer 400 with a readable message", async () => {
  const t = await createTestApp();
  const { cookie } = await user(t, "bad.ranges");
  const cases: [string, RegExp][] = [
    ["/history?range=14", /one of 7, 30, 90, 365 days/],
    ["/history?range=all", /one of 7, 30, 90, 365 days/],
    ["/history?from=2026-01-01", /both a start and an end date/],
    ["/history?from=2026-02-30&to=2026-03-01", /start date as YYYY-MM-DD/],
    ["/history?from=2026-01-01&to=tomorrow", /end date as YYYY-MM-DD/],
    ["/history?from=2026-01-10&to=2026-01-01", /2026-01-10 to be on or before the end date/],
    ["/history?from=2020-01-01&to=2026-01-01", /at most 1096 days \(3 years\)/],
  ];
  for (const [path, message] of cases) {
    const { status, html } = await page(t, path, cookie);
    assert.equal(status, 400, path);
    assert.match(html, message, path);
    assert.match(html, /Request refused/, path);
  }
  t.close();
});
