import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import Recorder, {
  CONNECTION_LOST_MESSAGE,
  formatClock,
  INITIAL_STATE,
  levelPercent,
  NEEDS_JAVASCRIPT_MESSAGE,
  type RecorderPhase,
  type RecorderState,
  RecorderView,
} from "./Recorder.tsx";
import { EMOTIONS } from "./audio/emotions.ts";

const PROPS = { workletUrl: "/static/recorder-worklet.js?v=0123456789abcdef", sessionsUrl: "/a" };

function classesOf(html: string): Set<string> {
  const classes = new Set<string>();
  for (const [, value] of html.matchAll(/class="([^"]*)"/g)) {
    for (const name of value.split(/\s+/)) if (name) classes.add(name);
  }
  return classes;
}

const prediction = {
  label: "angry",
  confidence: 0.62,
  probabilities: Object.fromEntries(EMOTIONS.map((e) => [e, e === "angry" ? 0.62 : 0.38 / 7])),
};

/** One state per phase, each with everything that phase can show. */
const STATES: RecorderState[] = ([
  "unsupported",
  "idle",
  "starting",
  "recording",
  "stopping",
  "saved",
  "failed",
] as RecorderPhase[]).map((phase) => ({
  ...INITIAL_STATE,
  phase,
  elapsedS: 75.4,
  levelPct: 42,
  current: prediction,
  segments: [{ startS: 0, endS: 2.5, ...prediction }, { startS: 3, endS: 4, ...prediction }],
  connectionLost: true,
  pendingChunks: 3,
  error: "Something went wrong.",
  entry: {
    id: "01J0000000000000000000000",
    startedAt: "2026-01-15T12:00:00.000Z",
    durationS: 75.4,
    dominant: "angry",
    distribution: { angry: 1 },
    segments: [],
  },
}));

Deno.test("the server render is a disabled Start button with a note", () => {
  const html = renderToString(<Recorder {...PROPS} />);
  assert.match(html, /<button type="button" disabled[ >][^>]*>Start recording<\/button>/);
  assert.ok(html.includes(NEEDS_JAVASCRIPT_MESSAGE));
  assert.match(html, /role="meter"[^>]*aria-labelledby="recorder-level-label"/);
  assert.match(html, /aria-valuenow="0"/);
  for (const emotion of EMOTIONS) assert.ok(html.includes(`data-emotion="${emotion}"`));
  assert.ok(!html.includes(CONNECTION_LOST_MESSAGE));
  assert.match(html, /role="alert"[^>]*><\/div>/, "the alert region is there, empty");
});

Deno.test("every class a later state uses is already in the server render", () => {
  // Tailwind classes are compiled from the server's HTML only: a class that first appears
  // after hydration would have no CSS.
  const serverClasses = classesOf(renderToString(<Recorder {...PROPS} />));
  for (const state of STATES) {
    const html = renderToString(<RecorderView state={state} />);
    const missing = [...classesOf(html)].filter((c) => !serverClasses.has(c));
    assert.deepEqual(missing, [], `${state.phase} uses classes the server never sent`);
  }
});

Deno.test("a recording state shows the emotion, all probabilities and the timeline", () => {
  const recording = STATES.find((s) => s.phase === "recording")!;
  const html = renderToString(<RecorderView state={recording} />);
  assert.match(html, /data-testid="current-label"[^>]*>Angry</);
  assert.ok(html.includes("62%"));
  assert.ok(html.includes(CONNECTION_LOST_MESSAGE));
  assert.match(html, />Stop<\/button>/);
  assert.match(html, /data-state="recording"/);
  assert.equal(html.match(/data-label="angry"/g)?.length, 2, "two segments drawn");
  assert.ok(html.includes("0:00 to 0:02: Angry, 62%"), "segments are listed for screen readers");
  assert.match(html, /<time[^>]*>1:15<\/time>/);
  const listening = renderToString(<RecorderView state={{ ...recording, current: null }} />);
  assert.match(listening, /data-testid="current-label"[^>]*>listening…</);
});

Deno.test("a saved state links to the entry", () => {
  const saved = STATES.find((s) => s.phase === "saved")!;
  const html = renderToString(<RecorderView state={saved} />);
  assert.match(html, /href="\/entries\/01J0000000000000000000000"/);
  assert.ok(html.includes("Mostly angry over 1:15."));
});

Deno.test("level and clock formatting", () => {
  assert.equal(levelPercent(0), 0);
  assert.equal(levelPercent(1), 100);
  assert.equal(levelPercent(2), 100);
  assert.equal(levelPercent(0.001), 0); // −60 dBFS
  assert.ok(Math.abs(levelPercent(Math.SQRT1_2) - 95) < 0.1); // −3 dBFS
  assert.equal(levelPercent(NaN), 0);
  assert.equal(formatClock(0), "0:00");
  assert.equal(formatClock(59.9), "0:59");
  assert.equal(formatClock(61), "1:01");
  assert.equal(formatClock(3600), "60:00");
});
