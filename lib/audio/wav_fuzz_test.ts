/**
 * Fuzz test of the decoders: 10 000 mutated or truncated WAV/AIFF files. Each must either
 * decode to finite samples no larger than the input could hold, or throw an
 * AudioDecodeError: no other exception, no hang, no allocation beyond the input's size.
 */

import assert from "node:assert/strict";
import { encodeAiff, encodeWav } from "./encode.ts";
import { AudioDecodeError } from "./errors.ts";
import { seededRandom } from "./synth.ts";
import {
  decodeAudio,
  decodeAudioChannels,
  MAX_FILE_SAMPLE_RATE_HZ,
  MIN_FILE_SAMPLE_RATE_HZ,
} from "./wav.ts";

const CASES = 10_000;

function baseFiles(): Uint8Array[] {
  const random = seededRandom(99);
  const signal = (n: number) => Float32Array.from({ length: n }, () => random() * 1.8 - 0.9);
  const mono = signal(150);
  const stereo = [signal(90), signal(90)];
  const odd = [{ id: "LIST", data: new Uint8Array(7) }, { id: "fact", data: new Uint8Array(4) }];
  return [
    encodeWav(mono, 16000),
    encodeWav(mono, 8000, { encoding: "pcm_u8" }),
    encodeWav(stereo, 44100, { encoding: "pcm_s24" }),
    encodeWav(mono, 48000, { encoding: "pcm_s32", extensible: true }),
    encodeWav(stereo, 22050, { encoding: "float32" }),
    encodeWav(mono, 96000, { encoding: "float64", extensible: true }),
    encodeWav(mono, 16000, { bigEndian: true }),
    encodeWav(stereo, 16000, { extraChunks: odd }),
    encodeAiff(mono, 24414),
    encodeAiff(stereo, 48000, { encoding: "pcm_s24" }),
    encodeAiff(mono, 16000, { littleEndian: true }),
    encodeAiff(mono, 22050, { encoding: "float32" }),
    encodeAiff(mono, 11025, { encoding: "pcm_s8", extraChunks: odd }),
  ];
}

const EXTREMES = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xfffe, 0x10000, 3, 2];

/** One mutation of `source`, chosen and parameterised by `random`. */
function mutate(source: Uint8Array, others: Uint8Array[], random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const kind = pick(8);
  const bytes = source.slice();
  const view = new DataView(bytes.buffer);
  // Most structure lives in the first ~100 bytes (headers and chunk sizes).
  const headerOffset = () => pick(Math.min(bytes.length, 100));
  switch (kind) {
    case 0: // truncation
      return bytes.subarray(0, pick(bytes.length + 1));
    case 1: { // random byte flips
      const flips = 1 + pick(8);
      for (let i = 0; i < flips; i++) bytes[pick(bytes.length)] ^= 1 + pick(255);
      return bytes;
    }
    case 2: { // 32-bit header field set to an extreme value, either endianness
      const at = Math.min(headerOffset(), bytes.length - 4);
      if (at >= 0) view.setUint32(at, EXTREMES[pick(EXTREMES.length)], random() < 0.5);
      return bytes;
    }
    case 3: { // 16-bit header field
      const at = Math.min(headerOffset(), bytes.length - 2);
      if (at >= 0) view.setUint16(at, [0, 0xffff, pick(65536), 1, 2][pick(5)], random() < 0.5);
      return bytes;
    }
    case 4: { // bytes inserted into the header region
      const at = headerOffset();
      const inserted = Uint8Array.from({ length: 1 + pick(12) }, () => pick(256));
      const out = new Uint8Array(bytes.length + inserted.length);
      out.set(bytes.subarray(0, at));
      out.set(inserted, at);
      out.set(bytes.subarray(at), at + inserted.length);
      return out;
    }
    case 5: { // splice: head of this file, tail of another
      const other = others[pick(others.length)];
      const cut = headerOffset();
      const out = new Uint8Array(cut + other.length - Math.min(cut, other.length));
      out.set(bytes.subarray(0, cut));
      out.set(other.subarray(Math.min(cut, other.length)), cut);
      return out;
    }
    case 6: { // random bytes after a valid magic
      const out = Uint8Array.from({ length: pick(300) + 12 }, () => pick(256));
      out.set(bytes.subarray(0, Math.min(12, bytes.length)));
      return out.subarray(0, Math.max(4, pick(out.length + 1)));
    }
    default: { // several mutations in a row
      let out: Uint8Array = bytes;
      for (let i = 0; i < 3; i++) out = mutate(out, others, random);
      return out;
    }
  }
}

Deno.test(`fuzz: ${CASES} mutated WAV/AIFF files give only AudioDecodeError`, () => {
  const bases = baseFiles();
  // The unmutated bases decode.
  for (const base of bases) decodeAudio(base);
  const random = seededRandom(20240601);
  const counts = { decoded: 0, rejected: 0 };
  let slowestMs = 0;
  for (let i = 0; i < CASES; i++) {
    const input = mutate(bases[i % bases.length], bases, random);
    const started = performance.now();
    for (const decode of [decodeAudio, decodeAudioChannels]) {
      try {
        const result = decode(input);
        const arrays = "samples" in result ? [result.samples] : result.channels;
        const total = arrays.reduce((sum, a) => sum + a.length, 0);
        // Every sample occupies at least one input byte: nothing was allocated beyond that.
        assert.ok(total <= input.length, `case ${i}: ${total} samples from ${input.length} bytes`);
        assert.ok(
          result.sampleRateHz >= MIN_FILE_SAMPLE_RATE_HZ &&
            result.sampleRateHz <= MAX_FILE_SAMPLE_RATE_HZ,
          `case ${i}: sample rate ${result.sampleRateHz}`,
        );
        for (const a of arrays) {
          for (const x of a) assert.ok(Number.isFinite(x), `case ${i}: non-finite sample ${x}`);
        }
        counts.decoded++;
      } catch (error) {
        if (!(error instanceof AudioDecodeError)) {
          const hex = Array.from(input.subarray(0, 64), (b) => b.toString(16).padStart(2, "0"));
          throw new Error(`case ${i}: ${error} for input starting ${hex.join(" ")}`);
        }
        assert.ok(error.message.length > 0);
        counts.rejected++;
      }
    }
    slowestMs = Math.max(slowestMs, performance.now() - started);
  }
  assert.ok(slowestMs < 250, `slowest case took ${slowestMs} ms`);
  // Both outcomes must be exercised for the test to mean anything.
  assert.ok(counts.decoded > 500 && counts.rejected > 5000, JSON.stringify(counts));
});

Deno.test("fuzz: absurd declared sizes are rejected before allocation", () => {
  // A 44-byte header claiming 4 GiB of data, and AIFF claiming 2^32−1 frames.
  const wav = encodeWav(new Float32Array(0), 16000);
  new DataView(wav.buffer).setUint32(40, 0xfffffff0, true);
  assert.throws(() => decodeAudio(wav), (e: unknown) => e instanceof AudioDecodeError);
  const aiff = encodeAiff(new Float32Array(0), 16000);
  new DataView(aiff.buffer).setUint32(12 + 8 + 2, 0xffffffff, false);
  assert.throws(() => decodeAudio(aiff), (e: unknown) => e instanceof AudioDecodeError);
  // 65 535 channels with a matching block align cannot be declared (16-bit field overflows),
  // and more than MAX_CHANNELS is refused outright.
  const many = encodeWav(new Float32Array(4), 16000);
  new DataView(many.buffer).setUint16(22, 2000, true);
  new DataView(many.buffer).setUint16(32, 4000, true);
  assert.throws(
    () => decodeAudio(many),
    (e: unknown) => e instanceof AudioDecodeError && e.code === "too_large",
  );
});
