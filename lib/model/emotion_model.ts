/**
 * A trained emotion model with everything needed to use it: the tfjs classifier, its
 * labels and its input transform, loaded from a model folder and checked against the
 * audio pipeline of this code. One code path turns audio into probabilities for files,
 * the CLI and (per utterance) live recordings.
 */
import {
  HOP_LENGTH,
  MODEL_INPUT_SAMPLES,
  MODEL_SAMPLE_RATE_HZ,
  PIPELINE_VERSION,
} from "../audio/constants.ts";
import { utteranceFunctionals } from "../audio/functionals.ts";
import { extractModelFeatures } from "../audio/pitch.ts";
import { preprocess } from "../audio/preprocess.ts";
import { resample } from "../audio/resample.ts";
import { type Classification, type Classifier, loadClassifier } from "./inference.ts";
import { type FunctionalsModel, loadFunctionalsModel, mixWithDense } from "./functionals_model.ts";
import { logProbabilities, lstmFingerprint, referenced, VOICE_DIR } from "./voice_reference.ts";
import { inputWidth, modelInput } from "./input.ts";
import { type ModelConfig, modelFiles, readModelConfig } from "./model_files.ts";
import { checkTtaCopies, meanOfGroups, ttaCopiesOf } from "./tta.ts";

/** The model shipped with the service, used when no other is named. */
export const DEFAULT_MODEL_DIR = new URL("../../models/default/", import.meta.url);

/** A loaded model and its settings. */
export interface EmotionModel {
  classifier: Classifier;
  config: ModelConfig;
  /**
   * Augmented copies each window is also classified from, its probabilities the mean over the
   * window and its copies (test-time augmentation, `tta.ts`); 0 or unset: the window alone.
   */
  ttaCopies?: number;
  /**
   * The dense member over utterance functionals (`functionals_model.ts`), mixed into every
   * window's probabilities with its configured weight; absent or null: the LSTMs alone.
   */
  functionals?: FunctionalsModel | null;
  /**
   * The voice-referenced dense member (`voice_reference.ts`), used instead of `functionals` for
   * a person whose voice reference is known ({@link ClassifyOptions.reference}); absent or null:
   * `functionals` for everyone.
   */
  voice?: FunctionalsModel | null;
  /**
   * Fingerprint of the LSTMs' weights (`voice_reference.ts` `lstmFingerprint`), which a voice
   * sample's leaning is kept with; null or absent without a voice member or for a model built in
   * code.
   */
  lstm?: string | null;
}

/** Options of {@link classifyRecording}. */
export interface ClassifyOptions {
  /**
   * The speaker's voice reference (mean functionals of their earlier recordings): with a model
   * that has a voice-referenced member, that member is mixed in instead of the plain one.
   */
  reference?: Float32Array | null;
  /**
   * With `reference`: the speaker's LSTM leaning (`VoiceReference.leaning`), divided out of the
   * LSTMs' probabilities as strongly as the voice member's `lstmReference` says.
   */
  leaning?: Float32Array | null;
  /** Receives the functionals of every classified window (for the entry's voice sample). */
  functionalsOut?: Float32Array[];
  /** Receives the LSTMs' log-probabilities of the same windows, in the same order. */
  leaningOut?: Float32Array[];
}

/** One classified stretch of a recording. */
export interface SegmentClassification extends Classification {
  startS: number;
  endS: number;
}

/** A whole recording's classification; `segments` only for recordings longer than two windows. */
export interface RecordingClassification extends Classification {
  segments?: SegmentClassification[];
}

const sources = new WeakMap<EmotionModel, string>();

/**
 * The folder `model` was loaded from by {@link loadEmotionModel} (so another thread can load
 * the same one), or null for a model built some other way.
 */
export function modelSourceOf(model: EmotionModel): string | null {
  return sources.get(model) ?? null;
}

/** Options of {@link loadEmotionModel}. */
export interface LoadOptions {
  /**
   * Accept a model whose input is normalised per speaker (`normalisation: "speaker"`). Its
   * input needs the speaker's statistics, which only the caller can supply (evaluation does,
   * from the held-out speakers' clips); file classification and live recordings cannot yet,
   * so without this such a model is refused.
   */
  speakerNormalisation?: boolean;
  /**
   * Test-time augmentation copies ({@link EmotionModel.ttaCopies}); default the model's own
   * setting (`tta.copies` in `config.json`), or none.
   */
  ttaCopies?: number;
  /**
   * Load the folder's dense member (`functionals/`) when it has one; default true. False gives
   * the LSTMs alone, as evaluation reports them beside the mix.
   */
  functionals?: boolean;
}

/**
 * Loads a model folder (default: the shipped model). Throws when the model was trained
 * on another audio pipeline version, since its features would not match, for a model
 * normalised per speaker unless `options.speakerNormalisation` is set, and for test-time
 * augmentation of a model that was not trained on augmented copies.
 */
export async function loadEmotionModel(
  dir: string | URL = DEFAULT_MODEL_DIR,
  options: LoadOptions = {},
): Promise<EmotionModel> {
  const path = dir instanceof URL ? dir.pathname : dir;
  const config = await readModelConfig(path);
  if (config.input.pipelineVersion !== PIPELINE_VERSION) {
    throw new RangeError(
      `Expected a model for audio pipeline ${PIPELINE_VERSION} but got ${config.input.pipelineVersion} (${path})`,
    );
  }
  if (config.input.normalisation === "speaker" && !options.speakerNormalisation) {
    throw new RangeError(
      `Expected a model that needs no speaker statistics, but ${path} uses normalisation "speaker": ` +
        "classification of files and live recordings cannot supply a speaker's statistics yet " +
        "(only deno task eval can)",
    );
  }
  const classifier = await loadClassifier(modelFiles(path).dir, {
    labels: config.labels,
    inputShape: [null, config.input.frames, inputWidth(config.input)],
  });
  const ttaCopies = checkTtaCopies(options.ttaCopies ?? config.tta?.copies ?? 0);
  if (ttaCopies > 0 && !(config.augmentCopies > 0)) {
    // Copies help networks that learned from such copies; the published recipe's networks,
    // trained on original clips only, lose accuracy with them (models/MODEL_CARD.md).
    throw new RangeError(
      `Expected a model trained on augmented copies for test-time augmentation, but ${path} was trained without (augmentCopies ${config.augmentCopies})`,
    );
  }
  const functionals = options.functionals === false
    ? null
    : await loadFunctionalsModel(path, config.labels);
  const voice = options.functionals === false
    ? null
    : await loadFunctionalsModel(path, config.labels, VOICE_DIR);
  if (voice && voice.config.reference !== "speaker-mean") {
    throw new RangeError(
      `Expected ${VOICE_DIR}/ of ${path} to hold a member trained on voice-referenced functionals`,
    );
  }
  if (functionals?.config.reference) {
    throw new RangeError(
      `Expected functionals/ of ${path} to read raw functionals, but it was trained on referenced ones`,
    );
  }
  // Only a voice member's leaning needs to know which LSTMs computed it.
  const lstm = voice
    ? await lstmFingerprint(classifier.model.getWeights().map((w) => w.dataSync() as Float32Array))
    : null;
  const model = { classifier, config, ttaCopies, functionals, voice, lstm };
  sources.set(model, path);
  return model;
}

/** A recording (or the part given) holds nothing but silence. */
export class NoSpeechError extends Error {
  constructor() {
    super("No sound to classify: the recording is silent.");
    this.name = "NoSpeechError";
  }
}

/**
 * Model input for one window of 16 kHz audio (preprocessing + features + transform), or
 * null when preprocessing leaves only silence.
 */
export function windowInput(model: EmotionModel, samples16k: Float32Array): Float32Array | null {
  const audio = preprocess(samples16k, MODEL_SAMPLE_RATE_HZ);
  if (audio.every((v) => v === 0)) return null;
  return modelInput(extractModelFeatures(audio, model.config.input), model.config.input);
}

/**
 * Model inputs for one window: the window's ({@link windowInput}) and its test-time augmentation
 * copies' ({@link EmotionModel.ttaCopies}), or null when preprocessing leaves only silence.
 */
function windowInputs(model: EmotionModel, samples16k: Float32Array): Float32Array[] | null {
  const input = windowInput(model, samples16k);
  if (!input) return null;
  const inputs = [input];
  for (const copy of ttaCopiesOf(samples16k, model.ttaCopies ?? 0)) {
    const copyInput = windowInput(model, copy);
    if (copyInput) inputs.push(copyInput);
  }
  return inputs;
}

/**
 * The model's probabilities for each window: the LSTMs' over the window's inputs
 * ({@link windowInputs}), averaged, mixed with the dense member's over the window's functionals
 * when the model has one (`audio[i]` is window `i`'s 16 kHz audio): the voice-referenced member
 * over the functionals minus `options.reference` when both are there, else the plain one.
 */
function predictWindows(
  model: EmotionModel,
  windows: readonly Float32Array[][],
  audio: readonly Float32Array[],
  options: ClassifyOptions,
): Float32Array[] {
  const probs = meanOfGroups(
    model.classifier.predict(windows.flat()),
    windows.map((w) => w.length),
  );
  const dense = options.reference && model.voice ? model.voice : model.functionals;
  if (!dense && !options.functionalsOut) return probs;
  const vectors = audio.map((a) => utteranceFunctionals(a));
  vectors.forEach((v, i) => {
    if (!v) return;
    options.functionalsOut?.push(v);
    options.leaningOut?.push(logProbabilities(probs[i]));
  });
  if (!dense) return probs;
  const reference = dense === model.voice ? options.reference! : null;
  const leaning = reference ? options.leaning ?? null : null;
  return mixWithDense(
    dense,
    probs,
    reference ? vectors.map((v) => v && referenced(v, reference)) : vectors,
    leaning ? vectors.map(() => leaning) : undefined,
  );
}

function toClassification(labels: readonly string[], probs: ArrayLike<number>): Classification {
  let best = 0;
  for (let i = 1; i < labels.length; i++) if (probs[i] > probs[best]) best = i;
  return {
    label: labels[best],
    confidence: probs[best],
    probabilities: Object.fromEntries(labels.map((l, i) => [l, probs[i]])),
  };
}

/**
 * Classifies a recording. Up to two model windows long (6 s), it is one clip, cropped to
 * its loudest window exactly as in training. Longer recordings are cut into consecutive
 * windows; silent windows are skipped; the recording's probabilities are the mean of its
 * segments'. A model with a dense member mixes its probabilities over each clip's or window's
 * functionals in (the whole clip, not only its loudest window, as the member was trained),
 * the voice-referenced member when `options.reference` is given and the model has one.
 * Throws {@link NoSpeechError} when nothing but silence is left.
 */
export function classifyRecording(
  model: EmotionModel,
  samples: Float32Array,
  sampleRateHz: number,
  options: ClassifyOptions = {},
): RecordingClassification {
  const { labels } = model.config;
  const audio = resample(samples, sampleRateHz, MODEL_SAMPLE_RATE_HZ);
  const window = MODEL_INPUT_SAMPLES;
  if (audio.length <= 2 * window) {
    const inputs = windowInputs(model, audio);
    if (!inputs) throw new NoSpeechError();
    const [probs] = predictWindows(model, [inputs], [audio], options);
    return toClassification(labels, probs);
  }
  const starts: number[] = [];
  const inputs: Float32Array[][] = [];
  const pieces: Float32Array[] = [];
  for (let start = 0; start < audio.length; start += window) {
    const piece = audio.subarray(start, Math.min(audio.length, start + window));
    if (piece.length < HOP_LENGTH * 4) break;
    const pieceInputs = windowInputs(model, piece);
    if (!pieceInputs) continue;
    starts.push(start);
    inputs.push(pieceInputs);
    pieces.push(piece);
  }
  if (inputs.length === 0) throw new NoSpeechError();
  const mean = new Float32Array(labels.length);
  const segments = predictWindows(model, inputs, pieces, options).map((probs, i) => {
    probs.forEach((p, k) => mean[k] += p / inputs.length);
    const start = starts[i];
    return {
      startS: start / MODEL_SAMPLE_RATE_HZ,
      endS: Math.min(audio.length, start + window) / MODEL_SAMPLE_RATE_HZ,
      ...toClassification(labels, probs),
    };
  });
  return { ...toClassification(labels, mean), segments };
}
