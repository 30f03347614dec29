/**
 * Voice references: a person's mean utterance functionals, which the voice-referenced dense
 * member subtracts from every clip's before classifying it.
 *
 * Much of what separates voices in the functionals (pitch level, vocal tract, microphone) is a
 * constant offset per speaker. A member trained on functionals minus their speaker's mean, and
 * given a new person's clip minus the mean of that person's earlier recordings, no longer has to
 * guess which part of a clip is the voice and which the mood. Only the mean is subtracted, not
 * the spread divided: a spread from a history that leans to a few moods made matters worse than
 * no reference at all, a mean did not (`research/voice_reference.py`).
 *
 * The reference of a person comes from their journal: the functionals of each entry's windows
 * are kept with the entry ({@link VoiceSample}), and the reference is the mean over the windows
 * of their latest entries. Training uses each speaker's own mean, evaluation the mean of a few
 * other clips of the held-out speaker, as a person's history would give it.
 *
 * The LSTMs are referenced too, at their output: each entry also keeps the mean of the LSTMs'
 * log-probabilities over its windows (its {@link VoiceSample.leaning}), and with a reference a
 * window's LSTM log-probabilities lose that mean times the voice member's `lstmReference`
 * before the mix ({@link unleaned}): a voice the LSTMs always hear as, say, angry no longer
 * tips every recording that way. The leaning belongs to the LSTMs that computed it, so a sample
 * names them ({@link VoiceSample.lstm}) and only samples of the LSTMs in use count.
 *
 * @module
 */
import { FUNCTIONAL_COUNT } from "../audio/functionals.ts";
import { labelIndex } from "../data/labels.ts";
import type { DatasetItem } from "../data/types.ts";
import type { MixRule } from "./functionals_model.ts";
import { type Random, seededRandom } from "../train/rng.ts";

/** Sub-folder of a model folder holding the voice-referenced dense member. */
export const VOICE_DIR = "functionals-voice";

/**
 * Classified windows (one utterance of up to 6 s each, live) a reference needs before it is
 * used: from 10 other clips a reference helped the research classifier, from 5 it did not
 * (`research/voice_reference.py`).
 */
export const MIN_REFERENCE_WINDOWS = 10;
/** Entries a reference needs at least, so that one day's mood does not make it. */
export const MIN_REFERENCE_ENTRIES = 3;
/**
 * Other clips of a held-out speaker each of its clips is referenced by in evaluation
 * (`train-functionals --voice --folds`, `eval`): about three weeks of a daily journal.
 */
export const DEFAULT_HISTORY = 20;
/** Latest entries a reference is the mean of. */
export const REFERENCE_ENTRIES = 30;

/**
 * How strongly the LSTMs' leaning is divided out ({@link unleaned}): what `train-functionals
 * --voice` writes as a new voice member's `lstmReference` (a config without one, from before,
 * divides nothing out). 1, the best of 0 to 2 on the validation voices of both tfjs folds
 * (`research/lstm_reference.ts`, models/MODEL_CARD.md).
 */
export const DEFAULT_LSTM_REFERENCE = 1;

/**
 * How a voice member is mixed with the LSTMs: what `train-functionals --voice` writes as a new
 * voice member's `mix` (a config without one, from before, mixes by the arithmetic mean). The
 * weighted geometric mean of the two parts' probabilities beat the arithmetic one on the
 * validation voices of both tfjs folds at every weight tried (`research/lstm_reference.ts`,
 * models/MODEL_CARD.md). The plain member keeps the arithmetic mean, which its validation voices
 * preferred.
 */
export const DEFAULT_VOICE_MIX: MixRule = "geometric";

/** What one journal entry keeps for its owner's voice reference. */
export interface VoiceSample {
  /** Mean functionals of the entry's classified windows. */
  mean: Float32Array;
  /** How many windows that mean is over. */
  windows: number;
  /** Mean of the LSTMs' log-probabilities over the same windows; absent for older samples. */
  leaning?: Float32Array | null;
  /** Which LSTMs computed `leaning` ({@link lstmFingerprint}). */
  lstm?: string | null;
}

/** A person's voice reference, with what it was made from. */
export interface VoiceReference {
  mean: Float32Array;
  windows: number;
  entries: number;
  /**
   * The LSTMs' mean log-probabilities over the samples that hold them for the LSTMs in use, or
   * null while those are fewer than a reference needs.
   */
  leaning: Float32Array | null;
}

/**
 * The reference from some entries' samples (newest first; only the first
 * {@link REFERENCE_ENTRIES} count), weighting each by its windows; null while they hold fewer
 * than {@link MIN_REFERENCE_ENTRIES} entries or {@link MIN_REFERENCE_WINDOWS} windows. Its
 * leaning comes from those of the samples whose `lstm` is `lstm` (none when it is null), under
 * the same minimums.
 */
export function voiceReferenceOf(
  samples: readonly VoiceSample[],
  lstm: string | null = null,
): VoiceReference | null {
  const used = samples.slice(0, REFERENCE_ENTRIES);
  for (const s of used) {
    if (s.mean.length !== FUNCTIONAL_COUNT || !(s.windows > 0)) {
      throw new RangeError(
        `Expected a sample of ${FUNCTIONAL_COUNT} functionals over at least one window but got ` +
          `${s.mean.length} over ${s.windows}`,
      );
    }
  }
  const mean = weightedMean(used.map((s) => s.mean), used.map((s) => s.windows));
  if (!mean) return null;
  const leaned = lstm === null ? [] : used.filter((s) => s.leaning && s.lstm === lstm);
  return {
    mean,
    windows: used.reduce((n, s) => n + s.windows, 0),
    entries: used.length,
    leaning: weightedMean(leaned.map((s) => s.leaning!), leaned.map((s) => s.windows)),
  };
}

/** The mean of `rows` weighted by `windows`, or null below a reference's minimums. */
function weightedMean(
  rows: readonly Float32Array[],
  windows: readonly number[],
): Float32Array | null {
  const total = windows.reduce((a, b) => a + b, 0);
  if (rows.length < MIN_REFERENCE_ENTRIES || total < MIN_REFERENCE_WINDOWS) return null;
  const sum = new Float64Array(rows[0].length);
  rows.forEach((row, r) => row.forEach((v, i) => sum[i] += v * windows[r]));
  return Float32Array.from(sum, (v) => v / total);
}

/** Natural logarithms of probabilities, floored at 1e-9 so that a zero stays finite. */
export function logProbabilities(probs: ArrayLike<number>): Float32Array {
  return Float32Array.from(probs, (p) => Math.log(Math.max(p, 1e-9)));
}

/**
 * LSTM probabilities with a person's leaning divided out: softmax of their log-probabilities
 * minus `strength` times `leaning` (the mean log-probabilities over the person's recordings).
 */
export function unleaned(
  probs: ArrayLike<number>,
  leaning: Float32Array,
  strength: number,
): Float32Array {
  if (probs.length !== leaning.length) {
    throw new RangeError(`Expected a leaning of ${probs.length} numbers but got ${leaning.length}`);
  }
  return softmax(logProbabilities(probs).map((v, i) => v - strength * leaning[i]));
}

/** Softmax of `logits`, computed in float64 from their maximum. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  const z = Float64Array.from(logits);
  const top = Math.max(...z);
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += z[i] = Math.exp(z[i] - top);
  return Float32Array.from(z, (v) => v / sum);
}

/**
 * A short name of a set of LSTM weights (SHA-256 of their bytes, first 16 hex digits), kept with
 * every leaning so that one from other LSTMs is never divided out.
 */
export async function lstmFingerprint(weights: readonly Float32Array[]): Promise<string> {
  const bytes = new Uint8Array(weights.reduce((n, w) => n + w.byteLength, 0));
  let at = 0;
  for (const w of weights) {
    bytes.set(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), at);
    at += w.byteLength;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** `x − reference`, element by element, as a new array. */
export function referenced(x: Float32Array, reference: Float32Array): Float32Array {
  if (x.length !== reference.length) {
    throw new RangeError(`Expected a reference of ${x.length} numbers but got ${reference.length}`);
  }
  return Float32Array.from(x, (v, i) => v - reference[i]);
}

/** Mean of the rows `vectors[i]` for `i` in `rows`. */
function meanOf(vectors: readonly Float32Array[], rows: readonly number[]): Float32Array {
  const sum = new Float64Array(vectors[rows[0]].length);
  for (const r of rows) vectors[r].forEach((v, i) => sum[i] += v);
  return Float32Array.from(sum, (s) => s / rows.length);
}

/**
 * Each clip minus its speaker's mean over all of that speaker's clips in `clips`: how the
 * voice-referenced member trains (each training voice is known in full).
 */
export function minusSpeakerMeans(
  vectors: readonly Float32Array[],
  speakers: readonly string[],
): Float32Array[] {
  const rows = groupRows(speakers);
  const means = new Map([...rows].map(([s, r]) => [s, meanOf(vectors, r)]));
  return vectors.map((v, i) => referenced(v, means.get(speakers[i])!));
}

/**
 * Each clip minus the mean of `history` other clips of its speaker, drawn with `random` (all of
 * them when the speaker has no more; with `moods`, only from clips of that many of the
 * speaker's emotions, drawn per clip: a history that leans to a few moods). How a held-out voice
 * is evaluated: as a person whose journal holds `history` earlier recordings.
 */
export function minusHistoryMeans(
  vectors: readonly Float32Array[],
  speakers: readonly string[],
  labels: readonly number[],
  history: number,
  random: Random,
  moods?: number,
): Float32Array[] {
  return minusHistoryMeansWithPicks(vectors, speakers, labels, history, random, moods).vectors;
}

/**
 * {@link minusHistoryMeans}, with the rows each row's history was drawn from (`picks[i]`, row
 * numbers into `vectors`), for a study that references another part by the same clips.
 */
export function minusHistoryMeansWithPicks(
  vectors: readonly Float32Array[],
  speakers: readonly string[],
  labels: readonly number[],
  history: number,
  random: Random,
  moods?: number,
): { vectors: Float32Array[]; picks: number[][] } {
  const picks = historyPicks(speakers, labels, history, random, moods);
  return { vectors: vectors.map((v, i) => referenced(v, meanOf(vectors, picks[i]))), picks };
}

/** The rows {@link minusHistoryMeans} draws as each row's history, row after row. */
function historyPicks(
  speakers: readonly string[],
  labels: readonly number[],
  history: number,
  random: Random,
  moods?: number,
): number[][] {
  if (!(history >= 1)) {
    throw new RangeError(`Expected a history of at least 1 clip, got ${history}`);
  }
  const rows = groupRows(speakers);
  return speakers.map((speaker, i) => {
    let pool = rows.get(speaker)!.filter((r) => r !== i);
    if (moods !== undefined) {
      const emotions = [...new Set(pool.map((r) => labels[r]))];
      const chosen = new Set(pick(emotions, moods, random));
      pool = pool.filter((r) => chosen.has(labels[r]));
    }
    if (pool.length === 0) throw new RangeError(`Speaker ${speaker} has no other clip`);
    return pick(pool, history, random);
  });
}

/** Seed of the clips {@link historyReferences} draws as each clip's history. */
export const HISTORY_SEED = 20;

/**
 * {@link minusHistoryMeans} for labelled clips (`items[i]`'s functionals are `vectors[i]`; null,
 * a silent clip, stays null), drawn from {@link HISTORY_SEED}: how `eval` and
 * `calibrate_uncertainty` score the voice-referenced member on held-out voices. With `lstm` (each
 * clip's LSTM probabilities) each clip's leaning too: the mean LSTM log-probabilities of the same
 * history clips (null for a silent clip, and for every clip without `lstm`).
 */
export function historyReferences(
  items: readonly Pick<DatasetItem, "speaker" | "path" | "label">[],
  vectors: readonly (Float32Array | null)[],
  history: number,
  moods?: number,
  lstm?: readonly ArrayLike<number>[],
): { vectors: (Float32Array | null)[]; leanings: (Float32Array | null)[] } {
  const present = vectors.flatMap((v, i) => (v ? [i] : []));
  const picks = historyPicks(
    present.map((i) => items[i].speaker ?? items[i].path),
    present.map((i) => labelIndex(items[i].label)),
    history,
    seededRandom(HISTORY_SEED),
    moods,
  );
  const kept = present.map((i) => vectors[i]!);
  const logs = lstm ? present.map((i) => logProbabilities(lstm[i])) : null;
  const shifted: (Float32Array | null)[] = vectors.map(() => null);
  const leanings: (Float32Array | null)[] = vectors.map(() => null);
  present.forEach((i, k) => {
    shifted[i] = referenced(kept[k], meanOf(kept, picks[k]));
    if (logs) leanings[i] = meanOf(logs, picks[k]);
  });
  return { vectors: shifted, leanings };
}

function groupRows(speakers: readonly string[]): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  speakers.forEach((s, i) => {
    const list = rows.get(s);
    if (list) list.push(i);
    else rows.set(s, [i]);
  });
  return rows;
}

/** `count` of `items` without repetition (all of them when there are no more). */
function pick<T>(items: readonly T[], count: number, random: Random): T[] {
  const out = [...items];
  const n = Math.min(count, out.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (out.length - i));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.slice(0, n);
}
