/**
 * The entry page's charts and the list's share bar, rendered to strings: positions and
 * colours of bars, how confidence and uncertainty are drawn, the affect points, and that
 * each chart has its title, description and table.
 */
import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { EMOTION_COLOURS } from "../../islands/audio/emotions.ts";
import { UNCERTAIN_COLOUR } from "../../lib/journal/uncertainty.ts";
import { AffectChart, affectPoints } from "./AffectChart.tsx";
import { ChartTable } from "./ChartTable.tsx";
import { DistributionChart } from "./DistributionChart.tsx";
import { confidenceOpacity, EmotionTimeline } from "./EmotionTimeline.tsx";
import { clock, percent, signed } from "./format.ts";
import { ShareBar, sharesText } from "./ShareBar.tsx";

const happy = {
  startS: 0,
  endS: 10,
  label: "happy",
  confidence: 1,
  probabilities: { happy: 1 },
};
const sadHalf = {
  startS: 10,
  endS: 15,
  label: "sad",
  confidence: 0.9,
  probabilities: { sad: 0.9, happy: 0.1 },
};
// Top two 0.01 apart: uncertain under any margin threshold above that (the shipped one is in
// models/default/uncertainty.json).
const unsureAngry = {
  startS: 15,
  endS: 20,
  label: "angry",
  confidence: 0.3,
  probabilities: { angry: 0.3, sad: 0.29, calm: 0.28, happy: 0.13 },
};

Deno.test("formats: percent, clock and signed values", () => {
  assert.equal(percent(0.666), "67 %");
  assert.equal(clock(61.4), "1:01");
  assert.equal(clock(-3), "0:00");
  assert.equal(signed(0.25), "+0.25");
  assert.equal(signed(-0.5), "\u22120.50");
  assert.equal(signed(-0.001), "0.00");
});

Deno.test("confidence maps to opacity from 0.3 to 1", () => {
  assert.equal(confidenceOpacity(0), 0.3);
  assert.equal(confidenceOpacity(1), 1);
  assert.equal(confidenceOpacity(0.5), 0.65);
  assert.equal(confidenceOpacity(Number.NaN), 0.3);
  assert.equal(confidenceOpacity(7), 1);
});

Deno.test("timeline places each segment by time, fades by confidence and marks uncertainty", () => {
  // Width 212 with 12 px margins: 188 px for 20 s, 9.4 px a second.
  const svg = renderToString(
    <EmotionTimeline
      title="Timeline"
      segments={[happy, sadHalf, unsureAngry]}
      durationS={20}
      width={212}
    />,
  );
  assert.match(svg, /<title id="timeline-title">Timeline<\/title>/);
  assert.match(svg, /<desc id="timeline-desc">3 segments of speech over 0:20; 1 of them uncertain/);
  assert.match(
    svg,
    new RegExp(
      `<rect x="12" y="8" width="94" height="48" fill="${EMOTION_COLOURS.happy}" fill-opacity="1"`,
    ),
  );
  assert.match(
    svg,
    new RegExp(
      `<rect x="106" y="8" width="47" height="48" fill="${EMOTION_COLOURS.sad}" ` +
        `fill-opacity="0.93"`,
    ),
  );
  assert.match(svg, /<rect x="153" y="8" width="47" height="48" fill="url\(#timeline-hatch\)"/);
  assert.match(svg, /data-uncertain="true"/);
  assert.equal([...svg.matchAll(/data-uncertain/g)].length, 1);
  assert.match(svg, /patternUnits="userSpaceOnUse"/);
  assert.match(svg, />\?<\/text>/);
  assert.match(svg, /0:15–0:20: uncertain \(the model(&#39;|')s best guess, angry, at 30 %\)/);
  assert.match(svg, />Uncertain \(hatched, \?\)</);
  assert.match(svg, /<caption class="sr-only">Each stretch of speech/);
  assert.match(svg, /<td class="pr-3">uncertain<\/td><td class="pr-3">angry<\/td>/);
});

Deno.test("timeline of a silent recording says so", () => {
  const svg = renderToString(<EmotionTimeline title="Quiet" segments={[]} durationS={30} />);
  assert.match(svg, /No speech was heard in this 0:30 recording/);
  assert.doesNotMatch(svg, /data-label=/);
});

Deno.test("distribution chart lists shares largest first and uncertain last, in grey", () => {
  const svg = renderToString(
    <DistributionChart
      title="Shares"
      distribution={{ uncertain: 0.5, sad: 0.2, happy: 0.3 }}
      speechS={20}
    />,
  );
  assert.match(
    svg,
    /<desc id="shares-desc">Share of speech time per emotion: Happy 30 %, Sad 20 %, Uncertain 50 %/,
  );
  const fills = [...svg.matchAll(/<rect [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
  assert.deepEqual(fills, [EMOTION_COLOURS.happy, EMOTION_COLOURS.sad, UNCERTAIN_COLOUR]);
  assert.match(
    svg,
    /<td class="pr-3">uncertain<\/td><td class="pr-3">50 %<\/td><td class="pr-3">10\.0<\/td>/,
  );
  const none = renderToString(<DistributionChart title="None" distribution={{}} speechS={0} />);
  assert.match(none, /No speech was heard/);
});

Deno.test("affect points come from the circumplex; uncertain points are hollow", () => {
  const points = affectPoints([sadHalf, happy, unsureAngry]);
  assert.deepEqual(points.map((p) => p.midS), [5, 12.5, 17.5], "sorted by time");
  assert.equal(points[0].valence, 0.8);
  assert.equal(points[0].arousal, 0.5);
  assert.ok(Math.abs(points[1].valence - (0.9 * -0.7 + 0.1 * 0.8)) < 1e-9);
  assert.equal(points[2].uncertain, true);
  assert.equal(points[0].uncertain, false);
  // Width 260: x 44…244 for 0…20 s; height 240: y 192…12 for −1…+1.
  const svg = renderToString(
    <AffectChart title="Affect" segments={[happy]} durationS={20} width={260} />,
  );
  assert.match(
    svg,
    /<desc id="affect-desc">Valence and arousal of 1 segment over 0:20 \(0 uncertain, drawn hollow\); mean valence \+0\.80, mean arousal \+0\.50\. Valence runs from unpleasant/,
  );
  assert.match(svg, /<path d="M94,30Z"[^>]*data-series="valence"/);
  assert.match(svg, /<path d="M94,57Z"[^>]*data-series="arousal"/);
  const hollow = renderToString(
    <AffectChart title="Hollow" segments={[unsureAngry]} durationS={20} />,
  );
  assert.match(svg, /<circle cx="94" cy="30" r="3\.5" fill="#10b981"/);
  assert.doesNotMatch(svg, /hollow points/);
  assert.match(hollow, /<circle [^>]*fill="none"/);
  assert.match(hollow, /hollow points: uncertain segments/);
  assert.match(hollow, /<td class="pr-3">yes<\/td>/);
});

Deno.test("share bar stacks shares across its width and says them in words", () => {
  const svg = renderToString(
    <ShareBar distribution={{ happy: 0.25, uncertain: 0.25, calm: 0.5 }} width={100} />,
  );
  assert.match(svg, /aria-label="Emotions heard: Calm 50 %, Happy 25 %, Uncertain 25 %"/);
  assert.match(svg, /<rect x="0" y="0" width="50" height="10" fill="#38bdf8" data-label="calm">/);
  assert.match(svg, /<rect x="50" y="0" width="25" height="10" fill="#facc15" data-label="happy">/);
  assert.match(
    svg,
    /<rect x="75" y="0" width="25" height="10" fill="#9ca3af" data-label="uncertain">/,
  );
  assert.equal(sharesText({}), "No speech");
});

Deno.test("chart table has a caption, column headers and the rows", () => {
  const html = renderToString(
    <ChartTable caption="Numbers" head={["A", "B"]} rows={[["1", "2"], ["3", "4"]]} />,
  );
  assert.match(html, /<details/);
  assert.match(html, /<caption class="sr-only">Numbers<\/caption>/);
  assert.equal([...html.matchAll(/<th scope="col"/g)].length, 2);
  assert.match(html, /<tr><td class="pr-3">3<\/td><td class="pr-3">4<\/td><\/tr>/);
});
