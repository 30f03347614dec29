/**
 * Splits LSTM forward and backward passes over a batch between this thread and one worker, to
 * use a second CPU core in training.
 *
 * Sequences of a batch are independent until the weight gradients are summed, so the worker
 * takes the last rows of the batch, keeps its forward trace, and returns its outputs and then its
 * input gradients and partial weight gradients. The caller blocks with `Atomics.wait` while the
 * worker finishes (tfjs's gradient code is synchronous); the main thread computes its own rows
 * in the meantime. Off by default: {@link startLstmWorker} turns it on for the process.
 *
 * @module
 */

import {
  lstmBackward,
  lstmForward,
  type LstmGradients,
  type LstmSequenceBatch,
  type LstmTrace,
  type LstmWeights,
  type PreparedLstm,
  prepareLstm,
} from "./lstm_kernels.ts";
import {
  DONE_SEQ,
  type DropRequest,
  READY,
  STATUS,
  type WorkerRequest,
} from "./lstm_worker_protocol.ts";

// Multiply-adds of a forward pass below which messaging and copies cost more than they save.
const MIN_PARALLEL_WORK = 2_000_000;
// A worker this late is presumed dead; the work is redone on this thread.
const WORKER_TIMEOUT_MS = 120_000;

interface Helper {
  worker: Worker;
  control: Int32Array;
  seq: number;
  nextId: number;
}

let helper: Helper | null = null;

/**
 * Starts the helper worker (idempotent) and resolves when it is ready. From then on, large
 * enough batches of `FusedLSTM` forward and backward passes are split between two threads.
 * Worth it on machines with two or more free cores; measure with `benchLstm`.
 */
export async function startLstmWorker(): Promise<void> {
  if (helper !== null) return;
  const worker = new Worker(new URL("./lstm_worker.ts", import.meta.url).href, { type: "module" });
  const control = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  worker.postMessage({ op: "init", control } satisfies WorkerRequest);
  const wait = Atomics.waitAsync(control, READY, 0, WORKER_TIMEOUT_MS);
  const outcome = wait.async ? await wait.value : wait.value;
  if (outcome === "timed-out") {
    worker.terminate();
    throw new Error("LSTM worker did not start");
  }
  helper = { worker, control, seq: 0, nextId: 0 };
}

/** Stops the helper worker; later passes run on this thread only. */
export function stopLstmWorker(): void {
  helper?.worker.terminate();
  helper = null;
}

/** Whether passes may currently be split with a worker. */
export function lstmWorkerRunning(): boolean {
  return helper !== null;
}

/** The worker's part of a sharded forward pass, enough to redo it here if the worker fails. */
interface RemoteShard {
  id: number;
  weights: LstmWeights;
  batch: LstmSequenceBatch;
}

/**
 * A forward trace possibly split in two: `local` covers the first `localRows` sequences,
 * `remote` (kept by the worker) the rest. `hidden` is the whole output, `[batchSize, timeSteps,
 * units]`.
 */
export interface ShardedTrace {
  /** Outputs of all sequences, in processing order. */
  hidden: Float32Array;
  /** Trace of the rows computed on this thread. */
  local: LstmTrace;
  /** Rows computed on this thread. */
  localRows: number;
  /** The worker's share, or null when nothing was split. */
  remote: RemoteShard | null;
  /** Releases the worker's kept trace when no backward pass will follow. */
  dispose(): void;
}

function shared(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

function sharedCopy(data: Float32Array): Float32Array {
  const out = shared(data.length);
  out.set(data);
  return out;
}

// Blocks until the worker has finished request `seq`; false when it failed or timed out.
function awaitWorker(h: Helper, seq: number): boolean {
  const deadline = performance.now() + WORKER_TIMEOUT_MS;
  for (;;) {
    const done = Atomics.load(h.control, DONE_SEQ);
    if (done === seq) return Atomics.load(h.control, STATUS) === 0;
    const left = deadline - performance.now();
    if (left <= 0) {
      stopLstmWorker();
      return false;
    }
    Atomics.wait(h.control, DONE_SEQ, done, left);
  }
}

/**
 * {@link lstmForward} over a batch, with the last rows computed by the helper worker when it is
 * running and the batch is large enough. `weights` must be what `p` was prepared from.
 */
export function shardedForward(
  p: PreparedLstm,
  weights: LstmWeights,
  batch: LstmSequenceBatch,
): ShardedTrace {
  const { batchSize, timeSteps } = batch;
  const work = batchSize * timeSteps * 4 * p.units * (p.inputSize + p.units);
  const h = helper;
  if (h === null || batchSize < 2 || work < MIN_PARALLEL_WORK) {
    const local = lstmForward(p, batch);
    return { hidden: local.hidden, local, localRows: batchSize, remote: null, dispose() {} };
  }
  const localRows = Math.ceil(batchSize / 2), remoteRows = batchSize - localRows;
  const rowsOf = (data: Float32Array, width: number, from: number, to: number) =>
    data.subarray(from * timeSteps * width, to * timeSteps * width);
  // Dropout masks are per sequence, not per frame.
  const maskRows = (
    data: Float32Array | null | undefined,
    width: number,
    from: number,
    to: number,
  ) => data ? data.subarray(from * width, to * width) : null;
  const remoteBatch: LstmSequenceBatch = {
    x: sharedCopy(rowsOf(batch.x, p.inputSize, localRows, batchSize)),
    batchSize: remoteRows,
    timeSteps,
    mask: batch.mask ? sharedCopy(rowsOf(batch.mask, 1, localRows, batchSize)) : null,
    goBackwards: batch.goBackwards,
    inputDropoutMask: maskRows(batch.inputDropoutMask, p.inputSize, localRows, batchSize),
    recurrentDropoutMask: maskRows(batch.recurrentDropoutMask, p.units, localRows, batchSize),
  };
  const hiddenOut = shared(remoteRows * timeSteps * p.units);
  const id = h.nextId++, seq = ++h.seq;
  h.worker.postMessage(
    {
      op: "forward",
      seq,
      id,
      weights,
      x: remoteBatch.x,
      batchSize: remoteRows,
      timeSteps,
      mask: remoteBatch.mask ?? null,
      goBackwards: batch.goBackwards ?? false,
      inputDropoutMask: remoteBatch.inputDropoutMask ?? null,
      recurrentDropoutMask: remoteBatch.recurrentDropoutMask ?? null,
      hiddenOut,
    } satisfies WorkerRequest,
  );
  const local = lstmForward(p, {
    ...batch,
    x: rowsOf(batch.x, p.inputSize, 0, localRows),
    mask: batch.mask ? rowsOf(batch.mask, 1, 0, localRows) : null,
    inputDropoutMask: maskRows(batch.inputDropoutMask, p.inputSize, 0, localRows),
    recurrentDropoutMask: maskRows(batch.recurrentDropoutMask, p.units, 0, localRows),
    batchSize: localRows,
  });
  const hidden = new Float32Array(batchSize * timeSteps * p.units);
  hidden.set(local.hidden);
  if (!awaitWorker(h, seq)) {
    const whole = lstmForward(p, batch);
    return { hidden: whole.hidden, local: whole, localRows: batchSize, remote: null, dispose() {} };
  }
  hidden.set(hiddenOut, local.hidden.length);
  let remote: RemoteShard | null = { id, weights, batch: remoteBatch };
  return {
    hidden,
    local,
    localRows,
    remote,
    dispose: () => {
      if (helper === h && remote !== null) {
        h.worker.postMessage({ op: "drop", id } satisfies DropRequest);
        remote = null;
      }
    },
  };
}

/**
 * {@link lstmBackward} for a {@link ShardedTrace}: each thread back-propagates its own rows and
 * the weight gradients are summed. If the worker is gone, its rows are recomputed here.
 */
export function shardedBackward(
  p: PreparedLstm,
  trace: ShardedTrace,
  dOutput: Float32Array,
  returnSequences: boolean,
): LstmGradients {
  const { local, localRows, remote } = trace;
  if (remote === null) return lstmBackward(p, local, dOutput, returnSequences);
  const { timeSteps } = local;
  const units = p.units, gateSize = 4 * units;
  const rowWidth = returnSequences ? timeSteps * units : units;
  const remoteRows = remote.batch.batchSize;
  const dRemote = sharedCopy(dOutput.subarray(localRows * rowWidth));
  const dxOut = shared(remoteRows * timeSteps * p.inputSize);
  const dKernelOut = shared(p.inputSize * gateSize);
  const dRecurrentKernelOut = shared(units * gateSize);
  const dBiasOut = shared(gateSize);
  const h = helper;
  let sent = false, seq = 0;
  if (h !== null) {
    seq = ++h.seq;
    h.worker.postMessage(
      {
        op: "backward",
        seq,
        id: remote.id,
        dOutput: dRemote,
        returnSequences,
        dxOut,
        dKernelOut,
        dRecurrentKernelOut,
        dBiasOut,
      } satisfies WorkerRequest,
    );
    sent = true;
  }
  const mine = lstmBackward(p, local, dOutput.subarray(0, localRows * rowWidth), returnSequences);
  let theirs: LstmGradients;
  if (sent && awaitWorker(h!, seq)) {
    theirs = {
      dx: dxOut,
      dKernel: dKernelOut,
      dRecurrentKernel: dRecurrentKernelOut,
      dBias: dBiasOut,
    };
  } else {
    const q = prepareLstm(remote.weights);
    theirs = lstmBackward(q, lstmForward(q, remote.batch), dRemote, returnSequences);
  }
  const dx = new Float32Array(mine.dx.length + theirs.dx.length);
  dx.set(mine.dx);
  dx.set(theirs.dx, mine.dx.length);
  const sum = (a: Float32Array, b: Float32Array) => {
    for (let i = 0; i < a.length; i++) a[i] += b[i];
    return a;
  };
  return {
    dx,
    dKernel: sum(mine.dKernel, theirs.dKernel),
    dRecurrentKernel: sum(mine.dRecurrentKernel, theirs.dRecurrentKernel),
    dBias: sum(mine.dBias, theirs.dBias),
  };
}
