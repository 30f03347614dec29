/**
 * Worker that fills the feature cache for a share of the clips, so feature extraction
 * uses every core. Receives `{ paths, cacheDir }`, answers `{ done: n }` after each clip
 * and `{ finished: true }` (or `{ error }`) at the end.
 */
/// <reference lib="deno.worker" />
import { FeatureStore } from "../data/feature_store.ts";

self.onmessage = async (event: MessageEvent<{ paths: string[]; cacheDir?: string }>) => {
  const store = new FeatureStore({ dir: event.data.cacheDir });
  try {
    for (const path of event.data.paths) {
      await store.features(path);
      self.postMessage({ done: 1 });
    }
    self.postMessage({ finished: true });
  } catch (error) {
    self.postMessage({ error: `${event.data.paths.length} clips: ${(error as Error).message}` });
  }
};
