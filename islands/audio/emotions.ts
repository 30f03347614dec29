/**
 * The eight emotions the model tells apart, in the model's label order, with one fixed
 * colour each. The colours are mid-tones that stay readable on both the light and the dark
 * background, and neighbouring labels differ in hue as well as lightness.
 */

import { EMOTION_LABELS } from "../../lib/data/labels.ts";

/** Emotion labels as the API sends them, in the model's order (the model's own list). */
export const EMOTIONS = EMOTION_LABELS;

/** One of {@link EMOTIONS}. */
export type Emotion = typeof EMOTIONS[number];

/** The colour of each emotion in bars, timelines and charts (CSS hex). */
export const EMOTION_COLOURS: Readonly<Record<Emotion, string>> = {
  neutral: "#94a3b8",
  calm: "#38bdf8",
  happy: "#facc15",
  sad: "#6366f1",
  angry: "#ef4444",
  fearful: "#a855f7",
  disgust: "#84cc16",
  surprised: "#f97316",
};

/** Colour for labels outside {@link EMOTIONS} (a newer model, a typo in an answer). */
export const UNKNOWN_EMOTION_COLOUR = "#6b7280";

/** The colour of `label`, or {@link UNKNOWN_EMOTION_COLOUR} when it is not an emotion we know. */
export function emotionColour(label: string): string {
  return (EMOTION_COLOURS as Record<string, string>)[label] ?? UNKNOWN_EMOTION_COLOUR;
}

/** `label` with a capital first letter, for display ("happy" → "Happy"). */
export function emotionName(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}
