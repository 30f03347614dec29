/**
 * Saving and loading training state so an interrupted run resumes where it stopped:
 * model weights, optimizer accumulators (RMSProp's mean squares), the epoch history and
 * the best epoch so far. Written to a temporary folder and renamed, so a kill mid-save
 * leaves the previous checkpoint intact.
 */
import * as tf from "@tensorflow/tfjs";
import { fileSystemLoadHandler, fileSystemSaveHandler } from "../model/fs_io.ts";
import type { EpochRecord, FitBest } from "./trainer.ts";

/** What `state.json` holds. */
export interface CheckpointState {
  /** Arguments of the run, to refuse resuming with different settings. */
  settings: Record<string, unknown>;
  history: EpochRecord[];
  best: FitBest;
  optimizerSpecs: tf.io.WeightsManifestEntry[];
}

/** The name of a model folder (`models/NAME/` → `NAME`), which also names its checkpoint. */
export function modelName(modelDir: string): string {
  return modelDir.replace(/\/+$/, "").split("/").pop()!;
}

/** Where `train` keeps the checkpoint (the last epoch) of the run writing `modelDir`. */
export function checkpointDirOf(modelDir: string): string {
  return `.cache/checkpoints/${modelName(modelDir)}`;
}

/** Writes the checkpoint of `model` to `dir`. */
export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  state: Omit<CheckpointState, "optimizerSpecs">,
): Promise<void> {
  const tmp = `${dir}.tmp`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await model.save(fileSystemSaveHandler(tmp));
  const { data, specs } = await tf.io.encodeWeights(await model.optimizer.getWeights());
  await Deno.writeFile(`${tmp}/optimizer.bin`, new Uint8Array(data));
  await Deno.writeTextFile(
    `${tmp}/state.json`,
    JSON.stringify({ ...state, optimizerSpecs: specs } satisfies CheckpointState),
  );
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, dir);
}

/**
 * Loads a checkpoint into `model` (built with the same architecture) and returns its state,
 * or null when `dir` holds none.
 */
export async function loadCheckpoint(
  dir: string,
  model: tf.LayersModel,
): Promise<CheckpointState | null> {
  let state: CheckpointState;
  try {
    state = JSON.parse(await Deno.readTextFile(`${dir}/state.json`));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  const artifacts = await fileSystemLoadHandler(dir).load!();
  const weights = tf.io.decodeWeights(
    artifacts.weightData!,
    artifacts.weightSpecs!,
  );
  // model.save writes weights in model.weights order; layer names may differ between
  // processes, so match by position and check shapes.
  const specs = artifacts.weightSpecs!;
  if (specs.length !== model.weights.length) {
    throw new Error(`checkpoint has ${specs.length} weights, the model ${model.weights.length}`);
  }
  model.setWeights(specs.map((spec, i) => {
    const expected = model.weights[i].shape.join("×");
    if (spec.shape.join("×") !== expected) {
      throw new Error(
        `checkpoint weight ${spec.name} is ${spec.shape.join("×")}, expected ${expected}`,
      );
    }
    return weights[spec.name];
  }));
  const optimizerData = await Deno.readFile(`${dir}/optimizer.bin`);
  const named = tf.io.decodeWeights(optimizerData.buffer, state.optimizerSpecs);
  await model.optimizer.setWeights(
    state.optimizerSpecs.map((s) => ({ name: s.name, tensor: named[s.name] })),
  );
  return state;
}
