/**
 * Plausible demo journals: entries for a number of days, generated from a seed so every run
 * gives the same journal. A hidden daily mood drifts slowly (a two-week swing, a little
 * brighter at weekends, day-to-day noise); it tilts which emotions the segments show, and
 * the self-ratings follow it loosely, as real ones would. Some days have no entry, some two.
 * Used by `deno task seed-demo`, the screenshot test and the history benchmark.
 */
import { EMOTION_LABELS, type EmotionLabel } from "../data/labels.ts";
import type { NewEntry, Segment } from "../db.ts";
import { dominantLabel, labelDistribution } from "../streaming/recording.ts";
import { gaussian, type Random, seededRandom } from "../train/rng.ts";
import { addDays, localDay, startOfLocalDay } from "./history.ts";

/** What to generate. */
export interface DemoOptions {
  /** Days of history, ending with the day of `nowMs`. */
  days: number;
  nowMs: number;
  timeZone: string;
  seed?: number;
  /** Entries per day on average (default 1.1; some days none, some two or more). */
  perDay?: number;
}

const PLEASANT: readonly EmotionLabel[] = ["happy", "calm", "surprised"];
const UNPLEASANT: readonly EmotionLabel[] = ["sad", "angry", "fearful", "disgust"];

const NOTES = [
  "Long walk after work, felt lighter.",
  "Deadline stress all afternoon.",
  "Slept badly, dragging all day.",
  "Coffee with an old friend.",
  "Argument on the phone, still annoyed.",
  "Quiet evening, read a book.",
  "Nervous about tomorrow's appointment.",
  "Good run this morning.",
  "Too many meetings.",
  "Cooked dinner for everyone.",
];

function pick<T>(items: readonly T[], random: Random): T {
  return items[Math.floor(random() * items.length)];
}

/** The label weights for a hidden mood in [−1, 1]: pleasant labels rise with it. */
function labelWeights(mood: number): Record<EmotionLabel, number> {
  const w = {} as Record<EmotionLabel, number>;
  for (const label of EMOTION_LABELS) {
    const sign = PLEASANT.includes(label) ? 1 : UNPLEASANT.includes(label) ? -1 : 0;
    w[label] = Math.exp(1.6 * sign * mood) * (label === "neutral" ? 1.4 : 1);
  }
  return w;
}

function sampleLabel(weights: Record<EmotionLabel, number>, random: Random): EmotionLabel {
  const total = EMOTION_LABELS.reduce((s, l) => s + weights[l], 0);
  let r = random() * total;
  for (const label of EMOTION_LABELS) {
    r -= weights[label];
    if (r <= 0) return label;
  }
  return "neutral";
}

/**
 * Probabilities with `label` given 70–99 % and the rest spread unevenly: with the shipped
 * model's uncertainty rule about four segments in ten read "uncertain", close to the share of
 * held-out clips the rule leaves unnamed (38 %).
 */
function probabilities(label: EmotionLabel, random: Random): Record<string, number> {
  const top = 0.7 + 0.29 * random();
  const rest = EMOTION_LABELS.filter((l) => l !== label).map((l) => [l, random() ** 2] as const);
  const restTotal = rest.reduce((s, [, v]) => s + v, 0);
  const out: Record<string, number> = { [label]: top };
  for (const [l, v] of rest) out[l] = ((1 - top) * v) / restTotal;
  return out;
}

function segmentsFor(durationS: number, mood: number, random: Random): Segment[] {
  const weights = labelWeights(mood);
  const segments: Segment[] = [];
  let t = 0.3 + random();
  while (t < durationS - 1.5) {
    const length = Math.min(2 + 4 * random(), durationS - t);
    const p = probabilities(sampleLabel(weights, random), random);
    // Like the model's output, the label is the most probable one.
    const label = Object.keys(p).reduce((a, b) => (p[b] > p[a] ? b : a));
    segments.push({
      startS: round(t),
      endS: round(t + length),
      label,
      confidence: p[label],
      probabilities: p,
    });
    t += length + 0.2 + 1.2 * random();
  }
  return segments;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function rating(value: number): number {
  return Math.max(1, Math.min(5, Math.round(value)));
}

/** The demo entries, oldest first, all starting before `nowMs`. */
export function demoEntries(options: DemoOptions): NewEntry[] {
  const random = seededRandom(options.seed ?? 7);
  const perDay = options.perDay ?? 1.1;
  const today = localDay(options.nowMs, options.timeZone);
  const entries: NewEntry[] = [];
  let drift = 0;
  for (let i = options.days - 1; i >= 0; i--) {
    const day = addDays(today, -i);
    drift = 0.7 * drift + 0.25 * gaussian(random);
    const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
    const weekend = weekday === 0 || weekday === 6 ? 0.25 : 0;
    const mood = Math.max(
      -1,
      Math.min(1, 0.45 * Math.sin((2 * Math.PI * i) / 14) + weekend + drift),
    );
    // Poisson-ish count: mostly one, sometimes none or two.
    let count = 0;
    for (let k = 0; k < 4; k++) if (random() < perDay / 4) count++;
    const midnight = startOfLocalDay(day, options.timeZone);
    const hours = [7.5 + random(), 12.5 + random(), 19 + 3 * random(), 21 + random()]
      .slice(0, Math.max(count, 0)).sort((a, b) => a - b);
    for (const hour of hours) {
      const startMs = midnight + hour * 3600_000;
      if (startMs >= options.nowMs) continue;
      const durationS = round(25 + 95 * random());
      const segments = segmentsFor(durationS, mood + 0.2 * gaussian(random), random);
      const distribution = labelDistribution(segments);
      const rated = random() < 0.75;
      entries.push({
        startedAt: new Date(startMs).toISOString(),
        durationS,
        dominant: dominantLabel(distribution),
        distribution,
        segments,
        note: random() < 0.4 ? pick(NOTES, random) : "",
        mood: rated ? rating(3 + 1.8 * mood + 0.6 * gaussian(random)) : null,
        energy: rated ? rating(3 + 0.8 * mood + 0.9 * gaussian(random)) : null,
      });
    }
  }
  return entries;
}
