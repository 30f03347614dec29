/**
 * Messages and shared control words between `lstm_parallel.ts` and `lstm_worker.ts`, in a module
 * of their own so that importing them runs no worker code.
 *
 * @module
 */

import type { LstmWeights } from "./lstm_kernels.ts";

/** A forward pass over the worker's share of a batch. */
export interface ForwardRequest {
  op: "forward";
  /** Sequence number written to the control word when done. */
  seq: number;
  /** Key under which the trace is kept for {@link BackwardRequest}. */
  id: number;
  weights: LstmWeights;
  /** `[batchSize, timeSteps, inputSize]`, in shared memory. */
  x: Float32Array;
  batchSize: number;
  timeSteps: number;
  mask: Float32Array | null;
  goBackwards: boolean;
  inputDropoutMask: Float32Array | null;
  recurrentDropoutMask: Float32Array | null;
  /** Receives the outputs, `[batchSize, timeSteps, units]`, in shared memory. */
  hiddenOut: Float32Array;
}

/** The backward pass for a trace kept by a {@link ForwardRequest}. */
export interface BackwardRequest {
  op: "backward";
  seq: number;
  id: number;
  dOutput: Float32Array;
  returnSequences: boolean;
  dxOut: Float32Array;
  dKernelOut: Float32Array;
  dRecurrentKernelOut: Float32Array;
  dBiasOut: Float32Array;
}

/** Forgets a kept trace whose backward pass will not come. */
export interface DropRequest {
  op: "drop";
  id: number;
}

/** First message: the control words shared with the caller. */
export interface InitRequest {
  op: "init";
  control: Int32Array;
}

/** Any message the worker understands. */
export type WorkerRequest = ForwardRequest | BackwardRequest | DropRequest | InitRequest;

/** Index in the control array of the last completed sequence number. */
export const DONE_SEQ = 0;
/** Index in the control array of the last request's status: 0 ok, 1 failed. */
export const STATUS = 1;
/** Index in the control array set to 1 once the worker is ready. */
export const READY = 2;
