/**
 * Cuts a stream of 16 kHz samples into the chunks the server takes: exactly
 * {@link CHUNK_SAMPLES} samples each (one second), numbered from 0, and, when the
 * recording stops, one last shorter chunk with whatever remains.
 */

/** Samples per chunk: one second at 16 kHz. */
export const CHUNK_SAMPLES = 16000;

/** One chunk of audio and its place in the recording. */
export interface Chunk {
  /** 0 for the first chunk, then 1, 2, … with no gaps. */
  seq: number;
  /** Mono samples at 16 kHz; {@link CHUNK_SAMPLES} long except possibly the last one. */
  samples: Float32Array;
}

/** Collects samples and hands out whole chunks. */
export class Chunker {
  readonly chunkSamples: number;
  #pending: Float32Array;
  #filled = 0;
  #nextSeq = 0;
  #flushed = false;

  constructor(chunkSamples = CHUNK_SAMPLES) {
    if (!Number.isInteger(chunkSamples) || chunkSamples <= 0) {
      throw new RangeError(`Expected chunkSamples > 0, but got ${chunkSamples}`);
    }
    this.chunkSamples = chunkSamples;
    this.#pending = new Float32Array(chunkSamples);
  }

  /** Samples waiting for their chunk to fill up. */
  get bufferedSamples(): number {
    return this.#filled;
  }

  /** Adds samples; returns the chunks they completed (often none, sometimes several). */
  push(samples: Float32Array): Chunk[] {
    if (this.#flushed) throw new Error("Chunker.push after flush");
    const chunks: Chunk[] = [];
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(this.chunkSamples - this.#filled, samples.length - offset);
      this.#pending.set(samples.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === this.chunkSamples) {
        chunks.push({ seq: this.#nextSeq++, samples: this.#pending });
        this.#pending = new Float32Array(this.chunkSamples);
        this.#filled = 0;
      }
    }
    return chunks;
  }

  /** Ends the stream: the remaining samples as a last, shorter chunk (none when empty). */
  flush(): Chunk[] {
    if (this.#flushed) return [];
    this.#flushed = true;
    if (this.#filled === 0) return [];
    const last = { seq: this.#nextSeq++, samples: this.#pending.slice(0, this.#filled) };
    this.#filled = 0;
    return [last];
  }
}

const LITTLE_ENDIAN_PLATFORM = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/**
 * The wire format of a chunk: raw little-endian IEEE-754 float32, 4 bytes per sample, no
 * header. Copies, so the bytes stay valid whatever happens to `samples` afterwards.
 */
export function float32LittleEndian(samples: Float32Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(samples.length * 4);
  if (LITTLE_ENDIAN_PLATFORM) {
    bytes.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  } else {
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < samples.length; i++) view.setFloat32(i * 4, samples[i], true);
  }
  return bytes;
}
