/**
 * Combines trained models into one ensemble model whose prediction is the mean of theirs
 * (`lib/model/ensemble.ts`).
 *
 * Usage: deno task ensemble --out models/NAME models/A models/B [models/C …]
 *
 * A member that is itself an ensemble adds its members (so an ensemble can grow by a network).
 *
 * The members must share labels, input transform, protocol and validation and test clips
 * (the same `split.json`), so that the ensemble is evaluated on clips none of them trained on.
 * The ensemble folder gets the usual files: `model.json` + `weights.bin`, `labels.json`,
 * `config.json` (the first member's settings, with `members` naming every member's name,
 * seed, epochs and best epoch), `split.json` and an empty `history.json` (each member's
 * history stays in its own folder). It is loaded back before the command succeeds.
 */
import * as tf from "@tensorflow/tfjs";
import { failAndExit, parseCli, UsageError } from "../lib/cli/args.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { ensembleArtifacts, memberArtifactsOf } from "../lib/model/ensemble.ts";
import { fileSystemLoadHandler, fileSystemSaveHandler } from "../lib/model/fs_io.ts";
import {
  heldOutDifference,
  type ModelConfig,
  modelFiles,
  readModelConfig,
} from "../lib/model/model_files.ts";

async function readMember(dir: string) {
  const files = modelFiles(dir);
  try {
    return {
      dir,
      config: await readModelConfig(dir),
      splitText: await Deno.readTextFile(files.split),
      labels: JSON.parse(await Deno.readTextFile(files.labels)) as string[],
    };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`${dir} is not a trained model folder (${(err as Error).message})`);
    }
    throw err;
  }
}

function same(a: unknown, b: unknown) {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function main(argv: string[]) {
  const { values, positionals } = parseCli(argv, { out: { type: "string" } }, true);
  if (!values.out) throw new UsageError("Give --out models/NAME");
  if (positionals.length < 2) {
    throw new UsageError(`Expected at least 2 member model folders, but got ${positionals.length}`);
  }
  const members = [];
  for (const dir of positionals) members.push(await readMember(dir));
  const [first] = members;
  for (const m of members) {
    const checks: [string, boolean][] = [
      ["labels", same(m.labels, first.labels)],
      ["input", same(m.config.input, first.config.input)],
      ["protocol", m.config.protocol === first.config.protocol],
      [
        "split.json",
        heldOutDifference(JSON.parse(m.splitText), JSON.parse(first.splitText)) === null,
      ],
    ];
    for (const [what, agrees] of checks) {
      if (!agrees) {
        throw new UsageError(
          `Expected every member to have the ${what} of ${first.dir}, but ${m.dir} differs`,
        );
      }
    }
  }
  const out = values.out.replace(/\/+$/, "");
  const name = out.split("/").pop()!;
  const artifacts = [];
  for (const m of members) {
    artifacts.push(...memberArtifactsOf(await fileSystemLoadHandler(m.dir).load!()));
  }
  const files = modelFiles(out);
  await Deno.mkdir(out, { recursive: true });
  await fileSystemSaveHandler(out).save!(ensembleArtifacts(artifacts, name));
  const config: ModelConfig = {
    ...first.config,
    name,
    members: members.flatMap(({ config: c }) =>
      c.members ?? [{ name: c.name, seed: c.seed, epochs: c.epochs, bestEpoch: c.bestEpoch }]
    ),
  };
  await Deno.writeTextFile(files.labels, JSON.stringify(first.labels) + "\n");
  await Deno.writeTextFile(files.config, JSON.stringify(config, null, 2) + "\n");
  await Deno.writeTextFile(files.split, first.splitText);
  await Deno.writeTextFile(files.history, "[]\n");
  const { classifier } = await loadEmotionModel(out, { speakerNormalisation: true });
  console.log(JSON.stringify({
    model: out,
    members: artifacts.length,
    parameters: classifier.model.countParams(),
  }));
}

if (import.meta.main) {
  tf.enableProdMode();
  await main(Deno.args).catch((err) => failAndExit("ensemble", err));
}
