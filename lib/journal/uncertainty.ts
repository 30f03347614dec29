/**
 * Where the emotion model is unsure, the journal says "uncertain" instead of a label that is
 * likely wrong. The thresholds come from `models/default/uncertainty.json`, chosen on the
 * shipped model's validation clips by `scripts/calibrate_uncertainty.ts` with the rule in
 * `lib/journal/calibration.ts` (top-1 probability ≥ `minConfidence` and top-1 minus top-2 ≥
 * `minMargin`).
 *
 * An entry's reading counts every uncertain segment's time under {@link UNCERTAIN}; its
 * headline is the label with the largest share of speech time, which is itself "uncertain"
 * when unsure stretches outweigh every single emotion.
 */
import calibration from "../../models/default/uncertainty.json" with { type: "json" };
import { accepts, type UncertaintyThresholds } from "./calibration.ts";

/** The label shown instead of an emotion when the model is unsure. */
export const UNCERTAIN = "uncertain";

/** Colour of uncertain stretches in bars and charts: a neutral grey, readable on both schemes. */
export const UNCERTAIN_COLOUR = "#9ca3af";

/** The thresholds in use (from `models/default/uncertainty.json`). */
export const THRESHOLDS: Readonly<UncertaintyThresholds> = Object.freeze({
  minConfidence: calibration.minConfidence,
  minMargin: calibration.minMargin,
});

/** How the thresholds did on validation clips, for an honest note on the pages. */
export const VALIDATION = Object.freeze({ ...calibration.validation });

/** True when the model is too unsure of this prediction to name an emotion. */
export function isUncertain(
  probabilities: Readonly<Record<string, number>>,
  thresholds: UncertaintyThresholds = THRESHOLDS,
): boolean {
  return !accepts(probabilities, thresholds);
}

/** A segment as far as this module needs it. */
export interface LabelledSpan {
  startS: number;
  endS: number;
  label: string;
  probabilities: Readonly<Record<string, number>>;
}

/** The label to show for a segment: its emotion, or {@link UNCERTAIN}. */
export function shownLabel(
  segment: LabelledSpan,
  thresholds: UncertaintyThresholds = THRESHOLDS,
): string {
  return isUncertain(segment.probabilities, thresholds) ? UNCERTAIN : segment.label;
}

/** What an entry's segments add up to once unsure stretches are set apart. */
export interface Reading {
  /** Share of speech time per shown label (including {@link UNCERTAIN}); sums to 1. */
  distribution: Record<string, number>;
  /** The shown label with the largest share; null when there was no speech. */
  headline: string | null;
  /** Share of speech time that is uncertain (0 when there was no speech). */
  uncertainShare: number;
}

/**
 * Speech time per shown label over `segments` and the label heard longest. Ties go to the
 * label met first, except that a real emotion beats {@link UNCERTAIN} at the same share.
 */
export function readingOf(
  segments: readonly LabelledSpan[],
  thresholds: UncertaintyThresholds = THRESHOLDS,
): Reading {
  const seconds = new Map<string, number>();
  let total = 0;
  for (const s of segments) {
    const d = s.endS - s.startS;
    if (!(d > 0)) continue;
    const label = shownLabel(s, thresholds);
    seconds.set(label, (seconds.get(label) ?? 0) + d);
    total += d;
  }
  if (total <= 0) return { distribution: {}, headline: null, uncertainShare: 0 };
  const distribution: Record<string, number> = {};
  let headline: string | null = null;
  for (const [label, d] of seconds) {
    distribution[label] = d / total;
    const best = headline === null ? -1 : distribution[headline];
    const wins = distribution[label] > best ||
      (distribution[label] === best && headline === UNCERTAIN);
    if (wins) headline = label;
  }
  return { distribution, headline, uncertainShare: distribution[UNCERTAIN] ?? 0 };
}

/** Shares in display order: largest first, {@link UNCERTAIN} always last. */
export function orderedShares(distribution: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(distribution)
    .filter(([, share]) => share > 0)
    .sort((a, b) => {
      if ((a[0] === UNCERTAIN) !== (b[0] === UNCERTAIN)) return a[0] === UNCERTAIN ? 1 : -1;
      return b[1] - a[1] || a[0].localeCompare(b[0]);
    });
}

/** Where entries' segments come from (the app's `Db` fits). */
export interface SegmentSource {
  getEntry(userId: string, entryId: string): Promise<{ segments: LabelledSpan[] } | null>;
}

/**
 * The reading of each of the user's entries `ids`, by id, loaded in parallel (for list pages,
 * whose summaries carry no segments). Entries that vanished meanwhile are left out.
 */
export async function readingsFor(
  source: SegmentSource,
  userId: string,
  ids: readonly string[],
): Promise<Record<string, Reading>> {
  const entries = await Promise.all(ids.map((id) => source.getEntry(userId, id)));
  const readings: Record<string, Reading> = {};
  entries.forEach((entry, i) => {
    if (entry) readings[ids[i]] = readingOf(entry.segments);
  });
  return readings;
}
