/**
 * Worker side of {@link LivePool} (`live_pool.ts`): loads the model folder it is given and
 * runs `appendChunk` and `finishRecording` on the recordings it is sent, the same code the
 * server thread runs, so answers are the same bit for bit.
 */
import * as tf from "@tensorflow/tfjs";
import { loadEmotionModel } from "../model/emotion_model.ts";
import { appendChunk, finishRecordingWithVoice, type LiveModel, liveModelOf } from "./recording.ts";
import { type LiveRequest, type LiveResponse, movable } from "./live_protocol.ts";

/** The worker's global scope, typed for what is used here. */
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<LiveRequest>) => void) | null;
  postMessage(message: LiveResponse, transfer?: Transferable[]): void;
};

let live: LiveModel | null = null;

function send(message: LiveResponse, transfer: Transferable[] = []) {
  scope.postMessage(message, transfer);
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

scope.onmessage = async (event: MessageEvent<LiveRequest>) => {
  const request = event.data;
  if (request.op === "init") {
    try {
      // The CPU backend, as on the server thread (in a worker tfjs would try WebGL first).
      await tf.setBackend("cpu");
      live = liveModelOf(await loadEmotionModel(request.dir, { ttaCopies: request.ttaCopies }));
      send({ op: "ready" });
    } catch (err) {
      send({ op: "failed", message: errorText(err) });
    }
    return;
  }
  if (!live) {
    send({ op: "error", id: request.id, message: "The model is not loaded." });
    return;
  }
  if (request.op === "stats") {
    send({ op: "stats", id: request.id, tensors: tf.memory().numTensors });
    return;
  }
  try {
    if (request.op === "append") {
      const step = appendChunk(live, request.recording, request.chunk, {
        deferClassification: request.defer,
        lean: request.lean,
      });
      send({ op: "appended", id: request.id, step }, movable(step.recording.audio));
    } else {
      send({
        op: "finished",
        id: request.id,
        step: finishRecordingWithVoice(live, request.recording, { lean: request.lean }),
      });
    }
  } catch (err) {
    send({ op: "error", id: request.id, message: errorText(err) });
  }
};
