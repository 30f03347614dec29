/**
 * Trains an emotion model on RAVDESS + TESS.
 *
 * Usage:
 *   deno task train --ravdess DIR --tess DIR [--arch lstm|bilstm|lstm-pool]
 *     [--split random|speakers] [--epochs N] [--batch N] [--seed S] [--lr X]
 *     [--normalise none|utterance|speaker] [--deltas 0|1|2]
 *     [--augment K [--augment-corpus C] [--speed SLOW-FAST] [--keep-tempo]]
 *     [--units N] [--dropout R [--dropout-masks fixed|fresh]] [--mask] [--standardise] [--pitch] [--mfcc N] [--mixup A]
 *     [--lr-schedule constant|cosine] [--test-actors LIST --val-actors LIST]
 *     [--teacher models/NAME [--teacher-weight W]] [--average-from E]
 *     [--out models/NAME] [--resume]
 *
 * Features come from the cache in `.cache/features` (computed on every core when
 * missing). `--augment K` adds K augmented copies of every training clip (speed 0.9–1.1, or
 * `--speed`'s range such as `0.8-1.25`; noise at 5–20 dB SNR; see `lib/train/augment.ts`;
 * `--keep-tempo` makes every copy a voice shift: pitch and formants moved, tempo kept), or
 * only of one corpus's clips with `--augment-corpus ravdess` (which also evens out RAVDESS's
 * 14 training actors against TESS's 2800 clips). `--units N` gives every LSTM layer N units
 * instead of the published 64 (the model card has what 32-unit networks scored).
 * `--dropout R` sets the dropout rate: Dropout layers after both LSTMs of `lstm` or both
 * BiLSTMs of `bilstm` (default 0, none) or the rate of `lstm-pool`
 * (default 0.3). `--dropout-masks fresh` draws a new dropout mask at every training step;
 * the default, `fixed`, is tfjs's seeded Dropout, which reuses one mask at every step (the
 * shipped networks were trained so; `lib/model/fused_dropout.ts`). `--mask` replaces two
 * stretches of up to 10 frames and a band of up to 2 features of every training clip in every
 * batch by the clip's means (`lib/train/mask.ts`). `--normalise speaker` standardises
 * features with each speaker's voiced-frame statistics (`lib/model/input.ts`):
 * training speakers' from their original training clips (augmented copies use their source
 * speaker's), validation speakers' from their own clips. `--teacher models/NAME` distils a
 * trained model (typically an ensemble, `deno task ensemble`) into this one: every training
 * clip's target becomes `(1 − W) × its one-hot label + W × the teacher's probabilities`
 * (`--teacher-weight W`, default 0.5). The teacher must have this run's input transform and
 * validation and test clips, so it never trained on them. `--average-from E` also writes
 * `models/NAME-avg`: the mean of the weights after epochs E to the last (weight averaging),
 * with its validation accuracy in its `config.json` (`averagedFrom`); not with `--resume`.
 * `--pitch` adds pitch and periodicity columns (`lib/audio/pitch.ts`); `--mfcc N` keeps N MFCCs
 * per frame instead of the recipe's 13 (the first 13 are the recipe's). `--mixup A` blends every
 * training batch with a permutation of itself, λ ~ Beta(A, A) (`lib/train/mixup.ts`).
 * `--lr-schedule cosine` lowers the learning rate from `--lr` along half a cosine over the
 * `--epochs` (default `constant`, as published). `--test-actors 1-4 --val-actors 5-6` (with
 * `--split speakers`) holds out other RAVDESS actors than 17–20 and 15–16: one fold of a speaker
 * cross-validation; `config.json` records them (`heldOutActors`). `--test-actors none
 * --val-actors none` holds out nobody: every voice trains, no epoch can be chosen by validation,
 * and the last epoch is kept (how the shipped networks are trained). After every epoch a
 * checkpoint goes to `.cache/checkpoints/NAME` (`--resume` continues from it, also to more
 * `--epochs` than first asked for) and, when validation accuracy improved, the model is written to
 * `--out` with `labels.json`, `config.json`, `history.json` and `split.json` (the
 * validation and test clips, for `deno task eval`).
 */
import * as tf from "@tensorflow/tfjs";
import {
  frameCount,
  MAX_MFCC,
  MODEL_INPUT_SAMPLES,
  N_MFCC,
  PIPELINE_VERSION,
} from "../lib/audio/constants.ts";
import { failAndExit, intFlag, parseCli, parsedFlag, UsageError } from "../lib/cli/args.ts";
import { ProgressBar } from "../lib/cli/progress.ts";
import { FeatureStore } from "../lib/data/feature_store.ts";
import { EMOTION_LABELS } from "../lib/data/labels.ts";
import { listRavdess } from "../lib/data/ravdess.ts";
import { listTess } from "../lib/data/tess.ts";
import type { DatasetItem } from "../lib/data/types.ts";
import { type Architecture, ARCHITECTURES, buildModel } from "../lib/model/architectures.ts";
import { fileSystemSaveHandler } from "../lib/model/fs_io.ts";
import type { InputConfig } from "../lib/model/input.ts";
import {
  type FeatureScaler,
  featureScaler,
  foldedWeights,
  standardiseInPlace,
} from "../lib/model/standardise.ts";
import {
  checkpointDirOf,
  loadCheckpoint,
  modelName,
  saveCheckpoint,
} from "../lib/train/checkpoint.ts";
import { augmentSpecs, parseSpeedRange } from "../lib/train/augment.ts";
import {
  distillationTargets,
  type FeatureJob,
  fillFeatureCache,
  loadFeatures,
  speakerStatsBy,
  toArraySet,
} from "../lib/train/dataset.ts";
import { DEFAULT_MASK, maskBatch } from "../lib/train/mask.ts";
import { seededRandom } from "../lib/train/rng.ts";
import {
  assertApart,
  type HeldOutActors,
  parseActors,
  type Protocol,
  splitBy,
} from "../lib/train/split.ts";
import {
  cosineLearningRate,
  type EpochRecord,
  fit,
  lossAndAccuracy,
  predictAll,
} from "../lib/train/trainer.ts";
import { argMax } from "../lib/train/metrics.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import {
  heldOutDifference,
  type ModelConfig,
  modelFiles,
  relativeItem,
  type SplitEntry,
  type SplitFile,
} from "../lib/model/model_files.ts";

async function main(argv: string[]) {
  const { values } = parseCli(argv, {
    ravdess: { type: "string" },
    tess: { type: "string" },
    arch: { type: "string", default: "lstm" },
    split: { type: "string", default: "random" },
    epochs: { type: "string" },
    batch: { type: "string" },
    seed: { type: "string" },
    lr: { type: "string" },
    normalise: { type: "string", default: "none" },
    deltas: { type: "string", default: "0" },
    out: { type: "string" },
    resume: { type: "boolean", default: false },
    workers: { type: "string" },
    augment: { type: "string", default: "0" },
    "augment-corpus": { type: "string" },
    speed: { type: "string" },
    "keep-tempo": { type: "boolean", default: false },
    dropout: { type: "string" },
    "dropout-masks": { type: "string" },
    units: { type: "string" },
    teacher: { type: "string" },
    "teacher-weight": { type: "string" },
    "average-from": { type: "string" },
    mask: { type: "boolean", default: false },
    standardise: { type: "boolean", default: false },
    pitch: { type: "boolean", default: false },
    mfcc: { type: "string" },
    mixup: { type: "string" },
    "lr-schedule": { type: "string", default: "constant" },
    "test-actors": { type: "string" },
    "val-actors": { type: "string" },
  });
  if (!values.ravdess && !values.tess) throw new UsageError("Give --ravdess DIR and/or --tess DIR");
  if (!(ARCHITECTURES as readonly string[]).includes(values.arch!)) {
    throw new UsageError(`Expected --arch ${ARCHITECTURES.join("|")}, but got "${values.arch}"`);
  }
  if (values.split !== "random" && values.split !== "speakers") {
    throw new UsageError(`Expected --split random|speakers, but got "${values.split}"`);
  }
  if (!["none", "utterance", "speaker"].includes(values.normalise!)) {
    throw new UsageError(
      `Expected --normalise none|utterance|speaker, but got "${values.normalise}"`,
    );
  }
  const deltas = intFlag("deltas", values.deltas, 0);
  if (deltas > 2) throw new UsageError(`Expected --deltas 0, 1 or 2, but got ${deltas}`);
  const architecture = values.arch as Architecture;
  const protocol = values.split as Protocol;
  const epochs = intFlag("epochs", values.epochs, 50);
  const batchSize = intFlag("batch", values.batch, 32);
  const seed = intFlag("seed", values.seed, 1);
  const learningRate = values.lr === undefined ? 0.001 : Number(values.lr);
  if (!(learningRate > 0)) throw new UsageError(`Expected --lr > 0, but got "${values.lr}"`);
  const units = values.units === undefined ? undefined : intFlag("units", values.units, 64);
  if (units !== undefined && !(units >= 1 && units <= 512)) {
    throw new UsageError(`Expected --units from 1 to 512, but got ${units}`);
  }
  const copies = intFlag("augment", values.augment, 0);
  const augmentCorpus = values["augment-corpus"];
  const speeds = parsedFlag("speed", values.speed, parseSpeedRange, undefined);
  const keepTempo = values["keep-tempo"];
  if ((speeds || keepTempo) && copies === 0) {
    throw new UsageError(`--${speeds ? "speed" : "keep-tempo"} needs --augment K`);
  }
  const dropout = values.dropout === undefined ? undefined : Number(values.dropout);
  if (dropout !== undefined && !(dropout >= 0 && dropout < 1)) {
    throw new UsageError(`Expected --dropout in [0, 1), but got "${values.dropout}"`);
  }
  const dropoutMasks = values["dropout-masks"];
  if (dropoutMasks !== undefined && dropoutMasks !== "fixed" && dropoutMasks !== "fresh") {
    throw new UsageError(`Expected --dropout-masks fixed|fresh, but got "${dropoutMasks}"`);
  }
  if (dropoutMasks !== undefined && !(dropout! > 0) && architecture !== "lstm-pool") {
    throw new UsageError("--dropout-masks needs --dropout R with R > 0");
  }
  const teacherWeight = values["teacher-weight"] === undefined
    ? 0.5
    : Number(values["teacher-weight"]);
  if (values["teacher-weight"] !== undefined && !values.teacher) {
    throw new UsageError("--teacher-weight needs --teacher models/NAME");
  }
  if (!(teacherWeight >= 0 && teacherWeight <= 1)) {
    throw new UsageError(
      `Expected --teacher-weight in [0, 1], but got "${values["teacher-weight"]}"`,
    );
  }
  const nMfcc = intFlag("mfcc", values.mfcc, N_MFCC);
  if (nMfcc < 1 || nMfcc > MAX_MFCC) {
    throw new UsageError(`Expected --mfcc from 1 to ${MAX_MFCC}, but got ${nMfcc}`);
  }
  const featureSet: Pick<InputConfig, "mfcc" | "pitch"> = {
    ...(nMfcc !== N_MFCC ? { mfcc: nMfcc } : {}),
    ...(values.pitch ? { pitch: true as const } : {}),
  };
  const mixup = values.mixup === undefined ? undefined : Number(values.mixup);
  if (mixup !== undefined && !(mixup > 0 && mixup <= 10)) {
    throw new UsageError(`Expected --mixup in (0, 10], but got "${values.mixup}"`);
  }
  if (values["lr-schedule"] !== "constant" && values["lr-schedule"] !== "cosine") {
    throw new UsageError(
      `Expected --lr-schedule constant|cosine, but got "${values["lr-schedule"]}"`,
    );
  }
  const cosine = values["lr-schedule"] === "cosine";
  const heldOutActors = actorFlags(values["test-actors"], values["val-actors"], values.split!);
  const averageFrom = values["average-from"] === undefined
    ? undefined
    : intFlag("average-from", values["average-from"], 1);
  if (values.standardise && values.normalise !== "none") {
    throw new UsageError("--standardise works on raw features: leave out --normalise");
  }
  if (averageFrom !== undefined && heldOutActors?.val.length === 0) {
    throw new UsageError("--average-from needs validation actors to score the average");
  }
  if (averageFrom !== undefined && values.resume) {
    throw new UsageError("--average-from cannot be resumed: run it from the start");
  }
  const out = values.out ?? `models/${architecture}-${protocol}`;
  const name = modelName(out);
  const checkpointDir = checkpointDirOf(out);

  const items: DatasetItem[] = [];
  const roots: Record<string, string> = {};
  for (
    const [corpus, dir, list] of [
      ["ravdess", values.ravdess, listRavdess],
      ["tess", values.tess, listTess],
    ] as const
  ) {
    if (!dir) continue;
    const listing = await list(dir);
    for (const p of listing.problems) console.error(`skipped ${p.path}: ${p.reason}`);
    if (listing.items.length === 0) throw new Error(`no ${corpus} clips found under ${dir}`);
    items.push(...listing.items);
    roots[corpus] = dir;
  }
  items.sort((a, b) => a.path < b.path ? -1 : 1);
  const split = splitBy(protocol, items, seededRandom(seed), heldOutActors);
  console.error(
    `${items.length} clips: ${split.train.length} train, ${split.val.length} validation, ${split.test.length} test (${protocol} split)`,
  );

  const augmented = split.train.flatMap((item, i) =>
    augmentCorpus && item.corpus !== augmentCorpus
      ? []
      : augmentSpecs(i, copies, seed, speeds, keepTempo).map((augment) => ({ item, augment }))
  );
  const trainJobs: FeatureJob[] = [
    ...split.train,
    ...augmented.map(({ item, augment }) => ({ path: item.path, augment })),
  ];
  const trainItems = [...split.train, ...augmented.map(({ item }) => item)];
  const store = new FeatureStore(featureSet);
  const allJobs = [...trainJobs, ...split.val, ...split.test];
  const workers = intFlag("workers", values.workers, navigator.hardwareConcurrency);
  const featureBar = new ProgressBar({ label: "features", total: allJobs.length });
  await fillFeatureCache(allJobs, {
    workers,
    features: featureSet,
    onProgress: (n) => featureBar.tick(n),
  });
  featureBar.done();
  const input: InputConfig = {
    pipelineVersion: PIPELINE_VERSION,
    frames: frameCount(MODEL_INPUT_SAMPLES),
    normalisation: values.normalise as InputConfig["normalisation"],
    deltas: deltas as InputConfig["deltas"],
    ...featureSet,
  };
  const trainFeatures = await loadFeatures(trainJobs, store);
  const valFeatures = await loadFeatures(split.val, store);
  // Speaker statistics: training speakers' from their original (un-augmented) training clips,
  // which augmented copies share; validation speakers' from their own clips (no labels used).
  // Each set has its own statistics, so under the random split a speaker's validation clips
  // are normalised by those clips alone, like a held-out speaker's.
  const bySpeaker = input.normalisation === "speaker";
  const trainSpeakers = bySpeaker
    ? speakerStatsBy(split.train, trainFeatures.slice(0, split.train.length))
    : undefined;
  const valSpeakers = bySpeaker ? speakerStatsBy(split.val, valFeatures) : undefined;
  if (bySpeaker) {
    console.error(
      `speaker statistics: ${trainSpeakers!.size} training, ${
        valSpeakers!.size
      } validation speakers`,
    );
  }
  const trainSet = toArraySet(trainItems, trainFeatures, input, trainSpeakers);
  const valSet = toArraySet(split.val, valFeatures, input, valSpeakers);
  const teacher = values.teacher
    ? await loadTeacher(values.teacher, input, {
      val: split.val.map(relativeItem(roots)),
      test: split.test.map(relativeItem(roots)),
    })
    : null;
  if (teacher) {
    const probs = predictAll(teacher.model, trainSet);
    trainSet.targets = distillationTargets(
      trainSet.y,
      probs,
      EMOTION_LABELS.length,
      teacherWeight,
    );
    const agree = trainSet.y.filter((label, i) =>
      argMax(probs.subarray(i * EMOTION_LABELS.length, (i + 1) * EMOTION_LABELS.length)) === label
    ).length;
    console.error(
      `teacher ${teacher.name}: agrees with ${agree} of ${trainSet.count} training labels, weight ${teacherWeight}`,
    );
  }

  // Standardisation is fitted on the training rows (augmented copies included) and applied to
  // training and validation inputs after the teacher, which reads raw features, has seen them.
  const scaler = values.standardise ? featureScaler(trainSet.x, trainSet.width) : undefined;
  if (scaler) {
    standardiseInPlace(trainSet.x, scaler);
    standardiseInPlace(valSet.x, scaler);
  }

  const settings = {
    architecture,
    protocol,
    seed,
    batchSize,
    learningRate,
    input,
    copies,
    augmentCorpus,
    // Left out of the JSON when not given, so checkpoints of runs without the flag still resume.
    dropout,
    dropoutMasks: dropoutMasks === "fresh" ? "fresh" as const : undefined,
    teacher: teacher ? { name: teacher.name, weight: teacherWeight } : undefined,
    mask: values.mask ? DEFAULT_MASK : undefined,
    standardise: scaler ? true : undefined,
    mixup,
    learningRateSchedule: cosine ? "cosine" as const : undefined,
    heldOutActors,
    units,
    speeds,
    keepTempo: keepTempo || undefined,
  };
  const model = buildModel({
    architecture,
    frames: input.frames,
    width: trainSet.width,
    classes: EMOTION_LABELS.length,
    seed,
    learningRate,
    units,
    dropout,
    dropoutMasks: settings.dropoutMasks,
  });
  let resumed = null;
  if (values.resume) {
    resumed = await loadCheckpoint(checkpointDir, model);
    if (resumed && JSON.stringify(resumed.settings) !== JSON.stringify(settings)) {
      throw new UsageError(`the checkpoint in ${checkpointDir} was made with other settings`);
    }
    if (resumed) console.error(`resuming after epoch ${resumed.history.length}`);
  }

  const config: ModelConfig = {
    name,
    architecture,
    labels: [...EMOTION_LABELS],
    input,
    protocol,
    seed,
    batchSize,
    learningRate,
    epochs,
    bestEpoch: 0,
    counts: { train: split.train.length, val: split.val.length, test: split.test.length },
    augmentCopies: copies,
    augmentCorpus,
    augmentSpeeds: speeds,
    augmentKeepTempo: keepTempo || undefined,
    units,
    dropout,
    dropoutMasks: settings.dropoutMasks,
    teacher: settings.teacher,
    mask: settings.mask,
    standardisedWith: scaler,
    mixup,
    learningRateSchedule: settings.learningRateSchedule,
    heldOutActors,
  };
  const files = modelFiles(out);
  await Deno.mkdir(out, { recursive: true });
  await Deno.writeTextFile(
    files.split,
    JSON.stringify({
      roots: Object.keys(roots),
      val: split.val.map(relativeItem(roots)),
      test: split.test.map(relativeItem(roots)),
    }),
  );

  let bar: ProgressBar | null = null;
  const result = await fit(model, trainSet, valSet, {
    epochs,
    batchSize,
    seed,
    classes: EMOTION_LABELS.length,
    history: resumed?.history,
    best: resumed?.best,
    averageFrom,
    mixup,
    learningRate: cosine ? (epoch) => cosineLearningRate(learningRate, epoch, epochs) : undefined,
    augment: settings.mask
      ? (x, n, random) => maskBatch(x, n, trainSet.frames, trainSet.width, random, settings.mask)
      : undefined,
    onBatch({ epoch, batch, batches, loss, accuracy }) {
      if (batch === 1) bar = new ProgressBar({ label: `epoch ${epoch}`, total: batches });
      bar!.tick(1, { loss, acc: accuracy });
    },
    async onEpoch(record, improved, { history, best }) {
      bar?.done();
      console.error(
        `epoch ${record.epoch}/${epochs}  loss ${record.loss.toFixed(4)}  acc ${
          record.accuracy.toFixed(4)
        }  ${validationText(record)}  ${record.seconds.toFixed(1)}s${
          improved ? (record.valAccuracy === null ? "  (saved)" : "  (best, saved)") : ""
        }`,
      );
      if (improved) {
        config.bestEpoch = record.epoch;
        await saveModel(model, out, scaler);
        await Deno.writeTextFile(files.labels, JSON.stringify(EMOTION_LABELS) + "\n");
        await Deno.writeTextFile(files.config, JSON.stringify(config, null, 2) + "\n");
      }
      await Deno.writeTextFile(files.history, JSON.stringify(history, null, 2) + "\n");
      await saveCheckpoint(checkpointDir, model, { settings, history, best });
    },
  });
  if (result.average) {
    const best = model.getWeights().map((w) => w.clone());
    model.setWeights(result.average.weights);
    const v = lossAndAccuracy(predictAll(model, valSet), valSet, EMOTION_LABELS.length);
    const averaged = `${out.replace(/\/+$/, "")}-avg`;
    const averagedFiles = modelFiles(averaged);
    await saveModel(model, averaged, scaler);
    await Deno.writeTextFile(averagedFiles.labels, JSON.stringify(EMOTION_LABELS) + "\n");
    await Deno.writeTextFile(
      averagedFiles.config,
      JSON.stringify(
        {
          ...config,
          name: `${name}-avg`,
          bestEpoch: result.history.length,
          averagedFrom: {
            epoch: averageFrom,
            epochs: result.average.epochs,
            valAccuracy: v.accuracy,
          },
        },
        null,
        2,
      ) + "\n",
    );
    await Deno.copyFile(files.history, averagedFiles.history);
    await Deno.copyFile(files.split, averagedFiles.split);
    console.error(
      `weights averaged over ${result.average.epochs} epochs: val_loss ${
        v.loss.toFixed(4)
      }  val_acc ${v.accuracy.toFixed(4)}  (${averaged})`,
    );
    model.setWeights(best);
    tf.dispose([...best, ...result.average.weights]);
  }
  const bestRecord = result.history.find((r) => r.epoch === result.bestEpoch);
  console.log(JSON.stringify({
    model: out,
    bestEpoch: result.bestEpoch,
    valAccuracy: bestRecord?.valAccuracy ?? null,
  }));
  tf.disposeVariables();
}

/** An epoch's validation figures for the log, or what stands in for them. */
function validationText(record: EpochRecord): string {
  if (record.valLoss === null || record.valAccuracy === null) return "no validation clips";
  return `val_loss ${record.valLoss.toFixed(4)}  val_acc ${record.valAccuracy.toFixed(4)}`;
}

/**
 * The fold of `--test-actors` and `--val-actors` (both or neither, `--split speakers` only), or
 * undefined for the default fold.
 */
function actorFlags(
  test: string | undefined,
  val: string | undefined,
  protocol: string,
): HeldOutActors | undefined {
  if (test === undefined && val === undefined) return undefined;
  if (test === undefined || val === undefined) {
    throw new UsageError("Give both --test-actors and --val-actors, or neither");
  }
  if (protocol !== "speakers") {
    throw new UsageError("--test-actors and --val-actors need --split speakers");
  }
  try {
    const actors = { test: parseActors(test), val: parseActors(val) };
    assertApart(actors);
    return actors;
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Saves `model` to `dir`; with a scaler, its weights with the standardisation folded into the
 * first layer, so the saved model reads raw features. The model keeps its training weights.
 */
async function saveModel(model: tf.LayersModel, dir: string, scaler?: FeatureScaler) {
  if (!scaler) {
    await model.save(fileSystemSaveHandler(dir));
    return;
  }
  const trained = model.getWeights().map((w) => w.clone());
  const folded = foldedWeights(model, scaler);
  try {
    model.setWeights(folded);
    await model.save(fileSystemSaveHandler(dir));
  } finally {
    model.setWeights(trained);
    tf.dispose([...trained, ...folded]);
  }
}

/**
 * Loads the teacher of a distillation run, refusing one whose input transform or validation
 * and test clips differ from this run's (it could have trained on this run's held-out clips).
 */
async function loadTeacher(
  dir: string,
  input: InputConfig,
  split: { val: SplitEntry[]; test: SplitEntry[] },
) {
  const { classifier, config } = await loadEmotionModel(dir, { speakerNormalisation: true });
  if (JSON.stringify(config.input) !== JSON.stringify(input)) {
    throw new UsageError(
      `Expected the teacher's input ${JSON.stringify(input)}, but ${dir} has ${
        JSON.stringify(config.input)
      }`,
    );
  }
  const theirs: SplitFile = JSON.parse(await Deno.readTextFile(modelFiles(dir).split));
  const differs = heldOutDifference(split, theirs);
  if (differs) {
    throw new UsageError(
      `Expected the teacher to hold out this run's ${differs} clips, but ${dir} has other ${differs} clips`,
    );
  }
  return { name: config.name, model: classifier.model };
}

if (import.meta.main) {
  tf.enableProdMode();
  await main(Deno.args).catch((err) => failAndExit("train", err));
}
