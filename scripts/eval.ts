/**
 * Evaluates a trained model on its validation and test clips (from the model's
 * `split.json`) and writes `reports/NAME/`: `metrics.json` plus SVG pictures — loss and
 * accuracy curves, confusion matrices and recall per emotion for each set.
 *
 * Usage: deno task eval --model models/NAME --ravdess DIR --tess DIR [--tta K] [--history K]
 *   [--history-moods M]
 *   [--out DIR] [--json]
 *
 * A model folder with a dense member (`functionals/`, `lib/model/functionals_model.ts`) is scored
 * as it classifies: the LSTMs' probabilities mixed with the dense member's over each clip's
 * functionals; `metrics.json` also holds the LSTMs' own scores (`withoutFunctionals`). The dense
 * member must hold out the same actors as the LSTMs.
 *
 * With test-time augmentation (`--tta K`, 0–6, default the model's own setting; see
 * `lib/model/tta.ts`) each clip's probabilities are the mean over the clip and its first K
 * augmented copies, whose features are cached as training's copies are; the report goes to
 * `reports/NAME-ttaK/` unless `--out` is given.
 *
 * A model folder with a voice-referenced member (`functionals-voice/`,
 * `lib/model/voice_reference.ts`) is also scored as a person with a journal would be classified:
 * each clip's functionals minus the mean of `--history K` (default 20) other clips of its speaker,
 * drawn at random (seeded; with `--history-moods M`, from clips of M of its emotions only), through
 * that member, mixed with the LSTMs (`withVoiceReference`), whose leaning over the same clips is
 * divided out as the member's `lstmReference` says.
 *
 * A model with `normalisation: "speaker"` gets each speaker's statistics from that speaker's
 * clips in the set being scored (no labels used), as training did for validation speakers.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { failAndExit, intFlag, parseCli, parsedFlag, UsageError } from "../lib/cli/args.ts";
import { DEFAULT_HISTORY, historyReferences, VOICE_DIR } from "../lib/model/voice_reference.ts";
import { FeatureStore } from "../lib/data/feature_store.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { featureSetOf } from "../lib/model/input.ts";
import {
  heldOutDifference,
  modelFiles,
  notEvaluable,
  resolveSplitEntries,
  type SplitFile,
} from "../lib/model/model_files.ts";
import { parseTtaCopies, TTA_SPECS } from "../lib/model/tta.ts";
import {
  type FeatureJob,
  fillFeatureCache,
  loadFeatures,
  speakerStatsBy,
  toArraySet,
} from "../lib/train/dataset.ts";
import { reportPictures, scoreSet, type SetReport } from "../lib/train/report.tsx";
import { predictAll } from "../lib/train/trainer.ts";
import { loadFunctionals } from "../lib/train/functionals_store.ts";
import {
  FUNCTIONALS_DIR,
  type FunctionalsConfig,
  mixWithDense,
} from "../lib/model/functionals_model.ts";
import type { ModelConfig } from "../lib/model/model_files.ts";

/**
 * Throws a {@link UsageError} unless the dense member held out the same clips as the LSTMs, so
 * no clip scored was trained on by either: the clips of the model's `split.json` when the member
 * was trained for it (`train-functionals --split-of`, its own `split.json` beside it), otherwise
 * the same RAVDESS actors of a split by speakers.
 */
async function checkHeldOut(
  config: ModelConfig,
  split: SplitFile,
  member: FunctionalsConfig,
  memberDir: string,
  dir: string,
): Promise<void> {
  if (member.splitOf !== undefined) {
    const own: SplitFile = JSON.parse(await Deno.readTextFile(join(memberDir, "split.json")));
    const differs = heldOutDifference(split, own);
    if (differs) {
      throw new UsageError(
        `${dir}: its dense member (trained for ${member.splitOf}) held out other ` +
          `${differs === "val" ? "validation" : "test"} clips than its LSTMs: the scores would ` +
          "include clips one of them trained on",
      );
    }
    return;
  }
  const dense = member.heldOutActors;
  const lstm = config.heldOutActors ?? { test: ["17", "18", "19", "20"], val: ["15", "16"] };
  const same = (a: readonly string[], b: readonly string[]) =>
    [...a].map(Number).sort((x, y) => x - y).join() ===
      [...b].map(Number).sort((x, y) => x - y).join();
  if (
    config.protocol !== "speakers" || !same(lstm.test, dense.test) || !same(lstm.val, dense.val)
  ) {
    throw new UsageError(
      `${dir}: its dense member held out actors test ${dense.test.join(",") || "none"}, ` +
        `validation ${dense.val.join(",") || "none"}, but its LSTMs (${config.protocol} split) ` +
        `test ${lstm.test.join(",") || "none"}, validation ${lstm.val.join(",") || "none"}: ` +
        "the scores would include clips one of them trained on",
    );
  }
}

async function main(argv: string[]) {
  const { values } = parseCli(argv, {
    model: { type: "string" },
    ravdess: { type: "string" },
    tess: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean", default: false },
    tta: { type: "string" },
    history: { type: "string" },
    "history-moods": { type: "string" },
  });
  if (!values.model) throw new UsageError("Give --model models/NAME");
  const files = modelFiles(values.model);
  const { classifier, config, ttaCopies = 0, functionals, voice } = await loadEmotionModel(
    values.model,
    {
      speakerNormalisation: true,
      ttaCopies: values.tta === undefined
        ? undefined
        : parsedFlag("tta", values.tta, parseTtaCopies, 0),
    },
  );
  const copies = TTA_SPECS.slice(0, ttaCopies);
  const history = intFlag("history", values.history, DEFAULT_HISTORY);
  const moods = values["history-moods"] === undefined
    ? undefined
    : intFlag("history-moods", values["history-moods"], 3);
  if (history < 1 || (moods !== undefined && moods < 1)) {
    throw new UsageError("Expected --history and --history-moods of at least 1");
  }
  const lstmOnly: Record<string, SetReport> = {};
  const withVoice: Record<string, SetReport> = {};
  const split: SplitFile = JSON.parse(await Deno.readTextFile(files.split));
  const unusable = notEvaluable(values.model, split);
  if (unusable) throw new UsageError(unusable);
  if (functionals) {
    await checkHeldOut(
      config,
      split,
      functionals.config,
      join(values.model, FUNCTIONALS_DIR),
      values.model,
    );
  }
  if (voice) {
    await checkHeldOut(config, split, voice.config, join(values.model, VOICE_DIR), values.model);
  }
  const trainingHistory = JSON.parse(await Deno.readTextFile(files.history));
  const roots = { ravdess: values.ravdess, tess: values.tess };
  const store = new FeatureStore(featureSetOf(config.input));
  const sets: Record<string, SetReport> = {};
  for (const name of ["val", "test"] as const) {
    const items = resolveSplitEntries(split[name], roots);
    const features = await loadFeatures(items, store);
    const speakers = config.input.normalisation === "speaker"
      ? speakerStatsBy(items, features)
      : undefined;
    const arrays = toArraySet(items, features, config.input, speakers);
    const probs = predictAll(classifier.model, arrays);
    if (copies.length > 0) {
      const copyJobs = (augment: (typeof copies)[number]): FeatureJob[] =>
        items.map((item) => ({ path: item.path, augment }));
      await fillFeatureCache(copies.flatMap(copyJobs), {
        workers: Math.max(1, navigator.hardwareConcurrency),
        features: featureSetOf(config.input),
      });
      for (const augment of copies) {
        const copy = toArraySet(
          items,
          await loadFeatures(copyJobs(augment), store),
          config.input,
          speakers,
        );
        predictAll(classifier.model, copy).forEach((p, j) => probs[j] += p);
      }
      probs.forEach((p, j) => probs[j] = p / (copies.length + 1));
    }
    const corpora = items.map((item) => item.corpus);
    if (functionals || voice) {
      lstmOnly[name] = scoreSet(probs, arrays.y, config.labels, corpora);
      const vectors = await loadFunctionals(items.map((item) => item.path), {
        workers: Math.max(1, navigator.hardwareConcurrency),
      });
      const k = config.labels.length;
      const rows = items.map((_, j) => probs.slice(j * k, (j + 1) * k));
      if (voice) {
        const voiceProbs = new Float32Array(probs.length);
        const refs = historyReferences(items, vectors, history, moods, rows);
        mixWithDense(voice, rows, refs.vectors, refs.leanings)
          .forEach((p, j) => voiceProbs.set(p, j * k));
        withVoice[name] = scoreSet(voiceProbs, arrays.y, config.labels, corpora);
      }
      if (functionals) {
        mixWithDense(functionals, rows, vectors).forEach((p, j) => probs.set(p, j * k));
      }
    }
    sets[name] = scoreSet(probs, arrays.y, config.labels, corpora);
  }
  const outDir = values.out ??
    `reports/${config.name}${copies.length ? `-tta${copies.length}` : ""}`;
  await Deno.mkdir(outDir, { recursive: true });
  const metrics = {
    model: config.name,
    architecture: config.architecture,
    protocol: config.protocol,
    input: config.input,
    ttaCopies: copies.length,
    ...(functionals
      ? {
        functionals: { weight: functionals.config.weight, seeds: functionals.config.seeds },
        withoutFunctionals: Object.fromEntries(
          Object.entries(lstmOnly).map(([name, r]) => [name, { accuracy: r.accuracy, uar: r.uar }]),
        ),
      }
      : {}),
    // An ensemble has no epochs of its own: its members' are listed instead.
    ...(voice
      ? {
        withVoiceReference: {
          history,
          ...(moods === undefined ? {} : { historyMoods: moods }),
          weight: voice.config.weight,
          lstmReference: voice.config.lstmReference ?? 0,
          mix: voice.config.mix ?? "arithmetic",
          ...Object.fromEntries(
            Object.entries(withVoice).map((
              [name, r],
            ) => [name, { accuracy: r.accuracy, uar: r.uar }]),
          ),
        },
      }
      : {}),
    ...(config.members
      ? { members: config.members }
      : { bestEpoch: config.bestEpoch, epochs: trainingHistory.length }),
    ...sets,
  };
  await Deno.writeTextFile(`${outDir}/metrics.json`, JSON.stringify(metrics, null, 2) + "\n");
  for (
    const [file, text] of Object.entries(
      reportPictures(config.name, config.labels, sets, trainingHistory),
    )
  ) {
    await Deno.writeTextFile(`${outDir}/${file}`, text);
  }
  if (values.json) {
    console.log(JSON.stringify({
      model: config.name,
      protocol: config.protocol,
      valAccuracy: sets.val.accuracy,
      ttaCopies: copies.length,
      testAccuracy: sets.test.accuracy,
      ...(functionals ? { testAccuracyWithoutFunctionals: lstmOnly.test.accuracy } : {}),
      ...(voice ? { testAccuracyWithVoiceReference: withVoice.test.accuracy, history } : {}),
      testAccuracyCi95: sets.test.accuracyCi95,
      testUar: sets.test.uar,
      testByCorpus: sets.test.byCorpus,
      testPerEmotion: sets.test.perEmotion,
      report: outDir,
    }));
  } else {
    console.log(
      `${config.name} (${config.architecture}, ${config.protocol} split${
        copies.length ? `, test-time augmentation with ${copies.length} copies` : ""
      })`,
    );
    console.log(`set   clips  accuracy  (95 % interval)  UAR`);
    const percent = (v: number) => (v * 100).toFixed(1);
    for (const [name, r] of Object.entries(sets)) {
      const [lo, hi] = r.accuracyCi95;
      console.log(
        `${name.padEnd(5)} ${String(r.clips).padStart(5)}  ${percent(r.accuracy).padStart(7)} %  (${
          percent(lo)
        }–${percent(hi)} %)  ${percent(r.uar)} %`,
      );
    }
    if (functionals) {
      console.log(
        `mixed with the dense member (weight ${functionals.config.weight}); the LSTMs alone: ` +
          Object.entries(lstmOnly).map(([name, r]) => `${name} ${percent(r.accuracy)} %`).join(
            ", ",
          ),
      );
    }
    if (voice) {
      console.log(
        `with a voice reference from ${history} other clips of each speaker${
          moods === undefined ? "" : ` (of ${moods} emotions)`
        } (voice member, weight ` +
          `${voice.config.weight}, ${voice.config.mix ?? "arithmetic"} mix): ` +
          Object.entries(withVoice).map(([name, r]) => `${name} ${percent(r.accuracy)} %`).join(
            ", ",
          ),
      );
    }
    for (const [name, r] of Object.entries(sets)) {
      const parts = Object.entries(r.byCorpus ?? {}).map(([corpus, c]) =>
        `${corpus} ${percent(c.accuracy)} % of ${c.clips}`
      );
      console.log(`${name} by corpus: ${parts.join(", ")}`);
    }
    console.log("recall per emotion (test):");
    for (const [label, recall] of Object.entries(sets.test.perEmotion)) {
      console.log(
        `  ${label.padEnd(10)} ${recall === null ? "n/a" : (recall * 100).toFixed(1) + " %"}`,
      );
    }
    console.log(`pictures and metrics.json in ${outDir}/`);
  }
}

if (import.meta.main) {
  tf.enableProdMode();
  await main(Deno.args).catch((err) => failAndExit("eval", err));
}
