/**
 * Writers for WAV and AIFF/AIFF-C. The app needs WAV to store recordings; the AIFF writer and
 * the extra-chunk option exist so tests can produce every layout the decoder must read.
 */

import { expectPositiveFinite } from "./errors.ts";
import type { SampleEncoding } from "./wav.ts";

/** A chunk to insert before the sample data (LIST, bext, junk …); odd sizes get a pad byte. */
export interface ExtraChunk {
  /** Four-character chunk id. */
  id: string;
  /** Chunk body. */
  data: Uint8Array;
}

/** Options of {@link encodeWav}. */
export interface EncodeWavOptions {
  /** Sample encoding; default `pcm_s16`. `pcm_s8` is not a WAV encoding. */
  encoding?: Exclude<SampleEncoding, "pcm_s8">;
  /** Write a `WAVE_FORMAT_EXTENSIBLE` fmt chunk; default false. */
  extensible?: boolean;
  /** Big-endian RIFX instead of RIFF; default false. */
  bigEndian?: boolean;
  /** Chunks written between fmt and data. */
  extraChunks?: ExtraChunk[];
}

/** Options of {@link encodeAiff}. */
export interface EncodeAiffOptions {
  /**
   * Sample encoding; default `pcm_s16`. `float32`/`float64` and little-endian PCM need
   * AIFF-C, which is chosen automatically.
   */
  encoding?: Exclude<SampleEncoding, "pcm_u8">;
  /** Write AIFF-C even for big-endian PCM; default false. */
  aifc?: boolean;
  /** Little-endian PCM (AIFF-C `sowt`); default false. */
  littleEndian?: boolean;
  /** Chunks written between COMM and SSND. */
  extraChunks?: ExtraChunk[];
}

const BYTES_PER_SAMPLE: Record<SampleEncoding, number> = {
  pcm_u8: 1,
  pcm_s8: 1,
  pcm_s16: 2,
  pcm_s24: 3,
  pcm_s32: 4,
  float32: 4,
  float64: 8,
};

function asChannels(samples: Float32Array | readonly Float32Array[]): readonly Float32Array[] {
  const channels = samples instanceof Float32Array ? [samples] : samples;
  if (channels.length === 0) throw new RangeError("Expected at least 1 channel, but got 0");
  for (const channel of channels) {
    if (channel.length !== channels[0].length) {
      throw new RangeError(
        `Expected channels of ${channels[0].length} samples, but got ${channel.length}`,
      );
    }
  }
  return channels;
}

/** Rounds to the integer grid of `bits`-bit PCM and clips, so that decoding gives `x` back. */
function quantise(x: number, bits: number): number {
  const full = 2 ** (bits - 1);
  return Math.max(-full, Math.min(full - 1, Math.round(x * full)));
}

function writeSamples(
  view: DataView,
  offset: number,
  channels: readonly Float32Array[],
  encoding: SampleEncoding,
  littleEndian: boolean,
): void {
  const frames = channels[0].length;
  let p = offset;
  for (let i = 0; i < frames; i++) {
    for (const channel of channels) {
      const x = channel[i];
      switch (encoding) {
        case "pcm_u8":
          view.setUint8(p, quantise(x, 8) + 128);
          break;
        case "pcm_s8":
          view.setInt8(p, quantise(x, 8));
          break;
        case "pcm_s16":
          view.setInt16(p, quantise(x, 16), littleEndian);
          break;
        case "pcm_s24": {
          const v = quantise(x, 24) & 0xffffff;
          const b = [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff];
          if (!littleEndian) b.reverse();
          view.setUint8(p, b[0]);
          view.setUint8(p + 1, b[1]);
          view.setUint8(p + 2, b[2]);
          break;
        }
        case "pcm_s32":
          view.setInt32(p, quantise(x, 32), littleEndian);
          break;
        case "float32":
          view.setFloat32(p, x, littleEndian);
          break;
        case "float64":
          view.setFloat64(p, x, littleEndian);
          break;
      }
      p += BYTES_PER_SAMPLE[encoding];
    }
  }
}

function writeAscii(bytes: Uint8Array, offset: number, text: string): void {
  if (text.length !== 4) throw new RangeError(`Expected a 4-character chunk id, but got "${text}"`);
  for (let i = 0; i < 4; i++) bytes[offset + i] = text.charCodeAt(i);
}

function paddedSize(size: number): number {
  return size + (size & 1);
}

/**
 * Encodes channels as a WAV file. PCM is written as `round(x · 2^(bits−1))`, clipped, which
 * {@link decodeAudio} maps back to exactly `x` for any `x` already on that grid.
 */
export function encodeWav(
  samples: Float32Array | readonly Float32Array[],
  sampleRateHz: number,
  options: EncodeWavOptions = {},
): Uint8Array {
  expectPositiveFinite("sampleRateHz", sampleRateHz);
  const channels = asChannels(samples);
  const encoding = options.encoding ?? "pcm_s16";
  const littleEndian = !options.bigEndian;
  const bytesPerSample = BYTES_PER_SAMPLE[encoding];
  const isFloat = encoding === "float32" || encoding === "float64";
  const fmtSize = options.extensible ? 40 : isFloat ? 18 : 16;
  const dataSize = channels[0].length * channels.length * bytesPerSample;
  const extras = options.extraChunks ?? [];
  const extraBytes = extras.reduce((sum, chunk) => sum + 8 + paddedSize(chunk.data.length), 0);
  const total = 12 + 8 + fmtSize + extraBytes + 8 + paddedSize(dataSize);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  writeAscii(bytes, 0, littleEndian ? "RIFF" : "RIFX");
  view.setUint32(4, total - 8, littleEndian);
  writeAscii(bytes, 8, "WAVE");
  let p = 12;
  writeAscii(bytes, p, "fmt ");
  view.setUint32(p + 4, fmtSize, littleEndian);
  const tag = isFloat ? 3 : 1;
  view.setUint16(p + 8, options.extensible ? 0xfffe : tag, littleEndian);
  view.setUint16(p + 10, channels.length, littleEndian);
  view.setUint32(p + 12, Math.round(sampleRateHz), littleEndian);
  view.setUint32(
    p + 16,
    Math.round(sampleRateHz) * channels.length * bytesPerSample,
    littleEndian,
  );
  view.setUint16(p + 20, channels.length * bytesPerSample, littleEndian);
  view.setUint16(p + 22, bytesPerSample * 8, littleEndian);
  if (fmtSize >= 18) view.setUint16(p + 24, fmtSize - 18, littleEndian);
  if (options.extensible) {
    view.setUint16(p + 26, bytesPerSample * 8, littleEndian);
    view.setUint32(p + 28, 0, littleEndian);
    view.setUint16(p + 32, tag, littleEndian);
    bytes.set([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71], p + 34);
  }
  p += 8 + fmtSize;
  for (const chunk of extras) {
    writeAscii(bytes, p, chunk.id);
    view.setUint32(p + 4, chunk.data.length, littleEndian);
    bytes.set(chunk.data, p + 8);
    p += 8 + paddedSize(chunk.data.length);
  }
  writeAscii(bytes, p, "data");
  view.setUint32(p + 4, dataSize, littleEndian);
  writeSamples(view, p + 8, channels, encoding, littleEndian);
  return bytes;
}

/** Writes `value` as an 80-bit IEEE 754 extended-precision number (AIFF's rate field). */
function writeExtended80(view: DataView, offset: number, value: number): void {
  if (value === 0) {
    for (let i = 0; i < 10; i++) view.setUint8(offset + i, 0);
    return;
  }
  let exponent = Math.floor(Math.log2(value));
  let mantissa = value / 2 ** exponent; // in [1, 2)
  if (mantissa >= 2) {
    mantissa /= 2;
    exponent++;
  }
  const hi = Math.floor(mantissa * 2 ** 31);
  const lo = Math.round((mantissa * 2 ** 31 - hi) * 2 ** 32);
  view.setUint16(offset, exponent + 16383, false);
  view.setUint32(offset + 2, hi, false);
  view.setUint32(offset + 6, lo, false);
}

/**
 * Encodes channels as an AIFF (or AIFF-C where the encoding needs it) file, with the same
 * PCM grid as {@link encodeWav}.
 */
export function encodeAiff(
  samples: Float32Array | readonly Float32Array[],
  sampleRateHz: number,
  options: EncodeAiffOptions = {},
): Uint8Array {
  expectPositiveFinite("sampleRateHz", sampleRateHz);
  const channels = asChannels(samples);
  const encoding = options.encoding ?? "pcm_s16";
  const isFloat = encoding === "float32" || encoding === "float64";
  const littleEndian = Boolean(options.littleEndian) && !isFloat;
  const aifc = Boolean(options.aifc) || isFloat || littleEndian;
  const bytesPerSample = BYTES_PER_SAMPLE[encoding];
  const compression = isFloat
    ? (encoding === "float32" ? "fl32" : "fl64")
    : littleEndian
    ? "sowt"
    : "NONE";
  const commSize = aifc ? 18 + 4 + 2 : 18; // + compression id + empty Pascal name (padded)
  const dataSize = channels[0].length * channels.length * bytesPerSample;
  const ssndSize = 8 + dataSize;
  const extras = options.extraChunks ?? [];
  const extraBytes = extras.reduce((sum, chunk) => sum + 8 + paddedSize(chunk.data.length), 0);
  const fverBytes = aifc ? 12 : 0;
  const total = 12 + fverBytes + 8 + commSize + extraBytes + 8 + paddedSize(ssndSize);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  writeAscii(bytes, 0, "FORM");
  view.setUint32(4, total - 8, false);
  writeAscii(bytes, 8, aifc ? "AIFC" : "AIFF");
  let p = 12;
  if (aifc) {
    writeAscii(bytes, p, "FVER");
    view.setUint32(p + 4, 4, false);
    view.setUint32(p + 8, 0xa2805140, false);
    p += 12;
  }
  writeAscii(bytes, p, "COMM");
  view.setUint32(p + 4, commSize, false);
  view.setInt16(p + 8, channels.length, false);
  view.setUint32(p + 10, channels[0].length, false);
  view.setInt16(p + 14, bytesPerSample * 8, false);
  writeExtended80(view, p + 16, sampleRateHz);
  if (aifc) writeAscii(bytes, p + 26, compression);
  p += 8 + commSize;
  for (const chunk of extras) {
    writeAscii(bytes, p, chunk.id);
    view.setUint32(p + 4, chunk.data.length, false);
    bytes.set(chunk.data, p + 8);
    p += 8 + paddedSize(chunk.data.length);
  }
  writeAscii(bytes, p, "SSND");
  view.setUint32(p + 4, ssndSize, false);
  writeSamples(view, p + 16, channels, encoding, littleEndian);
  return bytes;
}
