/**
 * Worker that reads or computes the functionals of a share of the jobs through the cache
 * (`functionals_store.ts`). Receives `{ jobs, cacheDir }`, answers `{ index, values }` per job
 * (values null for silence, moved, not copied) and `{ finished: true }` (or `{ error }`) at the end.
 */
/// <reference lib="deno.worker" />
import { type FunctionalsJob, FunctionalsStore } from "./functionals_store.ts";

self.onmessage = async (event: MessageEvent<{ jobs: FunctionalsJob[]; cacheDir?: string }>) => {
  const store = new FunctionalsStore(event.data.cacheDir);
  try {
    for (const [index, job] of event.data.jobs.entries()) {
      const values = await store.of(job);
      self.postMessage({ index, values }, values ? [values.buffer] : []);
    }
    self.postMessage({ finished: true });
  } catch (error) {
    self.postMessage({ error: (error as Error).message });
  }
};
