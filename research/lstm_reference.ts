/**
 * Should the LSTMs be referenced to a person's voice too? Scores a tfjs model folder with a
 * voice-referenced member (`models/ens3-speakers`, `models/ens3-fold1-speakers`) on its
 * validation and test clips as `deno task eval --history 20` does, but also divides the LSTMs'
 * probabilities by the person's usual leaning: each clip's LSTM log-probabilities minus ALPHA
 * times their mean over the same 20 other clips of its speaker that give the voice reference,
 * softmaxed again, then mixed half and half with the voice member by the arithmetic mean of the
 * probabilities, and again by the geometric one. Five seeded draws of the history per clip;
 * accuracy over all of them, for ALPHA 0, 0.25, 0.5, 0.75, 1, 1.5 and 2 (the product's
 * `lstmReference`, 1, was chosen from these figures).
 *
 * Then, at ALPHA 1, how the two parts are mixed: the arithmetic mean of the probabilities
 * (`(1 − w) · lstm + w · voice`) or the geometric one (`(1 − w) · log lstm + w · log voice`,
 * softmaxed; a product of experts), for the voice member's weight w 0.4, 0.5 and 0.6.
 *
 *   deno run -A research/lstm_reference.ts models/ens3-speakers [RAVDESS_DIR TESS_DIR]
 */
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { featureSetOf } from "../lib/model/input.ts";
import { modelFiles, resolveSplitEntries } from "../lib/model/model_files.ts";
import { FeatureStore } from "../lib/data/feature_store.ts";
import { loadFeatures, toArraySet } from "../lib/train/dataset.ts";
import { predictAll } from "../lib/train/trainer.ts";
import { loadFunctionals } from "../lib/train/functionals_store.ts";
import { mixProbabilities, mixRule, predictFunctionals } from "../lib/model/functionals_model.ts";
import { logProbabilities, referenced, unleaned } from "../lib/model/voice_reference.ts";
import { seededRandom, shuffled } from "../lib/train/rng.ts";
import { argMax } from "../lib/train/metrics.ts";

const ALPHAS = [0, 0.25, 0.5, 0.75, 1, 1.5, 2];
const MIX_WEIGHTS = [0.4, 0.5, 0.6];
const RULES = ["arithmetic", "geometric"] as const;
const HISTORY = 20;
const DRAWS = 5;

const home = Deno.env.get("HOME");
const [dir, ravdess = `${home}/.cache/ser-data/ravdess`, tess = `${home}/.cache/ser-data/tess`] =
  Deno.args;
if (!dir) {
  console.error("lstm_reference: give a model folder with a voice-referenced member");
  Deno.exit(2);
}
const { classifier, config, voice } = await loadEmotionModel(dir, { speakerNormalisation: true });
if (!voice) {
  console.error(`lstm_reference: ${dir} has no voice-referenced member`);
  Deno.exit(2);
}
const split = JSON.parse(await Deno.readTextFile(modelFiles(dir).split));
const store = new FeatureStore(featureSetOf(config.input));
for (const name of ["val", "test"] as const) {
  const items = resolveSplitEntries(split[name], { ravdess, tess });
  const arrays = toArraySet(items, await loadFeatures(items, store), config.input, undefined);
  const probs = predictAll(classifier.model, arrays);
  const vectors = await loadFunctionals(items.map((item) => item.path), { workers: 2 });
  const k = config.labels.length;
  const lstm = items.map((_, j) => probs.subarray(j * k, (j + 1) * k));
  const logs = lstm.map((p) => logProbabilities(p));
  const speakers = items.map((item) => item.speaker ?? item.path);
  const present = items.flatMap((_, j) => (vectors[j] ? [j] : []));
  const right = ALPHAS.map(() => 0);
  const geometricRight = ALPHAS.map(() => 0);
  const ruleRight = RULES.map(() => MIX_WEIGHTS.map(() => 0));
  let total = 0;
  for (let draw = 0; draw < DRAWS; draw++) {
    const random = seededRandom(50 + draw);
    const picks = present.map((j) =>
      shuffled(present.filter((o) => o !== j && speakers[o] === speakers[j]), random)
        .slice(0, HISTORY)
    );
    const referencedVectors = present.map((j, at) => {
      const mean = new Float32Array(vectors[j]!.length);
      for (const o of picks[at]) vectors[o]!.forEach((v, i) => mean[i] += v / picks[at].length);
      return referenced(vectors[j]!, mean);
    });
    const dense = predictFunctionals(voice.model, referencedVectors);
    present.forEach((j, at) => {
      const leaning = new Float32Array(k);
      for (const o of picks[at]) logs[o].forEach((v, i) => leaning[i] += v / picks[at].length);
      ALPHAS.forEach((alpha, a) => {
        const unleanedLstm = unleaned(lstm[j], leaning, alpha);
        const mixed = mixProbabilities(unleanedLstm, dense[at], voice.config.weight);
        if (argMax(mixed) === arrays.y[j]) right[a]++;
        const product = mixRule("geometric")(unleanedLstm, dense[at], voice.config.weight);
        if (argMax(product) === arrays.y[j]) geometricRight[a]++;
      });
      const unleanedLstm = unleaned(lstm[j], leaning, 1);
      RULES.forEach((rule, r) =>
        MIX_WEIGHTS.forEach((w, m) => {
          if (argMax(mixRule(rule)(unleanedLstm, dense[at], w)) === arrays.y[j]) ruleRight[r][m]++;
        })
      );
      total++;
    });
  }
  console.log(
    `${config.name} ${name} (${present.length} clips × ${DRAWS} draws): ` +
      ALPHAS.map((alpha, a) => `alpha ${alpha} ${(100 * right[a] / total).toFixed(1)} %`)
        .join(", "),
  );
  console.log(
    `${config.name} ${name}, geometric mix: ` +
      ALPHAS.map((alpha, a) => `alpha ${alpha} ${(100 * geometricRight[a] / total).toFixed(1)} %`)
        .join(", "),
  );
  console.log(
    `${config.name} ${name}, alpha 1: ` +
      RULES.map((rule, r) =>
        `${rule} ` +
        MIX_WEIGHTS.map((w, m) => `w ${w} ${(100 * ruleRight[r][m] / total).toFixed(1)} %`).join(
          ", ",
        )
      ).join("; "),
  );
}
