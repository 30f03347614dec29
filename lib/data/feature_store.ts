/**
 * A feature cache on disk so a second training run does not recompute features. Entries are
 * keyed by the SHA-256 of the file's bytes, {@link PIPELINE_VERSION} and the preprocessing
 * options, so renamed or duplicated files share an entry, edited files get a new one, and a
 * pipeline change never serves stale features.
 *
 * Layout: `<dir>/<PIPELINE_VERSION><feature set>-<options hash>/<sha256 of the audio>.f32` (the
 * feature set's suffix is empty for the recipe, else e.g. `+mfcc40` or `+pitch`), each
 * file a 16-byte header (`"MLFM"`, version 1, frames, feature count; uint32 little-endian)
 * followed by the float32 little-endian `[frames, featureCount]` matrix.
 */

import { join } from "node:path";
import {
  featureColumns,
  type FeatureSet,
  featureSetSuffix,
  mfccCount,
  PIPELINE_VERSION,
} from "../audio/constants.ts";
import type { FeatureMatrix } from "../audio/features.ts";
import { extractModelFeatures } from "../audio/pitch.ts";
import { preprocess, type PreprocessOptions } from "../audio/preprocess.ts";
import { decodeAudio } from "../audio/wav.ts";

/** Default cache folder, relative to the working directory (the repository root for tasks). */
export const DEFAULT_FEATURE_CACHE_DIR = ".cache/features";

const MAGIC = 0x4d464c4d; // "MLFM" read as little-endian uint32
const FORMAT_VERSION = 1;
const HEADER_BYTES = 16;

/**
 * Options of {@link FeatureStore}. The feature set (`mfcc`, `pitch`; default the recipe's 15
 * columns) picks what entries hold; each set has a folder of its own (`<version>+mfcc40-…`).
 */
export interface FeatureStoreOptions extends FeatureSet {
  /** Cache folder; default {@link DEFAULT_FEATURE_CACHE_DIR}. */
  dir?: string;
  /** Preprocessing applied before feature extraction; part of the cache key. */
  preprocess?: PreprocessOptions;
  /** Version string in the key; default {@link PIPELINE_VERSION}. Tests override it. */
  pipelineVersion?: string;
}

/** Features of one file plus where they came from. */
export interface StoredFeatures extends FeatureMatrix {
  /** SHA-256 (hex) of the audio file's bytes. */
  sha256: string;
  /** True when read from the cache, false when computed (and then stored). */
  cached: boolean;
}

/** SHA-256 of `bytes` as lower-case hex. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** JSON with object keys sorted, so equal options always hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The pipeline every cached matrix comes from: decode WAV/AIFF → {@link preprocess} →
 * {@link extractModelFeatures}. Throws `AudioDecodeError` for undecodable bytes (FLAC included).
 */
export function computeFeatures(
  bytes: Uint8Array,
  options: PreprocessOptions = {},
  set: FeatureSet = {},
): FeatureMatrix {
  const { samples, sampleRateHz } = decodeAudio(bytes);
  const audio = preprocess(samples, sampleRateHz, options);
  return extractModelFeatures(audio, set);
}

function encodeEntry(matrix: FeatureMatrix): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + matrix.data.length * 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, matrix.frames, true);
  view.setUint32(12, matrix.featureCount, true);
  for (let i = 0; i < matrix.data.length; i++) {
    view.setFloat32(HEADER_BYTES + 4 * i, matrix.data[i], true);
  }
  return bytes;
}

/** Parses a cache entry; null for anything damaged, which then gets recomputed. */
function decodeEntry(bytes: Uint8Array, columns: number): FeatureMatrix | null {
  if (bytes.length < HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== FORMAT_VERSION) return null;
  const frames = view.getUint32(8, true);
  const featureCount = view.getUint32(12, true);
  if (featureCount !== columns || bytes.length !== HEADER_BYTES + frames * featureCount * 4) {
    return null;
  }
  const data = new Float32Array(frames * featureCount);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(HEADER_BYTES + 4 * i, true);
  return { data, frames, featureCount };
}

/**
 * Feature cache for audio files. {@link FeatureStore.features} returns the cached matrix when
 * the file's content was seen before with the same pipeline version and options, and
 * otherwise computes, stores and returns it. Writes go to a temporary file first and are
 * renamed into place, so an interrupted run never leaves a half-written entry.
 *
 * @example
 * const store = new FeatureStore();
 * const { data, frames, cached } = await store.features("Actor_01/03-01-01-01-01-01-01.wav");
 */
export class FeatureStore {
  /** Folder holding this store's entries (version and options already folded in). */
  readonly entryDir: string;
  /** Counts since construction: entries served from disk vs computed. */
  readonly stats = { hits: 0, misses: 0 };
  /** The columns entries hold (`mfcc` always set). */
  readonly featureSet: Readonly<{ mfcc: number; pitch: boolean }>;
  readonly #options: PreprocessOptions;
  #ready: Promise<void> | null = null;

  constructor(options: FeatureStoreOptions = {}) {
    const dir = options.dir ?? DEFAULT_FEATURE_CACHE_DIR;
    const version = options.pipelineVersion ?? PIPELINE_VERSION;
    if (!/^[\w.-]+$/.test(version)) {
      throw new RangeError(`Expected a file-name-safe pipelineVersion, but got "${version}"`);
    }
    this.#options = options.preprocess ?? {};
    this.featureSet = Object.freeze({ mfcc: mfccCount(options), pitch: options.pitch ?? false });
    // A 32-bit checksum only has to tell apart the few option sets used side by side.
    const name = `${version}${featureSetSuffix(this.featureSet)}`;
    this.entryDir = join(dir, `${name}-${fnv1a(canonicalJson(this.#options))}`);
  }

  /** This store's features (its feature set's columns) of preprocessed 16 kHz audio. */
  extract(audio16k: ArrayLike<number>): FeatureMatrix {
    return extractModelFeatures(audio16k, this.featureSet);
  }

  /** Path of the cache entry for audio with this SHA-256. */
  entryPath(sha256: string): string {
    return join(this.entryDir, `${sha256}.f32`);
  }

  /** Features of the audio file at `path`, from the cache when possible. */
  async features(path: string): Promise<StoredFeatures> {
    const bytes = await Deno.readFile(path);
    return await this.featuresOfBytes(bytes);
  }

  /** Features of audio already in memory (e.g. an upload), from the cache when possible. */
  async featuresOfBytes(bytes: Uint8Array<ArrayBuffer>): Promise<StoredFeatures> {
    return await this.#cachedOrComputed(
      await sha256Hex(bytes),
      () => computeFeatures(bytes, this.#options, this.featureSet),
    );
  }

  /**
   * Features stored under an explicit `key` (64 hex digits, e.g. the SHA-256 of a source
   * file and an augmentation), computed by `compute` on a miss. For derived audio whose
   * bytes are expensive to make just to look them up.
   */
  async derived(key: string, compute: () => FeatureMatrix): Promise<StoredFeatures> {
    if (!/^[0-9a-f]{64}$/.test(key)) {
      throw new RangeError(`Expected a 64-digit hex key, but got "${key}"`);
    }
    return await this.#cachedOrComputed(key, compute);
  }

  /** The entry stored under `key`, or `compute`'s matrix, stored there first. */
  async #cachedOrComputed(key: string, compute: () => FeatureMatrix): Promise<StoredFeatures> {
    const entry = this.entryPath(key);
    try {
      const cached = decodeEntry(await Deno.readFile(entry), featureColumns(this.featureSet));
      if (cached) {
        this.stats.hits++;
        return { ...cached, sha256: key, cached: true };
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const matrix = compute();
    await this.#write(entry, encodeEntry(matrix));
    this.stats.misses++;
    return { ...matrix, sha256: key, cached: false };
  }

  async #write(entry: string, bytes: Uint8Array): Promise<void> {
    this.#ready ??= Deno.mkdir(this.entryDir, { recursive: true });
    await this.#ready;
    const temporary = `${entry}.${crypto.randomUUID()}.tmp`;
    await Deno.writeFile(temporary, bytes);
    await Deno.rename(temporary, entry);
  }
}

/** 32-bit FNV-1a of a string as 8 hex digits; only used to name option sets. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
