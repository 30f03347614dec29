/**
 * Worker side of `lstm_parallel.ts`: runs the LSTM kernels on its share of a batch and keeps
 * the forward trace until the matching backward pass asks for it.
 *
 * Results go into shared memory and completion is signalled with `Atomics.notify`, because the
 * caller waits synchronously: tfjs's forward and gradient functions cannot await.
 *
 * @module
 */

import {
  lstmBackward,
  lstmForward,
  type LstmTrace,
  type PreparedLstm,
  prepareLstm,
} from "./lstm_kernels.ts";
import { DONE_SEQ, READY, STATUS, type WorkerRequest } from "./lstm_worker_protocol.ts";

// Forward traces wait here for their backward pass; the cap bounds memory when a forward pass
// ran without a gradient tape (its backward never comes).
const MAX_KEPT_TRACES = 16;
const kept = new Map<number, { p: PreparedLstm; trace: LstmTrace }>();
let control: Int32Array | null = null;

function handle(request: WorkerRequest): void {
  if (request.op === "init") {
    control = request.control;
    Atomics.store(control, READY, 1);
    Atomics.notify(control, READY);
    return;
  }
  if (request.op === "drop") {
    kept.delete(request.id);
    return;
  }
  let status = 0;
  try {
    if (request.op === "forward") {
      const p = prepareLstm(request.weights);
      const trace = lstmForward(p, {
        x: request.x,
        batchSize: request.batchSize,
        timeSteps: request.timeSteps,
        mask: request.mask,
        goBackwards: request.goBackwards,
        inputDropoutMask: request.inputDropoutMask,
        recurrentDropoutMask: request.recurrentDropoutMask,
      });
      request.hiddenOut.set(trace.hidden);
      kept.set(request.id, { p, trace });
      while (kept.size > MAX_KEPT_TRACES) kept.delete(kept.keys().next().value!);
    } else {
      const entry = kept.get(request.id);
      if (entry === undefined) throw new Error(`No kept trace ${request.id}`);
      kept.delete(request.id);
      const grads = lstmBackward(entry.p, entry.trace, request.dOutput, request.returnSequences);
      request.dxOut.set(grads.dx);
      request.dKernelOut.set(grads.dKernel);
      request.dRecurrentKernelOut.set(grads.dRecurrentKernel);
      request.dBiasOut.set(grads.dBias);
    }
  } catch (error) {
    status = 1;
    console.error(error);
  }
  Atomics.store(control!, STATUS, status);
  Atomics.store(control!, DONE_SEQ, request.seq);
  Atomics.notify(control!, DONE_SEQ);
}

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
};
scope.onmessage = (event) => handle(event.data);
