/**
 * Chooses when the journal says "uncertain" instead of an emotion: runs a model over its
 * validation clips (from the model's `split.json`; for the speakers split these are RAVDESS
 * actors 15 and 16), then picks the thresholds on top-1 probability and on the margin between
 * the top two with the rule in `lib/journal/calibration.ts` — the pair that keeps the most clips
 * while the kept predictions are at least `--target` (default 0.7) correct, or, when no pair
 * gets there, the pair with the best accepted accuracy that still keeps half of the clips.
 * Writes `models/default/uncertainty.json`. A model with a dense member is scored as it
 * classifies: the LSTMs' probabilities mixed with the dense member's. With a voice-referenced
 * member, the file also says how the chosen pair does for a person whose voice reference is known
 * (`validation.withVoiceReference`); the pair itself is chosen for everyone.
 *
 * The shipped model trained on every voice, so it has no validation clips of its own: its
 * thresholds are chosen on `--model models/ens3-speakers` (`deno task train-default
 * --hold-out`), the same recipe and seeds trained without actors 15–20. A model without
 * validation clips is refused with that advice.
 *
 * Features come from the feature cache (`.cache/features`), so a second run only runs the
 * model; a missing entry is computed on this one thread.
 *
 * Usage: deno run --allow-read --allow-write --allow-env --allow-sys
 *   scripts/calibrate_uncertainty.ts [--model DIR] [--ravdess DIR] [--tess DIR] [--target 0.7]
 *   [--out FILE]
 */
import * as tf from "@tensorflow/tfjs";
import { failAndExit, parseCli, UsageError } from "../lib/cli/args.ts";
import { FeatureStore } from "../lib/data/feature_store.ts";
import { acceptanceStats, chooseThresholds, type ScoredClip } from "../lib/journal/calibration.ts";
import { DEFAULT_HISTORY, historyReferences } from "../lib/model/voice_reference.ts";
import { DEFAULT_MODEL_DIR, loadEmotionModel } from "../lib/model/emotion_model.ts";
import { featureSetOf, modelInput } from "../lib/model/input.ts";
import { modelFiles, resolveSplitEntries, type SplitFile } from "../lib/model/model_files.ts";
import { loadFeatures } from "../lib/train/dataset.ts";
import { loadFunctionals } from "../lib/train/functionals_store.ts";
import { mixWithDense } from "../lib/model/functionals_model.ts";

/** Contents of `uncertainty.json` next to the model. */
export interface UncertaintyFile {
  minConfidence: number;
  minMargin: number;
  rule: string;
  validation: {
    model: string;
    clips: number;
    accepted: number;
    acceptedShare: number;
    acceptedAccuracy: number;
    allAccuracy: number;
    targetAccuracy: number;
    targetMet: boolean;
    /**
     * How the chosen pair does on the same clips classified as for a person whose voice
     * reference is known (the voice-referenced member, each clip referenced by
     * {@link DEFAULT_HISTORY} other clips of its speaker), when the model has that member.
     */
    withVoiceReference?: {
      history: number;
      accepted: number;
      acceptedShare: number;
      acceptedAccuracy: number;
      allAccuracy: number;
    };
  };
}

/** Why the shipped model may take thresholds chosen with another model (`--model`). */
const HELD_OUT_NOTE = "The shipped model trained on those voices too, so it takes the " +
  "thresholds of this version of its recipe and seeds, which held them out; its own " +
  "probabilities on new voices are assumed to spread alike.";

/** When the target cannot be met, the fallback still shows at least this share of clips. */
const MIN_SHARE = 0.5;

/** Clips scored per model call, to keep memory flat. */
const BATCH = 32;

async function main(argv: string[]) {
  const home = Deno.env.get("HOME") ?? ".";
  const { values } = parseCli(argv, {
    ravdess: { type: "string", default: `${home}/.cache/ser-data/ravdess` },
    tess: { type: "string", default: `${home}/.cache/ser-data/tess` },
    target: { type: "string", default: "0.7" },
    model: { type: "string" },
    out: { type: "string" },
  });
  const target = Number(values.target);
  if (!(target > 0 && target <= 1)) throw new UsageError("--target must be in (0, 1]");
  const shipped = DEFAULT_MODEL_DIR.pathname.replace(/\/$/, "");
  const dir = values.model ?? shipped;
  const model = await loadEmotionModel(dir);
  const split: SplitFile = JSON.parse(await Deno.readTextFile(modelFiles(dir).split));
  if (split.val.length === 0) {
    throw new UsageError(
      `${dir} has no validation clips (it trained on every voice); give --model with the same recipe trained on a fold, such as models/ens3-speakers from train-default --hold-out`,
    );
  }
  const items = resolveSplitEntries(split.val, { ravdess: values.ravdess, tess: values.tess });
  const store = new FeatureStore(featureSetOf(model.config.input));
  const features = await loadFeatures(items, store);
  // The journal's probabilities: the LSTMs' mixed with the dense member's, as classified.
  const vectors = model.functionals || model.voice
    ? await loadFunctionals(items.map((item) => item.path), {
      workers: Math.max(1, navigator.hardwareConcurrency),
    })
    : [];
  const clips: ScoredClip[] = [];
  const voiceClips: ScoredClip[] = [];
  const labels = model.config.labels;
  const scored = (probs: Float32Array, k: number): ScoredClip => ({
    label: items[k].label,
    probabilities: Object.fromEntries(labels.map((l, i) => [l, probs[i]])),
  });
  const lstm: Float32Array[] = [];
  for (let start = 0; start < items.length; start += BATCH) {
    const inputs = features.slice(start, start + BATCH).map((f) =>
      modelInput(f, model.config.input)
    );
    lstm.push(...model.classifier.predict(inputs));
  }
  const mixed = model.functionals ? mixWithDense(model.functionals, lstm, vectors) : lstm;
  mixed.forEach((probs, k) => clips.push(scored(probs, k)));
  if (model.voice) {
    const refs = historyReferences(items, vectors, DEFAULT_HISTORY, undefined, lstm);
    mixWithDense(model.voice, lstm, refs.vectors, refs.leanings)
      .forEach((probs, k) => voiceClips.push(scored(probs, k)));
  }
  const chosen = chooseThresholds(clips, { targetAccuracy: target, minShare: MIN_SHARE });
  const voiced = model.voice ? acceptanceStats(voiceClips, chosen) : null;
  const result: UncertaintyFile = {
    minConfidence: chosen.minConfidence,
    minMargin: chosen.minMargin,
    rule: `A prediction is shown as its emotion when its top-1 probability is at least ` +
      `minConfidence and the top-1 minus top-2 probability is at least minMargin; otherwise ` +
      `it is shown as "uncertain". Both were searched on a 0.01 grid over the ` +
      `${clips.length} validation clips of ${model.config.name} (${model.config.protocol} ` +
      `split), keeping the ` +
      `pair that accepts the most clips while the accepted ones are at least ${
        pct(target, 0)
      } correct (ties: smaller minConfidence, then smaller minMargin). ` +
      (chosen.targetMet
        ? "The target was met."
        : `No pair reached ${
          pct(target, 0)
        }, so the pair with the best accepted accuracy among those accepting at least ${
          pct(MIN_SHARE, 0)
        } of the clips was kept (ties: more clips, then smaller thresholds).`) +
      (dir === shipped ? "" : ` ${HELD_OUT_NOTE}`),
    validation: {
      model: model.config.name,
      clips: chosen.stats.clips,
      accepted: chosen.stats.accepted,
      acceptedShare: round4(chosen.stats.acceptedShare),
      acceptedAccuracy: round4(chosen.stats.acceptedAccuracy ?? 0),
      allAccuracy: round4(chosen.stats.allAccuracy),
      targetAccuracy: target,
      targetMet: chosen.targetMet,
      ...(voiced
        ? {
          withVoiceReference: {
            history: DEFAULT_HISTORY,
            accepted: voiced.accepted,
            acceptedShare: round4(voiced.acceptedShare),
            acceptedAccuracy: round4(voiced.acceptedAccuracy ?? 0),
            allAccuracy: round4(voiced.allAccuracy),
          },
        }
        : {}),
    },
  };
  const out = values.out ?? `${shipped}/uncertainty.json`;
  await Deno.writeTextFile(out, JSON.stringify(result, null, 2) + "\n");
  console.log(
    `${clips.length} validation clips (${store.stats.hits} features cached, ` +
      `${store.stats.misses} computed); all accuracy ${pct(result.validation.allAccuracy)}`,
  );
  console.log(
    `minConfidence ${result.minConfidence}, minMargin ${result.minMargin}: accepts ` +
      `${chosen.stats.accepted} (${pct(result.validation.acceptedShare)}), ` +
      `${pct(result.validation.acceptedAccuracy)} of them correct` +
      (chosen.targetMet ? "" : ` (target ${pct(target, 0)} not reachable; fallback rule)`),
  );
  if (voiced) {
    console.log(
      `with a voice reference (${DEFAULT_HISTORY} other clips): accepts ${voiced.accepted} ` +
        `(${pct(voiced.acceptedShare)}), ${pct(voiced.acceptedAccuracy ?? 0)} of them correct; ` +
        `all accuracy ${pct(voiced.allAccuracy)}`,
    );
  }
  console.log(`written to ${out}`);
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function pct(v: number, digits = 1): string {
  return `${(v * 100).toFixed(digits)} %`;
}

if (import.meta.main) {
  tf.enableProdMode();
  await main(Deno.args).catch((err) => failAndExit("calibrate_uncertainty", err));
}
