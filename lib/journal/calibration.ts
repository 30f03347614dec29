/**
 * The rule that decides when the emotion model is too unsure to name an emotion, and how its
 * two thresholds are chosen on labelled validation clips.
 *
 * A prediction is *accepted* (its label is shown) when the top-1 probability is at least
 * `minConfidence` and the margin between the top two probabilities is at least `minMargin`;
 * otherwise it is *uncertain*. {@link chooseThresholds} searches a grid of both thresholds and
 * keeps the pair that accepts the most validation clips while the accepted predictions are at
 * least `targetAccuracy` correct; ties go to the smaller `minConfidence`, then the smaller
 * `minMargin`. When no pair reaches the target (a model whose confidence says little about
 * whether it is right), it falls back to the pair with the best accepted accuracy among those
 * that still accept at least `minShare` of the clips (ties: more clips, then smaller
 * thresholds), and says so (`targetMet: false`). `scripts/calibrate_uncertainty.ts` runs it for the shipped model and writes
 * `models/default/uncertainty.json`; `lib/journal/uncertainty.ts` applies the result.
 */

/** The two thresholds of the rule. */
export interface UncertaintyThresholds {
  /** Smallest top-1 probability that is shown as a label. */
  minConfidence: number;
  /** Smallest difference between the top two probabilities that is shown as a label. */
  minMargin: number;
}

/** The best and second-best probability of a prediction and the best label. */
export interface TopTwo {
  label: string | null;
  first: number;
  second: number;
}

/** The most probable label with its probability, and the runner-up's probability. */
export function topTwo(probabilities: Readonly<Record<string, number>>): TopTwo {
  let label: string | null = null;
  let first = 0;
  let second = 0;
  for (const [name, raw] of Object.entries(probabilities)) {
    const p = Number.isFinite(raw) ? raw : 0;
    if (label === null || p > first) {
      if (label !== null) second = Math.max(second, first);
      label = name;
      first = p;
    } else if (p > second) {
      second = p;
    }
  }
  return { label, first, second };
}

/** Whether the rule shows this prediction's label (false for an empty prediction). */
export function accepts(
  probabilities: Readonly<Record<string, number>>,
  thresholds: UncertaintyThresholds,
): boolean {
  const { label, first, second } = topTwo(probabilities);
  if (label === null || !(first > 0)) return false;
  // A small tolerance so that a threshold read back from JSON accepts the very value it was
  // chosen at, despite float rounding (0.1 + 0.2 style).
  const eps = 1e-9;
  return first + eps >= thresholds.minConfidence && first - second + eps >= thresholds.minMargin;
}

/** One validation clip: the model's probabilities and the true label. */
export interface ScoredClip {
  probabilities: Readonly<Record<string, number>>;
  label: string;
}

/** How a pair of thresholds does on a set of clips. */
export interface AcceptanceStats {
  clips: number;
  accepted: number;
  /** accepted / clips. */
  acceptedShare: number;
  /** Share of accepted clips whose top label is right; null when none is accepted. */
  acceptedAccuracy: number | null;
  /** Share of all clips whose top label is right (no rejection). */
  allAccuracy: number;
}

/** Counts what `thresholds` accept among `clips` and how often the accepted are right. */
export function acceptanceStats(
  clips: readonly ScoredClip[],
  thresholds: UncertaintyThresholds,
): AcceptanceStats {
  let accepted = 0, acceptedRight = 0, right = 0;
  for (const clip of clips) {
    const correct = topTwo(clip.probabilities).label === clip.label;
    if (correct) right++;
    if (accepts(clip.probabilities, thresholds)) {
      accepted++;
      if (correct) acceptedRight++;
    }
  }
  const n = clips.length;
  return {
    clips: n,
    accepted,
    acceptedShare: n > 0 ? accepted / n : 0,
    acceptedAccuracy: accepted > 0 ? acceptedRight / accepted : null,
    allAccuracy: n > 0 ? right / n : 0,
  };
}

/** Options of {@link chooseThresholds}. */
export interface ChooseOptions {
  /** Accepted predictions must be at least this often right (default 0.7). */
  targetAccuracy?: number;
  /** Grid step of both thresholds (default 0.01). */
  step?: number;
  /** The fallback keeps at least this share of the clips (default 0.5). */
  minShare?: number;
}

/** The chosen thresholds with their numbers on the clips they were chosen on. */
export interface ChosenThresholds extends UncertaintyThresholds {
  stats: AcceptanceStats;
  /** False when no pair reached the target and the fallback chose. */
  targetMet: boolean;
}

/**
 * Searches `minConfidence` and `minMargin` over `0, step, 2·step, … 1` and returns the pair
 * that accepts the most clips with an accepted accuracy of at least `targetAccuracy` (ties:
 * smaller `minConfidence`, then smaller `minMargin`). When no pair reaches the target, returns
 * the pair with the highest accepted accuracy that accepts at least `minShare` of the clips
 * (ties: more clips, then smaller thresholds) with `targetMet: false`. Throws a `RangeError`
 * when there are no clips (or none has a probability above zero).
 */
export function chooseThresholds(
  clips: readonly ScoredClip[],
  { targetAccuracy = 0.7, step = 0.01, minShare = 0.5 }: ChooseOptions = {},
): ChosenThresholds {
  if (clips.length === 0) throw new RangeError("Expected validation clips but got none");
  const steps = Math.round(1 / step);
  let best: ChosenThresholds | null = null;
  let fallback: ChosenThresholds | null = null;
  // The loops run from small to large thresholds, so keeping only strict improvements
  // breaks ties towards the smaller minConfidence, then the smaller minMargin.
  for (let i = 0; i <= steps; i++) {
    for (let j = 0; j <= steps; j++) {
      const thresholds = { minConfidence: round(i * step), minMargin: round(j * step) };
      const stats = acceptanceStats(clips, thresholds);
      const accuracy = stats.acceptedAccuracy;
      if (accuracy === null) continue;
      if (accuracy >= targetAccuracy && (!best || stats.accepted > best.stats.accepted)) {
        best = { ...thresholds, stats, targetMet: true };
      }
      if (stats.acceptedShare < minShare) continue;
      const fallbackAccuracy = fallback?.stats.acceptedAccuracy ?? -1;
      if (
        !fallback || accuracy > fallbackAccuracy ||
        (accuracy === fallbackAccuracy && stats.accepted > fallback.stats.accepted)
      ) {
        fallback = { ...thresholds, stats, targetMet: false };
      }
    }
  }
  const chosen = best ?? fallback;
  if (!chosen) throw new RangeError("Expected clips with probabilities but all were empty");
  return chosen;
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
