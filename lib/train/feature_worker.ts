/**
 * Worker that fills the feature cache for a share of the clips, so feature extraction
 * uses every core. Receives `{ jobs, cacheDir, features }` (each job a clip path, optionally with
 * an augmentation), answers `{ done: 1 }` after each clip and `{ finished: true }` (or
 * `{ error }`) at the end.
 */
/// <reference lib="deno.worker" />
import type { FeatureSet } from "../audio/constants.ts";
import { FeatureStore } from "../data/feature_store.ts";
import { type FeatureJob, featuresForJob } from "./dataset.ts";

self.onmessage = async (
  event: MessageEvent<{ jobs: FeatureJob[]; cacheDir?: string; features?: FeatureSet }>,
) => {
  const store = new FeatureStore({ dir: event.data.cacheDir, ...event.data.features });
  try {
    for (const job of event.data.jobs) {
      await featuresForJob(store, job);
      self.postMessage({ done: 1 });
    }
    self.postMessage({ finished: true });
  } catch (error) {
    self.postMessage({ error: (error as Error).message });
  }
};
