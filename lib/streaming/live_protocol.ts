/** Messages between {@link LivePool} (`live_pool.ts`) and `live_worker.ts`. */
import type { ChunkStep, FinishStep, Recording } from "./recording.ts";

/**
 * To a worker: load the model folder `dir`, append a chunk, finish a recording, or report
 * its live tfjs tensors.
 */
export type LiveRequest =
  | { op: "init"; dir: string; ttaCopies: number }
  | { op: "stats"; id: number }
  | {
    op: "append";
    id: number;
    recording: Recording;
    chunk: Float32Array;
    defer: boolean;
    lean: boolean;
  }
  | { op: "finish"; id: number; recording: Recording; lean: boolean };

/** From a worker: ready (or failed to load), or the answer to request `id`. */
export type LiveResponse =
  | { op: "ready" }
  | { op: "failed"; message: string }
  | { op: "appended"; id: number; step: ChunkStep }
  | { op: "finished"; id: number; step: FinishStep }
  | { op: "stats"; id: number; tensors: number }
  | { op: "error"; id: number; message: string };

/**
 * The buffer of `audio` when the array is all of it (as the audio of a step is), so that it
 * can be moved between threads instead of copied; none otherwise.
 */
export function movable(audio: Float32Array): Transferable[] {
  const { buffer } = audio;
  return buffer instanceof ArrayBuffer && audio.byteOffset === 0 &&
      audio.byteLength === buffer.byteLength && audio.byteLength > 0
    ? [buffer]
    : [];
}
