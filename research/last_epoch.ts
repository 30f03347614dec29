/**
 * The last epoch of a training run as a model folder: `train` keeps the epoch with the best
 * validation accuracy in `models/NAME` and the last epoch's weights in its checkpoint
 * (`.cache/checkpoints/NAME`). This writes `models/NAME-last`: the checkpoint's `model.json`
 * and `weights.bin` with the run's `labels.json`, `split.json` and `history.json`, and its
 * `config.json` with `name`, `bestEpoch` set to the last epoch and `"selection": "last epoch"`.
 * `deno task eval` and `deno task ensemble` then read it like any model, to compare the last
 * epoch with the best-validation one on the same held-out voices.
 *
 * Usage: deno run --allow-read --allow-write research/last_epoch.ts models/NAME [models/NAME …]
 *
 * @module
 */

import { checkpointDirOf, type CheckpointState, modelName } from "../lib/train/checkpoint.ts";

/** The files a model folder shares with its run, and those the checkpoint replaces. */
const FROM_RUN = ["labels.json", "split.json", "history.json"];
const FROM_CHECKPOINT = ["model.json", "weights.bin"];

/**
 * Writes `${modelDir}-last` from `modelDir` and the checkpoint folder `checkpointDir`; returns
 * the new folder and the last epoch. Throws an `Error` naming what is missing.
 */
export async function lastEpochModel(
  modelDir: string,
  checkpointDir: string,
): Promise<{ dir: string; epoch: number }> {
  const dir = modelDir.replace(/\/+$/, "") + "-last";
  const name = modelName(dir);
  let state: Partial<CheckpointState>;
  let config: Record<string, unknown>;
  try {
    state = JSON.parse(await Deno.readTextFile(`${checkpointDir}/state.json`));
    config = JSON.parse(await Deno.readTextFile(`${modelDir}/config.json`));
  } catch (err) {
    throw new Error(
      `Expected a model in ${modelDir} and its checkpoint in ${checkpointDir}: ${
        (err as Error).message
      }`,
    );
  }
  const epoch = state.history?.at(-1)?.epoch;
  if (typeof epoch !== "number") {
    throw new Error(`Expected epochs in ${checkpointDir}/state.json, but its history is empty`);
  }
  await Deno.mkdir(dir, { recursive: true });
  for (const file of FROM_RUN) await Deno.copyFile(`${modelDir}/${file}`, `${dir}/${file}`);
  for (const file of FROM_CHECKPOINT) {
    await Deno.copyFile(`${checkpointDir}/${file}`, `${dir}/${file}`);
  }
  const last = { ...config, name, bestEpoch: epoch, selection: "last epoch" };
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(last, null, 2) + "\n");
  return { dir, epoch };
}

if (import.meta.main) {
  if (Deno.args.length === 0) {
    console.error("last_epoch: give one or more model folders, e.g. models/NAME");
    Deno.exit(2);
  }
  for (const arg of Deno.args) {
    try {
      const { dir, epoch } = await lastEpochModel(arg, checkpointDirOf(arg));
      console.log(`${dir}: epoch ${epoch}`);
    } catch (err) {
      console.error(`last_epoch: ${(err as Error).message}`);
      Deno.exit(1);
    }
  }
}
