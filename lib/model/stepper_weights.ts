/**
 * Reads the typed-array weights of a streaming classifier out of a tfjs model.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { memberChainsOf } from "./ensemble.ts";
import { lstmWeightsOf } from "./fused_lstm.ts";
import type { ClassifierWeights, SoftmaxHeadWeights } from "./lstm_stepper.ts";
import type { LstmWeights } from "./lstm_kernels.ts";

/**
 * Extracts {@link ClassifierWeights} from a model of the form
 * `[Masking] → LSTM(returnSequences) → … → LSTM → [Dropout] → Dense(softmax)`, where each LSTM
 * may be `tf.layers.lstm` or `FusedLSTM`. Throws a `RangeError` for anything that cannot be
 * advanced frame by frame with the same results: backward or bidirectional layers (they need
 * the end of the clip first), a non-softmax head, or unknown layers.
 */
export function classifierWeightsOf(model: tf.LayersModel): ClassifierWeights {
  const chains = memberChainsOf(model);
  if (chains.length !== 1) {
    throw new RangeError(
      `Expected a single classifier, but got an ensemble of ${chains.length} (use memberWeightsOf)`,
    );
  }
  return chainWeights(chains[0]);
}

/**
 * {@link ClassifierWeights} of every member of an ensemble (see `ensemble.ts`), or of the one
 * classifier of an ordinary model, with the same checks as {@link classifierWeightsOf}.
 */
export function memberWeightsOf(model: tf.LayersModel): ClassifierWeights[] {
  return memberChainsOf(model).map(chainWeights);
}

function chainWeights(layers: readonly tf.layers.Layer[]): ClassifierWeights {
  const lstms: LstmWeights[] = [];
  let maskValue: number | null = null;
  let head: SoftmaxHeadWeights | null = null;
  let lastReturnsSequences = true;
  for (const layer of layers) {
    const kind = layer.getClassName();
    const config = layer.getConfig();
    if (head !== null) {
      throw new RangeError(`Expected the Dense softmax layer last, but ${kind} follows it`);
    }
    if (kind === "InputLayer" || kind === "Dropout" || kind === "FusedDropout") continue;
    if (kind === "Bidirectional") {
      throw new RangeError(
        `Expected forward LSTMs only, but "${layer.name}" is bidirectional and needs the whole clip`,
      );
    }
    if (kind === "Masking") {
      if (lstms.length > 0) {
        throw new RangeError("Expected Masking before the first LSTM, but it comes later");
      }
      maskValue = config["maskValue"] as number;
    } else if (kind === "LSTM" || kind === "FusedLSTM") {
      if (config["goBackwards"]) {
        throw new RangeError(
          `Expected forward LSTMs only, but "${layer.name}" goes backwards and needs the whole clip`,
        );
      }
      if (!lastReturnsSequences) {
        throw new RangeError(`Expected returnSequences on every LSTM before "${layer.name}"`);
      }
      lastReturnsSequences = config["returnSequences"] === true;
      lstms.push(lstmWeightsOf(layer));
    } else if (kind === "Dense") {
      if (config["activation"] !== "softmax") {
        throw new RangeError(
          `Expected a softmax Dense head, but got activation "${config["activation"]}"`,
        );
      }
      const [kernel, bias] = layer.getWeights();
      const [inputSize, classes] = kernel.shape as [number, number];
      head = {
        inputSize,
        classes,
        kernel: Float32Array.from(kernel.dataSync() as Float32Array),
        bias: bias === undefined ? null : Float32Array.from(bias.dataSync() as Float32Array),
      };
    } else {
      throw new RangeError(`Expected Masking, LSTM, Dropout or Dense layers, but got ${kind}`);
    }
  }
  if (lstms.length === 0 || head === null) {
    throw new RangeError("Expected at least one LSTM and a Dense softmax head");
  }
  if (lastReturnsSequences) {
    throw new RangeError("Expected the last LSTM to return only its last output");
  }
  return { lstms, head, maskValue };
}
