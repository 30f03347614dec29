/**
 * Evaluates a trained model on its validation and test clips (from the model's
 * `split.json`) and writes `reports/NAME/`: `metrics.json` plus SVG pictures — loss and
 * accuracy curves, confusion matrices and recall per emotion for each set.
 *
 * Usage: deno task eval --model models/NAME --ravdess DIR --tess DIR [--out DIR] [--json]
 *
 * A model with `normalisation: "speaker"` gets each speaker's statistics from that speaker's
 * clips in the set being scored (no labels used), as training did for validation speakers.
 */
import * as tf from "@tensorflow/tfjs";
import { failAndExit, parseCli, UsageError } from "../lib/cli/args.ts";
import { FeatureStore } from "../lib/data/feature_store.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { featureSetOf } from "../lib/model/input.ts";
import { modelFiles, resolveSplitEntries, type SplitFile } from "../lib/model/model_files.ts";
import { loadFeatures, speakerStatsBy, toArraySet } from "../lib/train/dataset.ts";
import { reportPictures, scoreSet, type SetReport } from "../lib/train/report.tsx";
import { predictAll } from "../lib/train/trainer.ts";

async function main(argv: string[]) {
  const { values } = parseCli(argv, {
    model: { type: "string" },
    ravdess: { type: "string" },
    tess: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (!values.model) throw new UsageError("Give --model models/NAME");
  const files = modelFiles(values.model);
  const { classifier, config } = await loadEmotionModel(values.model, {
    speakerNormalisation: true,
  });
  const split: SplitFile = JSON.parse(await Deno.readTextFile(files.split));
  const history = JSON.parse(await Deno.readTextFile(files.history));
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
    sets[name] = scoreSet(probs, arrays.y, config.labels, items.map((item) => item.corpus));
  }
  const outDir = values.out ?? `reports/${config.name}`;
  await Deno.mkdir(outDir, { recursive: true });
  const metrics = {
    model: config.name,
    architecture: config.architecture,
    protocol: config.protocol,
    input: config.input,
    // An ensemble has no epochs of its own: its members' are listed instead.
    ...(config.members
      ? { members: config.members }
      : { bestEpoch: config.bestEpoch, epochs: history.length }),
    ...sets,
  };
  await Deno.writeTextFile(`${outDir}/metrics.json`, JSON.stringify(metrics, null, 2) + "\n");
  for (
    const [file, text] of Object.entries(reportPictures(config.name, config.labels, sets, history))
  ) {
    await Deno.writeTextFile(`${outDir}/${file}`, text);
  }
  if (values.json) {
    console.log(JSON.stringify({
      model: config.name,
      protocol: config.protocol,
      valAccuracy: sets.val.accuracy,
      testAccuracy: sets.test.accuracy,
      testAccuracyCi95: sets.test.accuracyCi95,
      testUar: sets.test.uar,
      testByCorpus: sets.test.byCorpus,
      testPerEmotion: sets.test.perEmotion,
      report: outDir,
    }));
  } else {
    console.log(`${config.name} (${config.architecture}, ${config.protocol} split)`);
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
