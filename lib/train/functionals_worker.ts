/**
 * Worker that fills the functionals cache for a share of the files (`functionals_store.ts`).
 * Receives `{ jobs, cacheDir }`, answers `{ done: 1 }` per job and `{ finished: true }` (or
 * `{ error }`) at the end.
 */
/// <reference lib="deno.worker" />
import { type FunctionalsJob, FunctionalsStore } from "./functionals_store.ts";

self.onmessage = async (event: MessageEvent<{ jobs: FunctionalsJob[]; cacheDir?: string }>) => {
  const store = new FunctionalsStore(event.data.cacheDir);
  try {
    for (const job of event.data.jobs) {
      await store.of(job);
      self.postMessage({ done: 1 });
    }
    self.postMessage({ finished: true });
  } catch (error) {
    self.postMessage({ error: (error as Error).message });
  }
};
