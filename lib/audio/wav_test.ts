import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import { encodeAiff, encodeWav } from "./encode.ts";
import { AudioDecodeError, type AudioDecodeErrorCode } from "./errors.ts";
import { seededRandom } from "./synth.ts";
import {
  decodeAudio,
  decodeAudioChannels,
  decodeRawFloat32,
  downmix,
  type SampleEncoding,
} from "./wav.ts";

/** Random samples on the grid of `bits`-bit PCM, so encode → decode is exact. */
function gridSamples(length: number, bits: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const full = 2 ** (bits - 1);
  return Float32Array.from(
    { length },
    // `+ 0` turns −0 into 0, which is what decoding an integer zero gives.
    () => Math.max(-full, Math.min(full - 1, Math.round((random() * 2 - 1) * full))) / full + 0,
  );
}

const ASCII = new TextEncoder();

function assertDecodeError(
  bytes: Uint8Array,
  code: AudioDecodeErrorCode,
  message?: RegExp,
): void {
  assert.throws(() => decodeAudio(bytes), (error: unknown) => {
    assert.ok(error instanceof AudioDecodeError, `not an AudioDecodeError: ${error}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const PCM_BITS: Array<[SampleEncoding, number]> = [
  ["pcm_u8", 8],
  ["pcm_s16", 16],
  ["pcm_s24", 24],
  ["pcm_s32", 32],
];

Deno.test("WAV PCM 8/16/24/32-bit round-trips exactly", () => {
  for (const [encoding, bits] of PCM_BITS) {
    const left = gridSamples(301, bits, 1);
    const right = gridSamples(301, bits, 2);
    for (const extensible of [false, true]) {
      const bytes = encodeWav([left, right], 44100, {
        encoding: encoding as "pcm_s16",
        extensible,
      });
      const decoded = decodeAudioChannels(bytes);
      assert.equal(decoded.sampleRateHz, 44100);
      assert.equal(decoded.channelCount, 2);
      assert.equal(decoded.encoding, encoding);
      assert.equal(decoded.container, "wav");
      assert.deepEqual(decoded.channels[0], left, `${encoding} extensible=${extensible}`);
      assert.deepEqual(decoded.channels[1], right);
    }
  }
});

Deno.test("WAV 8-bit is unsigned with 128 as zero", () => {
  const bytes = encodeWav(new Float32Array([0, -1, 127 / 128]), 8000, { encoding: "pcm_u8" });
  assert.deepEqual(Array.from(bytes.subarray(bytes.length - 4, bytes.length - 1)), [128, 0, 255]);
  assert.deepEqual(Array.from(decodeAudio(bytes).samples), [0, -1, 127 / 128]);
});

Deno.test("WAV float32/float64 (plain and extensible) and big-endian RIFX", () => {
  const random = seededRandom(4);
  const x = Float32Array.from({ length: 257 }, () => random() * 2 - 1);
  for (const encoding of ["float32", "float64"] as const) {
    for (const extensible of [false, true]) {
      const decoded = decodeAudio(encodeWav(x, 16000, { encoding, extensible }));
      assert.equal(decoded.encoding, encoding);
      assert.deepEqual(decoded.samples, x);
    }
  }
  const riffx = decodeAudio(encodeWav(gridSamples(99, 16, 5), 22050, { bigEndian: true }));
  assert.deepEqual(riffx.samples, gridSamples(99, 16, 5));
  const riffx24 = decodeAudio(
    encodeWav(gridSamples(99, 24, 6), 22050, { bigEndian: true, encoding: "pcm_s24" }),
  );
  assert.deepEqual(riffx24.samples, gridSamples(99, 24, 6));
});

Deno.test("WAV skips LIST, bext, _PMX and fact chunks, including odd-sized ones", () => {
  const x = gridSamples(64, 16, 7);
  const extraChunks = [
    { id: "LIST", data: ASCII.encode("INFOISFT\x05\x00\x00\x00sox!\x00") },
    { id: "bext", data: new Uint8Array(603) },
    { id: "_PMX", data: ASCII.encode("<x:xmpmeta/>") },
    { id: "fact", data: new Uint8Array([64, 0, 0, 0]) },
    { id: "junk", data: new Uint8Array(1) },
  ];
  const bytes = encodeWav(x, 16000, { extraChunks });
  assert.deepEqual(decodeAudio(bytes).samples, x);
  // Trailing junk after the data chunk (a chunk header claiming more than is left) is ignored.
  const trailing = new Uint8Array(bytes.length + 12);
  trailing.set(bytes);
  trailing.set(ASCII.encode("JUNK"), bytes.length);
  new DataView(trailing.buffer).setUint32(bytes.length + 4, 9999, true);
  assert.deepEqual(decodeAudio(trailing).samples, x);
});

Deno.test("multichannel files are downmixed by averaging", () => {
  const channels = [0, 1, 2, 3, 4].map((c) => gridSamples(50, 16, 10 + c));
  const decoded = decodeAudio(encodeWav(channels, 48000));
  assert.equal(decoded.channelCount, 5);
  const expected = Array.from(
    { length: 50 },
    (_, i) => channels.reduce((s, ch) => s + ch[i], 0) / 5,
  );
  assertAllClose(decoded.samples, expected, { atol: 1e-7 });
  assertAllClose(downmix(channels), expected, { atol: 1e-7 });
  assert.equal(downmix([channels[0]]), channels[0]);
  assert.throws(() => downmix([]), RangeError);
  assert.throws(() => downmix([channels[0], new Float32Array(3)]), RangeError);
});

Deno.test("AIFF and AIFF-C (twos, sowt, fl32, fl64) decode like the WAV equivalents", () => {
  const x16 = gridSamples(123, 16, 20);
  const stereo = [gridSamples(80, 24, 21), gridSamples(80, 24, 22)];
  const x8 = gridSamples(40, 8, 23);
  const random = seededRandom(24);
  const xf = Float32Array.from({ length: 60 }, () => random() - 0.5);
  const cases: Array<[Uint8Array, Float32Array[], string]> = [
    [encodeAiff(x16, 24414), [x16], "aiff"],
    [encodeAiff(x16, 24414, { aifc: true }), [x16], "aifc"],
    [encodeAiff(x16, 24414, { littleEndian: true }), [x16], "aifc"],
    [encodeAiff(stereo, 48000, { encoding: "pcm_s24" }), stereo, "aiff"],
    [encodeAiff(x8, 8000, { encoding: "pcm_s8" }), [x8], "aiff"],
    [encodeAiff(xf, 16000, { encoding: "float32" }), [xf], "aifc"],
    [encodeAiff(xf, 16000, { encoding: "float64" }), [xf], "aifc"],
  ];
  for (const [bytes, expected, container] of cases) {
    const decoded = decodeAudioChannels(bytes);
    assert.equal(decoded.container, container);
    assert.equal(decoded.channels.length, expected.length);
    expected.forEach((channel, c) => assert.deepEqual(decoded.channels[c], channel));
  }
  assert.equal(decodeAudio(encodeAiff(x16, 24414)).sampleRateHz, 24414);
  // AIFF's 80-bit rate field carries fractional rates (old Mac 22254.545… Hz).
  assert.ok(
    Math.abs(decodeAudio(encodeAiff(x16, 22254.545454)).sampleRateHz - 22254.545454) < 1e-6,
  );
  // An AIFF named .wav is recognised by its bytes.
  assert.equal(decodeAudio(encodeAiff(x16, 24414)).samples.length, 123);
});

Deno.test("AIFF skips unknown chunks and honours the SSND offset", () => {
  const x = gridSamples(33, 16, 30);
  const bytes = encodeAiff(x, 16000, {
    extraChunks: [{ id: "ANNO", data: ASCII.encode("odd") }, {
      id: "MARK",
      data: new Uint8Array(2),
    }],
  });
  assert.deepEqual(decodeAudio(bytes).samples, x);
  // Rebuild with SSND offset 4: four filler bytes before the first sample.
  const plain = encodeAiff(x, 16000);
  const ssnd = plain.length - (8 + 8 + 66);
  const shifted = new Uint8Array(plain.length + 4);
  shifted.set(plain.subarray(0, ssnd + 8));
  const view = new DataView(shifted.buffer);
  view.setUint32(4, shifted.length - 8, false);
  view.setUint32(ssnd + 4, 8 + 4 + 66, false);
  view.setUint32(ssnd + 8, 4, false);
  shifted.set(plain.subarray(ssnd + 16), ssnd + 20);
  assert.deepEqual(decodeAudio(shifted).samples, x);
});

Deno.test("decoding the golden fixtures gives int16 / 32768", () => {
  const url = new URL("../../../shared/fixtures/golden/audio/sine440_16k.wav", import.meta.url);
  const bytes = Deno.readFileSync(url);
  const decoded = decodeAudio(bytes);
  assert.equal(decoded.sampleRateHz, 16000);
  assert.equal(decoded.samples.length, 16000);
  const view = new DataView(bytes.buffer, 44);
  for (let i = 0; i < 100; i++) {
    assert.equal(decoded.samples[i], view.getInt16(2 * i, true) / 32768);
  }
});

Deno.test("raw little-endian Float32 mono", () => {
  const x = new Float32Array([0, 0.5, -0.25, 1e-3]);
  const decoded = decodeRawFloat32(new Uint8Array(x.buffer), 48000);
  assert.deepEqual(decoded.samples, x);
  assert.equal(decoded.sampleRateHz, 48000);
  assert.equal(decoded.container, "raw");
  assert.throws(
    () => decodeRawFloat32(new Uint8Array(7), 48000),
    (e: unknown) => e instanceof AudioDecodeError && e.code === "truncated",
  );
  const bad = new Float32Array([0, NaN]);
  assert.throws(
    () => decodeRawFloat32(new Uint8Array(bad.buffer), 48000),
    (e: unknown) => e instanceof AudioDecodeError && e.code === "invalid_sample",
  );
  assert.throws(() => decodeRawFloat32(new Uint8Array(8), 0), {
    name: "RangeError",
    message: "Expected sampleRateHz > 0, but got 0",
  });
  assert.throws(
    () => decodeRawFloat32(new Uint8Array(16), 16000, { maxSamples: 3 }),
    (e: unknown) => e instanceof AudioDecodeError && e.code === "too_large",
  );
});

Deno.test("bad WAV input gives typed errors with clear messages", () => {
  const good = encodeWav(gridSamples(100, 16, 40), 16000);
  const patched = (offset: number, value: number, bytes = 4, source = good) => {
    const copy = source.slice();
    const view = new DataView(copy.buffer);
    if (bytes === 4) view.setUint32(offset, value, true);
    else view.setUint16(offset, value, true);
    return copy;
  };
  assertDecodeError(new Uint8Array(0), "unknown_container");
  assertDecodeError(ASCII.encode("ID3\x04 not audio at all"), "unknown_container", /"ID3\\u0004"/);
  assertDecodeError(ASCII.encode("RIFF\x00\x00\x00\x00AVI LIST"), "unknown_container", /"AVI "/);
  assertDecodeError(good.subarray(0, 10), "truncated");
  assertDecodeError(good.subarray(0, good.length - 10), "truncated", /data chunk declares 200/);
  assertDecodeError(good.subarray(0, 30), "truncated", /fmt chunk declares 16 bytes/);
  assertDecodeError(patched(22, 0, 2), "invalid_header", /channel count is 0/);
  assertDecodeError(patched(24, 0), "invalid_header", /sample rate is 0 Hz/);
  assertDecodeError(patched(24, 4_000_000_000), "too_large", /sample rate/);
  assertDecodeError(patched(20, 2, 2), "unsupported_encoding", /Microsoft ADPCM/);
  assertDecodeError(patched(20, 0x55, 2), "unsupported_encoding", /MPEG layer 3/);
  assertDecodeError(patched(32, 3, 2), "invalid_header", /block align 3 does not match/);
  assertDecodeError(patched(34, 0, 2), "unsupported_encoding", /PCM with 0 bits/);
  assertDecodeError(patched(40, 0x7fffffff), "truncated", /data chunk declares 2147483647/);
  const shortFmt = new Uint8Array(12 + 8 + 12 + 8);
  shortFmt.set(ASCII.encode("RIFF"), 0);
  shortFmt.set(ASCII.encode("WAVEfmt "), 8);
  shortFmt[16] = 12;
  shortFmt.set(ASCII.encode("data"), 32);
  assertDecodeError(shortFmt, "invalid_header", /fmt chunk is 12 bytes/);
  // A fmt size that throws the chunk walk off course ends in a typed error too.
  assertDecodeError(patched(16, 12), "truncated");
  const noData = good.slice(0, 36);
  assertDecodeError(noData, "invalid_header", /no data chunk/);
  const rf64 = good.slice();
  rf64.set(ASCII.encode("RF64"), 0);
  assertDecodeError(rf64, "unsupported_encoding", /RF64/);
  const float = encodeWav(new Float32Array([0, Infinity]), 16000, { encoding: "float32" });
  assertDecodeError(float, "invalid_sample", /sample 1 of channel 0 is Infinity/);
  const float16 = patched(
    34,
    16,
    2,
    encodeWav(new Float32Array(4), 16000, { encoding: "float32" }),
  );
  assertDecodeError(float16, "unsupported_encoding", /IEEE float with 16 bits/);
  const guid = encodeWav(new Float32Array(4), 16000, { extensible: true });
  guid[12 + 8 + 30] ^= 0xff;
  assertDecodeError(guid, "unsupported_encoding", /GUID/);
  assert.throws(
    () => decodeAudio(good, { maxSamples: 99 }),
    (e: unknown) => e instanceof AudioDecodeError && e.code === "too_large",
  );
});

Deno.test("bad AIFF input gives typed errors", () => {
  const good = encodeAiff(gridSamples(100, 16, 41), 16000);
  const commOffset = 12 + 8; // COMM body
  const patch = (offset: number, write: (view: DataView) => void) => {
    const copy = good.slice();
    write(new DataView(copy.buffer, offset));
    return copy;
  };
  assertDecodeError(patch(commOffset, (v) => v.setInt16(0, 0)), "invalid_header", /channel/);
  assertDecodeError(patch(commOffset, (v) => v.setInt16(0, -3)), "invalid_header");
  assertDecodeError(patch(commOffset, (v) => v.setInt16(0, 5000)), "too_large");
  assertDecodeError(
    patch(commOffset + 2, (v) => v.setUint32(0, 0xffffffff)),
    "truncated",
    /COMM declares 4294967295 frames/,
  );
  assertDecodeError(patch(commOffset + 8, (v) => v.setUint16(0, 0x7fff)), "invalid_header");
  assertDecodeError(patch(commOffset + 6, (v) => v.setInt16(0, 0)), "unsupported_encoding");
  const aifc = encodeAiff(gridSamples(10, 16, 42), 16000, { aifc: true });
  const ulaw = aifc.slice();
  ulaw.set(ASCII.encode("ulaw"), 12 + 12 + 8 + 18);
  assertDecodeError(ulaw, "unsupported_encoding", /"ulaw"/);
  assertDecodeError(good.subarray(0, good.length - 1), "truncated");
  const form = good.slice();
  form.set(ASCII.encode("8SVX"), 8);
  assertDecodeError(form, "unknown_container", /"8SVX"/);
});
