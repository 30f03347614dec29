/**
 * What a trained model folder holds (`models/NAME/`), and reading it back:
 *
 * | file           | contents                                                        |
 * | -------------- | --------------------------------------------------------------- |
 * | `model.json`   | tfjs layers topology + weights manifest                         |
 * | `weights.bin`  | the weights                                                     |
 * | `labels.json`  | class names in output order                                     |
 * | `config.json`  | {@link ModelConfig}: architecture, input transform, how trained |
 * | `history.json` | loss and accuracy per epoch                                     |
 * | `split.json`   | validation and test clips, relative to the corpus folders       |
 */
import type { DatasetItem } from "../data/types.ts";
import type { Architecture } from "./architectures.ts";
import type { InputConfig } from "./input.ts";

/** How a model was built and trained, and how its input is made. */
export interface ModelConfig {
  name: string;
  architecture: Architecture;
  labels: string[];
  input: InputConfig;
  protocol: "random" | "speakers";
  seed: number;
  batchSize: number;
  learningRate: number;
  epochs: number;
  bestEpoch: number;
  counts: { train: number; val: number; test: number };
  /** Augmented copies per training clip (of `augmentCorpus` only, when set). */
  augmentCopies: number;
  augmentCorpus?: string;
  /** The copies' speed range given with `--speed`, when given (0.9–1.1 otherwise). */
  augmentSpeeds?: { slow: number; fast: number };
  /** Set when the copies were voice shifts (`--keep-tempo`): pitch and formants moved, tempo kept. */
  augmentKeepTempo?: true;
  /** LSTM units given with `--units`, when given (the published 64 otherwise). */
  units?: number;
  /** Dropout rate given with `--dropout`, when given. */
  dropout?: number;
  /** Set when the dropout masks were fresh at every step (`--dropout-masks fresh`). */
  dropoutMasks?: "fresh";
  /**
   * Test-time augmentation the model is used with (`lib/model/tta.ts`): how many augmented
   * copies of each window are classified with it. Unset: the window alone.
   */
  tta?: { copies: number };
  /**
   * Set for an ensemble (`deno task ensemble`): its members, in the order of the model's
   * branches. The other settings are then the first member's.
   */
  members?: { name: string; seed: number; epochs: number; bestEpoch: number }[];
  /** Set for a model distilled from another (`--teacher`): the teacher and its weight. */
  teacher?: { name: string; weight: number };
  /**
   * Set for the weight-averaged model of a run (`--average-from`): the first epoch averaged,
   * how many epochs, and the validation accuracy of the mean weights.
   */
  averagedFrom?: { epoch: number; epochs: number; valAccuracy: number };
  /** Feature masking during training (`--mask`), when used. */
  mask?: { timeMasks: number; maxFrames: number; featureMasks: number; maxFeatures: number };
  /**
   * Set when trained on standardised features (`--standardise`): the training rows' per-feature
   * mean and spread. The saved weights have them folded in, so the model reads raw features.
   */
  standardisedWith?: { mean: number[]; std: number[] };
  /** Mixup's α (`--mixup`), when trained with mixup. */
  mixup?: number;
  /** `"cosine"` when the learning rate followed `--lr-schedule cosine` from `learningRate`. */
  learningRateSchedule?: "cosine";
  /**
   * RAVDESS actors held out by a `speakers` split other than the default fold (test 17–20,
   * validation 15–16): `train --test-actors … --val-actors …`.
   */
  heldOutActors?: { test: readonly string[]; val: readonly string[] };
}

/** A clip of a split, with its path relative to its corpus folder. */
export interface SplitEntry {
  corpus: string;
  path: string;
  label: string;
  speaker: string | null;
}

/** Contents of `split.json`. */
export interface SplitFile {
  roots: string[];
  val: SplitEntry[];
  test: SplitEntry[];
}

/**
 * Why a model's held-out clips cannot evaluate it (it has no validation or no test clips: it
 * trained on every voice), or null when it has both.
 */
export function notEvaluable(dir: string, split: Pick<SplitFile, "val" | "test">): string | null {
  if (split.val.length > 0 && split.test.length > 0) return null;
  const missing = split.test.length === 0 ? "test" : "validation";
  return `${dir} holds out no ${missing} clips (it trained on every voice), so it cannot be ` +
    "evaluated; evaluate the same recipe trained on a fold (train --test-actors … --val-actors …)";
}

/**
 * The first of `"val"` and `"test"` whose clips differ between two splits (as sets of corpus
 * paths, in any order), or null when both hold out the same clips — the check that a model
 * used with another (an ensemble member, a teacher) never trained on the other's held-out clips.
 */
export function heldOutDifference(
  a: Pick<SplitFile, "val" | "test">,
  b: Pick<SplitFile, "val" | "test">,
): "val" | "test" | null {
  const key = (e: SplitEntry) => `${e.corpus}/${e.path}`;
  const clips = (entries: readonly SplitEntry[]) => entries.map(key).sort().join("\n");
  for (const set of ["val", "test"] as const) {
    if (clips(a[set]) !== clips(b[set])) return set;
  }
  return null;
}

/** Paths of the files in a model folder. */
export function modelFiles(dir: string) {
  const base = dir.replace(/\/+$/, "");
  return {
    dir: base,
    modelJson: `${base}/model.json`,
    labels: `${base}/labels.json`,
    config: `${base}/config.json`,
    history: `${base}/history.json`,
    split: `${base}/split.json`,
  };
}

/** Maps a dataset item to a {@link SplitEntry} relative to its corpus root. */
export function relativeItem(roots: Record<string, string>) {
  return (item: DatasetItem): SplitEntry => {
    const root = roots[item.corpus].replace(/\/+$/, "") + "/";
    const path = item.path.startsWith(root) ? item.path.slice(root.length) : item.path;
    return { corpus: item.corpus, path, label: item.label, speaker: item.speaker };
  };
}

/** Resolves split entries against the corpus folders given on the command line. */
export function resolveSplitEntries(
  entries: readonly SplitEntry[],
  roots: Record<string, string | undefined>,
): DatasetItem[] {
  return entries.map((e) => {
    const root = roots[e.corpus];
    if (!root) throw new Error(`the split needs --${e.corpus} DIR`);
    return {
      path: `${root.replace(/\/+$/, "")}/${e.path}`,
      label: e.label,
      speaker: e.speaker,
      corpus: e.corpus,
    } as DatasetItem;
  });
}

/** Reads `config.json` of a model folder. */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  return JSON.parse(await Deno.readTextFile(modelFiles(dir).config));
}
