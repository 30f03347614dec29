/**
 * Typed errors of the audio pipeline. Decoding problems are {@link AudioDecodeError}s so a
 * caller can map "this upload is not usable audio" to one response; bad parameters are plain
 * `RangeError`s because they are programming mistakes, not bad input.
 */

/** Why a byte buffer could not be decoded; stable strings callers may switch on. */
export type AudioDecodeErrorCode =
  /** Neither a RIFF/WAVE nor a FORM/AIFF(-C) container. */
  | "unknown_container"
  /** The container is recognised but a header field is impossible (zero channels, …). */
  | "invalid_header"
  /** A chunk or the sample data ends before its declared size. */
  | "truncated"
  /** A sample encoding this decoder does not read (A-law, ADPCM, MP3-in-WAV, …). */
  | "unsupported_encoding"
  /** A declared size, rate or channel count beyond what any real recording uses. */
  | "too_large"
  /** Floating-point sample data holds NaN or an infinity. */
  | "invalid_sample";

/**
 * Thrown for any input bytes that are not decodable audio: unknown container, truncated or
 * inconsistent header, unsupported codec, absurd sizes, non-finite float samples. The decoder
 * throws nothing else for bad bytes, so `instanceof AudioDecodeError` is the complete test for
 * "reject this file".
 */
export class AudioDecodeError extends Error {
  /** Machine-readable reason. */
  readonly code: AudioDecodeErrorCode;
  constructor(code: AudioDecodeErrorCode, message: string) {
    super(message);
    this.name = "AudioDecodeError";
    this.code = code;
  }
}

/**
 * Throws `RangeError("Expected <name> > 0, but got <value>")` unless `value` is a positive
 * integer. Shared by every DSP entry point so bad framing parameters fail at the call that
 * received them, with the parameter's own name.
 */
export function expectPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Expected ${name} > 0, but got ${value}`);
  }
}

/**
 * Throws `RangeError("Expected <name> > 0, but got <value>")` unless `value` is a finite
 * number above zero; used for sample rates, which may be fractional.
 */
export function expectPositiveFinite(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Expected ${name} > 0, but got ${value}`);
  }
}

/**
 * Throws a `RangeError` unless `value` is a finite number that is at least `min`.
 */
export function expectAtLeast(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`Expected ${name} >= ${min}, but got ${value}`);
  }
}

/**
 * Throws a `RangeError` unless `value` is a power of two of at least 2; the FFT library only
 * handles such sizes, and saying so at the entry point beats an index error deep inside it.
 */
export function expectPowerOfTwo(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 2 || (value & (value - 1)) !== 0) {
    throw new RangeError(`Expected ${name} to be a power of two >= 2, but got ${value}`);
  }
}
