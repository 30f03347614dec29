/**
 * A disk cache of utterance functionals (`lib/audio/functionals.ts`) for training the dense
 * member, keyed like the feature cache by the SHA-256 of each file's bytes under a folder named
 * for {@link FUNCTIONALS_VERSION}, so a changed file or a new version never serves stale values.
 * An entry is the {@link FUNCTIONAL_COUNT} float32 numbers, little-endian, nothing else; a
 * silent clip has an empty entry.
 */
import { join } from "node:path";
import { MODEL_SAMPLE_RATE_HZ } from "../audio/constants.ts";
import {
  FUNCTIONAL_COUNT,
  FUNCTIONALS_VERSION,
  utteranceFunctionals,
} from "../audio/functionals.ts";
import { resample } from "../audio/resample.ts";
import { decodeAudio } from "../audio/wav.ts";
import { sha256Hex } from "../data/feature_store.ts";
import { augmentClip, type AugmentSpec } from "./augment.ts";

/** A file whose functionals are wanted, optionally of an augmented copy of it. */
export interface FunctionalsJob {
  path: string;
  augment?: AugmentSpec;
}

/** Default cache folder, relative to the repository root. */
export const DEFAULT_FUNCTIONALS_CACHE_DIR = ".cache/functionals";

/**
 * Functionals of an audio file's bytes (any rate, any channels), or of its copy augmented by
 * `augment` (`augment.ts`, applied at 16 kHz), or null for silence.
 */
export function functionalsOfBytes(bytes: Uint8Array, augment?: AugmentSpec): Float32Array | null {
  const { samples, sampleRateHz } = decodeAudio(bytes);
  const audio = resample(samples, sampleRateHz, MODEL_SAMPLE_RATE_HZ);
  return utteranceFunctionals(augment ? augmentClip(audio, augment) : audio);
}

/** Reads functionals of files from the cache, computing and storing missing ones. */
export class FunctionalsStore {
  readonly dir: string;

  constructor(dir: string = DEFAULT_FUNCTIONALS_CACHE_DIR) {
    this.dir = join(dir, FUNCTIONALS_VERSION);
  }

  /**
   * The functionals of the file at `job.path` (of its augmented copy with `job.augment`, keyed
   * by the file's hash and the spec), or null when it is silent.
   */
  async of(job: FunctionalsJob): Promise<Float32Array | null> {
    const bytes = await Deno.readFile(job.path);
    let key = await sha256Hex(bytes);
    if (job.augment) {
      key = await sha256Hex(new TextEncoder().encode(`${key} ${JSON.stringify(job.augment)}`));
    }
    const entry = join(this.dir, `${key}.f32`);
    try {
      const stored = await Deno.readFile(entry);
      if (stored.length === 0) return null;
      if (stored.length === 4 * FUNCTIONAL_COUNT) {
        return new Float32Array(stored.buffer, stored.byteOffset, FUNCTIONAL_COUNT);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const values = functionalsOfBytes(bytes, job.augment);
    await Deno.mkdir(this.dir, { recursive: true });
    const temporary = `${entry}.${crypto.randomUUID()}.tmp`;
    await Deno.writeFile(
      temporary,
      values
        ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
        : new Uint8Array(),
    );
    await Deno.rename(temporary, entry);
    return values;
  }
}

/**
 * Functionals of every job (a path, or `{ path, augment }`), in order (null for silent ones),
 * read from the cache or computed (and stored) on `workers` threads, which send them back.
 * `onProgress(done)` counts finished jobs.
 */
export async function loadFunctionals(
  jobs: readonly (string | FunctionalsJob)[],
  options: { workers: number; cacheDir?: string; onProgress?: (done: number) => void },
): Promise<(Float32Array | null)[]> {
  const all = jobs.map((j) => (typeof j === "string" ? { path: j } : j));
  const out: (Float32Array | null)[] = new Array(all.length).fill(null);
  const workers = Math.max(1, options.workers);
  // Shard w takes jobs w, w + workers, …; its k-th answer is job w + k · workers.
  const shards = Array.from({ length: workers }, (_, w) => all.filter((_, i) => i % workers === w));
  await Promise.all(
    shards.map((shard, w) =>
      shard.length === 0 ? Promise.resolve() : new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL("./functionals_worker.ts", import.meta.url), {
          type: "module",
        });
        worker.onmessage = (e: MessageEvent) => {
          if (e.data.index !== undefined) {
            out[w + e.data.index * workers] = e.data.values;
            options.onProgress?.(1);
          }
          if (e.data.finished || e.data.error) {
            worker.terminate();
            if (e.data.error) reject(new Error(`functionals failed: ${e.data.error}`));
            else resolve();
          }
        };
        worker.onerror = (e) => {
          worker.terminate();
          reject(new Error(`functionals worker crashed: ${e.message}`));
        };
        worker.postMessage({ jobs: shard, cacheDir: options.cacheDir });
      })
    ),
  );
  return out;
}
