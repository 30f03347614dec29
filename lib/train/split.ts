/**
 * The two evaluation protocols.
 *
 * - `random`: the published recipe's split of all clips into train / validation / test of
 *   87.5 / 8.7 / 3.8 %. Clips of one speaker land on both sides, so this measures
 *   recognition of voices the model has heard.
 * - `speakers`: whole speakers held out. RAVDESS actors 17–20 are the test set and 15–16
 *   the validation set; every other speaker (RAVDESS 1–14 and both TESS speakers) trains.
 *   This measures what a new user meets: a voice never heard in training. Other folds hold
 *   out other actors (`train --test-actors 1-4 --val-actors 5-6`), so that every RAVDESS
 *   voice can be a test voice once (speaker cross-validation). Both sets may be empty
 *   (`--test-actors none --val-actors none`): every voice trains, as the shipped networks do
 *   once the recipe has been measured on the folds.
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

/**
 * Parses a list of RAVDESS actor numbers as given on a command line: numbers and ranges
 * separated by commas ("1-4", "5,6", "1-2,9"), each from 1 to 24, or "none" for no actor.
 * Returns them without leading zeros, in order, or throws a `RangeError` saying what is wrong.
 */
export function parseActors(text: string): string[] {
  if (text.trim() === "none") return [];
  const actors: number[] = [];
  for (const part of text.split(",")) {
    const m = part.trim().match(/^(\d+)(?:-(\d+))?$/);
    if (!m) {
      throw new RangeError(`Expected actor numbers like "1-4", "5,6" or none, but got "${text}"`);
    }
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > 24 || from > to) {
      throw new RangeError(`Expected actors from 1 to 24 in increasing ranges, but got "${part}"`);
    }
    for (let a = from; a <= to; a++) {
      if (actors.includes(a)) throw new RangeError(`Actor ${a} is named twice in "${text}"`);
      actors.push(a);
    }
  }
  return actors.sort((a, b) => a - b).map(String);
}

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

/** The RAVDESS actors a `speakers` split holds out (default {@link TEST_ACTORS}, {@link VAL_ACTORS}). */
export interface HeldOutActors {
  test: readonly string[];
  val: readonly string[];
}

/** Throws a `RangeError` naming the actors that are both test and validation actors. */
export function assertApart(actors: HeldOutActors): void {
  const shared = actors.test.filter((a) => actors.val.includes(a));
  if (shared.length > 0) {
    throw new RangeError(`Expected test and validation actors apart, but both have ${shared}`);
  }
}

/**
 * Splits `items` by `protocol`; for `speakers`, holding out `actors` (the default fold: actors
 * 17–20 for test, 15–16 for validation). Throws a `RangeError` when the two sets share an actor.
 */
export function splitBy<T extends SplitItem>(
  protocol: Protocol,
  items: readonly T[],
  random: Random,
  actors: HeldOutActors = { test: TEST_ACTORS, val: VAL_ACTORS },
): Split<T> {
  assertApart(actors);
  return protocol === "random"
    ? randomSplit(items, random)
    : speakerSplit(items, random, actors.test, actors.val);
}
