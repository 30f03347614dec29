/**
 * Trains the dense member over utterance functionals (`lib/model/functionals_model.ts`).
 * `deno task train-default` runs it for the shipped model; run it alone for other folds.
 *
 * Usage:
 *   deno task train-functionals --ravdess DIR [--tess DIR] --out models/NAME/functionals
 *     [--test-actors LIST --val-actors LIST] [--seeds 1,2,3] [--epochs N] [--units N]
 *     [--l2 X] [--batch N] [--lr X] [--weight W] [--augment K [--augment-noise] [--keep-tempo]]
 *     [--voice [--history K] [--history-moods M] [--history-seed S] [--train-history]]
 *   deno task train-functionals --ravdess DIR [--tess DIR] --folds [--train-val] [--report FILE] [...]
 *   deno task train-functionals --ravdess DIR [--tess DIR] --random N [--split-after-augment]
 *     [--report FILE] [...]
 *   deno task train-functionals --ravdess DIR [--tess DIR] --split-of models/NAME
 *     --out models/NAME/functionals [...]
 *
 * The first form trains one network per seed on every clip but the held-out RAVDESS actors
 * (default test 17–20, validation 15–16; `none` for both trains on every voice), folds the
 * training set's standardisation into each, and saves their average as one tfjs model with
 * `config.json` into `--out`, the `functionals/` folder of the model folder whose LSTMs it is
 * mixed with (`--weight`, default 0.5, is its share of the mix). Put it beside LSTMs trained
 * with the same held-out actors: `deno task eval` refuses a mix whose held-out actors differ.
 *
 * `--folds` instead runs the five folds of RAVDESS actors of `research/sweep.py` (TESS always
 * trains), records every seed's validation and test accuracy every 10 epochs, and writes to
 * `--report` (default `reports/functionals/dense-folds.json`) the accuracies, the epoch count
 * whose seed ensemble has the best mean validation accuracy over the folds, and at that count
 * each fold's test clips with the ensemble's probabilities (for `research/mix_dense.py`). Nothing
 * is saved to `models/`. With `--train-val` each fold's validation actors train too, for exactly
 * `--epochs` (default the shipped count, which the folds' validation chose): sixteen training
 * voices instead of fourteen, nearer the shipped member, which trains on every voice. The test
 * actors stay unheard; the report then has no validation figures and `chosenEpochs` is `--epochs`.
 *
 * `--random N` runs the published random protocol (87.5 / 8.7 / 3.8 % of all clips) N times with
 * split seeds 0…N−1 and writes each draw's test accuracy of the seed ensemble (and of its RAVDESS
 * clips) to `--report` (default `reports/functionals/dense-random.json`). With
 * `--split-after-augment` the rows are split instead of the clips: each clip and each of its
 * `--augment` copies are rows of their own, shuffled and cut as clips otherwise are, as when a
 * notebook augments every clip first and splits after. Most copies of a test row then train (and
 * test rows include copies); it measures what such a split is worth, not the model.
 *
 * `--split-of models/NAME` trains the plain member for a model folder of any protocol (the
 * published random split included): on every clip but the validation and test clips of its
 * `split.json`, which is copied into `--out` so that `deno task eval` can check that the two parts
 * held out the same clips.
 *
 * `--augment K` (default 4, as shipped; 0 for none) adds K copies of every RAVDESS training clip,
 * speed 0.9–1.1 as `train --augment` draws them (seed 17), without noise unless `--augment-noise`,
 * voice shifts with `--keep-tempo`. Copies never enter validation or test.
 *
 * `--voice` trains the voice-referenced member (`lib/model/voice_reference.ts`; put it in the
 * model folder's `functionals-voice/`): every training clip's functionals minus its speaker's mean
 * (each augmented copy minus the mean of its speaker's copies), 130 epochs unless `--epochs`.
 * Validation and test clips are referenced as a person's journal would give it: minus the mean of
 * `--history K` (default 20) other clips of their speaker drawn at random, from clips of
 * `--history-moods M` emotions only if given (a history leaning to a few moods); `--history-seed S`
 * draws them anew (default 0, the draw of the reports in `reports/functionals/`), and a `--folds`
 * report lists each test clip's history (row numbers into its fold's clips), so that
 * `research/mix_dense.py` can reference the LSTMs by the same clips. With `--random`,
 * those K clips come from all of the speaker's other clips, training clips included: in that
 * protocol every voice is known, and its earlier recordings are what trained. `--train-history`
 * references the training clips that way too (each by K other clips of its speaker, each copy by K
 * other copies) instead of by all of them, as a held-out voice is tested; it did not help on the
 * five folds (models/MODEL_CARD.md), so the shipped member does not use it.
 *
 * Functionals are cached in `.cache/functionals` (computed on every core when missing).
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { FUNCTIONAL_COUNT, FUNCTIONALS_VERSION } from "../lib/audio/functionals.ts";
import { failAndExit, intFlag, parseCli, parsedFlag, UsageError } from "../lib/cli/args.ts";
import { ProgressBar } from "../lib/cli/progress.ts";
import { EMOTION_LABELS, labelIndex } from "../lib/data/labels.ts";
import { listRavdess } from "../lib/data/ravdess.ts";
import { listTess } from "../lib/data/tess.ts";
import type { DatasetItem } from "../lib/data/types.ts";
import { ensembleArtifacts } from "../lib/model/ensemble.ts";
import { fileSystemSaveHandler } from "../lib/model/fs_io.ts";
import {
  modelFiles,
  relativeItem,
  type SplitEntry,
  type SplitFile,
} from "../lib/model/model_files.ts";
import { buildFunctionalsNet, type FunctionalsConfig } from "../lib/model/functionals_model.ts";
import {
  type FeatureScaler,
  featureScaler,
  foldedWeights,
  standardiseInPlace,
} from "../lib/model/standardise.ts";
import { denseForward, type DenseWeights, trainDense } from "../lib/train/dense_trainer.ts";
import { loadFunctionals } from "../lib/train/functionals_store.ts";
import { augmentSpecs, DEFAULT_SPEED_RANGE } from "../lib/train/augment.ts";
import { argMax } from "../lib/train/metrics.ts";
import { parseActors, randomSplit, speakerSplit, type Split } from "../lib/train/split.ts";
import {
  DEFAULT_HISTORY,
  DEFAULT_LSTM_REFERENCE,
  DEFAULT_VOICE_MIX,
  minusHistoryMeans,
  minusHistoryMeansWithPicks,
  minusSpeakerMeans,
} from "../lib/model/voice_reference.ts";
import { seededRandom } from "../lib/train/rng.ts";

/** The five folds of `research/sweep.py`: (test actors, validation actors). */
export const FOLDS: readonly [string[], string[]][] = [
  [["17", "18", "19", "20"], ["15", "16"]],
  [["1", "2", "3", "4"], ["5", "6"]],
  [["5", "6", "7", "8"], ["9", "10"]],
  [["9", "10", "11", "12"], ["13", "14"]],
  [["13", "14", "15", "16"], ["17", "18"]],
];

interface Clip {
  item: DatasetItem;
  /** The item's, for `speakerSplit`. */
  speaker: string | null;
  corpus: string;
  x: Float32Array;
  y: number;
  /** Functionals of the clip's augmented copies (RAVDESS clips with `--augment K`). */
  copies: Float32Array[];
  /** A held-out clip's history (`--voice`): the rows of its set whose mean referenced it. */
  history?: number[];
}

/** `--augment K`: K copies of every RAVDESS clip, for training only. */
interface Augmentation {
  copies: number;
  noise: boolean;
  keepTempo: boolean;
}

type Hyper = Pick<
  FunctionalsConfig,
  "units" | "l2" | "epochs" | "batchSize" | "learningRate" | "seeds"
>;

function parseSeeds(text: string): number[] {
  const seeds = text.split(",").map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RangeError(`Expected seeds like "1,2,3", but got "${text}"`);
  }
  return seeds;
}

function parseRate(text: string): number {
  const v = Number(text);
  if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`Expected a number ≥ 0, got "${text}"`);
  return v;
}

function stack(clips: readonly Clip[]): Float32Array {
  const x = new Float32Array(clips.length * FUNCTIONAL_COUNT);
  clips.forEach((c, i) => x.set(c.x, i * FUNCTIONAL_COUNT));
  return x;
}

/** `--voice`: how held-out voices get their reference. */
interface VoiceOptions {
  /** Other clips of the speaker each reference is the mean of. */
  history: number;
  /** Offsets the seed of the held-out clips' history draws (`--history-seed`; 0 as before). */
  historySeed?: number;
  /** Draw them from clips of this many emotions only (a history leaning to a few moods). */
  moods?: number;
  /**
   * Reference training clips as held-out ones are, by `history` other clips of their speaker
   * (each copy by as many other copies), instead of by all of them.
   */
  trainHistory?: boolean;
}

function speakerOf(c: Clip): string {
  return c.speaker ?? c.item.path;
}

/**
 * `split` with voice-referenced functionals: training clips (and their copies) minus their
 * speaker's mean (with `voice.trainHistory`, minus the mean of `voice.history` other clips or
 * copies of their speaker), validation and test clips minus the mean of `voice.history` other clips of
 * their speaker (`lib/model/voice_reference.ts`) in the same set, or among `pool` when given
 * (the random protocol, where a speaker's other clips are mostly training clips).
 */
function voiceSplit(
  split: Split<Clip>,
  voice: VoiceOptions,
  seed: number,
  pool?: readonly Clip[],
): Split<Clip> {
  const random = seededRandom(seed + 10_000 * (voice.historySeed ?? 0));
  const trainRandom = seededRandom(seed + 1000);
  const minusMeans = (vectors: Float32Array[], speakers: string[], labels: number[]) =>
    voice.trainHistory
      ? minusHistoryMeans(vectors, speakers, labels, voice.history, trainRandom)
      : minusSpeakerMeans(vectors, speakers);
  const train = minusMeans(
    split.train.map((c) => c.x),
    split.train.map(speakerOf),
    split.train.map((c) => c.y),
  );
  const copyRows = split.train.flatMap((c) =>
    c.copies.map((x) => ({ x, speaker: speakerOf(c), y: c.y }))
  );
  const copies = minusMeans(
    copyRows.map((r) => r.x),
    copyRows.map((r) => r.speaker),
    copyRows.map((r) => r.y),
  );
  let at = 0;
  const referenced = (set: readonly Clip[]) =>
    minusHistoryMeansWithPicks(
      set.map((c) => c.x),
      set.map(speakerOf),
      set.map((c) => c.y),
      voice.history,
      random,
      voice.moods,
    );
  const fromPool = pool ? referenced(pool).vectors : null;
  const row = new Map(pool?.map((c, i) => [c, i]));
  const held = (set: Clip[]) => {
    if (fromPool) return set.map((c) => ({ ...c, x: fromPool[row.get(c)!], copies: [] }));
    const { vectors, picks } = referenced(set);
    return set.map((c, i) => ({ ...c, x: vectors[i], copies: [], history: picks[i] }));
  };
  return {
    train: split.train.map((c, i) => ({
      ...c,
      x: train[i],
      copies: c.copies.map(() => copies[at++]),
    })),
    val: held(split.val),
    test: held(split.test),
  };
}

/** Trains one network per seed on `train`; calls `onEpoch` with the seed's index. */
function trainSeeds(
  train: readonly Clip[],
  hyper: Hyper,
  onEpoch?: (seedIndex: number, epoch: number, w: DenseWeights, scaler: FeatureScaler) => void,
) {
  const rows = rowsOf(train);
  const x = stack(rows);
  const scaler = featureScaler(x, FUNCTIONAL_COUNT);
  standardiseInPlace(x, scaler);
  const y = rows.map((c) => c.y);
  const weights = hyper.seeds.map((seed, s) =>
    trainDense(x, y, FUNCTIONAL_COUNT, {
      units: hyper.units,
      classes: EMOTION_LABELS.length,
      l2: hyper.l2,
      epochs: hyper.epochs,
      batchSize: hyper.batchSize,
      learningRate: hyper.learningRate,
      seed,
      onEpoch: onEpoch ? (epoch, w) => onEpoch(s, epoch, w, scaler) : undefined,
    })
  );
  return { scaler, weights };
}

/** The functionals of `clips` standardised with `scaler`, row after row. */
function standardised(clips: readonly Clip[], scaler: FeatureScaler): Float32Array {
  const x = stack(clips);
  standardiseInPlace(x, scaler);
  return x;
}

/** The mean of the seeds' probabilities on `rows` standardised rows `x`. */
function ensembleProbabilities(
  weights: readonly DenseWeights[],
  x: Float32Array,
  rows: number,
): Float32Array {
  const mean = new Float32Array(rows * EMOTION_LABELS.length);
  for (const w of weights) {
    denseForward(w, x, rows).forEach((p, i) => mean[i] += p / weights.length);
  }
  return mean;
}

function accuracyOf(probs: Float32Array, clips: readonly Clip[]): number {
  const classes = EMOTION_LABELS.length;
  let right = 0;
  clips.forEach((c, i) => {
    if (argMax(probs.subarray(i * classes, (i + 1) * classes)) === c.y) right++;
  });
  return clips.length ? right / clips.length : NaN;
}

async function loadClips(
  ravdess: string,
  tess: string | undefined,
  augmentation: Augmentation,
): Promise<Clip[]> {
  const items = [
    ...(await listRavdess(ravdess)).items,
    ...(tess === undefined ? [] : (await listTess(tess)).items),
  ];
  if (items.length === 0) {
    throw new UsageError(`no labelled clips under ${ravdess}${tess ? ` and ${tess}` : ""}`);
  }
  // Copies as `train --augment` draws them (seed 17), with noise only when asked.
  const specs = items.map((item, i) =>
    item.corpus !== "ravdess" ? [] : augmentSpecs(
      i,
      augmentation.copies,
      AUGMENT_SEED,
      DEFAULT_SPEED_RANGE,
      augmentation.keepTempo,
    ).map((spec) => (augmentation.noise ? spec : { ...spec, snrDb: null }))
  );
  const jobs = items.flatMap((item, i) => [
    { path: item.path },
    ...specs[i].map((augment) => ({ path: item.path, augment })),
  ]);
  const bar = new ProgressBar({ total: jobs.length, label: "functionals" });
  const vectors = await loadFunctionals(jobs, {
    workers: Math.max(1, navigator.hardwareConcurrency),
    onProgress: (n) => bar.tick(n),
  });
  bar.done();
  const clips: Clip[] = [];
  let at = 0;
  items.forEach((item, i) => {
    const x = vectors[at];
    const copies = vectors.slice(at + 1, at + 1 + specs[i].length).filter((v) => v !== null);
    at += 1 + specs[i].length;
    if (x) {
      clips.push({
        item,
        speaker: item.speaker,
        corpus: item.corpus,
        x,
        y: labelIndex(item.label),
        copies,
      });
    }
  });
  return clips;
}

const EVERY = 10;
/** Seed of the copies' specs, as `export-features` draws them. */
const AUGMENT_SEED = 17;
/**
 * Epochs of the shipped dense member: the count whose three-seed ensemble had the best mean
 * validation accuracy over the five folds (`--folds --epochs 200`, models/MODEL_CARD.md).
 */
export const DEFAULT_EPOCHS = 140;
/**
 * Epochs of the shipped voice-referenced member (`--voice`): the count whose three-seed ensemble
 * had the best mean validation accuracy over the five folds (`--folds --voice --epochs 200`,
 * models/MODEL_CARD.md).
 */
export const DEFAULT_VOICE_EPOCHS = 130;
/**
 * Copies of each RAVDESS training clip for the shipped dense member: four speed-changed copies
 * raised the five folds' mean validation accuracy from 50.2 to 53.2 % (models/MODEL_CARD.md).
 */
export const DEFAULT_AUGMENT = 4;

async function runFolds(
  clips: Clip[],
  hyper: Hyper,
  augment: Augmentation,
  report: string,
  voice: VoiceOptions | null,
  trainVal = false,
) {
  // With the validation actors training, nothing can choose an epoch: only the last is scored.
  const checkpoints = trainVal ? [hyper.epochs] : Array.from(
    { length: Math.floor(hyper.epochs / EVERY) },
    (_, i) => (i + 1) * EVERY,
  );
  const classes = EMOTION_LABELS.length;
  const folds: {
    test: string[];
    val: string[];
    seeds: { seed: number; epoch: number; val: number; test: number }[];
    ensemble: { epoch: number; val: number; test: number }[];
    testSum: Float32Array[];
    testClips: Clip[];
  }[] = [];
  for (const [f, [test, val]] of FOLDS.entries()) {
    const held = speakerSplit(clips, seededRandom(f), test, val);
    const plain = trainVal
      ? { train: [...held.train, ...held.val], val: [], test: held.test }
      : held;
    const split = voice ? voiceSplit(plain, voice, 100 + f) : plain;
    // Per checkpoint epoch: the sum of the seeds' probabilities on validation and test clips.
    const valSum = checkpoints.map(() => new Float32Array(split.val.length * classes));
    const testSum = checkpoints.map(() => new Float32Array(split.test.length * classes));
    const seedRows: { seed: number; epoch: number; val: number; test: number }[] = [];
    const started = performance.now();
    // Standardised once: the scaler is the training set's, the same at every checkpoint.
    let xVal: Float32Array | null = null, xTest: Float32Array | null = null;
    trainSeeds(split.train, hyper, (s, epoch, w, scaler) => {
      const at = checkpoints.indexOf(epoch);
      if (at < 0) return;
      xVal ??= standardised(split.val, scaler);
      xTest ??= standardised(split.test, scaler);
      const pv = denseForward(w, xVal, split.val.length);
      const pt = denseForward(w, xTest, split.test.length);
      pv.forEach((p, i) => valSum[at][i] += p / hyper.seeds.length);
      pt.forEach((p, i) => testSum[at][i] += p / hyper.seeds.length);
      seedRows.push({
        seed: hyper.seeds[s],
        epoch,
        val: accuracyOf(pv, split.val),
        test: accuracyOf(pt, split.test),
      });
    });
    const ensemble = checkpoints.map((epoch, i) => ({
      epoch,
      val: accuracyOf(valSum[i], split.val),
      test: accuracyOf(testSum[i], split.test),
    }));
    console.log(
      `fold ${f} (test ${test.join(",")}): ${
        ((performance.now() - started) / 1000).toFixed(0)
      } s; ensemble test ` +
        ensemble.map((e) => `${e.epoch}: ${(100 * e.test).toFixed(1)}`).join(", "),
    );
    folds.push({ test, val, seeds: seedRows, ensemble, testSum, testClips: split.test });
  }
  const meanVal = checkpoints.map((_, i) =>
    folds.reduce((s, f) => s + f.ensemble[i].val, 0) / folds.length
  );
  const best = trainVal ? 0 : meanVal.indexOf(Math.max(...meanVal));
  let right = 0, total = 0;
  for (const fold of folds) {
    right += Math.round(fold.ensemble[best].test * fold.testClips.length);
    total += fold.testClips.length;
  }
  const out = {
    version: FUNCTIONALS_VERSION,
    hyper,
    augment,
    ...(voice ? { voice } : {}),
    ...(trainVal ? { trainVal } : {}),
    chosenEpochs: checkpoints[best],
    meanValAccuracy: trainVal ? null : Object.fromEntries(
      checkpoints.map((e, i) => [e, Number(meanVal[i].toFixed(4))]),
    ),
    pooledTestAccuracy: Number((right / total).toFixed(4)),
    testClips: total,
    folds: folds.map((fold) => ({
      test: fold.test,
      val: fold.val,
      seeds: fold.seeds,
      ensemble: fold.ensemble,
      clips: fold.testClips.map((c, i) => ({
        path: c.item.path,
        label: c.y,
        ...(c.history ? { history: c.history } : {}),
        probs: Array.from(
          fold.testSum[best].subarray(i * classes, (i + 1) * classes),
          (p) => Number(p.toFixed(6)),
        ),
      })),
    })),
  };
  await Deno.mkdir(join(report, ".."), { recursive: true });
  await Deno.writeTextFile(report, JSON.stringify(out) + "\n");
  console.log(
    (trainVal
      ? `validation actors trained too, ${checkpoints[best]} epochs; pooled test accuracy `
      : `chosen by mean validation accuracy: ${checkpoints[best]} epochs; pooled test accuracy `) +
      `${(100 * out.pooledTestAccuracy).toFixed(1)} % over ${total} clips → ${report}`,
  );
}

/**
 * The published random protocol, `draws` times (split seeds 0, 1, …): the seed ensemble's test
 * accuracy on each draw's 3.8 % (and on its RAVDESS clips), written to `report`.
 */
async function runRandom(
  clips: Clip[],
  hyper: Hyper,
  augment: Augmentation,
  draws: number,
  report: string,
  voice: VoiceOptions | null,
  afterAugment = false,
) {
  const classes = EMOTION_LABELS.length;
  const rows = [];
  for (let d = 0; d < draws; d++) {
    const plain = randomSplit(afterAugment ? rowsOf(clips) : clips, seededRandom(d));
    const split = voice ? voiceSplit(plain, voice, 200 + d, clips) : plain;
    const { scaler, weights } = trainSeeds(split.train, hyper);
    const sum = ensembleProbabilities(
      weights,
      standardised(split.test, scaler),
      split.test.length,
    );
    const ravdess = split.test.flatMap((c, i) => (c.corpus === "ravdess" ? [i] : []));
    let ravdessRight = 0;
    for (const i of ravdess) {
      if (argMax(sum.subarray(i * classes, (i + 1) * classes)) === split.test[i].y) ravdessRight++;
    }
    const row = {
      draw: d,
      testClips: split.test.length,
      trainRows: split.train.reduce((n, c) => n + 1 + c.copies.length, 0),
      accuracy: Number(accuracyOf(sum, split.test).toFixed(4)),
      ravdessClips: ravdess.length,
      ravdessAccuracy: Number((ravdessRight / ravdess.length).toFixed(4)),
    };
    console.log(
      `draw ${d}: ${(100 * row.accuracy).toFixed(1)} % of ${row.testClips} ` +
        `(RAVDESS ${(100 * row.ravdessAccuracy).toFixed(1)} % of ${row.ravdessClips})`,
    );
    rows.push(row);
  }
  const mean = rows.reduce((a, r) => a + r.accuracy, 0) / rows.length;
  await Deno.mkdir(join(report, ".."), { recursive: true });
  await Deno.writeTextFile(
    report,
    JSON.stringify(
      {
        version: FUNCTIONALS_VERSION,
        hyper,
        augment,
        ...(voice ? { voice } : {}),
        ...(afterAugment ? { splitAfterAugment: true } : {}),
        meanAccuracy: Number(mean.toFixed(4)),
        draws: rows,
      },
      null,
      1,
    ) + "\n",
  );
  console.log(
    `mean test accuracy over ${draws} random splits: ${(100 * mean).toFixed(1)} % → ${report}`,
  );
}

/**
 * Every clip and every copy of it as rows of their own: what a network trains on, and with
 * `--split-after-augment` what is split, as a notebook that augments first and splits after
 * does (copies of a test clip then mostly train).
 */
function rowsOf(clips: readonly Clip[]): Clip[] {
  return clips.flatMap((c) => [
    { ...c, copies: [] },
    ...c.copies.map((x) => ({ ...c, x, copies: [] })),
  ]);
}

/** The `split.json` of the model folder `dir` (`--split-of`). */
async function readSplitOf(dir: string): Promise<SplitFile> {
  try {
    return JSON.parse(await Deno.readTextFile(modelFiles(dir).split));
  } catch (err) {
    throw new UsageError(
      `--split-of ${dir}: ${
        err instanceof Deno.errors.NotFound ? "no split.json there" : (err as Error).message
      }`,
    );
  }
}

/**
 * `clips` split as the model folder `dir`'s `split.json` (`file`) holds its validation and test
 * clips out; every other clip trains.
 */
function splitOf(
  dir: string,
  file: SplitFile,
  clips: Clip[],
  roots: Record<string, string>,
): Split<Clip> {
  const keyOf = (e: SplitEntry) => `${e.corpus}/${e.path}`;
  const relative = relativeItem(roots);
  const byKey = new Map(clips.map((c) => [keyOf(relative(c.item)), c]));
  const held = (entries: readonly SplitEntry[]) => {
    const missing = entries.filter((e) => !byKey.has(keyOf(e)));
    if (missing.length > 0) {
      throw new UsageError(
        `--split-of ${dir}: ${missing.length} of its held-out clips are not among the clips read ` +
          `(first: ${keyOf(missing[0])}); give the corpora it was trained on`,
      );
    }
    return entries.map((e) => byKey.get(keyOf(e))!);
  };
  const val = held(file.val);
  const test = held(file.test);
  const out = new Set([...val, ...test]);
  return { train: clips.filter((c) => !out.has(c)), val, test };
}

async function trainAndSave(
  plain: Split<Clip>,
  hyper: Hyper,
  heldOut: { test: string[]; val: string[] },
  out: string,
  weight: number,
  augmentation: Augmentation,
  voice: VoiceOptions | null,
  splitOfDir?: { dir: string; file: SplitFile },
) {
  const { test, val } = heldOut;
  const split = voice ? voiceSplit(plain, voice, 100) : plain;
  const started = performance.now();
  const { scaler, weights } = trainSeeds(split.train, hyper);
  const seconds = (performance.now() - started) / 1000;
  const members: tf.io.ModelArtifacts[] = [];
  for (const [s, w] of weights.entries()) {
    const net = buildFunctionalsNet({
      units: hyper.units,
      l2: hyper.l2,
      seed: hyper.seeds[s],
      classes: EMOTION_LABELS.length,
    });
    net.setWeights([
      tf.tensor2d(w.kernel1, [w.inputs, w.units]),
      tf.tensor1d(w.bias1),
      tf.tensor2d(w.kernel2, [w.units, w.classes]),
      tf.tensor1d(w.bias2),
    ]);
    const folded = foldedWeights(net, scaler);
    net.setWeights(folded);
    tf.dispose(folded);
    let saved: tf.io.ModelArtifacts | undefined;
    await net.save(tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
      });
    }));
    members.push(saved!);
    net.dispose();
  }
  const artifacts = members.length === 1 ? members[0] : ensembleArtifacts(members, "functionals");
  await Deno.mkdir(out, { recursive: true });
  await fileSystemSaveHandler(out).save!(artifacts);
  const config: FunctionalsConfig = {
    version: FUNCTIONALS_VERSION,
    labels: [...EMOTION_LABELS],
    units: hyper.units,
    l2: hyper.l2,
    epochs: hyper.epochs,
    batchSize: hyper.batchSize,
    learningRate: hyper.learningRate,
    seeds: hyper.seeds,
    weight,
    heldOutActors: { test, val },
    trainClips: split.train.length,
    ...(augmentation.copies > 0 ? { augment: augmentation } : {}),
    ...(splitOfDir ? { splitOf: splitOfDir.dir } : {}),
    ...(voice
      ? {
        reference: "speaker-mean" as const,
        lstmReference: DEFAULT_LSTM_REFERENCE,
        mix: DEFAULT_VOICE_MIX,
      }
      : {}),
  };
  await Deno.writeTextFile(join(out, "config.json"), JSON.stringify(config, null, 2) + "\n");
  const splitPath = join(out, "split.json");
  if (splitOfDir) {
    await Deno.writeTextFile(splitPath, JSON.stringify(splitOfDir.file) + "\n");
  } else {
    await Deno.remove(splitPath).catch(() => {});
  }
  const ens = (set: Clip[]) =>
    set.length === 0
      ? null
      : accuracyOf(ensembleProbabilities(weights, standardised(set, scaler), set.length), set);
  const pct = (v: number | null) => (v === null ? "—" : `${(100 * v).toFixed(1)} %`);
  console.log(
    `trained ${weights.length} networks on ${split.train.length} clips in ${
      seconds.toFixed(0)
    } s; ` +
      `validation ${pct(ens(split.val))}, test ${pct(ens(split.test))} (dense member alone${
        voice ? `, held-out voices referenced by ${voice.history} other clips` : ""
      }) → ${out}`,
  );
}

async function main(argv: string[]) {
  const { values } = parseCli(argv, {
    ravdess: { type: "string" },
    tess: { type: "string" },
    out: { type: "string" },
    folds: { type: "boolean", default: false },
    report: { type: "string" },
    "test-actors": { type: "string" },
    "val-actors": { type: "string" },
    seeds: { type: "string" },
    epochs: { type: "string" },
    units: { type: "string" },
    l2: { type: "string" },
    batch: { type: "string" },
    lr: { type: "string" },
    weight: { type: "string" },
    augment: { type: "string" },
    "augment-noise": { type: "boolean", default: false },
    "keep-tempo": { type: "boolean", default: false },
    random: { type: "string" },
    "split-of": { type: "string" },
    voice: { type: "boolean", default: false },
    "train-val": { type: "boolean", default: false },
    "train-history": { type: "boolean", default: false },
    history: { type: "string" },
    "history-moods": { type: "string" },
    "history-seed": { type: "string" },
    "split-after-augment": { type: "boolean", default: false },
  });
  if (!values.ravdess) throw new UsageError("Give --ravdess DIR (and --tess DIR)");
  if (!values.folds && values.random === undefined && !values.out) {
    throw new UsageError("Give --out models/NAME/functionals, --folds or --random N");
  }
  const hyper: Hyper = {
    units: intFlag("units", values.units, 256),
    l2: parsedFlag("l2", values.l2, parseRate, 2.5e-5),
    epochs: intFlag("epochs", values.epochs, values.voice ? DEFAULT_VOICE_EPOCHS : DEFAULT_EPOCHS),
    batchSize: intFlag("batch", values.batch, 200),
    learningRate: parsedFlag("lr", values.lr, parseRate, 1e-3),
    seeds: parsedFlag("seeds", values.seeds, parseSeeds, [1, 2, 3]),
  };
  if (hyper.units < 1 || hyper.epochs < 1 || hyper.batchSize < 1) {
    throw new UsageError("Expected --units, --epochs and --batch of at least 1");
  }
  const weight = parsedFlag("weight", values.weight, parseRate, 0.5);
  if (weight > 1) throw new UsageError(`Expected --weight between 0 and 1, but got ${weight}`);
  const augmentation: Augmentation = {
    copies: intFlag("augment", values.augment, DEFAULT_AUGMENT),
    noise: values["augment-noise"],
    keepTempo: values["keep-tempo"],
  };
  const voice: VoiceOptions | null = values.voice
    ? {
      history: intFlag("history", values.history, DEFAULT_HISTORY),
      ...(values["history-moods"] === undefined
        ? {}
        : { moods: intFlag("history-moods", values["history-moods"], 3) }),
      ...(values["train-history"] ? { trainHistory: true } : {}),
      ...(values["history-seed"] === undefined
        ? {}
        : { historySeed: intFlag("history-seed", values["history-seed"], 0) }),
    }
    : null;
  if (voice && (voice.history < 1 || (voice.moods !== undefined && voice.moods < 1))) {
    throw new UsageError("Expected --history and --history-moods of at least 1");
  }
  if (
    !voice &&
    (values.history !== undefined || values["history-moods"] !== undefined ||
      values["train-history"] || values["history-seed"] !== undefined)
  ) {
    throw new UsageError(
      "--history, --history-moods, --history-seed and --train-history need --voice",
    );
  }
  if (values["train-val"] && !values.folds) throw new UsageError("--train-val needs --folds");
  const splitDir = values["split-of"];
  if (
    splitDir !== undefined &&
    (values.folds || values.random !== undefined || values["test-actors"] !== undefined ||
      values["val-actors"] !== undefined || voice)
  ) {
    throw new UsageError(
      "--split-of trains the plain member on a model folder's split: leave out --folds, " +
        "--random, --test-actors, --val-actors and --voice",
    );
  }
  if (values["train-history"] && !values.folds && values.random === undefined) {
    throw new UsageError("--train-history is a study: use it with --folds or --random");
  }
  const afterAugment = values["split-after-augment"];
  if (afterAugment && (values.random === undefined || voice)) {
    throw new UsageError(
      "--split-after-augment is a study of the plain member on the random split: use it with " +
        "--random, without --voice",
    );
  }
  if (afterAugment && augmentation.copies < 1) {
    throw new UsageError("--split-after-augment needs copies: --augment of at least 1");
  }
  const splitOfDir = splitDir === undefined
    ? null
    : { dir: splitDir, file: await readSplitOf(splitDir) };
  const clips = await loadClips(values.ravdess, values.tess, augmentation);
  if (values.folds) {
    await runFolds(
      clips,
      hyper,
      augmentation,
      values.report ?? "reports/functionals/dense-folds.json",
      voice,
      values["train-val"],
    );
  } else if (values.random !== undefined) {
    const draws = intFlag("random", values.random, 10);
    if (draws < 1) throw new UsageError("Expected --random to be at least 1");
    await runRandom(
      clips,
      hyper,
      augmentation,
      draws,
      values.report ?? "reports/functionals/dense-random.json",
      voice,
      afterAugment,
    );
  } else if (splitOfDir) {
    const roots = { ravdess: values.ravdess, ...(values.tess ? { tess: values.tess } : {}) };
    await trainAndSave(
      splitOf(splitOfDir.dir, splitOfDir.file, clips, roots),
      hyper,
      { test: [], val: [] },
      values.out!,
      weight,
      augmentation,
      null,
      splitOfDir,
    );
  } else {
    const test = parsedFlag("test-actors", values["test-actors"], parseActors, [
      "17",
      "18",
      "19",
      "20",
    ]);
    const val = parsedFlag("val-actors", values["val-actors"], parseActors, ["15", "16"]);
    const plain = speakerSplit(clips, seededRandom(0), test, val);
    await trainAndSave(plain, hyper, { test, val }, values.out!, weight, augmentation, voice);
  }
}

if (import.meta.main) {
  await main(Deno.args).catch((err) => failAndExit("train-functionals", err));
}
