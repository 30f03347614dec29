/**
 * The kept audio of live recordings, remembered in process memory between chunks so that a
 * chunk need not read it back from the store. Every entry is tied to the versionstamp of the
 * recording row it belongs to: the row and its audio pages only change together, in one
 * checked commit, so audio cached for the versionstamp just read is exactly what the store
 * holds. Any other versionstamp (another process advanced the recording, a commit failed, an
 * early chunk was stored) is a miss, and the caller reads the store as before. The cache is
 * bounded in bytes and forgets the least recently used recordings first.
 */

/** Default bound: 64 MiB, the kept audio of some 300 recordings of typical speech. */
export const DEFAULT_AUDIO_CACHE_BYTES = 64 * 1024 * 1024;

interface CachedAudio {
  versionstamp: string;
  audio: Float32Array;
}

/**
 * Kept audio by recording, valid for one row versionstamp each (see the module comment).
 * Entries leave on {@link take} and come back with the next versionstamp on {@link set}, so
 * the least recently used is simply the one set longest ago.
 */
export class KeptAudioCache {
  readonly maxBytes: number;
  readonly #entries = new Map<string, CachedAudio>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(maxBytes = DEFAULT_AUDIO_CACHE_BYTES) {
    if (!(Number.isFinite(maxBytes) && maxBytes >= 0)) {
      throw new RangeError(`Expected maxBytes ≥ 0, but got ${maxBytes}`);
    }
    this.maxBytes = maxBytes;
  }

  /**
   * Takes the audio cached for `key` at exactly `versionstamp` out of the cache (the caller
   * owns it and may move its buffer to a worker), or null. The caller puts the next audio
   * back with {@link set} once it is committed.
   */
  take(key: string, versionstamp: string): Float32Array | null {
    const entry = this.#entries.get(key);
    if (!entry || entry.versionstamp !== versionstamp) {
      this.#misses++;
      return null;
    }
    this.#hits++;
    this.delete(key);
    return entry.audio;
  }

  /** Remembers `audio` as the kept audio of `key` at `versionstamp` (replacing older audio). */
  set(key: string, versionstamp: string, audio: Float32Array): void {
    this.delete(key);
    if (audio.byteLength > this.maxBytes) return;
    this.#entries.set(key, { versionstamp, audio });
    this.#bytes += audio.byteLength;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.audio.byteLength;
    }
  }

  /** Forgets `key` (a finished recording). */
  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.audio.byteLength;
  }

  /** Entries, bytes held, and lookups that hit and missed so far. */
  stats(): { entries: number; bytes: number; hits: number; misses: number } {
    return {
      entries: this.#entries.size,
      bytes: this.#bytes,
      hits: this.#hits,
      misses: this.#misses,
    };
  }
}
