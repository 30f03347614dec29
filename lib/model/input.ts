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
 * - `deltas: 1 | 2` appends first (and second) order regression deltas over ±2 frames
 *   (HTK's formula, edges repeated), in the same order as `librosa.feature.delta` with
 *   `width=5`.
 */
import { FEATURE_COUNT, PIPELINE_VERSION } from "../audio/constants.ts";
import type { FeatureMatrix } from "../audio/features.ts";

/** How features become model input; saved with a model. */
export interface InputConfig {
  /** The audio pipeline the model was trained on; features from another one are refused. */
  pipelineVersion: string;
  /** Frames per model input window. */
  frames: number;
  normalisation: "none" | "utterance";
  deltas: 0 | 1 | 2;
}

/** Frames quieter than this RMS (about −66 dBFS) do not count as speech. */
export const VOICED_RMS = 5e-4;

/** Width of the model input per frame: 15 base features times (1 + deltas). */
export function inputWidth(config: InputConfig): number {
  return FEATURE_COUNT * (1 + config.deltas);
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

/** Standardises each column over voiced frames; other frames become 0. */
export function normaliseUtterance(
  data: Float32Array,
  frames: number,
  width: number,
): Float32Array {
  const voiced: number[] = [];
  for (let t = 0; t < frames; t++) if (data[t * width] > VOICED_RMS) voiced.push(t);
  const out = new Float32Array(data.length);
  if (voiced.length === 0) return out;
  for (let f = 0; f < width; f++) {
    let sum = 0;
    for (const t of voiced) sum += data[t * width + f];
    const mean = sum / voiced.length;
    let sq = 0;
    for (const t of voiced) sq += (data[t * width + f] - mean) ** 2;
    const std = Math.sqrt(sq / voiced.length);
    const scale = std > 1e-6 ? 1 / std : 0;
    for (const t of voiced) out[t * width + f] = (data[t * width + f] - mean) * scale;
  }
  return out;
}

/**
 * The model input for one clip: `[config.frames, inputWidth(config)]`, row-major. Throws
 * when the matrix does not have the configured frame count or feature width.
 */
export function modelInput(matrix: FeatureMatrix, config: InputConfig): Float32Array {
  if (matrix.featureCount !== FEATURE_COUNT || matrix.frames !== config.frames) {
    throw new RangeError(
      `Expected features [${config.frames}, ${FEATURE_COUNT}] but got [${matrix.frames}, ${matrix.featureCount}]`,
    );
  }
  const base = config.normalisation === "utterance"
    ? normaliseUtterance(matrix.data, matrix.frames, FEATURE_COUNT)
    : matrix.data;
  if (config.deltas === 0) return Float32Array.from(base);
  const parts = [base];
  let last = base;
  for (let order = 0; order < config.deltas; order++) {
    last = deltas(last, matrix.frames, FEATURE_COUNT);
    parts.push(last);
  }
  const width = inputWidth(config);
  const out = new Float32Array(matrix.frames * width);
  for (let t = 0; t < matrix.frames; t++) {
    parts.forEach((p, i) =>
      out.set(p.subarray(t * FEATURE_COUNT, (t + 1) * FEATURE_COUNT), t * width + i * FEATURE_COUNT)
    );
  }
  return out;
}

/** The input config of the published recipe for a window of `frames`. */
export function publishedInputConfig(frames: number): InputConfig {
  return { pipelineVersion: PIPELINE_VERSION, frames, normalisation: "none", deltas: 0 };
}
