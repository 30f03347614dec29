/**
 * The dense member: a one-hidden-layer network over a clip's utterance functionals
 * (`lib/audio/functionals.ts`), whose probabilities are averaged with the LSTMs'.
 *
 * It lives in a `functionals/` folder inside a model folder (`model.json`, `weights.bin`,
 * `config.json`). The network reads raw functionals: the training set's standardisation is
 * folded into its first layer (`standardise.ts`), and several seeds are one tfjs model whose
 * output averages theirs (`ensemble.ts`). A model folder without that sub-folder is the LSTMs
 * alone, as before.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { FUNCTIONAL_COUNT, FUNCTIONALS_VERSION } from "../audio/functionals.ts";
import { fileSystemLoadHandler } from "./fs_io.ts";
import { logProbabilities, softmax, unleaned } from "./voice_reference.ts";

/** Sub-folder of a model folder that holds its dense member. */
export const FUNCTIONALS_DIR = "functionals";

/** Settings of a dense member (`functionals/config.json`). */
export interface FunctionalsConfig {
  /** {@link FUNCTIONALS_VERSION} of the functionals it was trained on. */
  version: string;
  labels: string[];
  /** Units of the hidden layer. */
  units: number;
  /** L2 penalty per weight (`l2 · Σ w²` added to the loss per batch). */
  l2: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** One network per seed; the saved model averages them. */
  seeds: number[];
  /** Share of the dense member in the mix: `(1 − weight) · LSTMs + weight · dense`. */
  weight: number;
  /**
   * RAVDESS actors held out of its training (`[]`: every voice trained, unless `splitOf`).
   */
  heldOutActors: { test: string[]; val: string[] };
  /**
   * Set when trained for a model folder's split (`train-functionals --split-of DIR`): that
   * folder. Its held-out clips are then in the member folder's own `split.json`.
   */
  splitOf?: string;
  /** Training clips. */
  trainClips: number;
  /** Augmented copies of each RAVDESS training clip (`train-functionals --augment`), if any. */
  augment?: { copies: number; noise: boolean; keepTempo: boolean };
  /**
   * `"speaker-mean"`: trained on functionals minus their speaker's mean, so it reads a clip's
   * functionals minus its speaker's voice reference (`voice_reference.ts`); unset: raw ones.
   */
  reference?: "speaker-mean";
  /**
   * With `reference`: how strongly a person's LSTM leaning is divided out of the LSTMs'
   * probabilities before this member is mixed with them (`voice_reference.ts` `unleaned`);
   * unset or 0: not at all.
   */
  lstmReference?: number;
  /**
   * How this member's probabilities are mixed with the LSTMs' ({@link mixRule}): by the weighted
   * arithmetic mean (unset or `"arithmetic"`) or the weighted geometric one (`"geometric"`).
   */
  mix?: MixRule;
}

/** A loaded dense member. */
export interface FunctionalsModel {
  model: tf.LayersModel;
  config: FunctionalsConfig;
}

/** Hyper-parameters of {@link buildFunctionalsNet}. */
export interface FunctionalsNetOptions {
  units: number;
  l2: number;
  seed: number;
  classes: number;
}

/**
 * `Dense(units, relu) → Dense(classes, softmax)` over {@link FUNCTIONAL_COUNT} inputs, L2 on
 * both kernels, Glorot-uniform weights drawn from `seed`.
 */
export function buildFunctionalsNet(options: FunctionalsNetOptions): tf.LayersModel {
  // No layer names: tfjs keeps variable names unique per process by suffixing repeated ones,
  // which would hide `…/kernel` from foldedWeights for every network after the first.
  const input = tf.input({ shape: [FUNCTIONAL_COUNT] });
  const regularizer = () => tf.regularizers.l2({ l2: options.l2 });
  const hidden = tf.layers.dense({
    units: options.units,
    activation: "relu",
    kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed }),
    kernelRegularizer: regularizer(),
  }).apply(input) as tf.SymbolicTensor;
  const output = tf.layers.dense({
    units: options.classes,
    activation: "softmax",
    kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed + 1000 }),
    kernelRegularizer: regularizer(),
  }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

/** Whether `modelDir` holds a dense member (in its sub-folder `sub`). */
export async function hasFunctionals(
  modelDir: string,
  sub: string = FUNCTIONALS_DIR,
): Promise<boolean> {
  try {
    return (await Deno.stat(join(modelDir, sub, "config.json"))).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Loads the dense member of `modelDir` (from its sub-folder `sub`, default
 * {@link FUNCTIONALS_DIR}), or null when it has none. Throws when it was trained on
 * other functionals, for other labels, or when its network does not read
 * {@link FUNCTIONAL_COUNT} numbers and give one probability per label.
 */
export async function loadFunctionalsModel(
  modelDir: string,
  labels: readonly string[],
  sub: string = FUNCTIONALS_DIR,
): Promise<FunctionalsModel | null> {
  if (!await hasFunctionals(modelDir, sub)) return null;
  const dir = join(modelDir, sub);
  const config: FunctionalsConfig = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  if (config.version !== FUNCTIONALS_VERSION) {
    throw new RangeError(
      `Expected a dense member for ${FUNCTIONALS_VERSION} but got ${config.version} (${dir})`,
    );
  }
  if (config.labels.join() !== labels.join()) {
    throw new RangeError(
      `Expected the dense member's labels ${labels.join(", ")} but got ${
        config.labels.join(", ")
      } (${dir})`,
    );
  }
  if (!(config.weight >= 0 && config.weight <= 1)) {
    throw new RangeError(`Expected a mixing weight in [0, 1] but got ${config.weight} (${dir})`);
  }
  if (config.mix !== undefined && !MIX_RULES.includes(config.mix)) {
    throw new RangeError(
      `Expected a mixing rule ${MIX_RULES.join(" or ")} but got ${config.mix} (${dir})`,
    );
  }
  const model = await tf.loadLayersModel(fileSystemLoadHandler(dir));
  const [, width] = model.inputs[0].shape;
  const [, classes] = model.outputs[0].shape;
  if (width !== FUNCTIONAL_COUNT || classes !== labels.length) {
    throw new RangeError(
      `Expected a dense member reading ${FUNCTIONAL_COUNT} numbers into ${labels.length} ` +
        `probabilities but got ${width} into ${classes} (${dir})`,
    );
  }
  return { model, config };
}

/** Probabilities of each functionals vector, in one batched call inside `tf.tidy`. */
export function predictFunctionals(
  model: tf.LayersModel,
  vectors: readonly Float32Array[],
): Float32Array[] {
  if (vectors.length === 0) return [];
  for (const v of vectors) {
    if (v.length !== FUNCTIONAL_COUNT) {
      throw new RangeError(`Expected ${FUNCTIONAL_COUNT} functionals but got ${v.length}`);
    }
  }
  const flat = tf.tidy(() => {
    const batch = new Float32Array(vectors.length * FUNCTIONAL_COUNT);
    vectors.forEach((v, i) => batch.set(v, i * FUNCTIONAL_COUNT));
    const y = model.predict(tf.tensor2d(batch, [vectors.length, FUNCTIONAL_COUNT])) as tf.Tensor;
    return (y.dataSync() as Float32Array).slice();
  });
  const classes = flat.length / vectors.length;
  return vectors.map((_, i) => flat.slice(i * classes, (i + 1) * classes));
}

/**
 * `probs` (the LSTMs' probabilities of some clips) mixed with the dense member's over the clips'
 * functionals `vectors` (null for a silent clip, which keeps its LSTM probabilities), in one
 * batched call: what every reader of a model with a dense member reports. A voice member with
 * an `lstmReference` first divides each clip's leaning (`leanings[i]`, where given) out of its
 * LSTM probabilities (`voice_reference.ts`). The member's `mix` rule and `weight` combine the two.
 */
export function mixWithDense(
  dense: FunctionalsModel,
  probs: readonly Float32Array[],
  vectors: readonly (Float32Array | null)[],
  leanings?: readonly (Float32Array | null)[],
): Float32Array[] {
  if (vectors.length !== probs.length) {
    throw new RangeError(`Expected ${probs.length} functionals vectors but got ${vectors.length}`);
  }
  if (leanings && leanings.length !== probs.length) {
    throw new RangeError(`Expected ${probs.length} leanings but got ${leanings.length}`);
  }
  const present = vectors.flatMap((v, i) => (v ? [i] : []));
  const denseProbs = predictFunctionals(dense.model, present.map((i) => vectors[i]!));
  const strength = dense.config.reference ? dense.config.lstmReference ?? 0 : 0;
  const mix = mixRule(dense.config.mix ?? "arithmetic");
  const out = [...probs];
  present.forEach((i, k) => {
    const leaning = strength > 0 ? leanings?.[i] : null;
    const lstm = leaning ? unleaned(probs[i], leaning, strength) : probs[i];
    out[i] = mix(lstm, denseProbs[k], dense.config.weight);
  });
  return out;
}

/** How two members' probabilities are mixed ({@link FunctionalsConfig.mix}). */
export type MixRule = "arithmetic" | "geometric";
/** Every {@link MixRule}. */
export const MIX_RULES: readonly MixRule[] = ["arithmetic", "geometric"];

/** The mixing function of `rule`. */
export function mixRule(
  rule: MixRule,
): (a: ArrayLike<number>, b: ArrayLike<number>, weight: number) => Float32Array {
  return rule === "geometric" ? geometricMix : mixProbabilities;
}

/**
 * softmax(`(1 − weight) · log a + weight · log b`): the weighted geometric mean of two
 * probability vectors, normalised (a product of experts). A member sure that an emotion is
 * absent vetoes it, where the arithmetic mean lets the other member's confidence carry it.
 * Probabilities are floored at {@link logProbabilities}' floor.
 */
export function geometricMix(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  weight: number,
): Float32Array {
  if (a.length !== b.length) {
    throw new RangeError(`Expected ${a.length} probabilities but got ${b.length}`);
  }
  const lb = logProbabilities(b);
  return softmax(Array.from(logProbabilities(a), (v, i) => (1 - weight) * v + weight * lb[i]));
}

/** `(1 − weight) · a + weight · b`, element by element. */
export function mixProbabilities(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  weight: number,
): Float32Array {
  if (a.length !== b.length) {
    throw new RangeError(`Expected ${a.length} probabilities but got ${b.length}`);
  }
  return Float32Array.from(a, (p, i) => (1 - weight) * p + weight * b[i]);
}
