/**
 * The journal pages, rendered in-process: the list (newest first, cursor paging, a bad cursor,
 * the empty state, what each row shows) and the entry page (three charts with title, desc and
 * a table, the editor island, "uncertain" for segments the model was unsure of, 404 for
 * entries that are missing or another person's).
 */
import assert from "node:assert/strict";
import type { NewEntry, Segment } from "../lib/db.ts";
import { THRESHOLDS, VALIDATION } from "../lib/journal/uncertainty.ts";
import { createTestApp, type TestApp } from "./_helpers.ts";

/** A segment the shipped thresholds accept (99 % for `label`). */
function sure(startS: number, endS: number, label: string): Segment {
  return {
    startS,
    endS,
    label,
    confidence: 0.99,
    probabilities: { [label]: 0.99, neutral: 0.01 },
  };
}

/** A segment below the shipped confidence threshold: an even split over four labels. */
function unsure(startS: number, endS: number, label: string): Segment {
  const p = { happy: 0.25, sad: 0.25, calm: 0.25, angry: 0.25, [label]: 0.25 };
  return { startS, endS, label, confidence: 0.25, probabilities: p };
}

function entry(segments: Segment[], extra: Partial<NewEntry> = {}): NewEntry {
  const total = segments.reduce((s, x) => s + x.endS - x.startS, 0);
  const seconds: Record<string, number> = {};
  for (const s of segments) seconds[s.label] = (seconds[s.label] ?? 0) + s.endS - s.startS;
  const distribution = Object.fromEntries(
    Object.entries(seconds).map(([l, d]) => [l, d / total]),
  );
  const dominant = Object.entries(distribution).sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  return {
    startedAt: "2026-01-15T12:00:00.000Z",
    durationS: 62,
    dominant,
    distribution,
    segments,
    ...extra,
  };
}

async function userWith(t: TestApp, name: string) {
  const cookie = await t.signUp(name);
  const user = (await t.db.getUserByUsername(name))!;
  return { cookie, user };
}

async function page(t: TestApp, path: string, cookie: string) {
  const res = await t.request(path, { headers: { cookie } });
  return { status: res.status, html: await res.text() };
}

/** Entry ids in the order the list shows them. */
function listedIds(html: string): string[] {
  return [...html.matchAll(/<li [^>]*data-entry-id="([^"]+)"/g)].map((m) => m[1]);
}

Deno.test("the shipped thresholds accept the sure and reject the unsure test segments", () => {
  assert.ok(THRESHOLDS.minConfidence <= 0.99 && THRESHOLDS.minMargin <= 0.98);
  assert.ok(THRESHOLDS.minConfidence > 0.25 || THRESHOLDS.minMargin > 0);
});

Deno.test("journal lists newest first, 20 a page, with an Older entries link", async () => {
  const t = await createTestApp();
  try {
    const { cookie, user } = await userWith(t, "pager");
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      t.clock.nowMs += 60_000;
      const startedAt = new Date(t.clock.nowMs).toISOString();
      ids.push((await t.db.createEntry(user.id, entry([sure(0, 5, "calm")], { startedAt }))).id);
    }
    const newestFirst = [...ids].reverse();
    const first = await page(t, "/entries", cookie);
    assert.equal(first.status, 200);
    assert.deepEqual(listedIds(first.html), newestFirst.slice(0, 20));
    const older = first.html.match(/href="(\/entries\?cursor=[^"]+)"[^>]*>\s*Older entries/);
    assert.ok(older, "an Older entries link");
    assert.doesNotMatch(first.html, />Newest entries</);

    const second = await page(t, older[1].replaceAll("&amp;", "&"), cookie);
    assert.equal(second.status, 200);
    assert.deepEqual(listedIds(second.html), newestFirst.slice(20));
    assert.doesNotMatch(second.html, /Older entries/, "the last page has no older link");
    assert.match(second.html, /href="\/entries"[^>]*>Newest entries</);

    const bad = await page(t, "/entries?cursor=garbage", cookie);
    assert.equal(bad.status, 400);
    assert.match(bad.html, /That page of the journal does not exist/);
    assert.equal(listedIds(bad.html).length, 0);
  } finally {
    t.close();
  }
});

Deno.test("a journal of exactly one page has no link to an empty older page", async () => {
  const t = await createTestApp();
  try {
    const { cookie, user } = await userWith(t, "twenty");
    for (let i = 0; i < 20; i++) {
      t.clock.nowMs += 1000;
      await t.db.createEntry(user.id, entry([sure(0, 5, "calm")]));
    }
    const { html } = await page(t, "/entries", cookie);
    assert.equal(listedIds(html).length, 20);
    assert.doesNotMatch(html, /Older entries/);
    t.clock.nowMs += 1000;
    await t.db.createEntry(user.id, entry([sure(0, 5, "calm")]));
    assert.match((await page(t, "/entries", cookie)).html, /Older entries/);
  } finally {
    t.close();
  }
});

Deno.test("an empty journal leads to recording", async () => {
  const t = await createTestApp();
  try {
    const { cookie } = await userWith(t, "newbie");
    const { status, html } = await page(t, "/entries", cookie);
    assert.equal(status, 200);
    assert.match(html, /data-testid="empty-state"/);
    assert.match(html, /No entries yet — record your first/);
    assert.match(html, /<a href="\/dashboard"[^>]*>Record an entry<\/a>/);
    assert.doesNotMatch(html, /Older entries/);
  } finally {
    t.close();
  }
});

Deno.test("a journal row shows local time, length, emotion, shares, ratings and note", async () => {
  const t = await createTestApp();
  try {
    const { cookie, user } = await userWith(t, "rower");
    await t.db.updateUser(user.id, (u) => ({ ...u, timeZone: "America/New_York" }));
    const rated = await t.db.createEntry(
      user.id,
      entry([sure(0, 30, "happy"), unsure(30, 40, "sad")], {
        durationS: 62,
        note: "\n  Walked to the river.  \nSecond line stays on the entry page.",
        mood: 4,
        energy: 2,
      }),
    );
    t.clock.nowMs += 1000;
    const bare = await t.db.createEntry(user.id, entry([unsure(0, 8, "angry")]));
    const { html } = await page(t, "/entries", cookie);
    const rows = html.split(/<li /).slice(1);
    assert.equal(rows.length, 2);
    const [bareRow, ratedRow] = rows;
    assert.match(bareRow, new RegExp(`data-entry-id="${bare.id}"`));
    // 12:00 UTC is 07:00 in New York in January.
    assert.match(ratedRow, /<time datetime="2026-01-15T12:00:00.000Z">15 Jan 2026, 07:00<\/time>/);
    assert.match(ratedRow, new RegExp(`href="/entries/${rated.id}"`));
    assert.match(ratedRow, />1:02</);
    assert.match(ratedRow, /data-testid="headline">Happy</);
    assert.match(ratedRow, /aria-label="Emotions heard: Happy 75 %, Uncertain 25 %"/);
    assert.match(ratedRow, /data-label="uncertain"/);
    assert.match(ratedRow, /Mood 4\/5 \(good\)/);
    assert.match(ratedRow, /Energy 2\/5 \(tired\)/);
    assert.match(ratedRow, /data-testid="note">Walked to the river\.</);
    assert.doesNotMatch(ratedRow, /Second line/);
    // An entry the model was unsure of throughout says so, not "angry".
    assert.match(bareRow, /data-testid="headline">Uncertain</);
    assert.doesNotMatch(bareRow, /Angry/);
    assert.doesNotMatch(bareRow, /data-testid="ratings"/, "no ratings line when unrated");
    assert.doesNotMatch(bareRow, /data-testid="note"/, "no note line without a note");
  } finally {
    t.close();
  }
});

Deno.test("entry page: three charts with title, desc and a table, and the editor", async () => {
  const t = await createTestApp();
  try {
    const { cookie, user } = await userWith(t, "charter");
    const e = await t.db.createEntry(
      user.id,
      entry([sure(0, 10, "happy"), sure(12, 20, "sad"), sure(20, 30, "happy")], {
        note: "A note </script> with a tag",
        mood: 3,
      }),
    );
    const { status, html } = await page(t, `/entries/${e.id}`, cookie);
    assert.equal(status, 200);
    for (
      const id of [
        "emotion-timeline",
        "share-of-speech-time",
        "valence-and-arousal-over-the-recording",
      ]
    ) {
      assert.match(
        html,
        new RegExp(`<svg[^>]*role="img"[^>]*aria-labelledby="${id}-title ${id}-desc"`),
      );
      assert.match(html, new RegExp(`<title id="${id}-title">[^<]+</title>`));
      assert.match(html, new RegExp(`<desc id="${id}-desc">[^<]{20,}</desc>`));
    }
    for (
      const caption of [
        "Each stretch of speech and the emotion heard in it",
        "Share of speech time per emotion",
        "Valence and arousal of each segment",
      ]
    ) {
      assert.match(html, new RegExp(`<caption class="sr-only">${caption}</caption>`));
    }
    // Timeline: one bar per segment, coloured by emotion, none uncertain.
    assert.equal([...html.matchAll(/<g data-label="(happy|sad)">/g)].length, 3);
    assert.doesNotMatch(html, /data-uncertain/);
    // Distribution: happy 20 of 28 s.
    assert.match(html, /Share of speech time per emotion: Happy 71 %, Sad 29 %/);
    // Affect: the mapping is stated, and each line has a path.
    assert.match(html, /Russell(&#39;|’|')s circumplex/);
    assert.match(html, /data-series="valence"/);
    assert.match(html, /data-series="arousal"/);
    assert.match(html, /mostly\s*<strong>happy<\/strong>/);
    // The page says how often the model is right, from the calibration file.
    const share = `${Math.round(VALIDATION.acceptedShare * 100)} %`;
    const right = `${Math.round(VALIDATION.acceptedAccuracy * 100)} %`;
    assert.match(
      html.replace(/<!-- -->|\s+/g, " "),
      new RegExp(`name an emotion for ${share} of held-out clips and was right for ${right}`),
    );
    // The editor island with the stored values; the props block cannot close the script.
    assert.match(html, /data-island="EntryEditor"/);
    const props = html.match(
      /<script type="application\/json" id="__island_props">(.*?)<\/script>/s,
    );
    assert.ok(props);
    const [editor] = JSON.parse(props[1]);
    assert.deepEqual(editor, {
      id: e.id,
      note: "A note </script> with a tag",
      mood: 3,
      energy: null,
      maxNoteChars: 5000,
    });
    assert.match(html, /<script type="module" src="\/static\/islands\.js/);
  } finally {
    t.close();
  }
});

Deno.test("entry page shows uncertain for segments the model was unsure of", async () => {
  const t = await createTestApp();
  try {
    const { cookie, user } = await userWith(t, "doubter");
    const e = await t.db.createEntry(
      user.id,
      entry([unsure(0, 20, "angry"), sure(20, 30, "calm")]),
    );
    const { html } = await page(t, `/entries/${e.id}`, cookie);
    assert.match(html, /mostly\s*<strong>uncertain<\/strong>/);
    assert.doesNotMatch(html, /mostly\s*<strong>angry/);
    assert.match(html, /data-testid="uncertain-note"[^>]*>The model was unsure for 67 %/);
    assert.match(html, /<g data-label="uncertain">/);
    assert.match(html, /data-uncertain="true"/);
    assert.match(html, /0:00–0:20: uncertain \(the model(&#39;|')s best guess, angry, at 25 %\)/);
    assert.match(html, /<td class="pr-3">uncertain<\/td><td class="pr-3">angry<\/td>/);
    assert.match(html, /Share of speech time per emotion: Calm 33 %, Uncertain 67 %/);
  } finally {
    t.close();
  }
});

Deno.test("entry page is a 404 for unknown ids and for another person's entry", async () => {
  const t = await createTestApp();
  try {
    const alice = await userWith(t, "alice");
    const bob = await userWith(t, "bob");
    const e = await t.db.createEntry(alice.user.id, entry([sure(0, 5, "happy")]));
    const own = await page(t, `/entries/${e.id}`, alice.cookie);
    assert.equal(own.status, 200);
    const other = await page(t, `/entries/${e.id}`, bob.cookie);
    assert.equal(other.status, 404);
    assert.match(other.html, /no such entry in your journal/);
    assert.doesNotMatch(other.html, /data-island="EntryEditor"/);
    const unknown = await page(t, "/entries/01HZZZZZZZZZZZZZZZZZZZZZZZ", alice.cookie);
    assert.equal(unknown.status, 404);
    assert.equal(listedIds((await page(t, "/entries", bob.cookie)).html).length, 0);
  } finally {
    t.close();
  }
});

Deno.test("every Tailwind class on the journal pages compiles to CSS", async () => {
  const t = await createTestApp();
  try {
    const { cookie, user } = await userWith(t, "styled");
    const empty = (await page(t, "/entries", cookie)).html;
    const e = await t.db.createEntry(
      user.id,
      entry([sure(0, 10, "happy"), unsure(10, 20, "sad")], { note: "note", mood: 2, energy: 5 }),
    );
    const htmls = [empty, (await page(t, "/entries", cookie)).html];
    htmls.push((await page(t, `/entries/${e.id}`, cookie)).html);
    const escape = (cls: string) => cls.replace(/[^a-zA-Z0-9_-]/g, (ch) => `\\${ch}`);
    for (const html of htmls) {
      const css = html.match(/<style[^>]*>(.*?)<\/style>/s)?.[1] ?? "";
      const classes = new Set(
        [...html.matchAll(/class="([^"]*)"/g)].flatMap((m) => m[1].split(/\s+/).filter(Boolean)),
      );
      assert.ok(classes.size > 10);
      const missing = [...classes].filter((cls) => !css.includes(`.${escape(cls)}`));
      assert.deepEqual(missing, [], "classes without CSS");
    }
  } finally {
    t.close();
  }
});
