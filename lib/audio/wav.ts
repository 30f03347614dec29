/**
 * Decoding of WAV (RIFF and big-endian RIFX, PCM 8/16/24/32-bit, IEEE float 32/64,
 * `WAVE_FORMAT_EXTENSIBLE`), AIFF and AIFF-C (big- and little-endian PCM, float), and raw
 * little-endian Float32 mono. Pure: bytes in, `Float32Array`s out.
 *
 * Every malformed input ends in an {@link AudioDecodeError}. Declared sizes are checked
 * against the bytes actually present before anything is allocated, so a forged header can
 * neither allocate gigabytes nor make the decoder loop.
 */

import { AudioDecodeError, expectPositiveFinite } from "./errors.ts";

/** How samples were stored in the source file. */
export type SampleEncoding =
  | "pcm_u8"
  | "pcm_s8"
  | "pcm_s16"
  | "pcm_s24"
  | "pcm_s32"
  | "float32"
  | "float64";

/** Container a decoded buffer came from. */
export type AudioContainer = "wav" | "aiff" | "aifc" | "raw";

/** Facts about a decoded buffer that do not depend on the channel layout of the result. */
export interface AudioFormat {
  /** Sample rate stated by the file, in Hz (AIFF allows fractional rates). */
  sampleRateHz: number;
  /** Channel count of the source. */
  channelCount: number;
  /** Container the bytes were in. */
  container: AudioContainer;
  /** Sample encoding of the source. */
  encoding: SampleEncoding;
  /** Significant bits per sample as declared by the file. */
  bitsPerSample: number;
}

/** A decoded file downmixed to mono: samples in [-1, 1) for PCM, as stored for float. */
export interface DecodedAudio extends AudioFormat {
  /** Mono samples (mean over channels). */
  samples: Float32Array;
}

/** A decoded file with every channel kept separately. */
export interface DecodedChannels extends AudioFormat {
  /** One array per channel, all of the same length. */
  channels: Float32Array[];
}

/** Limits applied while decoding. */
export interface DecodeOptions {
  /**
   * Largest number of samples (frames × channels) the decoder will produce; larger declared
   * data is rejected with code `too_large` before allocation. Default {@link MAX_DECODED_SAMPLES}.
   */
  maxSamples?: number;
}

/** Default for {@link DecodeOptions.maxSamples}: 2^26 samples, about 23 min of 48 kHz stereo. */
export const MAX_DECODED_SAMPLES = 2 ** 26;

/** Lowest sample rate accepted from a file header, in Hz. */
export const MIN_FILE_SAMPLE_RATE_HZ = 1000;

/** Highest sample rate accepted from a file header, in Hz. */
export const MAX_FILE_SAMPLE_RATE_HZ = 1_000_000;

/** Highest channel count accepted from a file header. */
export const MAX_CHANNELS = 1024;

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes 2…15 shared by the KSDATAFORMAT_SUBTYPE_* GUIDs of PCM and IEEE float. */
const KSDATAFORMAT_GUID_TAIL = [
  0x00,
  0x00,
  0x00,
  0x00,
  0x10,
  0x00,
  0x80,
  0x00,
  0x00,
  0xaa,
  0x00,
  0x38,
  0x9b,
  0x71,
];
const WAVE_FORMAT_NAMES: Record<number, string> = {
  0x0002: "Microsoft ADPCM",
  0x0006: "A-law",
  0x0007: "µ-law",
  0x0011: "IMA ADPCM",
  0x0031: "GSM 6.10",
  0x0050: "MPEG",
  0x0055: "MPEG layer 3",
  0x2000: "AC-3",
};

/** Layout of interleaved sample data inside a buffer. */
interface SampleLayout {
  encoding: SampleEncoding;
  bitsPerSample: number;
  bytesPerSample: number;
  littleEndian: boolean;
  channelCount: number;
  sampleRateHz: number;
  container: AudioContainer;
  /** Byte offset of the first sample. */
  dataOffset: number;
  /** Number of complete frames present. */
  frames: number;
}

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(
    bytes[offset],
    bytes[offset + 1],
    bytes[offset + 2],
    bytes[offset + 3],
  );
}

function printable(id: string): string {
  return JSON.stringify(id);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkSampleRate(sampleRateHz: number): void {
  if (!Number.isFinite(sampleRateHz) || sampleRateHz <= 0) {
    throw new AudioDecodeError("invalid_header", `sample rate is ${sampleRateHz} Hz`);
  }
  if (sampleRateHz < MIN_FILE_SAMPLE_RATE_HZ || sampleRateHz > MAX_FILE_SAMPLE_RATE_HZ) {
    throw new AudioDecodeError(
      sampleRateHz > MAX_FILE_SAMPLE_RATE_HZ ? "too_large" : "invalid_header",
      `sample rate ${sampleRateHz} Hz is outside ${MIN_FILE_SAMPLE_RATE_HZ}…` +
        `${MAX_FILE_SAMPLE_RATE_HZ} Hz`,
    );
  }
}

function checkChannels(channelCount: number): void {
  if (channelCount <= 0) {
    throw new AudioDecodeError("invalid_header", `channel count is ${channelCount}`);
  }
  if (channelCount > MAX_CHANNELS) {
    throw new AudioDecodeError(
      "too_large",
      `channel count ${channelCount} exceeds ${MAX_CHANNELS}`,
    );
  }
}

function pcmEncoding(bytesPerSample: number, unsigned8: boolean): SampleEncoding {
  switch (bytesPerSample) {
    case 1:
      return unsigned8 ? "pcm_u8" : "pcm_s8";
    case 2:
      return "pcm_s16";
    case 3:
      return "pcm_s24";
    default:
      return "pcm_s32";
  }
}

// ---------------------------------------------------------------------------------------------
// WAV

function parseWav(bytes: Uint8Array): SampleLayout {
  const view = viewOf(bytes);
  const riff = fourCC(bytes, 0);
  if (riff === "RF64" || riff === "BW64") {
    throw new AudioDecodeError("unsupported_encoding", `${riff} (64-bit WAV) is not supported`);
  }
  const littleEndian = riff === "RIFF";
  if (bytes.length < 12) {
    throw new AudioDecodeError("truncated", `WAV header needs 12 bytes, got ${bytes.length}`);
  }
  if (fourCC(bytes, 8) !== "WAVE") {
    throw new AudioDecodeError(
      "unknown_container",
      `RIFF form type is ${printable(fourCC(bytes, 8))}, not "WAVE"`,
    );
  }
  let fmtOffset = -1;
  let fmtSize = 0;
  let dataOffset = -1;
  let dataSize = 0;
  let pos = 12;
  // Each iteration advances by at least 8 bytes, so the loop ends within bytes.length / 8 steps.
  while (pos + 8 <= bytes.length) {
    const id = fourCC(bytes, pos);
    const size = view.getUint32(pos + 4, littleEndian);
    const body = pos + 8;
    const available = bytes.length - body;
    if (id === "fmt " && fmtOffset < 0) {
      if (size > available) {
        throw new AudioDecodeError(
          "truncated",
          `fmt chunk declares ${size} bytes, only ${available} present`,
        );
      }
      fmtOffset = body;
      fmtSize = size;
    } else if (id === "data" && dataOffset < 0) {
      if (size > available) {
        throw new AudioDecodeError(
          "truncated",
          `data chunk declares ${size} bytes, only ${available} present`,
        );
      }
      dataOffset = body;
      dataSize = size;
    } else if (size > available) {
      // A damaged chunk after everything needed is trailing junk; before that it is truncation.
      if (fmtOffset >= 0 && dataOffset >= 0) break;
      throw new AudioDecodeError(
        "truncated",
        `${printable(id)} chunk declares ${size} bytes, only ${available} present`,
      );
    }
    pos = body + size + (size & 1);
  }
  if (fmtOffset < 0) throw new AudioDecodeError("invalid_header", "WAV has no fmt chunk");
  if (dataOffset < 0) throw new AudioDecodeError("invalid_header", "WAV has no data chunk");
  if (fmtSize < 16) {
    throw new AudioDecodeError("invalid_header", `fmt chunk is ${fmtSize} bytes, expected >= 16`);
  }

  let formatTag = view.getUint16(fmtOffset, littleEndian);
  const channelCount = view.getUint16(fmtOffset + 2, littleEndian);
  const sampleRateHz = view.getUint32(fmtOffset + 4, littleEndian);
  const blockAlign = view.getUint16(fmtOffset + 12, littleEndian);
  const bitsPerSample = view.getUint16(fmtOffset + 14, littleEndian);
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (fmtSize < 40) {
      throw new AudioDecodeError(
        "invalid_header",
        `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${fmtSize} bytes, expected >= 40`,
      );
    }
    formatTag = view.getUint16(fmtOffset + 24, littleEndian);
    for (let i = 0; i < KSDATAFORMAT_GUID_TAIL.length; i++) {
      if (bytes[fmtOffset + 26 + i] !== KSDATAFORMAT_GUID_TAIL[i]) {
        throw new AudioDecodeError(
          "unsupported_encoding",
          "WAVE_FORMAT_EXTENSIBLE sub-format GUID is not a KSDATAFORMAT_SUBTYPE",
        );
      }
    }
  }
  checkChannels(channelCount);
  checkSampleRate(sampleRateHz);

  let encoding: SampleEncoding;
  let bytesPerSample: number;
  if (formatTag === WAVE_FORMAT_PCM) {
    if (bitsPerSample < 1 || bitsPerSample > 32) {
      throw new AudioDecodeError(
        "unsupported_encoding",
        `PCM with ${bitsPerSample} bits per sample`,
      );
    }
    bytesPerSample = Math.ceil(bitsPerSample / 8);
    encoding = pcmEncoding(bytesPerSample, true);
  } else if (formatTag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bitsPerSample !== 32 && bitsPerSample !== 64) {
      throw new AudioDecodeError(
        "unsupported_encoding",
        `IEEE float with ${bitsPerSample} bits per sample`,
      );
    }
    bytesPerSample = bitsPerSample / 8;
    encoding = bitsPerSample === 32 ? "float32" : "float64";
  } else {
    const name = WAVE_FORMAT_NAMES[formatTag] ?? "unknown";
    throw new AudioDecodeError(
      "unsupported_encoding",
      `WAV format tag 0x${formatTag.toString(16).padStart(4, "0")} (${name})`,
    );
  }
  if (blockAlign !== channelCount * bytesPerSample) {
    throw new AudioDecodeError(
      "invalid_header",
      `block align ${blockAlign} does not match ${channelCount} channels × ` +
        `${bytesPerSample} bytes`,
    );
  }
  return {
    encoding,
    bitsPerSample,
    bytesPerSample,
    littleEndian,
    channelCount,
    sampleRateHz,
    container: "wav",
    dataOffset,
    frames: Math.floor(dataSize / blockAlign),
  };
}

// ---------------------------------------------------------------------------------------------
// AIFF / AIFF-C

/** Reads an 80-bit IEEE 754 extended-precision number (AIFF's sample-rate field). */
function readExtended80(view: DataView, offset: number): number {
  const signExponent = view.getUint16(offset, false);
  const hi = view.getUint32(offset + 2, false);
  const lo = view.getUint32(offset + 6, false);
  const exponent = signExponent & 0x7fff;
  if (exponent === 0x7fff) return NaN;
  const mantissa = hi * 2 ** 32 + lo;
  const value = mantissa * 2 ** (exponent - 16383 - 63);
  return signExponent & 0x8000 ? -value : value;
}

function parseAiff(bytes: Uint8Array): SampleLayout {
  const view = viewOf(bytes);
  if (bytes.length < 12) {
    throw new AudioDecodeError("truncated", `AIFF header needs 12 bytes, got ${bytes.length}`);
  }
  const formType = fourCC(bytes, 8);
  if (formType !== "AIFF" && formType !== "AIFC") {
    throw new AudioDecodeError(
      "unknown_container",
      `FORM type is ${printable(formType)}, not "AIFF" or "AIFC"`,
    );
  }
  const isAifc = formType === "AIFC";
  let commOffset = -1;
  let commSize = 0;
  let ssndOffset = -1;
  let ssndSize = 0;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = fourCC(bytes, pos);
    const size = view.getUint32(pos + 4, false);
    const body = pos + 8;
    const available = bytes.length - body;
    if (size > available) {
      if (commOffset >= 0 && ssndOffset >= 0) break;
      throw new AudioDecodeError(
        "truncated",
        `${printable(id)} chunk declares ${size} bytes, only ${available} present`,
      );
    }
    if (id === "COMM" && commOffset < 0) {
      commOffset = body;
      commSize = size;
    } else if (id === "SSND" && ssndOffset < 0) {
      ssndOffset = body;
      ssndSize = size;
    }
    pos = body + size + (size & 1);
  }
  if (commOffset < 0) throw new AudioDecodeError("invalid_header", "AIFF has no COMM chunk");
  if (ssndOffset < 0) throw new AudioDecodeError("invalid_header", "AIFF has no SSND chunk");
  const commMin = isAifc ? 22 : 18;
  if (commSize < commMin) {
    throw new AudioDecodeError(
      "invalid_header",
      `COMM chunk is ${commSize} bytes, expected >= ${commMin}`,
    );
  }
  if (ssndSize < 8) {
    throw new AudioDecodeError("invalid_header", `SSND chunk is ${ssndSize} bytes, expected >= 8`);
  }
  const channelCount = view.getInt16(commOffset, false);
  const declaredFrames = view.getUint32(commOffset + 2, false);
  const bitsPerSample = view.getInt16(commOffset + 6, false);
  const sampleRateHz = readExtended80(view, commOffset + 8);
  checkChannels(channelCount);
  checkSampleRate(sampleRateHz);
  const compression = isAifc ? fourCC(bytes, commOffset + 18) : "NONE";

  let encoding: SampleEncoding;
  let littleEndian = false;
  let bytesPerSample: number;
  switch (compression) {
    case "NONE":
    case "twos":
    case "sowt":
    case "raw ":
    case "in24":
    case "in32":
    case "42ni":
    case "23ni": {
      const fixedBits: Record<string, number> = { in24: 24, in32: 32, "42ni": 24, "23ni": 32 };
      const bits = fixedBits[compression] ?? bitsPerSample;
      if (bits < 1 || bits > 32) {
        throw new AudioDecodeError("unsupported_encoding", `AIFF PCM with ${bits} bits per sample`);
      }
      bytesPerSample = Math.ceil(bits / 8);
      littleEndian = compression === "sowt" || compression === "42ni" || compression === "23ni";
      encoding = pcmEncoding(bytesPerSample, compression === "raw ");
      break;
    }
    case "fl32":
    case "FL32":
      bytesPerSample = 4;
      encoding = "float32";
      break;
    case "fl64":
    case "FL64":
      bytesPerSample = 8;
      encoding = "float64";
      break;
    default:
      throw new AudioDecodeError(
        "unsupported_encoding",
        `AIFF-C compression ${printable(compression)}`,
      );
  }
  const dataOffset = ssndOffset + 8 + view.getUint32(ssndOffset, false);
  const frameBytes = channelCount * bytesPerSample;
  const availableBytes = ssndOffset + ssndSize - dataOffset;
  if (declaredFrames * frameBytes > availableBytes) {
    throw new AudioDecodeError(
      "truncated",
      `COMM declares ${declaredFrames} frames (${declaredFrames * frameBytes} bytes), ` +
        `SSND holds ${Math.max(0, availableBytes)}`,
    );
  }
  return {
    encoding,
    bitsPerSample: encoding.startsWith("float") ? bytesPerSample * 8 : bitsPerSample,
    bytesPerSample,
    littleEndian,
    channelCount,
    sampleRateHz,
    container: isAifc ? "aifc" : "aiff",
    dataOffset,
    frames: declaredFrames,
  };
}

// ---------------------------------------------------------------------------------------------
// Sample conversion

function parseContainer(bytes: Uint8Array, maxSamples: number): SampleLayout {
  if (bytes.length < 4) {
    throw new AudioDecodeError("unknown_container", `${bytes.length} bytes are not an audio file`);
  }
  const magic = fourCC(bytes, 0);
  let layout: SampleLayout;
  if (magic === "RIFF" || magic === "RIFX" || magic === "RF64" || magic === "BW64") {
    layout = parseWav(bytes);
  } else if (magic === "FORM") {
    layout = parseAiff(bytes);
  } else {
    throw new AudioDecodeError(
      "unknown_container",
      `starts with ${printable(magic)}, not a WAV ("RIFF") or AIFF ("FORM") header`,
    );
  }
  const samples = layout.frames * layout.channelCount;
  if (samples > maxSamples) {
    throw new AudioDecodeError(
      "too_large",
      `${layout.frames} frames × ${layout.channelCount} channels exceed ${maxSamples} samples`,
    );
  }
  return layout;
}

/**
 * Converts interleaved sample data to floats with one tight loop per encoding; a per-sample
 * callback would be several times slower on long recordings.
 */
function convertInterleaved(bytes: Uint8Array, layout: SampleLayout, out: Float32Array): void {
  const view = viewOf(bytes);
  const n = layout.frames * layout.channelCount;
  const le = layout.littleEndian;
  let p = layout.dataOffset;
  switch (layout.encoding) {
    case "pcm_u8":
      for (let i = 0; i < n; i++) out[i] = (bytes[p++] - 128) / 128;
      break;
    case "pcm_s8":
      for (let i = 0; i < n; i++) out[i] = view.getInt8(p++) / 128;
      break;
    case "pcm_s16":
      for (let i = 0; i < n; i++, p += 2) out[i] = view.getInt16(p, le) / 32768;
      break;
    case "pcm_s24":
      for (let i = 0; i < n; i++, p += 3) {
        const value = le
          ? bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)
          : (bytes[p] << 16) | (bytes[p + 1] << 8) | bytes[p + 2];
        out[i] = ((value << 8) >> 8) / 8388608;
      }
      break;
    case "pcm_s32":
      for (let i = 0; i < n; i++, p += 4) out[i] = view.getInt32(p, le) / 2147483648;
      break;
    case "float32":
      for (let i = 0; i < n; i++, p += 4) out[i] = view.getFloat32(p, le);
      break;
    case "float64":
      for (let i = 0; i < n; i++, p += 8) out[i] = view.getFloat64(p, le);
      break;
  }
  if (layout.encoding === "float32" || layout.encoding === "float64") {
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(out[i])) {
        throw new AudioDecodeError(
          "invalid_sample",
          `sample ${Math.floor(i / layout.channelCount)} of channel ` +
            `${i % layout.channelCount} is ${out[i]}`,
        );
      }
    }
  }
}

function formatOf(layout: SampleLayout): AudioFormat {
  return {
    sampleRateHz: layout.sampleRateHz,
    channelCount: layout.channelCount,
    container: layout.container,
    encoding: layout.encoding,
    bitsPerSample: layout.bitsPerSample,
  };
}

function maxSamplesOf(options: DecodeOptions): number {
  const maxSamples = options.maxSamples ?? MAX_DECODED_SAMPLES;
  if (!(maxSamples >= 0)) throw new RangeError(`Expected maxSamples >= 0, but got ${maxSamples}`);
  return maxSamples;
}

/**
 * Decodes a WAV or AIFF/AIFF-C file into separate channels. The container is recognised by
 * its magic bytes, not by a file name (some published `.wav` files are AIFF). PCM becomes
 * `int / 2^(bits−1)` (8-bit WAV is unsigned, 8-bit AIFF signed), exactly what
 * `soundfile.read(dtype='float32')` gives; float data is passed through.
 *
 * @throws {AudioDecodeError} for anything that is not decodable audio.
 */
export function decodeAudioChannels(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): DecodedChannels {
  const layout = parseContainer(bytes, maxSamplesOf(options));
  const interleaved = new Float32Array(layout.frames * layout.channelCount);
  convertInterleaved(bytes, layout, interleaved);
  const channelCount = layout.channelCount;
  const channels: Float32Array[] = [];
  if (channelCount === 1) {
    channels.push(interleaved);
  } else {
    for (let c = 0; c < channelCount; c++) {
      const channel = new Float32Array(layout.frames);
      for (let i = 0, j = c; i < layout.frames; i++, j += channelCount) {
        channel[i] = interleaved[j];
      }
      channels.push(channel);
    }
  }
  return { ...formatOf(layout), channels };
}

/**
 * Decodes a WAV or AIFF/AIFF-C file and downmixes it to mono by averaging the channels
 * (librosa's `to_mono`). This is the entry point for uploaded files and corpus recordings.
 *
 * @example
 * const { samples, sampleRateHz } = decodeAudio(await Deno.readFile("clip.wav"));
 * @throws {AudioDecodeError} for anything that is not decodable audio.
 */
export function decodeAudio(bytes: Uint8Array, options: DecodeOptions = {}): DecodedAudio {
  const layout = parseContainer(bytes, maxSamplesOf(options));
  const interleaved = new Float32Array(layout.frames * layout.channelCount);
  convertInterleaved(bytes, layout, interleaved);
  const format = formatOf(layout);
  if (layout.channelCount === 1) return { ...format, samples: interleaved };
  return {
    ...format,
    samples: downmixInterleaved(interleaved, layout.channelCount),
  };
}

function downmixInterleaved(interleaved: Float32Array, channelCount: number): Float32Array {
  const frames = Math.floor(interleaved.length / channelCount);
  const mono = new Float32Array(frames);
  for (let i = 0, j = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channelCount; c++) sum += interleaved[j++];
    mono[i] = sum / channelCount;
  }
  return mono;
}

/**
 * Averages equally long channels into one (librosa's `to_mono`). A single channel is
 * returned as is, not copied.
 */
export function downmix(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 0) throw new RangeError("Expected at least 1 channel, but got 0");
  if (channels.length === 1) return channels[0];
  const frames = channels[0].length;
  for (const channel of channels) {
    if (channel.length !== frames) {
      throw new RangeError(`Expected channels of ${frames} samples, but got ${channel.length}`);
    }
  }
  const mono = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels.length; c++) sum += channels[c][i];
    mono[i] = sum / channels.length;
  }
  return mono;
}

/**
 * Decodes headerless little-endian Float32 mono at a rate the sender states, which is how
 * the browser recorder ships its chunks. The rate is a parameter (a `RangeError` when bad);
 * the bytes are data (an {@link AudioDecodeError} when their length is not a multiple of 4 or
 * a value is not finite).
 */
export function decodeRawFloat32(
  bytes: Uint8Array,
  sampleRateHz: number,
  options: DecodeOptions = {},
): DecodedAudio {
  expectPositiveFinite("sampleRateHz", sampleRateHz);
  if (bytes.length % 4 !== 0) {
    throw new AudioDecodeError(
      "truncated",
      `raw Float32 data is ${bytes.length} bytes, not a multiple of 4`,
    );
  }
  const n = bytes.length / 4;
  const maxSamples = maxSamplesOf(options);
  if (n > maxSamples) {
    throw new AudioDecodeError("too_large", `${n} samples exceed ${maxSamples}`);
  }
  const samples = new Float32Array(n);
  const view = viewOf(bytes);
  for (let i = 0; i < n; i++) {
    const value = view.getFloat32(4 * i, true);
    if (!Number.isFinite(value)) {
      throw new AudioDecodeError("invalid_sample", `sample ${i} is ${value}`);
    }
    samples[i] = value;
  }
  return {
    samples,
    sampleRateHz,
    channelCount: 1,
    container: "raw",
    encoding: "float32",
    bitsPerSample: 32,
  };
}
