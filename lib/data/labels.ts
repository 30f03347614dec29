/**
 * The eight emotion labels the model predicts, in the fixed order of its output units. Both
 * corpora and every manifest are mapped onto exactly these names.
 */

/** The labels in model output order (RAVDESS's emotion codes 01 … 08). */
export const EMOTION_LABELS = Object.freeze(
  [
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "surprised",
  ] as const,
);

/** One of {@link EMOTION_LABELS}. */
export type EmotionLabel = typeof EMOTION_LABELS[number];

/** True when `value` is exactly one of {@link EMOTION_LABELS}. */
export function isEmotionLabel(value: string): value is EmotionLabel {
  return (EMOTION_LABELS as readonly string[]).includes(value);
}

/**
 * Position of `label` in {@link EMOTION_LABELS}, i.e. its model output index; throws a
 * `RangeError` for anything else.
 */
export function labelIndex(label: string): number {
  const index = (EMOTION_LABELS as readonly string[]).indexOf(label);
  if (index < 0) {
    throw new RangeError(`Expected one of ${EMOTION_LABELS.join(", ")}, but got "${label}"`);
  }
  return index;
}
