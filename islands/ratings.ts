/**
 * The words for the self-ratings of an entry: mood and energy, each 1 … 5 or not rated.
 * Browser-safe (no imports), shared by the entry editor island and the server pages.
 */

/** What each mood rating means, index 0 = rating 1 (very low) … index 4 = 5 (very good). */
export const MOOD_WORDS = ["very low", "low", "okay", "good", "very good"] as const;

/** What each energy rating means, index 0 = rating 1 (exhausted) … 4 = 5 (full of energy). */
export const ENERGY_WORDS = ["exhausted", "tired", "steady", "lively", "full of energy"] as const;

/** The ratings 1 … 5 in order. */
export const RATINGS = [1, 2, 3, 4, 5] as const;

/** A rating as text, e.g. `4/5 (good)`; "not rated" for null or anything outside 1 … 5. */
export function ratingText(value: number | null, words: readonly string[]): string {
  if (value === null || !Number.isInteger(value) || value < 1 || value > 5) return "not rated";
  return `${value}/5 (${words[value - 1]})`;
}
