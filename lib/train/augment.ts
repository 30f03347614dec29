/**
 * Audio-level data augmentation for training, applied before preprocessing so the model
 * sees what the pipeline makes of a changed recording:
 *
 * - speed perturbation: the clip is played `speed` times faster (tempo and pitch together,
 *   as Kaldi's speed perturbation), by resampling from `16000·speed` to 16 kHz;
 * - additive white noise at `snrDb` dB below the clip's mean power.
 *
 * Gain changes are not offered: peak normalisation and the relative silence threshold make
 * the pipeline's output independent of level.
 */
import { MODEL_SAMPLE_RATE_HZ } from "../audio/constants.ts";
import { resample } from "../audio/resample.ts";
import { gaussian, seededRandom } from "./rng.ts";

/** One augmentation of a clip; `seed` fixes the noise. */
export interface AugmentSpec {
  speed: number;
  snrDb: number | null;
  seed: number;
}

/** The augmented copy of 16 kHz `samples`. */
export function augmentClip(samples: Float32Array, spec: AugmentSpec): Float32Array {
  if (!(spec.speed > 0.5 && spec.speed < 2)) {
    throw new RangeError(`Expected speed between 0.5 and 2, but got ${spec.speed}`);
  }
  let out = spec.speed === 1
    ? samples.slice()
    : resample(samples, MODEL_SAMPLE_RATE_HZ * spec.speed, MODEL_SAMPLE_RATE_HZ);
  if (spec.snrDb !== null) {
    let power = 0;
    for (const v of out) power += v * v;
    power /= Math.max(1, out.length);
    const sigma = Math.sqrt(power / 10 ** (spec.snrDb / 10));
    const random = seededRandom(spec.seed);
    out = out.map((v) => v + sigma * gaussian(random));
  }
  return out;
}

/**
 * `copies` augmentation specs for clip number `index`: speeds alternate between slower
 * and faster (0.9–1.1), SNRs are drawn from 5–20 dB; all from `seed`, so runs repeat.
 */
export function augmentSpecs(index: number, copies: number, seed: number): AugmentSpec[] {
  const random = seededRandom(seed * 7919 + index);
  return Array.from({ length: copies }, (_, k) => ({
    speed: k % 2 === 0 ? 0.9 + 0.05 * random() : 1.05 + 0.05 * random(),
    snrDb: 5 + 15 * random(),
    seed: Math.floor(random() * 2 ** 31),
  }));
}
