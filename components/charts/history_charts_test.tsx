/**
 * Tests of the history page's charts, rendered to strings: accessible names, one calendar
 * cell per day in the right colour and place, stacked bands and trend lines with gaps.
 */
import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { EMOTION_COLOURS } from "../../islands/audio/emotions.ts";
import { CalendarChart, calendarDayText, NO_SPEECH_COLOUR } from "./CalendarChart.tsx";
import { StackedAreaChart } from "./StackedAreaChart.tsx";
import { TrendChart } from "./TrendChart.tsx";

/** The attributes of every `<tag …>` in `svg`, in order. */
function elements(svg: string, tag: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const match of svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, "g"))) {
    const attrs: Record<string, string> = {};
    for (const a of match[1].matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    out.push(attrs);
  }
  return out;
}

Deno.test("calendar: one cell per day, coloured by its dominant emotion, Monday on top", () => {
  // 2026-01-14 is a Wednesday; eight days reach into the next week.
  const labels = ["happy", "sad", null, "calm", null, "angry", "happy", "fearful"];
  const days = labels.map((dominant, i) => ({
    day: `2026-01-${String(14 + i).padStart(2, "0")}`,
    dominant,
    entries: dominant ? 1 + (i % 2) : 0,
  }));
  const svg = renderToString(
    <CalendarChart title="Calendar" description="Dominant emotion per day" days={days} />,
  );
  assert.match(svg, /<title id="calendar-title">Calendar<\/title>/);
  assert.match(svg, /<desc id="calendar-desc">Dominant emotion per day<\/desc>/);
  assert.match(svg, /role="img"/);
  const cells = elements(svg, "rect").filter((r) => r["data-day"]);
  assert.equal(cells.length, days.length);
  for (const [i, cell] of cells.entries()) {
    assert.equal(cell["data-day"], days[i].day);
    const dominant = days[i].dominant as keyof typeof EMOTION_COLOURS | null;
    if (dominant) assert.equal(cell.fill, EMOTION_COLOURS[dominant], days[i].day);
    else {
      assert.equal(cell.fill, "none", `${days[i].day} is only outlined`);
      assert.equal(cell.stroke, "currentColor");
    }
  }
  // Wednesday 14th is row 2 of the first column; Monday 19th starts the second column.
  const step = 14;
  assert.equal(Number(cells[0].y) - Number(cells[5].y), 2 * step);
  assert.equal(Number(cells[5].x) - Number(cells[0].x), step);
  assert.equal(cells[5]["data-emotion"], "angry");
  // Legend: each emotion shown once, in the model's order, plus the empty-day swatch.
  const legend = [...svg.matchAll(/<text x="15" y="5"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(legend, ["Calm", "Happy", "Sad", "Angry", "Fearful", "No entries"]);
  assert.ok(svg.includes("<title>Wed 14 Jan 2026: Happy (1 entry)</title>"));
  assert.ok(svg.includes("<title>Fri 16 Jan 2026: no entries</title>"));
});

Deno.test("calendar: a day with entries but no speech is grey and named in the legend", () => {
  const day = { day: "2026-03-02", dominant: null, entries: 2 };
  const svg = renderToString(<CalendarChart title="C" description="d" days={[day]} />);
  const [cell] = elements(svg, "rect").filter((r) => r["data-day"]);
  assert.equal(cell.fill, NO_SPEECH_COLOUR);
  assert.match(svg, />No speech heard</);
  assert.equal(calendarDayText(day), "Mon 2 Mar 2026: no speech heard (2 entries)");
});

Deno.test("calendar: month labels never crowd, years on the first and on January", () => {
  // 2025-10-27 is a Monday: October has one column before November starts.
  const days = Array.from({ length: 84 }, (_, i) => {
    const day = new Date(Date.UTC(2025, 9, 27 + i)).toISOString().slice(0, 10);
    return { day, dominant: null, entries: 0 };
  });
  const svg = renderToString(<CalendarChart title="C" description="d" days={days} />);
  const labels = [...svg.matchAll(/<text x="(\d+)" y="12"[^>]*>([^<]+)<\/text>/g)].map((m) => [
    Number(m[1]),
    m[2],
  ]);
  assert.deepEqual(labels.map(([, text]) => text), ["Nov 2025", "Dec", "Jan 2026"]);
  // Columns are 14 px apart from x = 32, labelled by their Monday: 3 Nov is column 1, 1 Dec
  // column 5, and 5 Jan column 10 (29 Dec starts column 9).
  assert.deepEqual(labels.map(([x]) => x), [46, 102, 172]);
});

Deno.test("calendar: a year of days shrinks its squares to fit a card", () => {
  const days = Array.from({ length: 365 }, (_, i) => ({
    day: new Date(Date.UTC(2025, 0, 16 + i)).toISOString().slice(0, 10),
    dominant: "calm",
    entries: 1,
  }));
  const svg = renderToString(<CalendarChart title="Year" description="d" days={days} />);
  const [frame] = elements(svg, "svg");
  assert.ok(Number(frame.width) <= 680, `width ${frame.width}`);
  const cells = elements(svg, "rect").filter((r) => r["data-day"]);
  assert.equal(cells.length, 365);
  assert.ok(cells.every((c) => c.width === "10" && c.fill === EMOTION_COLOURS.calm));
});

Deno.test("stacked areas: one band per key, stacked to the top at every point", () => {
  const svg = renderToString(
    <StackedAreaChart
      title="Weekly shares"
      description="Share of each emotion per week"
      keys={["calm", "sad"]}
      points={[
        { label: "5 Jan", shares: { calm: 1 } },
        { label: "12 Jan", shares: { calm: 0.25, sad: 0.75 } },
        { label: "19 Jan", shares: {} },
      ]}
      width={244}
      height={200}
    />,
  );
  assert.match(svg, /<title id="weekly-shares-title">Weekly shares<\/title>/);
  assert.match(svg, /<desc id="weekly-shares-desc">Share of each emotion per week<\/desc>/);
  const bands = elements(svg, "path");
  assert.deepEqual(bands.map((b) => b["data-key"]), ["calm", "sad"]);
  assert.deepEqual(bands.map((b) => b.fill), [EMOTION_COLOURS.calm, EMOTION_COLOURS.sad]);
  // x: 44 … 228 over 3 points; y: 0 → 146 (200 − 36 bottom − 18 legend), 1 → 12, so
  // 0.25 → 146 − 33.5 = 112.5. Calm: top 12, 112.5; base 146. The week without speech is a
  // gap, not a drop to 0 %.
  assert.equal(bands[0].d, "M44,12L136,112.5L136,146L44,146Z");
  // sad sits on calm: base at calm's top, top at 12.
  assert.equal(bands[1].d, "M44,12L136,12L136,112.5L44,12Z");
  for (const label of ["5 Jan", "12 Jan", "19 Jan", "Calm", "Sad", "100 %", "0 %"]) {
    assert.ok(svg.includes(`>${label}</text>`), label);
  }
});

Deno.test("stacked areas: a single week fills the width", () => {
  const svg = renderToString(
    <StackedAreaChart
      title="One"
      description="d"
      keys={["happy"]}
      points={[{ label: "5 Jan", shares: { happy: 1 } }]}
      width={244}
      height={200}
    />,
  );
  const [band] = elements(svg, "path");
  assert.equal(band.d, "M44,12L228,12L228,146L44,146Z");
});

Deno.test("trend: lines break at missing days, lone values are dots, both axes labelled", () => {
  const svg = renderToString(
    <TrendChart
      title="Trend"
      description="Valence, arousal and mood per day"
      xLabels={["a", "b", "c", "d", "e"]}
      left={{ label: "valence / arousal", domain: [-1, 1], ticks: [-1, 0, 1] }}
      right={{ label: "mood (1–5)", domain: [1, 5], ticks: [1, 3, 5] }}
      series={[
        { name: "valence", colour: "#111111", axis: "left", values: [1, 0, null, -1, null] },
        { name: "mood", colour: "#222222", axis: "right", values: [null, null, 3, null, 5] },
      ]}
      width={216}
      height={168}
    />,
  );
  assert.match(svg, /<title id="trend-title">Trend<\/title>/);
  assert.match(svg, /<desc id="trend-desc">Valence, arousal and mood per day<\/desc>/);
  // x: 56 … 160 over 5 points (26 apart); y: plot 12 … 112, so −1 → 112, 0 → 62, 1 → 12.
  const paths = elements(svg, "path");
  // d3 closes a lone point ("M…Z"), which draws nothing; the dot shows it instead.
  assert.equal(paths[0].d, "M56,12L82,62M134,112Z");
  assert.equal(paths[0].stroke, "#111111");
  // Mood has no two neighbouring values, so no line, only dots on the right axis' scale.
  assert.equal(paths[1].d, "M108,62ZM160,12Z");
  const dots = elements(svg, "circle");
  assert.deepEqual(
    dots.map((c) => [c.cx, c.cy, c.fill]),
    [["134", "112", "#111111"], ["108", "62", "#222222"], ["160", "12", "#222222"]],
  );
  assert.ok(svg.includes(">valence / arousal</text>"));
  assert.ok(svg.includes(">mood (1–5)</text>"));
});
