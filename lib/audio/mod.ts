/**
 * The audio pipeline, from bytes to the model's feature matrix: decoding
 * ({@link decodeAudio}), preprocessing ({@link preprocess}) and features
 * ({@link extractFeatures}), plus the lower-level pieces live streaming reuses. Pure modules:
 * no I/O, no tfjs.
 *
 * @example
 * import { decodeAudio, extractFeatures, preprocess } from "./lib/audio/mod.ts";
 * const { samples, sampleRateHz } = decodeAudio(await Deno.readFile("clip.wav"));
 * const { data, frames } = extractFeatures(preprocess(samples, sampleRateHz));
 */

export * from "./constants.ts";
export * from "./errors.ts";
export * from "./wav.ts";
export * from "./encode.ts";
export * from "./resample.ts";
export * from "./features.ts";
export * from "./denoise.ts";
export * from "./preprocess.ts";
export * from "./synth.ts";
