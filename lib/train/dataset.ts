/**
 * Turning listed clips into training arrays: features from the cache (computed on every
 * core when missing), the model input transform, and one-hot-ready label indices.
 */
import type { FeatureMatrix } from "../audio/features.ts";
import { preprocess } from "../audio/preprocess.ts";
import { resample } from "../audio/resample.ts";
import { decodeAudio } from "../audio/wav.ts";
import { type FeatureSet, MODEL_SAMPLE_RATE_HZ } from "../audio/constants.ts";
import { FeatureStore, sha256Hex } from "../data/feature_store.ts";
import { augmentClip, type AugmentSpec } from "./augment.ts";
import { labelIndex } from "../data/labels.ts";
import type { DatasetItem } from "../data/types.ts";
import {
  type InputConfig,
  inputWidth,
  modelInput,
  type SpeakerStats,
  speakerStats,
} from "../model/input.ts";

/** Clips as one contiguous `[count, frames, width]` array plus label indices. */
export interface ArraySet {
  x: Float32Array;
  y: Int32Array;
  /**
   * Training targets `[count, classes]` when they are not the one-hot labels (distillation:
   * see {@link distillationTargets}); `y` still holds the labels, for accuracy.
   */
  targets?: Float32Array;
  count: number;
  frames: number;
  width: number;
}

/** One clip to extract features from, optionally augmented first. */
export interface FeatureJob {
  path: string;
  augment?: AugmentSpec;
}

/** Cache key of an augmented clip: SHA-256 of the source's hash and the spec. */
async function augmentedKey(sourceSha: string, spec: AugmentSpec): Promise<string> {
  return await sha256Hex(new TextEncoder().encode(`${sourceSha} ${JSON.stringify(spec)}`));
}

/** Features of a job from `store`, computing (and caching) them when missing. */
export async function featuresForJob(store: FeatureStore, job: FeatureJob): Promise<FeatureMatrix> {
  if (!job.augment) return await store.features(job.path);
  const bytes = await Deno.readFile(job.path);
  const spec = job.augment;
  return await store.derived(await augmentedKey(await sha256Hex(bytes), spec), () => {
    const { samples, sampleRateHz } = decodeAudio(bytes);
    const audio = resample(samples, sampleRateHz, MODEL_SAMPLE_RATE_HZ);
    return store.extract(preprocess(augmentClip(audio, spec), MODEL_SAMPLE_RATE_HZ));
  });
}

/**
 * Makes sure every job's features are in the cache, using `workers` worker threads.
 * `onProgress(done)` is called as clips finish.
 */
export async function fillFeatureCache(
  jobs: readonly FeatureJob[],
  options: {
    workers: number;
    cacheDir?: string;
    /** The store's feature set (`FeatureStoreOptions`); default the recipe's 15 columns. */
    features?: FeatureSet;
    onProgress?: (done: number) => void;
  },
): Promise<void> {
  const shards = Array.from({ length: Math.max(1, options.workers) }, () => [] as FeatureJob[]);
  jobs.forEach((p, i) => shards[i % shards.length].push(p));
  await Promise.all(
    shards.filter((s) => s.length > 0).map((shard) =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL("./feature_worker.ts", import.meta.url), {
          type: "module",
        });
        worker.onmessage = (e: MessageEvent) => {
          if (e.data.done) options.onProgress?.(e.data.done);
          if (e.data.finished || e.data.error) {
            worker.terminate();
            if (e.data.error) reject(new Error(`feature extraction failed: ${e.data.error}`));
            else resolve();
          }
        };
        worker.onerror = (e) => {
          worker.terminate();
          reject(new Error(`feature worker crashed: ${e.message}`));
        };
        worker.postMessage({ jobs: shard, cacheDir: options.cacheDir, features: options.features });
      })
    ),
  );
}

/** Reads each job's features (from the cache, computing any that are missing). */
export async function loadFeatures(
  jobs: readonly FeatureJob[],
  store: FeatureStore = new FeatureStore(),
): Promise<FeatureMatrix[]> {
  const out: FeatureMatrix[] = [];
  for (const job of jobs) out.push(await featuresForJob(store, job));
  return out;
}

/** A speaker across corpora (`ravdess:Actor_07`); throws for a clip with no speaker. */
export function speakerKey(item: Pick<DatasetItem, "corpus" | "speaker" | "path">): string {
  if (item.speaker === null) throw new RangeError(`Expected a speaker for ${item.path}`);
  return `${item.corpus}:${item.speaker}`;
}

/**
 * Per-speaker statistics of voiced frames ({@link speakerStats}) over the given clips, keyed
 * by {@link speakerKey}. Uses no labels.
 */
export function speakerStatsBy(
  items: readonly DatasetItem[],
  features: readonly FeatureMatrix[],
): Map<string, SpeakerStats> {
  if (items.length !== features.length) {
    throw new RangeError(`Expected ${items.length} feature matrices but got ${features.length}`);
  }
  const groups = new Map<string, FeatureMatrix[]>();
  items.forEach((item, i) => {
    const key = speakerKey(item);
    const group = groups.get(key);
    if (group) group.push(features[i]);
    else groups.set(key, [features[i]]);
  });
  return new Map([...groups].map(([key, group]) => [key, speakerStats(group)]));
}

/**
 * Applies the model input transform to every clip and packs the result. With
 * `normalisation: "speaker"`, `speakers` must hold the statistics of every clip's speaker
 * ({@link speakerStatsBy}).
 */
export function toArraySet(
  items: readonly DatasetItem[],
  features: readonly FeatureMatrix[],
  config: InputConfig,
  speakers?: ReadonlyMap<string, SpeakerStats>,
): ArraySet {
  const width = inputWidth(config);
  const stride = config.frames * width;
  const x = new Float32Array(items.length * stride);
  const y = new Int32Array(items.length);
  items.forEach((item, i) => {
    let stats: SpeakerStats | undefined;
    if (config.normalisation === "speaker") {
      stats = speakers?.get(speakerKey(item));
      if (!stats) throw new RangeError(`Expected statistics of speaker ${speakerKey(item)}`);
    }
    x.set(modelInput(features[i], config, stats), i * stride);
    const index = labelIndex(item.label);
    if (index < 0) throw new RangeError(`Unknown label "${item.label}" for ${item.path}`);
    y[i] = index;
  });
  return { x, y, count: items.length, frames: config.frames, width };
}

/**
 * Soft training targets for distillation: per clip, `(1 − weight) × one-hot(label) + weight ×
 * teacher probabilities` (`teacher` is `[count, classes]`, rows summing to 1), so each row is a
 * probability distribution again. Throws a `RangeError` for a weight outside [0, 1] or a teacher
 * array of the wrong size.
 */
export function distillationTargets(
  labels: Int32Array,
  teacher: Float32Array,
  classes: number,
  weight: number,
): Float32Array {
  if (!(weight >= 0 && weight <= 1)) {
    throw new RangeError(`Expected a teacher weight in [0, 1], but got ${weight}`);
  }
  if (teacher.length !== labels.length * classes) {
    throw new RangeError(
      `Expected ${labels.length} × ${classes} teacher probabilities, but got ${teacher.length}`,
    );
  }
  const targets = new Float32Array(teacher.length);
  for (let i = 0; i < labels.length; i++) {
    for (let k = 0; k < classes; k++) {
      const j = i * classes + k;
      targets[j] = weight * teacher[j] + (k === labels[i] ? 1 - weight : 0);
    }
  }
  return targets;
}
