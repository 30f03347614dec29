/**
 * Test-time augmentation with the tfjs networks: scores a model's validation and test clips
 * from each clip alone and from the mean of its probabilities over the clip and k augmented
 * copies, for k = 0 … 6 and several kinds of copy, for every member of an ensemble and for the
 * ensemble. The GPU sweep (`sweep.py --plan tta`) found averaging over six copies made as the
 * recipe's training copies are (speed 0.9–1.1 and white noise at 5–20 dB SNR) worth 4–6 points
 * on unseen voices; this says how many copies, and which kind, carry that gain.
 *
 * Usage: deno run --allow-read --allow-write --allow-env --allow-sys research/tta_eval.ts
 *          --model models/NAME --ravdess DIR --tess DIR [--json FILE]
 *
 * Kinds of copy (the copies' features are cached in `.cache/features` as training's are):
 * - `recipe`: each clip's own six copies drawn as `train --augment 6` draws them (seed 17);
 * - `fixed`: the same six copies for every clip (`TTA_SPECS`, speed and noise);
 * - `speed`: those copies' speeds without noise;
 * - `noise`: their noise at the clip's own speed.
 */
import * as tf from "@tensorflow/tfjs";
import { failAndExit, parseCli, UsageError } from "../lib/cli/args.ts";
import { FeatureStore } from "../lib/data/feature_store.ts";
import type { DatasetItem } from "../lib/data/types.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { memberChainsOf } from "../lib/model/ensemble.ts";
import { featureSetOf } from "../lib/model/input.ts";
import {
  modelFiles,
  notEvaluable,
  resolveSplitEntries,
  type SplitFile,
} from "../lib/model/model_files.ts";
import { type AugmentSpec, augmentSpecs } from "../lib/train/augment.ts";
import {
  type FeatureJob,
  fillFeatureCache,
  loadFeatures,
  toArraySet,
} from "../lib/train/dataset.ts";
import { MAX_TTA_COPIES, TTA_SPECS } from "../lib/model/tta.ts";

const COPIES = MAX_TTA_COPIES;

const KINDS: Record<string, (index: number) => AugmentSpec[]> = {
  recipe: (index) => augmentSpecs(index, COPIES, 17),
  fixed: () => TTA_SPECS.slice(0, COPIES),
  speed: () => TTA_SPECS.slice(0, COPIES).map((s) => ({ ...s, snrDb: null })),
  noise: () => TTA_SPECS.slice(0, COPIES).map((s) => ({ ...s, speed: 1 })),
};

/** Probabilities `[count, classes]` of each member chain and of their mean. */
function memberProbs(chains: tf.layers.Layer[][], x: Float32Array, shape: number[]) {
  return tf.tidy(() => {
    const input = tf.tensor3d(x, shape as [number, number, number]);
    const outs = chains.map((chain) =>
      chain.reduce((t, layer) => layer.apply(t) as tf.Tensor, input as tf.Tensor)
    );
    return outs.map((o) => o.dataSync() as Float32Array);
  });
}

function accuracy(probs: Float32Array, y: Int32Array, classes: number) {
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) {
      if (probs[i * classes + k] > probs[i * classes + best]) best = k;
    }
    if (best === y[i]) right++;
  }
  return right / y.length;
}

async function main(argv: string[]) {
  const { values } = parseCli(argv, {
    model: { type: "string" },
    ravdess: { type: "string" },
    tess: { type: "string" },
    json: { type: "string" },
  });
  if (!values.model) throw new UsageError("Give --model models/NAME");
  const { classifier, config } = await loadEmotionModel(values.model);
  const chains = memberChainsOf(classifier.model);
  const classes = config.labels.length;
  const split: SplitFile = JSON.parse(await Deno.readTextFile(modelFiles(values.model).split));
  const unusable = notEvaluable(values.model, split);
  if (unusable) throw new UsageError(unusable);
  const roots = { ravdess: values.ravdess, tess: values.tess };
  const featureSet = featureSetOf(config.input);
  const store = new FeatureStore(featureSet);
  const results: Record<string, unknown>[] = [];
  for (const set of ["val", "test"] as const) {
    const items: DatasetItem[] = resolveSplitEntries(split[set], roots);
    const jobs: FeatureJob[] = [];
    for (const specsOf of Object.values(KINDS)) {
      items.forEach((item, i) =>
        specsOf(i).forEach((augment) => jobs.push({ path: item.path, augment }))
      );
    }
    await fillFeatureCache(jobs, { workers: 2, features: featureSet });
    const plain = toArraySet(items, await loadFeatures(items, store), config.input);
    const shape = [plain.count, plain.frames, plain.width];
    const base = memberProbs(chains, plain.x, shape);
    for (const [kind, specsOf] of Object.entries(KINDS)) {
      const copies: Float32Array[][] = [];
      for (let c = 0; c < COPIES; c++) {
        const copyJobs = items.map((item, i) => ({ path: item.path, augment: specsOf(i)[c] }));
        const set = toArraySet(items, await loadFeatures(copyJobs, store), config.input);
        copies.push(memberProbs(chains, set.x, shape));
      }
      for (let k = 0; k <= COPIES; k++) {
        const row: Record<string, unknown> = { set, kind, copies: k };
        const ensemble = new Float32Array(base[0].length);
        chains.forEach((_, m) => {
          const mean = base[m].slice();
          for (let c = 0; c < k; c++) copies[c][m].forEach((p, j) => mean[j] += p);
          mean.forEach((p, j) => {
            mean[j] = p / (k + 1);
            ensemble[j] += mean[j] / chains.length;
          });
          row[`member${m + 1}`] = accuracy(mean, plain.y, classes);
        });
        row.ensemble = accuracy(ensemble, plain.y, classes);
        results.push(row);
      }
    }
  }
  const pct = (v: unknown) => ((v as number) * 100).toFixed(1);
  const members = chains.map((_, m) => `member${m + 1}`);
  console.log(`| set | copies | copies | ${members.join(" | ")} | ensemble |`);
  console.log(`|---|---|---|${members.map(() => "---|").join("")}---|`);
  for (const r of results) {
    console.log(
      `| ${r.set} | ${r.kind} | ${r.copies} | ${members.map((m) => pct(r[m])).join(" | ")} | ${
        pct(r.ensemble)
      } |`,
    );
  }
  if (values.json) {
    await Deno.writeTextFile(
      values.json,
      JSON.stringify({ model: config.name, members: config.members, results }, null, 1) + "\n",
    );
  }
}

if (import.meta.main) {
  tf.enableProdMode();
  await main(Deno.args).catch((err) => failAndExit("tta_eval", err));
}
