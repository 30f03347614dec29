/**
 * Tests of the history aggregation: local days across daylight-saving changes and in zones
 * ahead of UTC, filter ranges and their errors, per-day and per-week figures.
 */
import assert from "node:assert/strict";
import type { EntrySummary } from "../db.ts";
import {
  addDays,
  aggregateHistory,
  formatDay,
  historyRange,
  localDay,
  MAX_RANGE_DAYS,
  startOfLocalDay,
  weekStart,
} from "./history.ts";

let nextId = 0;

function summary(startedAt: string, fields: Partial<EntrySummary> = {}): EntrySummary {
  return {
    id: `e${nextId++}`,
    userId: "u1",
    startedAt,
    durationS: 60,
    dominant: "calm",
    distribution: { calm: 1 },
    segmentCount: 1,
    affect: null,
    note: "",
    mood: null,
    energy: null,
    updatedAtMs: null,
    ...fields,
  };
}

Deno.test("localDay: a zone east of UTC is already on the next day", () => {
  const at = Date.parse("2026-01-15T20:30:00Z");
  assert.equal(localDay(at, "UTC"), "2026-01-15");
  assert.equal(localDay(at, "Asia/Tokyo"), "2026-01-16"); // 05:30 next morning
  assert.equal(localDay(at, "America/Los_Angeles"), "2026-01-15");
  assert.equal(localDay(Date.parse("2026-01-15T06:00:00Z"), "America/Los_Angeles"), "2026-01-14");
});

Deno.test("startOfLocalDay: Berlin's days around the March change last 24, 23 and 24 hours", () => {
  const zone = "Europe/Berlin";
  const sat = startOfLocalDay("2026-03-28", zone);
  const sun = startOfLocalDay("2026-03-29", zone);
  const mon = startOfLocalDay("2026-03-30", zone);
  assert.equal(new Date(sat).toISOString(), "2026-03-27T23:00:00.000Z");
  assert.equal(new Date(sun).toISOString(), "2026-03-28T23:00:00.000Z");
  assert.equal(new Date(mon).toISOString(), "2026-03-29T22:00:00.000Z");
  assert.equal((sun - sat) / 3600_000, 24);
  assert.equal((mon - sun) / 3600_000, 23);
  // October: 25 hours.
  const octStart = startOfLocalDay("2026-10-25", zone);
  assert.equal((startOfLocalDay("2026-10-26", zone) - octStart) / 3600_000, 25);
  // The last millisecond before each start belongs to the day before.
  assert.equal(localDay(mon - 1, zone), "2026-03-29");
  assert.equal(localDay(mon, zone), "2026-03-30");
});

Deno.test("startOfLocalDay: where midnight is skipped, the day starts at the change", () => {
  // Asia/Beirut moved clocks from 00:00 to 01:00 on 2024-03-31 (UTC+2 → UTC+3).
  const start = startOfLocalDay("2024-03-31", "Asia/Beirut");
  assert.equal(new Date(start).toISOString(), "2024-03-30T22:00:00.000Z");
  assert.equal(localDay(start - 1, "Asia/Beirut"), "2024-03-30");
});

Deno.test("historyRange: presets end today in the person's zone", () => {
  const now = Date.parse("2026-01-15T20:30:00Z"); // 2026-01-16 05:30 in Tokyo
  const tokyo = historyRange({ range: "7" }, now, "Asia/Tokyo");
  assert.equal(tokyo.from, "2026-01-10");
  assert.equal(tokyo.to, "2026-01-16");
  assert.equal(tokyo.days, 7);
  assert.equal(tokyo.preset, 7);
  assert.equal(new Date(tokyo.fromMs).toISOString(), "2026-01-09T15:00:00.000Z");
  assert.equal(new Date(tokyo.toMs).toISOString(), "2026-01-16T15:00:00.000Z");
  const utc = historyRange({}, now, "UTC");
  assert.equal(utc.preset, 30);
  assert.equal(utc.from, "2025-12-17");
  assert.equal(utc.to, "2026-01-15");
  for (const days of [90, 365]) {
    const r = historyRange({ range: String(days) }, now, "UTC");
    assert.equal(r.days, days);
    assert.equal(addDays(r.from, days - 1), r.to);
  }
});

Deno.test("historyRange: a custom one-day range on the March change lasts 23 hours", () => {
  const r = historyRange(
    { from: "2026-03-29", to: "2026-03-29", range: "7" },
    0,
    "Europe/Berlin",
  );
  assert.equal(r.preset, null);
  assert.equal(r.days, 1);
  assert.equal((r.toMs - r.fromMs) / 3600_000, 23);
});

Deno.test("historyRange: bad filters throw RangeErrors with readable messages", () => {
  const now = Date.parse("2026-01-15T12:00:00Z");
  const cases: [Record<string, string>, RegExp][] = [
    [{ range: "14" }, /one of 7, 30, 90, 365 days, but got "14"/],
    [{ range: "7.0" }, /but got "7\.0"/],
    [{ range: "abc" }, /but got "abc"/],
    [{ from: "2026-01-01" }, /both a start and an end date/],
    [{ to: "2026-01-01" }, /both a start and an end date/],
    [{ from: "2026-02-30", to: "2026-03-01" }, /start date as YYYY-MM-DD.*"2026-02-30"/],
    [{ from: "2026-01-01", to: "1/2/2026" }, /end date as YYYY-MM-DD.*"1\/2\/2026"/],
    [{ from: "2026-01-10", to: "2026-01-09" }, /2026-01-10 to be on or before the end date/],
    [{ from: "2020-01-01", to: "2026-01-01" }, new RegExp(`at most ${MAX_RANGE_DAYS} days`)],
  ];
  for (const [filter, message] of cases) {
    assert.throws(() => historyRange(filter, now, "UTC"), (err: unknown) => {
      assert.ok(err instanceof RangeError, JSON.stringify(filter));
      assert.match(err.message, message);
      return true;
    });
  }
  assert.throws(() => historyRange({}, now, "Mars/Olympus"), /IANA time zone.*Mars\/Olympus/);
  // Exactly the longest range is fine.
  const longest = historyRange(
    { from: "2023-01-01", to: addDays("2023-01-01", MAX_RANGE_DAYS - 1) },
    now,
    "UTC",
  );
  assert.equal(longest.days, MAX_RANGE_DAYS);
});

Deno.test("formatDay: short, medium and long dates without locale data", () => {
  assert.equal(formatDay("2026-01-15", "short"), "15 Jan");
  assert.equal(formatDay("2026-01-15"), "15 Jan 2026");
  assert.equal(formatDay("2026-03-01", "long"), "Sun 1 Mar 2026");
  assert.throws(() => formatDay("2026-13-01"), /YYYY-MM-DD.*"2026-13-01"/);
});

Deno.test("weekStart: ISO weeks start on Monday", () => {
  assert.equal(weekStart("2026-01-15"), "2026-01-12"); // Thursday
  assert.equal(weekStart("2026-01-12"), "2026-01-12"); // Monday
  assert.equal(weekStart("2026-01-18"), "2026-01-12"); // Sunday
  assert.equal(weekStart("2026-01-01"), "2025-12-29"); // across a year
});

Deno.test("aggregateHistory: an empty range still lists every day and week", () => {
  const range = historyRange({ from: "2026-01-14", to: "2026-01-20" }, 0, "UTC");
  const history = aggregateHistory([], range);
  assert.equal(history.totalEntries, 0);
  assert.deepEqual(history.days.map((d) => d.day), [
    "2026-01-14",
    "2026-01-15",
    "2026-01-16",
    "2026-01-17",
    "2026-01-18",
    "2026-01-19",
    "2026-01-20",
  ]);
  assert.ok(history.days.every((d) => d.entries === 0 && d.dominant === null && d.mood === null));
  assert.deepEqual(history.weeks.map((w) => w.week), ["2026-01-12", "2026-01-19"]);
  assert.deepEqual(history.weeks.map((w) => w.shares), [{}, {}]);
  assert.deepEqual(history.labels, []);
});

Deno.test("aggregateHistory: dominant emotion weighs speech time, not entry count", () => {
  const range = historyRange({ from: "2026-01-15", to: "2026-01-15" }, 0, "UTC");
  const history = aggregateHistory([
    // Two short sad entries (2 × 20 s = 40 s sad) win by count, …
    summary("2026-01-15T08:00:00Z", { durationS: 20, dominant: "sad", distribution: { sad: 1 } }),
    summary("2026-01-15T09:00:00Z", { durationS: 20, dominant: "sad", distribution: { sad: 1 } }),
    // … but one long entry adds 60 s calm, 30 s happy and 10 s sad: calm 60 s beats sad 50 s.
    summary("2026-01-15T10:00:00Z", {
      durationS: 100,
      dominant: "happy",
      distribution: { happy: 0.3, sad: 0.1, calm: 0.6 },
    }),
  ], range);
  const [day] = history.days;
  assert.equal(day.entries, 3);
  assert.equal(day.dominant, "calm");
  assert.deepEqual(day.seconds, { sad: 50, happy: 30, calm: 60 });
  assert.equal(day.speechS, 140);
  assert.deepEqual(history.labels, ["calm", "happy", "sad"]);
});

Deno.test("aggregateHistory: a tie goes to the earlier emotion in the model's order", () => {
  const range = historyRange({ from: "2026-01-15", to: "2026-01-15" }, 0, "UTC");
  const entries = [
    summary("2026-01-15T08:00:00Z", { dominant: "sad", distribution: { sad: 1 } }),
    summary("2026-01-15T09:00:00Z", { dominant: "zesty", distribution: { zesty: 1 } }),
    summary("2026-01-15T10:00:00Z", { dominant: "calm", distribution: { calm: 1 } }),
  ];
  const history = aggregateHistory(entries, range);
  assert.equal(history.days[0].dominant, "calm");
  assert.deepEqual(history.labels, ["calm", "sad", "zesty"]);
  assert.equal(aggregateHistory(entries.slice(0, 2), range).days[0].dominant, "sad");
});

Deno.test("aggregateHistory: affect is duration-weighted, ratings a plain mean", () => {
  const range = historyRange({ from: "2026-01-15", to: "2026-01-15" }, 0, "UTC");
  const [day] = aggregateHistory([
    summary("2026-01-15T08:00:00Z", {
      durationS: 30,
      affect: { valence: 1, arousal: -1 },
      mood: 5,
      energy: 2,
    }),
    summary("2026-01-15T09:00:00Z", {
      durationS: 90,
      affect: { valence: -1, arousal: 0.6 },
      mood: 2,
    }),
    summary("2026-01-15T10:00:00Z", { durationS: 500, affect: null, mood: null, energy: 4 }),
  ], range).days;
  assert.equal(day.valence, (30 - 90) / 120);
  assert.ok(Math.abs(day.arousal! - (-30 + 54) / 120) < 1e-12);
  assert.equal(day.mood, 3.5);
  assert.equal(day.energy, 3);
});

Deno.test("aggregateHistory: entries fall on the local day, across the Berlin DST change", () => {
  const zone = "Europe/Berlin";
  const range = historyRange({ from: "2026-03-28", to: "2026-03-30" }, 0, zone);
  const history = aggregateHistory([
    summary("2026-03-27T22:30:00Z", { dominant: "sad", distribution: { sad: 1 } }), // 27th 23:30
    summary("2026-03-28T23:30:00Z", { dominant: "happy", distribution: { happy: 1 } }), // 29th 00:30
    summary("2026-03-29T21:59:59Z", { dominant: "happy", distribution: { happy: 1 } }), // 29th 23:59
    summary("2026-03-29T22:00:00Z", { dominant: "angry", distribution: { angry: 1 } }), // 30th 00:00
    summary("2026-03-30T22:00:00Z", { dominant: "sad", distribution: { sad: 1 } }), // 31st
  ], range);
  assert.deepEqual(
    history.days.map((d) => [d.day, d.entries, d.dominant]),
    [["2026-03-28", 0, null], ["2026-03-29", 2, "happy"], ["2026-03-30", 1, "angry"]],
  );
  assert.equal(history.totalEntries, 3);
});

Deno.test("aggregateHistory: a zone east of UTC moves late UTC entries to the next day", () => {
  const range = historyRange({ from: "2026-01-15", to: "2026-01-16" }, 0, "Asia/Kolkata");
  const entry = summary("2026-01-15T20:00:00Z"); // 2026-01-16 01:30 in India
  const kolkata = aggregateHistory([entry], range);
  assert.deepEqual(kolkata.days.map((d) => d.entries), [0, 1]);
  const utc = aggregateHistory(
    [entry],
    historyRange({ from: "2026-01-15", to: "2026-01-16" }, 0, "UTC"),
  );
  assert.deepEqual(utc.days.map((d) => d.entries), [1, 0]);
});

Deno.test("aggregateHistory: weekly shares are speech-time shares per Monday-start week", () => {
  const range = historyRange({ from: "2026-01-11", to: "2026-01-19" }, 0, "UTC");
  const history = aggregateHistory([
    summary("2026-01-11T10:00:00Z", { durationS: 10, distribution: { sad: 1 } }), // Sunday
    summary("2026-01-12T10:00:00Z", { durationS: 30, distribution: { happy: 1 } }), // Monday
    summary("2026-01-18T10:00:00Z", { durationS: 10, distribution: { happy: 0.5, calm: 0.5 } }),
    summary("2026-01-19T10:00:00Z", { durationS: 10, distribution: { angry: 1 } }),
  ], range);
  assert.deepEqual(history.weeks.map((w) => w.week), ["2026-01-05", "2026-01-12", "2026-01-19"]);
  assert.deepEqual(history.weeks[0].shares, { sad: 1 });
  assert.deepEqual(history.weeks[1].shares, { calm: 5 / 40, happy: 35 / 40 });
  assert.equal(history.weeks[1].entries, 2);
  assert.equal(history.weeks[1].speechS, 40);
  assert.deepEqual(history.weeks[2].shares, { angry: 1 });
});

Deno.test("aggregateHistory: weekly valence, arousal, mood and energy are means of the week", () => {
  const range = historyRange({ from: "2026-01-12", to: "2026-01-25" }, 0, "UTC");
  const history = aggregateHistory([
    summary("2026-01-12T10:00:00Z", {
      durationS: 10,
      affect: { valence: 1, arousal: 0 },
      mood: 2,
    }),
    summary("2026-01-18T22:00:00Z", {
      durationS: 30,
      affect: { valence: -1, arousal: 1 },
      mood: 5,
      energy: 3,
    }),
    summary("2026-01-20T10:00:00Z", { durationS: 30, affect: null }),
  ], range);
  const [first, second] = history.weeks;
  assert.equal(first.valence, (10 - 30) / 40);
  assert.equal(first.arousal, 30 / 40);
  assert.equal(first.mood, 3.5);
  assert.equal(first.energy, 3);
  assert.deepEqual(
    [second.entries, second.valence, second.arousal, second.mood, second.energy],
    [1, null, null, null, null],
  );
});

Deno.test("aggregateHistory: entries outside the range are ignored", () => {
  const range = historyRange({ from: "2026-01-15", to: "2026-01-15" }, 0, "UTC");
  const history = aggregateHistory([
    summary("2026-01-14T23:59:59.999Z"),
    summary("2026-01-15T00:00:00.000Z"),
    summary("2026-01-16T00:00:00.000Z"),
  ], range);
  assert.equal(history.totalEntries, 1);
  assert.equal(history.days.length, 1);
});
