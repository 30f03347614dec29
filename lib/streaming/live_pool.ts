/**
 * Live-recording work on worker threads: {@link appendChunk} and {@link finishRecordingWithVoice}
 * (voice activity, running prediction, classification of closed utterances) run off the
 * request thread, which keeps only HTTP and storage, and use more than one core. Each worker
 * loads the same model folder and runs the same functions, so results equal the in-thread
 * ones exactly.
 *
 * Opt-in per model with {@link startLivePool}; until then, and where workers cannot run (no
 * `Worker`, as on Deno Deploy, or a worker that fails to start), {@link appendChunkLive} and
 * {@link finishRecordingLive} compute in-thread. A worker that dies later is dropped and its
 * requests are computed in-thread.
 */
import * as tf from "@tensorflow/tfjs";
import { modelSourceOf } from "../model/emotion_model.ts";
import {
  appendChunk,
  type ChunkStep,
  finishRecordingWithVoice,
  type FinishStep,
  type LiveModel,
  type Recording,
} from "./recording.ts";
import { type LiveRequest, type LiveResponse, movable } from "./live_protocol.ts";

type Job =
  | { op: "append"; recording: Recording; chunk: Float32Array; resolve(step: ChunkStep): void }
  | { op: "finish"; recording: Recording; resolve(step: FinishStep): void }
  | { op: "stats"; resolve(tensors: number): void };

type QueuedJob = Job & {
  reject(err: Error): void;
  /** Set once the recording's audio buffer was moved to a worker (it is gone here). */
  moved?: boolean;
};

/**
 * A step was lost with its worker after its audio had moved there; nothing of it was stored,
 * and the request can simply be sent again.
 */
export class LiveWorkerLostError extends Error {
  constructor() {
    super("A live-recording worker stopped during this step; send it again.");
    this.name = "LiveWorkerLostError";
  }
}

interface PoolWorker {
  worker: Worker;
  /** Jobs sent and not answered: at most one step, plus any stats requests. */
  jobs: Map<number, QueuedJob>;
  /** Whether a step (append or finish) is in flight on this worker, and which. */
  busy: boolean;
  step: "append" | "finish" | null;
  alive: boolean;
}

/** How long after chunks last waited for a worker the pool keeps classifying lean. */
export const LEAN_HOLD_MS = 10_000;

/** Longest wait for a worker to load the model. */
const START_TIMEOUT_MS = 120_000;

function startWorker(dir: string, ttaCopies: number): Promise<Worker> {
  const worker = new Worker(new URL("./live_worker.ts", import.meta.url).href, {
    type: "module",
  });
  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      clearTimeout(timer);
      worker.terminate();
      reject(new Error(`A live-recording worker did not start: ${message}`));
    };
    const timer = setTimeout(() => fail("timed out"), START_TIMEOUT_MS);
    worker.onmessage = (event: MessageEvent<LiveResponse>) => {
      if (event.data.op !== "ready") {
        fail(event.data.op === "failed" ? event.data.message : event.data.op);
        return;
      }
      clearTimeout(timer);
      resolve(worker);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      fail(event.message);
    };
    worker.postMessage({ op: "init", dir, ttaCopies } satisfies LiveRequest);
  });
}

/**
 * Worker threads that run live-recording steps of one model.
 *
 * Steps wait in the pool, not in a worker's message queue: each worker has at most one step
 * at a time and takes the next when it answers, so a chunk never waits behind a long step on
 * one worker while another is idle. Chunks go before finishes (a finish classifies the rest of
 * a recording and may take tens of milliseconds; the live view of every other recorder should
 * not wait for it), each kind is taken in arrival order, and finishes run on all workers but
 * one at most.
 *
 * When chunks are waiting for a worker (a burst), a chunk is run with classification deferred
 * (`deferClassification` of {@link appendChunk}): its running prediction is answered at once
 * and its closed utterances are classified by a later chunk (at most 5 s after the utterance
 * ended), which spreads the bursts of classification that come when many people pause at once.
 * Segments are the same either way.
 *
 * While chunks wait for a worker, and for {@link LEAN_HOLD_MS} after they last did, utterances
 * are classified lean (`lean` of {@link appendChunk} and {@link finishRecordingWithVoice}): by the LSTMs
 * without the model's dense member, which would otherwise take about two thirds of a closed
 * utterance's CPU. So a server at its limit keeps running predictions live and every entry
 * complete, giving up the dense member's accuracy on those utterances; one with CPU to spare
 * classifies every utterance with it.
 */
export class LivePool {
  readonly #live: LiveModel;
  readonly #workers: PoolWorker[];
  readonly #appends: QueuedJob[] = [];
  readonly #finishes: QueuedJob[] = [];
  #nextId = 0;
  /** When chunks last had to wait for a worker (`performance.now()`), or −∞. */
  #backlogAt = -Infinity;

  private constructor(live: LiveModel, workers: Worker[]) {
    this.#live = live;
    this.#workers = workers.map((worker) => {
      const entry: PoolWorker = {
        worker,
        jobs: new Map(),
        busy: false,
        step: null,
        alive: true,
      };
      worker.onmessage = (event: MessageEvent<LiveResponse>) => this.#answer(entry, event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        this.#drop(entry);
      };
      return entry;
    });
  }

  /**
   * Starts `size` workers over the folder `live.model` was loaded from, with its test-time
   * augmentation setting (`ttaCopies`), so they classify as it does. Resolves to null
   * where workers are unavailable, `size` is 0, the model has no folder, or one fails to start.
   */
  static async start(live: LiveModel, size: number): Promise<LivePool | null> {
    const dir = modelSourceOf(live.model);
    if (size < 1 || dir === null || typeof Worker === "undefined") return null;
    const ttaCopies = live.model.ttaCopies ?? 0;
    const started = await Promise.allSettled(
      Array.from({ length: size }, () => startWorker(dir, ttaCopies)),
    );
    const workers = started.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
    if (workers.length < size) {
      for (const w of workers) w.terminate();
      return null;
    }
    return new LivePool(live, workers);
  }

  /** Workers running now. */
  get size(): number {
    return this.#workers.filter((w) => w.alive).length;
  }

  /** {@link appendChunk} on the next free worker (in-thread when none is left). */
  append(recording: Recording, chunk: Float32Array): Promise<ChunkStep> {
    return new Promise((resolve, reject) =>
      this.#submit({ op: "append", recording, chunk, resolve, reject })
    );
  }

  /**
   * {@link finishRecordingWithVoice} on the next free worker, after waiting chunks (in-thread when none
   * is left).
   */
  finish(recording: Recording): Promise<FinishStep> {
    return new Promise((resolve, reject) =>
      this.#submit({ op: "finish", recording, resolve, reject })
    );
  }

  /** Live tfjs tensors of each running worker (a count that keeps growing is a leak). */
  tensorCounts(): Promise<number[]> {
    return Promise.all(
      this.#workers.filter((w) => w.alive).map((w) =>
        new Promise<number>((resolve, reject) => {
          const id = this.#nextId++;
          w.jobs.set(id, { op: "stats", resolve, reject });
          w.worker.postMessage({ op: "stats", id } satisfies LiveRequest);
        })
      ),
    );
  }

  /** Stops the workers; requests still waiting are computed in-thread. */
  close(): void {
    for (const w of this.#workers) this.#drop(w);
  }

  /** Steps waiting for a free worker (for tests and health checks). */
  get waiting(): number {
    return this.#appends.length + this.#finishes.length;
  }

  #submit(job: QueuedJob): void {
    if (!this.#workers.some((w) => w.alive)) {
      this.#runHere(job);
      return;
    }
    (job.op === "finish" ? this.#finishes : this.#appends).push(job);
    this.#dispatch();
  }

  /** Gives waiting steps to free workers: chunks first, then finishes. */
  #dispatch(): void {
    if (this.#appends.length > this.#workers.filter((w) => w.alive && !w.busy).length) {
      this.#backlogAt = performance.now();
    }
    // Lean while chunks wait and for a while after: a server at its limit has a backlog every
    // few seconds, and the dense member's CPU would keep it there.
    const lean = performance.now() - this.#backlogAt < LEAN_HOLD_MS;
    for (const w of this.#workers) {
      if (!w.alive || w.busy) continue;
      // Finishes use at most all workers but one, so chunks always find one soon.
      const finishing = this.#workers.filter((o) => o.busy && o.step === "finish").length;
      const job = this.#appends.shift() ??
        (finishing < Math.max(1, this.size - 1) ? this.#finishes.shift() : undefined);
      if (!job) return;
      w.step = job.op === "finish" ? "finish" : "append";
      const id = this.#nextId++;
      w.jobs.set(id, job);
      w.busy = true;
      const request: LiveRequest = job.op === "append"
        ? {
          op: "append",
          id,
          recording: job.recording,
          chunk: job.chunk,
          defer: this.#appends.length > 0,
          lean,
        }
        : job.op === "finish"
        ? { op: "finish", id, recording: job.recording, lean }
        : { op: "stats", id };
      // The recording's audio moves to the worker (callers hand it over, see appendChunkLive);
      // the chunk is copied, since a caller may send it again.
      const transfer = job.op === "stats" ? [] : movable(job.recording.audio);
      job.moved = transfer.length > 0;
      w.worker.postMessage(request, transfer);
    }
  }

  #runHere(job: QueuedJob): void {
    if (job.moved) {
      job.reject(new LiveWorkerLostError());
      return;
    }
    try {
      if (job.op === "append") job.resolve(appendChunk(this.#live, job.recording, job.chunk));
      else if (job.op === "finish") {
        job.resolve(finishRecordingWithVoice(this.#live, job.recording));
      } else job.resolve(0);
    } catch (err) {
      job.reject(err as Error);
    }
  }

  #answer(w: PoolWorker, message: LiveResponse): void {
    if (message.op === "ready" || message.op === "failed") return;
    const job = w.jobs.get(message.id);
    if (!job) return;
    w.jobs.delete(message.id);
    if (job.op !== "stats") {
      w.busy = false;
      this.#dispatch();
    }
    if (message.op === "error") job.reject(new Error(message.message));
    else if (message.op === "appended" && job.op === "append") job.resolve(message.step);
    else if (message.op === "finished" && job.op === "finish") job.resolve(message.step);
    else if (message.op === "stats" && job.op === "stats") job.resolve(message.tensors);
    else job.reject(new Error(`A live-recording worker answered ${message.op} to ${job.op}.`));
  }

  #drop(w: PoolWorker): void {
    if (!w.alive) return;
    w.alive = false;
    w.busy = false;
    w.worker.terminate();
    const jobs = [...w.jobs.values()];
    w.jobs.clear();
    for (const job of jobs) this.#runHere(job);
    if (!this.#workers.some((other) => other.alive)) {
      // No worker left: what waits is computed here, in order.
      for (const job of this.#appends.splice(0)) this.#runHere(job);
      for (const job of this.#finishes.splice(0)) this.#runHere(job);
    } else {
      this.#dispatch();
    }
  }
}

const pools = new WeakMap<LiveModel, LivePool>();

/**
 * Runs the live-recording steps of `live` on `size` worker threads from now on. Resolves to
 * the number of workers running: 0 where workers are unavailable, and the steps then stay
 * in-thread.
 */
export async function startLivePool(live: LiveModel, size: number): Promise<number> {
  stopLivePool(live);
  const pool = await LivePool.start(live, size);
  if (pool) pools.set(live, pool);
  return pool?.size ?? 0;
}

/** The pool {@link startLivePool} started for `live`, or null. */
export function livePoolOf(live: LiveModel): LivePool | null {
  return pools.get(live) ?? null;
}

/** Stops the workers of {@link startLivePool}; later steps run in-thread. */
export function stopLivePool(live: LiveModel): void {
  pools.get(live)?.close();
  pools.delete(live);
}

/**
 * Live tfjs tensors: `thread` on this thread, `workers` one count per worker of `live`'s
 * pool (empty without one). For a health check or a log line: a count that keeps growing
 * between checks is a leak.
 */
export async function liveTensorCounts(
  live: LiveModel,
): Promise<{ thread: number; workers: number[] }> {
  const pool = pools.get(live);
  return { thread: tf.memory().numTensors, workers: pool ? await pool.tensorCounts() : [] };
}

/**
 * {@link appendChunk}, on the model's worker pool when one was started. The recording's audio
 * buffer is handed over: on a worker it moves there, so the caller must not use
 * `recording.audio` afterwards (the step's `recording.audio` is the audio to keep). A step
 * lost with its worker rejects with {@link LiveWorkerLostError} (the API answers 503 with
 * `Retry-After`, and the recorder sends the chunk again; nothing was stored).
 */
export function appendChunkLive(
  live: LiveModel,
  recording: Recording,
  chunk: Float32Array,
): Promise<ChunkStep> {
  const pool = pools.get(live);
  return pool
    ? pool.append(recording, chunk)
    : Promise.resolve(appendChunk(live, recording, chunk));
}

/**
 * {@link finishRecordingWithVoice}, on the model's worker pool when one was started; the audio is
 * handed over as for {@link appendChunkLive}.
 */
export function finishRecordingLive(
  live: LiveModel,
  recording: Recording,
): Promise<FinishStep> {
  const pool = pools.get(live);
  return pool ? pool.finish(recording) : Promise.resolve(finishRecordingWithVoice(live, recording));
}
