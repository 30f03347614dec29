/**
 * Audio-level data augmentation for training, applied before preprocessing so the model
 * sees what the pipeline makes of a changed recording:
 *
 * - speed perturbation: the clip is played `speed` times faster (tempo and pitch together,
 *   as Kaldi's speed perturbation), by resampling from `16000·speed` to 16 kHz;
 * - with `keepTempo`, a voice shift instead: the same resampling moves pitch and formants by
 *   `speed`, and a time stretch (`timeStretch`, WSOLA) gives the clip back its length and
 *   speaking rate, so only the voice changes;
 * - additive white noise at `snrDb` dB below the clip's mean power.
 *
 * Gain changes are not offered: peak normalisation and the relative silence threshold make
 * the pipeline's output independent of level.
 */
import { MODEL_SAMPLE_RATE_HZ } from "../audio/constants.ts";
import { resample } from "../audio/resample.ts";
import { gaussian, seededRandom } from "./rng.ts";
import { timeStretch } from "./stretch.ts";

/** One augmentation of a clip; `seed` fixes the noise. */
export interface AugmentSpec {
  speed: number;
  snrDb: number | null;
  seed: number;
  /** Set: keep the clip's tempo and length, move only pitch and formants by `speed`. */
  keepTempo?: true;
}

/**
 * How {@link augmentClip} resamples and draws its noise. The defaults are training's; test-time
 * augmentation (`lib/model/tta.ts`) passes faster ones.
 */
export interface AugmentOptions {
  /** The speed change's resampler; {@link resample} by default. */
  resample?: (samples: Float32Array, fromHz: number, toHz: number) => Float32Array;
  /** At least `length` samples of noise `seed`, as {@link gaussianNoise} draws them. */
  noise?: (seed: number, length: number) => Float64Array;
}

/** `length` standard normal samples drawn from `seed`: the noise {@link augmentClip} adds. */
export function gaussianNoise(seed: number, length: number): Float64Array {
  const random = seededRandom(seed);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = gaussian(random);
  return out;
}

/** The augmented copy of 16 kHz `samples`. */
export function augmentClip(
  samples: Float32Array,
  spec: AugmentSpec,
  options: AugmentOptions = {},
): Float32Array {
  if (!(spec.speed > 0.5 && spec.speed < 2)) {
    throw new RangeError(`Expected speed between 0.5 and 2, but got ${spec.speed}`);
  }
  let out = spec.speed === 1 ? samples.slice() : (options.resample ?? resample)(
    samples,
    MODEL_SAMPLE_RATE_HZ * spec.speed,
    MODEL_SAMPLE_RATE_HZ,
  );
  if (spec.keepTempo && spec.speed !== 1) {
    const restored = timeStretch(out, 1 / spec.speed);
    out = new Float32Array(samples.length);
    out.set(restored.subarray(0, samples.length));
  }
  if (spec.snrDb !== null) {
    let power = 0;
    for (let i = 0; i < out.length; i++) power += out[i] * out[i];
    power /= Math.max(1, out.length);
    const sigma = Math.sqrt(power / 10 ** (spec.snrDb / 10));
    const noise = (options.noise ?? gaussianNoise)(spec.seed, out.length);
    if (noise.length < out.length) {
      throw new RangeError(`Expected ${out.length} noise samples, but got ${noise.length}`);
    }
    const noisy = new Float32Array(out.length);
    for (let i = 0; i < out.length; i++) noisy[i] = out[i] + sigma * noise[i];
    out = noisy;
  }
  return out;
}

/** Where copies' speeds are drawn: slower ones in `[slow, 0.95]`, faster in `[1.05, fast]`. */
export interface SpeedRange {
  slow: number;
  fast: number;
}

/** The published recipe's range, 0.9–1.1. */
export const DEFAULT_SPEED_RANGE: SpeedRange = { slow: 0.9, fast: 1.1 };

/**
 * Parses a `--speed` flag value `SLOW-FAST` (e.g. `0.8-1.25`), or throws a `RangeError` naming
 * what is wrong: SLOW must lie in (0.5, 0.95] and FAST in [1.05, 2).
 */
export function parseSpeedRange(text: string): SpeedRange {
  const match = /^(\d*\.?\d+)-(\d*\.?\d+)$/.exec(text.trim());
  if (!match) throw new RangeError(`Expected a speed range like 0.8-1.25, but got "${text}"`);
  const [slow, fast] = [Number(match[1]), Number(match[2])];
  if (!(slow > 0.5 && slow <= 0.95) || !(fast >= 1.05 && fast < 2)) {
    throw new RangeError(
      `Expected a slowest speed in (0.5, 0.95] and a fastest in [1.05, 2), but got ${slow}-${fast}`,
    );
  }
  return { slow, fast };
}

/**
 * `copies` augmentation specs for clip number `index`: speeds alternate between slower
 * (`range.slow`–0.95) and faster (1.05–`range.fast`), SNRs are drawn from 5–20 dB; all from
 * `seed`, so runs repeat. With `keepTempo` every copy is a voice shift (see `AugmentSpec`).
 * The default range (0.9–1.1) draws exactly what it drew before the range could be chosen,
 * so cached features and trained models stay valid.
 */
export function augmentSpecs(
  index: number,
  copies: number,
  seed: number,
  range: SpeedRange = DEFAULT_SPEED_RANGE,
  keepTempo = false,
): AugmentSpec[] {
  // Widths rounded to 1e-6, so that the default's are exactly 0.05 as they always were.
  const slowWidth = Math.round((0.95 - range.slow) * 1e6) / 1e6;
  const fastWidth = Math.round((range.fast - 1.05) * 1e6) / 1e6;
  const random = seededRandom(seed * 7919 + index);
  return Array.from({ length: copies }, (_, k) => ({
    speed: k % 2 === 0 ? range.slow + slowWidth * random() : 1.05 + fastWidth * random(),
    snrDb: 5 + 15 * random(),
    seed: Math.floor(random() * 2 ** 31),
    // Only when set, so that specs (and the cache keys made from them) stay as they were.
    ...(keepTempo ? { keepTempo: true as const } : {}),
  }));
}
