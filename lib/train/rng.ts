/**
 * Seeded randomness (the audio module's mulberry32) so that splits, shuffles and
 * augmentation are reproducible from one `--seed`.
 */

import { seededRandom } from "../audio/synth.ts";

export { seededRandom };

/** A function returning uniform numbers in [0, 1). */
export type Random = () => number;

/** Fisher–Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A standard normal sample (Box–Muller). */
export function gaussian(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
