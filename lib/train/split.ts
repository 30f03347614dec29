/**
 * The two evaluation protocols.
 *
 * - `random`: the published recipe's split of all clips into train / validation / test of
 *   87.5 / 8.7 / 3.8 %. Clips of one speaker land on both sides, so this measures
 *   recognition of voices the model has heard.
 * - `speakers`: whole speakers held out. RAVDESS actors 17–20 are the test set and 15–16
 *   the validation set; every other speaker (RAVDESS 1–14 and both TESS speakers) trains.
 *   This measures what a new user meets: a voice never heard in training.
 */
import { type Random, shuffled } from "./rng.ts";

/** What a split needs to know about a clip. */
export interface SplitItem {
  speaker: string | null;
  corpus: string;
}

/** Train, validation and test parts of a data set. */
export interface Split<T> {
  train: T[];
  val: T[];
  test: T[];
}

/** The protocol names accepted by the CLIs. */
export type Protocol = "random" | "speakers";

/** Fractions of the published random split. */
export const RANDOM_FRACTIONS = { train: 0.875, val: 0.087 } as const;

/** RAVDESS actors held out as the unseen-speaker test set. */
export const TEST_ACTORS = ["17", "18", "19", "20"];
/** RAVDESS actors held out for validation (early stopping, thresholds). */
export const VAL_ACTORS = ["15", "16"];

/** Shuffles with `random` and cuts at 87.5 % and 87.5 + 8.7 %. */
export function randomSplit<T>(items: readonly T[], random: Random): Split<T> {
  const order = shuffled(items, random);
  const nTrain = Math.round(order.length * RANDOM_FRACTIONS.train);
  const nVal = Math.round(order.length * RANDOM_FRACTIONS.val);
  return {
    train: order.slice(0, nTrain),
    val: order.slice(nTrain, nTrain + nVal),
    test: order.slice(nTrain + nVal),
  };
}

/** The RAVDESS actor number without leading zeros ("Actor_07" → "7"), else null. */
function actorOf(item: SplitItem): string | null {
  if (item.corpus !== "ravdess") return null;
  const digits = item.speaker?.match(/(\d+)$/)?.[1];
  return digits ? String(Number(digits)) : null;
}

/**
 * Holds out whole RAVDESS actors: {@link TEST_ACTORS} for test, {@link VAL_ACTORS} for
 * validation; everything else trains. Training order is shuffled with `random`.
 */
export function speakerSplit<T extends SplitItem>(
  items: readonly T[],
  random: Random,
  testActors: readonly string[] = TEST_ACTORS,
  valActors: readonly string[] = VAL_ACTORS,
): Split<T> {
  const norm = (ids: readonly string[]) => new Set(ids.map((a) => String(Number(a))));
  const test = norm(testActors);
  const val = norm(valActors);
  const split: Split<T> = { train: [], val: [], test: [] };
  for (const item of items) {
    const actor = actorOf(item);
    if (actor !== null && test.has(actor)) split.test.push(item);
    else if (actor !== null && val.has(actor)) split.val.push(item);
    else split.train.push(item);
  }
  split.train = shuffled(split.train, random);
  return split;
}

/** Splits `items` by `protocol`. */
export function splitBy<T extends SplitItem>(
  protocol: Protocol,
  items: readonly T[],
  random: Random,
): Split<T> {
  return protocol === "random" ? randomSplit(items, random) : speakerSplit(items, random);
}
