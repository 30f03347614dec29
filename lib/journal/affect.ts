/**
 * Valence and arousal from emotion probabilities.
 *
 * Each of the eight labels gets a fixed point on Russell's circumplex of affect (Russell,
 * 1980, "A circumplex model of affect"): valence (unpleasant −1 … pleasant +1) on x and arousal
 * (deactivated −1 … activated +1) on y. The coordinates are the usual placements of these
 * words on the circle, rounded to one decimal; "neutral" sits at the centre. A prediction's
 * valence/arousal is the probability-weighted mean of its labels' points, and an entry's is the
 * duration-weighted mean over its segments. These are readings of the model's output, not
 * measurements of a person; the history page shows them beside the user's own mood rating.
 */
import { EMOTION_LABELS, type EmotionLabel } from "../data/labels.ts";

/** A point on the circumplex: both coordinates in [−1, 1]. */
export interface Affect {
  valence: number;
  arousal: number;
}

/** The circumplex coordinates of every label (documented in the module comment). */
export const CIRCUMPLEX: Readonly<Record<EmotionLabel, Affect>> = Object.freeze({
  neutral: { valence: 0, arousal: 0 },
  calm: { valence: 0.5, arousal: -0.6 },
  happy: { valence: 0.8, arousal: 0.5 },
  sad: { valence: -0.7, arousal: -0.5 },
  angry: { valence: -0.6, arousal: 0.8 },
  fearful: { valence: -0.7, arousal: 0.6 },
  disgust: { valence: -0.7, arousal: 0.2 },
  surprised: { valence: 0.3, arousal: 0.8 },
});

/**
 * The probability-weighted circumplex point of one prediction. Unknown labels are ignored and
 * the weights renormalised; null when no known label has positive probability.
 */
export function affectOf(probabilities: Readonly<Record<string, number>>): Affect | null {
  let valence = 0, arousal = 0, total = 0;
  for (const label of EMOTION_LABELS) {
    const p = probabilities[label];
    if (!(p > 0)) continue;
    valence += p * CIRCUMPLEX[label].valence;
    arousal += p * CIRCUMPLEX[label].arousal;
    total += p;
  }
  if (total <= 0) return null;
  return { valence: valence / total, arousal: arousal / total };
}

/** Anything with a span and probabilities (a segment of an entry). */
export interface TimedPrediction {
  startS: number;
  endS: number;
  probabilities: Readonly<Record<string, number>>;
}

/** The duration-weighted mean affect of `segments`; null when none has a length and a reading. */
export function affectOfSegments(segments: readonly TimedPrediction[]): Affect | null {
  let valence = 0, arousal = 0, total = 0;
  for (const s of segments) {
    const weight = s.endS - s.startS;
    const point = affectOf(s.probabilities);
    if (!(weight > 0) || !point) continue;
    valence += weight * point.valence;
    arousal += weight * point.arousal;
    total += weight;
  }
  if (total <= 0) return null;
  return { valence: valence / total, arousal: arousal / total };
}
