/**
 * `FusedDropout`: a drop-in replacement for `tf.layers.dropout` that applies its mask in one
 * typed-array pass (forward and gradient), and can draw a fresh mask for every training step.
 *
 * tfjs's own Dropout costs four broadcasting tensor ops over the whole activation per step, and
 * with a `seed` it seeds a new generator with that seed on every call, so every training step
 * of a seeded tfjs Dropout drops the same units of the same batch positions. `FusedDropout`
 * keeps both behaviours apart:
 *
 * - `masks: "fixed"` (the default) reproduces tfjs's seeded Dropout bit for bit: the mask of a
 *   shape is drawn once through tfjs's own `randomUniform`, with tfjs's arithmetic, and reused,
 *   as tfjs reuses it. Networks trained with it are the networks tfjs's layer trains.
 * - `masks: "fresh"` draws a new mask for each training step from `(seed, step)`, as dropout
 *   is meant to be. The step is the layer's count of training calls, or what
 *   {@link setDropoutStep} set (the trainer sets the global batch number, so a resumed run draws
 *   what an uninterrupted one would).
 *
 * Inference (`training` not true) passes the input through, as every Dropout does.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { seededRandom } from "../train/rng.ts";

/** How a {@link FusedDropout} draws its masks; see the module comment. */
export type DropoutMasks = "fixed" | "fresh";

/** Arguments of {@link fusedDropout}: tfjs's Dropout arguments and the mask policy. */
export interface FusedDropoutArgs {
  /** Fraction of the inputs dropped, in [0, 1). */
  rate: number;
  /** Seed of the masks; required, so that a run is reproducible. */
  seed: number;
  /** Mask policy; default "fixed" (tfjs's seeded Dropout). */
  masks?: DropoutMasks;
  /** Layer name. */
  name?: string;
}

interface DropoutConstructor {
  new (args: { rate: number; seed?: number; name?: string }): tf.layers.Layer;
  className: string;
}

// Subclassing tfjs's own Dropout (from the serialization registry; the class is not exported)
// inherits its config, shapes and naming; only the arithmetic of `call` is replaced.
const TfjsDropout = tf.serialization.SerializationMap.getMap()
  .classNameMap["Dropout"][0] as unknown as DropoutConstructor;

/** A Dropout layer with a fused mask and a choice of mask policy; see the module comment. */
export class FusedDropout extends TfjsDropout {
  /** Name under which the class is registered for (de)serialisation. */
  static override className = "FusedDropout";
  /** The mask policy. */
  readonly masks: DropoutMasks;
  /** The seed of the masks. */
  readonly maskSeed: number;
  /**
   * The step whose mask the next training call draws (`masks: "fresh"`); it counts training
   * calls, and {@link setDropoutStep} sets it.
   */
  step = 0;
  readonly #rate: number;
  readonly #fixed = new Map<string, Float32Array>();

  constructor(args: FusedDropoutArgs) {
    super({ rate: args.rate, seed: args.seed, name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(`Expected a dropout rate in [0, 1), but got ${args.rate}`);
    }
    if (!Number.isFinite(args.seed)) {
      throw new RangeError(`Expected a finite dropout seed, but got ${args.seed}`);
    }
    const masks = args.masks ?? "fixed";
    if (masks !== "fixed" && masks !== "fresh") {
      throw new RangeError(`Expected dropout masks "fixed" or "fresh", but got "${masks}"`);
    }
    this.masks = masks;
    this.maskSeed = args.seed;
    this.#rate = args.rate;
  }

  /** tfjs's Dropout config plus `masks`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), masks: this.masks };
  }

  /** Builds a layer from a saved config. */
  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls({
      rate: config.rate as number,
      seed: config.seed as number,
      masks: (config.masks as DropoutMasks | undefined) ?? "fixed",
      name: config.name as string | undefined,
    });
  }

  /** Identity unless `kwargs.training`; then the input times the step's mask. */
  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: Record<string, unknown>,
  ): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs?.["training"] !== true || this.#rate === 0) return x;
    const multiplier = this.masks === "fixed" ? this.#fixedMask(x.shape) : this.#freshMask(x.size);
    this.step++;
    const apply = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const input = args[0] as tf.Tensor;
      const value = tf.tensor(scaled(input.dataSync() as Float32Array, multiplier), input.shape);
      const gradFunc = (dy: tf.Tensor): tf.Tensor =>
        tf.tensor(scaled(dy.dataSync() as Float32Array, multiplier), dy.shape);
      return { value, gradFunc };
    });
    return apply(x);
  }

  /** tfjs's `dropout` multiplier for `shape`, from its own generator and ops, drawn once. */
  #fixedMask(shape: number[]): Float32Array {
    const key = shape.join("x");
    let mask = this.#fixed.get(key);
    if (mask === undefined) {
      const keep = 1 - this.#rate;
      mask = tf.tidy(() =>
        Float32Array.from(
          tf.div(
            tf.floor(tf.add(tf.randomUniform(shape, 0, 1, "float32", this.maskSeed), keep)),
            keep,
          )
            .dataSync() as Float32Array,
        )
      );
      this.#fixed.set(key, mask);
    }
    return mask;
  }

  /** A new multiplier for this step: each value 0 with probability `rate`, else 1/(1 − rate). */
  #freshMask(size: number): Float32Array {
    const random = seededRandom(mixSeed(this.maskSeed, this.step));
    const keep = Math.fround(1 - this.#rate);
    const scale = Math.fround(1 / keep);
    const mask = new Float32Array(size);
    for (let i = 0; i < size; i++) mask[i] = random() < this.#rate ? 0 : scale;
    return mask;
  }
}
tf.serialization.registerClass(FusedDropout);

/** `values × multiplier`, elementwise, rounded to float32 as tfjs's `mul` rounds it. */
function scaled(values: Float32Array, multiplier: Float32Array): Float32Array {
  if (values.length !== multiplier.length) {
    throw new RangeError(
      `Expected ${multiplier.length} values for the dropout mask, but got ${values.length}`,
    );
  }
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i] * multiplier[i];
  return out;
}

/** One 32-bit seed from a layer seed and a step (splitmix32-style mixing). */
function mixSeed(seed: number, step: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step | 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Creates a {@link FusedDropout}, meant to be used in place of `tf.layers.dropout`. */
export function fusedDropout(args: FusedDropoutArgs): FusedDropout {
  return new FusedDropout(args);
}

/**
 * Sets the step of every {@link FusedDropout} of `model`, so that the next training call draws
 * step `step`'s mask (`masks: "fresh"`; fixed masks do not depend on it).
 */
export function setDropoutStep(model: tf.LayersModel, step: number): void {
  for (const layer of model.layers) {
    if (layer instanceof FusedDropout) layer.step = step;
  }
}
