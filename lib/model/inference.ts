/**
 * Loading a trained emotion classifier once and running it on feature matrices, with the shape
 * and label checks that turn a mismatched model into a clear error instead of wrong answers.
 *
 * @example
 * ```ts
 * const classifier = await loadClassifier(new URL("file:///app/models/default/"), {
 *   labels: ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"],
 * });
 * const { label, confidence } = classifier.classify(features); // Float32Array, 339 × 15
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { withFusedLstm } from "./fused_lstm.ts";
// Registers FusedDropout, which models trained here hold, for loading.
import "./fused_dropout.ts";
import { fileSystemLoadHandler } from "./fs_io.ts";
import { type ClassifierStepper, createEnsembleStepper } from "./lstm_stepper.ts";
import { memberWeightsOf } from "./stepper_weights.ts";

/** Input shape of the published model: any batch, 339 frames, 15 features per frame. */
export const DEFAULT_INPUT_SHAPE: readonly [null, number, number] = [null, 339, 15];

/** Options of {@link loadClassifier}. */
export interface LoadClassifierOptions {
  /** Class names in output order; their count must equal the model's output width. */
  labels: readonly string[];
  /**
   * Expected model input shape `[batch, frames, features]`; `null` matches any size. Default
   * {@link DEFAULT_INPUT_SHAPE}.
   */
  inputShape?: readonly (number | null)[];
  /**
   * Load `LSTM` layers as `FusedLSTM` (same weights, same results within float rounding, several
   * times faster). Default true.
   */
  fuseLstm?: boolean;
  /**
   * Run models of forward LSTMs and a softmax head (and ensembles of them) through the
   * typed-array stepper of `lstm_stepper.ts` instead of tfjs: the same results within float
   * rounding, without tfjs's per-call overhead (1.03 against 2.35 ms for a 3 s window of one
   * network of the shipped model, 2.96 against 6.53 ms for all three; the two paths alternated
   * in one process). The weights are read once, when the
   * classifier is made. Other models (bidirectional, pooling) always run through tfjs.
   * Default true.
   */
  stepper?: boolean;
}

/** One clip's prediction in label terms. */
export interface Classification {
  /** Most probable label. */
  label: string;
  /** Its probability. */
  confidence: number;
  /** Every label's probability. */
  probabilities: Record<string, number>;
}

/** A loaded model with its labels; safe to share, holds no per-call state. */
export interface Classifier {
  /** Class names in output order. */
  readonly labels: readonly string[];
  /** Model input shape `[batch, frames, features]` (batch is null). */
  readonly inputShape: readonly (number | null)[];
  /** The underlying tfjs model, for callers that need more than probabilities. */
  readonly model: tf.LayersModel;
  /** Whether predictions run through the LSTM stepper (see {@link LoadClassifierOptions}). */
  readonly stepped: boolean;
  /**
   * Class probabilities for each clip; each clip is a row-major `[frames, features]` matrix.
   * Runs the stepper over each clip, or one batched tfjs `predict` in `tf.tidy`, so no tensor
   * outlives the call.
   */
  predict(clips: readonly Float32Array[]): Float32Array[];
  /** {@link Classifier.predict} for one clip, mapped onto the labels. */
  classify(clip: Float32Array): Classification;
}

const cache = new Map<string, Promise<tf.LayersModel>>();

/**
 * Loads a layers model from a directory or `model.json` (path or `file:` URL), or from any tfjs
 * IOHandler (e.g. `tf.io.fromMemory`), and checks it against the expected input shape and the
 * labels. Models from paths and URLs are loaded once per process and shared between callers,
 * so callers must not dispose `classifier.model` for those.
 * Throws `RangeError`s like `Expected input shape [null, 339, 15] but got [null, 300, 15]` and
 * `Expected 8 labels but got 7` (the model's output width against the labels given).
 */
export async function loadClassifier(
  source: string | URL | tf.io.IOHandler,
  options: LoadClassifierOptions,
): Promise<Classifier> {
  const fuse = options.fuseLstm ?? true;
  let model: tf.LayersModel;
  if (typeof source === "string" || source instanceof URL) {
    const key = `${fuse ? "fused" : "plain"} ${source instanceof URL ? source.href : source}`;
    let loading = cache.get(key);
    if (loading === undefined) {
      loading = tf.loadLayersModel(withTopologyRewrite(fileSystemLoadHandler(source), fuse));
      cache.set(key, loading);
      // A failed load is not cached, so a fixed file can be loaded again.
      loading.catch(() => cache.delete(key));
    }
    model = await loading;
  } else {
    model = await tf.loadLayersModel(withTopologyRewrite(source, fuse));
  }
  return createClassifier(model, options);
}

function withTopologyRewrite(handler: tf.io.IOHandler, fuse: boolean): tf.io.IOHandler {
  if (!fuse) return handler;
  return {
    load: async () => {
      const artifacts = await handler.load!();
      return { ...artifacts, modelTopology: withFusedLstm(artifacts.modelTopology) };
    },
  };
}

function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => d === null ? "null" : String(d)).join(", ")}]`;
}

/**
 * Wraps an already loaded model with the same checks and helpers as {@link loadClassifier}, for
 * models built or trained in the same process.
 */
export function createClassifier(
  model: tf.LayersModel,
  options: LoadClassifierOptions,
): Classifier {
  const expectedShape = options.inputShape ?? DEFAULT_INPUT_SHAPE;
  const inputShape = model.inputs[0].shape;
  const shapeMatches = inputShape.length === expectedShape.length &&
    expectedShape.every((d, i) => d === null || d === inputShape[i]);
  if (!shapeMatches) {
    throw new RangeError(
      `Expected input shape ${formatShape(expectedShape)} but got ${formatShape(inputShape)}`,
    );
  }
  const outputShape = model.outputs[0].shape;
  const classes = outputShape[outputShape.length - 1];
  if (outputShape.length !== 2 || classes === null) {
    throw new RangeError(
      `Expected output shape [null, classes] but got ${formatShape(outputShape)}`,
    );
  }
  const labels = [...options.labels];
  if (labels.length !== classes) {
    throw new RangeError(`Expected ${classes} labels but got ${labels.length}`);
  }
  const [, frames, features] = inputShape as [null, number | null, number | null];
  const stepper = (options.stepper ?? true) ? stepperOf(model) : null;

  function predict(clips: readonly Float32Array[]): Float32Array[] {
    if (clips.length === 0) return [];
    const width = features ?? 0;
    const length = clips[0].length;
    const clipFrames = frames ?? (width > 0 ? length / width : NaN);
    for (const clip of clips) {
      if (
        clip.length !== length || !Number.isInteger(clipFrames) ||
        clip.length !== clipFrames * width
      ) {
        throw new RangeError(
          `Expected clips of ${frames ?? "n"} × ${features} values (all alike) but got ` +
            `${clip.length}`,
        );
      }
    }
    if (stepper) return clips.map((clip) => stepper.advance(clip, stepper.initialState()));
    const flat = tf.tidy(() => {
      const batch = new Float32Array(clips.length * length);
      clips.forEach((clip, i) => batch.set(clip, i * length));
      const x = tf.tensor3d(batch, [clips.length, clipFrames, width]);
      const y = model.predict(x) as tf.Tensor;
      return (y.dataSync() as Float32Array).slice();
    });
    return clips.map((_, i) => flat.slice(i * classes!, (i + 1) * classes!));
  }

  return {
    labels,
    inputShape,
    model,
    stepped: stepper !== null,
    predict,
    classify(clip: Float32Array): Classification {
      const [p] = predict([clip]);
      let best = 0;
      for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
      const probabilities: Record<string, number> = {};
      labels.forEach((label, j) => probabilities[label] = p[j]);
      return { label: labels[best], confidence: p[best], probabilities };
    },
  };
}

/** The stepper of a model it can run (forward LSTMs, a softmax head, ensembles), else null. */
function stepperOf(model: tf.LayersModel): ClassifierStepper | null {
  try {
    return createEnsembleStepper(memberWeightsOf(model));
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}
