/**
 * Writes the recipe's model inputs for every clip of both corpora as one flat array, for
 * experiments outside the tfjs training loop (a speaker cross-validation sweep of training
 * recipes, `research/sweep.py`).
 *
 * Usage:
 *   deno task export-features --ravdess DIR --tess DIR [--augment K] [--speed SLOW-FAST]
 *     [--keep-tempo] [--seed S] --out DIR
 *
 * Every RAVDESS clip gets K augmented copies (speed 0.9–1.1 or `--speed`'s range, noise at
 * 5–20 dB SNR, as `train --augment K --augment-corpus ravdess [--speed SLOW-FAST]
 * [--keep-tempo]`; copy specs from `--seed`), TESS clips none.
 * The folder gets:
 * - `features.f16`: rows × frames × width float16 values, little-endian, row-major: the
 *   cached raw features (`[rms, zcr, mfcc0 … mfcc12]` per frame) that `train` feeds the model;
 * - `rows.json`: `{ frames, width, labels, augment: { copies, seed, speeds: { slow, fast },
 *   keepTempo }, rows }`, one row `{ speaker, corpus, label,
 *   augment }` per row of the array (`speaker` as `ravdess:Actor_07`, `label` an index into
 *   `labels`, `augment` 0 for the original clip and 1…K for its copies).
 */
import { frameCount, MODEL_INPUT_SAMPLES } from "../lib/audio/constants.ts";
import { failAndExit, intFlag, parseCli, parsedFlag, UsageError } from "../lib/cli/args.ts";
import { ProgressBar } from "../lib/cli/progress.ts";
import { FeatureStore } from "../lib/data/feature_store.ts";
import { EMOTION_LABELS, labelIndex } from "../lib/data/labels.ts";
import { listRavdess } from "../lib/data/ravdess.ts";
import { listTess } from "../lib/data/tess.ts";
import type { DatasetItem } from "../lib/data/types.ts";
import {
  augmentSpecs,
  DEFAULT_SPEED_RANGE,
  parseSpeedRange,
  type SpeedRange,
} from "../lib/train/augment.ts";
import {
  type FeatureJob,
  fillFeatureCache,
  loadFeatures,
  speakerKey,
} from "../lib/train/dataset.ts";

/** One row of the exported array. */
export interface ExportRow {
  speaker: string;
  corpus: string;
  label: number;
  augment: number;
}

/**
 * The feature jobs and row descriptions for `items` (sorted by path): each RAVDESS clip
 * followed by its `copies` augmented copies, each TESS clip alone.
 */
export function exportJobs(
  items: readonly DatasetItem[],
  copies: number,
  seed: number,
  speeds: SpeedRange = DEFAULT_SPEED_RANGE,
  keepTempo = false,
): { jobs: FeatureJob[]; rows: ExportRow[] } {
  const jobs: FeatureJob[] = [];
  const rows: ExportRow[] = [];
  items.forEach((item, i) => {
    const row = { speaker: speakerKey(item), corpus: item.corpus, label: labelIndex(item.label) };
    jobs.push({ path: item.path });
    rows.push({ ...row, augment: 0 });
    if (item.corpus !== "ravdess") return;
    augmentSpecs(i, copies, seed, speeds, keepTempo).forEach((augment, k) => {
      jobs.push({ path: item.path, augment });
      rows.push({ ...row, augment: k + 1 });
    });
  });
  return { jobs, rows };
}

/** Packs matrices of `frames × width` values into one float16 array (rounded to nearest). */
export function packFloat16(
  matrices: readonly { data: Float32Array; frames: number; featureCount: number }[],
  frames: number,
  width: number,
): Uint8Array {
  const out = new Float16Array(matrices.length * frames * width);
  matrices.forEach((m, i) => {
    if (m.frames !== frames || m.featureCount !== width) {
      throw new RangeError(
        `Expected ${frames} × ${width} features but got ${m.frames} × ${m.featureCount}`,
      );
    }
    out.set(m.data, i * frames * width);
  });
  return new Uint8Array(out.buffer);
}

async function main(argv: string[]) {
  const { values } = parseCli(argv, {
    ravdess: { type: "string" },
    tess: { type: "string" },
    augment: { type: "string", default: "6" },
    speed: { type: "string" },
    "keep-tempo": { type: "boolean", default: false },
    seed: { type: "string", default: "17" },
    out: { type: "string" },
    workers: { type: "string" },
  });
  if (!values.ravdess || !values.tess) throw new UsageError("Give --ravdess DIR and --tess DIR");
  if (!values.out) throw new UsageError("Give --out DIR");
  const copies = intFlag("augment", values.augment, 6);
  const seed = intFlag("seed", values.seed, 17);
  const speeds = parsedFlag("speed", values.speed, parseSpeedRange, DEFAULT_SPEED_RANGE);
  const items: DatasetItem[] = [];
  for (const listing of [await listRavdess(values.ravdess), await listTess(values.tess)]) {
    for (const p of listing.problems) console.error(`skipped ${p.path}: ${p.reason}`);
    items.push(...listing.items);
  }
  items.sort((a, b) => a.path < b.path ? -1 : 1);
  const { jobs, rows } = exportJobs(items, copies, seed, speeds, values["keep-tempo"]);
  const bar = new ProgressBar({ label: "features", total: jobs.length });
  await fillFeatureCache(jobs, {
    workers: intFlag("workers", values.workers, navigator.hardwareConcurrency),
    onProgress: (n) => bar.tick(n),
  });
  bar.done();
  const features = await loadFeatures(jobs, new FeatureStore());
  const frames = frameCount(MODEL_INPUT_SAMPLES);
  const width = features[0].featureCount;
  await Deno.mkdir(values.out, { recursive: true });
  await Deno.writeFile(`${values.out}/features.f16`, packFloat16(features, frames, width));
  await Deno.writeTextFile(
    `${values.out}/rows.json`,
    JSON.stringify({
      frames,
      width,
      labels: EMOTION_LABELS,
      augment: { copies, seed, speeds, keepTempo: values["keep-tempo"] },
      rows,
    }) + "\n",
  );
  console.log(JSON.stringify({ out: values.out, rows: rows.length, frames, width }));
}

if (import.meta.main) {
  await main(Deno.args).catch((err) => failAndExit("export-features", err));
}
