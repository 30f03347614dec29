/**
 * From a feature matrix (`[frames, 15]`: RMS, ZCR, 13 MFCCs) to what a model reads. The
 * transform is part of a model's identity, so it is described by an {@link InputConfig}
 * saved beside the weights (`config.json`) and applied by training, evaluation,
 * classification and live inference alike.
 *
 * - `normalisation: "none"` is the published recipe (raw features).
 * - `"utterance"` standardises each feature over the clip's voiced frames (frames with
 *   RMS above {@link VOICED_RMS}); frames outside speech (padding, silence) become 0, the
 *   mean. This removes a speaker's and a microphone's constant colouring — the largest
 *   difference between voices the model heard and new ones.
 * - `"speaker"` standardises each feature with the mean and standard deviation of one
 *   speaker's voiced frames over all of that speaker's clips ({@link speakerStats}); frames
 *   outside speech become 0. The statistics are not part of the model: whoever builds the
 *   input supplies them ({@link SpeakerStats}), computed without labels from that speaker's
 *   own recordings (training clips for training speakers, held-out clips for held-out ones).
 *   Only training and evaluation can do that so far; {@link modelInput} refuses to guess.
 * - `mfcc: n` reads `n` MFCCs per frame instead of the recipe's 13 (`2 + n` base columns).
 * - `pitch: true` reads two more columns per frame, pitch and periodicity
 *   (`lib/audio/pitch.ts`); normalisation and deltas then cover all 17.
 * - `deltas: 1 | 2` appends first (and second) order regression deltas over ±2 frames
 *   (HTK's formula, edges repeated), in the same order as `librosa.feature.delta` with
 *   `width=5`.
 */
import {
  FEATURE_COUNT,
  featureColumns,
  type FeatureSet,
  PIPELINE_VERSION,
} from "../audio/constants.ts";
import type { FeatureMatrix } from "../audio/features.ts";

/** How features become model input; saved with a model. */
export interface InputConfig {
  /** The audio pipeline the model was trained on; features from another one are refused. */
  pipelineVersion: string;
  /** Frames per model input window. */
  frames: number;
  normalisation: "none" | "utterance" | "speaker";
  deltas: 0 | 1 | 2;
  /**
   * Two pitch columns (`lib/audio/pitch.ts`) after the base features of every frame; absent
   * (the recipe) means none.
   */
  pitch?: true;
  /** MFCCs per frame; absent (the recipe) means 13. */
  mfcc?: number;
}

/** The feature set (MFCC count, pitch) a model with this input reads, e.g. for a `FeatureStore`. */
export function featureSetOf(config: InputConfig): FeatureSet {
  return { mfcc: config.mfcc, pitch: config.pitch };
}

/**
 * Columns of the feature matrix a model with this input reads (`featureColumns`): 15 for the
 * recipe, `2 + mfcc`, and 2 more with pitch.
 */
export function baseWidth(config: FeatureSet): number {
  return featureColumns(config);
}

/** Frames quieter than this RMS (about −66 dBFS) do not count as speech. */
export const VOICED_RMS = 5e-4;

/** Width of the model input per frame: the base features times (1 + deltas). */
export function inputWidth(config: InputConfig): number {
  return baseWidth(config) * (1 + config.deltas);
}

/** Regression deltas over ±2 frames of a `[frames, width]` matrix, edges repeated. */
export function deltas(data: Float32Array, frames: number, width: number): Float32Array {
  const out = new Float32Array(data.length);
  const denominator = 2 * (1 + 4);
  for (let t = 0; t < frames; t++) {
    const p1 = Math.min(frames - 1, t + 1) * width;
    const p2 = Math.min(frames - 1, t + 2) * width;
    const m1 = Math.max(0, t - 1) * width;
    const m2 = Math.max(0, t - 2) * width;
    for (let f = 0; f < width; f++) {
      out[t * width + f] = (data[p1 + f] - data[m1 + f] + 2 * (data[p2 + f] - data[m2 + f])) /
        denominator;
    }
  }
  return out;
}

/**
 * Standardises each column over the clip's own voiced frames; other frames become 0 (all of
 * them when no frame is voiced). The statistics of one clip as {@link speakerStats} computes
 * them for several.
 */
export function normaliseUtterance(
  data: Float32Array,
  frames: number,
  width: number,
): Float32Array {
  let voiced = false;
  for (let t = 0; t < frames && !voiced; t++) voiced = data[t * width] > VOICED_RMS;
  if (!voiced) return new Float32Array(data.length);
  const stats = speakerStats([{ data, frames, featureCount: width }]);
  return normaliseSpeaker(data, frames, width, stats);
}

/** Mean and standard deviation of each feature over one speaker's voiced frames. */
export interface SpeakerStats {
  mean: Float64Array;
  std: Float64Array;
  /** Voiced frames the statistics were computed from. */
  frames: number;
}

/**
 * Statistics of the voiced frames (RMS above {@link VOICED_RMS}, as `"utterance"` uses) of
 * all of one speaker's clips; population standard deviation. Throws when the clips differ in
 * width or no clip has a voiced frame.
 */
export function speakerStats(
  matrices: readonly Pick<FeatureMatrix, "data" | "frames" | "featureCount">[],
): SpeakerStats {
  const width = matrices[0]?.featureCount ?? FEATURE_COUNT;
  const mean = new Float64Array(width);
  const std = new Float64Array(width);
  let frames = 0;
  const eachVoiced = (visit: (row: Float32Array) => void) => {
    for (const m of matrices) {
      if (m.featureCount !== width) {
        throw new RangeError(`Expected ${width} features per frame but got ${m.featureCount}`);
      }
      for (let t = 0; t < m.frames; t++) {
        if (m.data[t * width] > VOICED_RMS) visit(m.data.subarray(t * width, (t + 1) * width));
      }
    }
  };
  eachVoiced((row) => {
    frames++;
    for (let f = 0; f < width; f++) mean[f] += row[f];
  });
  if (frames === 0) {
    throw new RangeError("Expected voiced frames for speaker statistics but got none");
  }
  for (let f = 0; f < width; f++) mean[f] /= frames;
  eachVoiced((row) => {
    for (let f = 0; f < width; f++) std[f] += (row[f] - mean[f]) ** 2;
  });
  for (let f = 0; f < width; f++) std[f] = Math.sqrt(std[f] / frames);
  return { mean, std, frames };
}

/** Standardises each column of voiced frames with a speaker's statistics; other frames become 0. */
export function normaliseSpeaker(
  data: Float32Array,
  frames: number,
  width: number,
  stats: SpeakerStats,
): Float32Array {
  if (stats.mean.length !== width || stats.std.length !== width) {
    throw new RangeError(
      `Expected speaker statistics of width ${width} but got ${stats.mean.length}`,
    );
  }
  const out = new Float32Array(data.length);
  for (let t = 0; t < frames; t++) {
    if (!(data[t * width] > VOICED_RMS)) continue;
    for (let f = 0; f < width; f++) {
      const std = stats.std[f];
      out[t * width + f] = std > 1e-6 ? (data[t * width + f] - stats.mean[f]) / std : 0;
    }
  }
  return out;
}

/**
 * The model input for one clip: `[config.frames, inputWidth(config)]`, row-major. Throws
 * when the matrix does not have the configured frame count or feature width, and for
 * `normalisation: "speaker"` when the speaker's statistics are not given.
 */
export function modelInput(
  matrix: FeatureMatrix,
  config: InputConfig,
  speaker?: SpeakerStats,
): Float32Array {
  const columns = baseWidth(config);
  if (matrix.featureCount !== columns || matrix.frames !== config.frames) {
    throw new RangeError(
      `Expected features [${config.frames}, ${columns}] but got [${matrix.frames}, ${matrix.featureCount}]`,
    );
  }
  let base = matrix.data;
  if (config.normalisation === "utterance") {
    base = normaliseUtterance(matrix.data, matrix.frames, columns);
  } else if (config.normalisation === "speaker") {
    if (!speaker) {
      throw new TypeError(
        'Expected the speaker\'s statistics for a model with normalisation "speaker", but got none',
      );
    }
    base = normaliseSpeaker(matrix.data, matrix.frames, columns, speaker);
  } else if (config.normalisation !== "none") {
    throw new RangeError(`Unknown input normalisation "${config.normalisation}"`);
  }
  if (config.deltas === 0) return Float32Array.from(base);
  const parts = [base];
  let last = base;
  for (let order = 0; order < config.deltas; order++) {
    last = deltas(last, matrix.frames, columns);
    parts.push(last);
  }
  const width = inputWidth(config);
  const out = new Float32Array(matrix.frames * width);
  for (let t = 0; t < matrix.frames; t++) {
    parts.forEach((p, i) =>
      out.set(p.subarray(t * columns, (t + 1) * columns), t * width + i * columns)
    );
  }
  return out;
}

/** The input config of the published recipe for a window of `frames`. */
export function publishedInputConfig(frames: number): InputConfig {
  return { pipelineVersion: PIPELINE_VERSION, frames, normalisation: "none", deltas: 0 };
}
