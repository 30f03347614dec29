/**
 * Ensembles of trained classifiers as one tfjs layers model.
 *
 * An ensemble is a functional model: one input layer feeding every member's own chain of
 * layers (renamed `m1_…`, `m2_…`, so names stay unique), and an `Average` layer over the
 * members' softmax outputs. It is saved, loaded and run like any other model (`model.json` +
 * `weights.bin`), so file classification needs nothing new; the live stepper reads its
 * members with {@link memberChainsOf}.
 *
 * Members are combined from their saved artifacts (topology JSON and weight bytes), not
 * rebuilt from layer objects, so every member weight is copied bit for bit.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** Name of the layer that averages the members' outputs. */
export const ENSEMBLE_AVERAGE_LAYER = "ensemble_average";

interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown> & { name?: string };
  inbound_nodes: [string, number, number, Record<string, unknown>][][];
}

interface ModelTopologyJson {
  class_name: string;
  config: {
    name: string;
    layers: LayerJson[];
    input_layers: [string, number, number][];
    output_layers: [string, number, number][];
  };
  keras_version?: string;
  backend?: string;
}

function topologyOf(artifacts: tf.io.ModelArtifacts, index: number): ModelTopologyJson {
  const topology = artifacts.modelTopology as ModelTopologyJson | ArrayBuffer | undefined;
  if (topology === undefined || topology instanceof ArrayBuffer) {
    throw new TypeError(`Expected member ${index + 1} to have a JSON layers topology`);
  }
  if (topology.class_name !== "Model" || !Array.isArray(topology.config?.layers)) {
    throw new TypeError(
      `Expected member ${
        index + 1
      } to be a functional layers model ("Model"), but got "${topology.class_name}"`,
    );
  }
  const { input_layers: inputs, output_layers: outputs } = topology.config;
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new RangeError(
      `Expected member ${
        index + 1
      } to have one input and one output, but got ${inputs.length} and ${outputs.length}`,
    );
  }
  return topology;
}

function inputShapeOf(topology: ModelTopologyJson): unknown {
  const name = topology.config.input_layers[0][0];
  const layer = topology.config.layers.find((l) => l.name === name);
  return layer?.config["batch_input_shape"];
}

/**
 * Combines saved member models (all with one input of the same shape and one output) into the
 * artifacts of one ensemble model whose output is the mean of the members' outputs. Throws a
 * `RangeError` when input shapes differ, and a `TypeError` for artifacts without a JSON
 * topology or weight data.
 */
export function ensembleArtifacts(
  members: readonly tf.io.ModelArtifacts[],
  name = "ensemble",
): tf.io.ModelArtifacts {
  if (members.length < 2) {
    throw new RangeError(`Expected at least 2 members, but got ${members.length}`);
  }
  const topologies = members.map(topologyOf);
  const shape = JSON.stringify(inputShapeOf(topologies[0]));
  const inputName = "features";
  const layers: LayerJson[] = [];
  const outputs: [string, number, number, Record<string, unknown>][] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const weightData: ArrayBuffer[] = [];
  topologies.forEach((topology, m) => {
    const memberShape = JSON.stringify(inputShapeOf(topology));
    if (memberShape !== shape) {
      throw new RangeError(
        `Expected every member's input shape to be ${shape}, but member ${
          m + 1
        } has ${memberShape}`,
      );
    }
    const prefix = `m${m + 1}_`;
    const memberInput = topology.config.input_layers[0][0];
    const rename = (layer: string) => layer === memberInput ? inputName : prefix + layer;
    if (m === 0) {
      const input = topology.config.layers.find((l) => l.name === memberInput)!;
      layers.push({
        ...input,
        name: inputName,
        config: { ...input.config, name: inputName },
      });
    }
    for (const layer of topology.config.layers) {
      if (layer.name === memberInput) continue;
      layers.push({
        ...layer,
        name: rename(layer.name),
        config: { ...layer.config, name: rename(layer.name) },
        inbound_nodes: layer.inbound_nodes.map((node) =>
          node.map(([from, ...rest]) => [rename(from), ...rest])
        ),
      });
    }
    const [out, nodeIndex, tensorIndex] = topology.config.output_layers[0];
    outputs.push([rename(out), nodeIndex, tensorIndex, {}]);
    const artifacts = members[m];
    if (artifacts.weightData === undefined) {
      throw new TypeError(`Expected member ${m + 1} to have weight data`);
    }
    for (const spec of artifacts.weightSpecs ?? []) {
      weightSpecs.push({ ...spec, name: prefix + spec.name });
    }
    weightData.push(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  });
  layers.push({
    name: ENSEMBLE_AVERAGE_LAYER,
    class_name: "Average",
    config: { name: ENSEMBLE_AVERAGE_LAYER, trainable: true },
    inbound_nodes: [outputs],
  });
  const modelTopology: ModelTopologyJson = {
    ...topologies[0],
    class_name: "Model",
    config: {
      name,
      layers,
      input_layers: [[inputName, 0, 0]],
      output_layers: [[ENSEMBLE_AVERAGE_LAYER, 0, 0]],
    },
  };
  return {
    modelTopology: modelTopology as unknown as tf.io.ModelArtifacts["modelTopology"],
    format: members[0].format,
    generatedBy: members[0].generatedBy,
    convertedBy: members[0].convertedBy,
    weightSpecs,
    weightData: tf.io.CompositeArrayBuffer.join(weightData),
  };
}

/**
 * The layers of each member of a model, input side first, without the input layer: one chain
 * for an ordinary model (its layers in order), one per member for an ensemble whose output
 * layer is an `Average`. Throws a `RangeError` when a member is not a simple chain.
 */
export function memberChainsOf(model: tf.LayersModel): tf.layers.Layer[][] {
  // Layers are in topological order (a Sequential model has no `outputLayers` of its own).
  const output = model.layers[model.layers.length - 1];
  if (output.getClassName() !== "Average") {
    return [model.layers.filter((l) => l.getClassName() !== "InputLayer")];
  }
  return output.inboundNodes[0].inboundLayers.map((last) => {
    const chain: tf.layers.Layer[] = [];
    for (let layer = last; layer.getClassName() !== "InputLayer";) {
      chain.unshift(layer);
      const inbound = layer.inboundNodes;
      if (inbound.length !== 1 || inbound[0].inboundLayers.length !== 1) {
        throw new RangeError(
          `Expected each ensemble member to be a chain of layers, but "${layer.name}" has ${
            inbound.length === 1 ? inbound[0].inboundLayers.length : inbound.length
          } inputs`,
        );
      }
      layer = inbound[0].inboundLayers[0];
    }
    return chain;
  });
}

/** Bytes of one value of each weight dtype a saved layers model can hold. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * The saved artifacts of each member of a saved ensemble ({@link ensembleArtifacts}), each a
 * model of its own (its layers and weights without the `mN_` prefix, bit for bit), so that an
 * ensemble can be combined again with more members. A model that is not an ensemble is its
 * only member. Throws a `TypeError` for artifacts without a JSON topology or weight data, or
 * with quantised or unknown weight types.
 */
export function memberArtifactsOf(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts[] {
  const topology = topologyOf(artifacts, 0);
  const { layers, output_layers: outputs } = topology.config;
  if (outputs[0][0] !== ENSEMBLE_AVERAGE_LAYER) return [artifacts];
  if (artifacts.weightData === undefined) throw new TypeError("Expected weight data");
  const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const offsets: number[] = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    const bytes = DTYPE_BYTES[spec.dtype];
    if (spec.quantization || bytes === undefined) {
      throw new TypeError(
        `Expected unquantised float32, int32 or bool weights, but ${spec.name} is not`,
      );
    }
    offsets.push(offset);
    offset += bytes * spec.shape.reduce((a, b) => a * b, 1);
  }
  const average = layers.find((l) => l.name === ENSEMBLE_AVERAGE_LAYER)!;
  const inputName = topology.config.input_layers[0][0];
  const input = layers.find((l) => l.name === inputName)!;
  return average.inbound_nodes[0].map(([out], m) => {
    const prefix = `m${m + 1}_`;
    if (!out.startsWith(prefix)) {
      throw new RangeError(
        `Expected member ${m + 1}'s output to be named ${prefix}…, but got ${out}`,
      );
    }
    const strip = (name: string) => name === inputName ? name : name.slice(prefix.length);
    const own = layers.filter((l) => l.name.startsWith(prefix)).map((l) => ({
      ...l,
      name: strip(l.name),
      config: { ...l.config, name: strip(l.name) },
      inbound_nodes: l.inbound_nodes.map((node) =>
        node.map(([from, ...rest]) => [strip(from), ...rest] as typeof node[number])
      ),
    }));
    const specs: tf.io.WeightsManifestEntry[] = [];
    const pieces: ArrayBuffer[] = [];
    (artifacts.weightSpecs ?? []).forEach((spec, i) => {
      if (!spec.name.startsWith(prefix)) return;
      specs.push({ ...spec, name: spec.name.slice(prefix.length) });
      const end = i + 1 < offsets.length ? offsets[i + 1] : offset;
      pieces.push(data.slice(offsets[i], end));
    });
    const memberTopology: ModelTopologyJson = {
      ...topology,
      config: {
        name: `${topology.config.name}_member${m + 1}`,
        layers: [input, ...own],
        input_layers: [[inputName, 0, 0]],
        output_layers: [[strip(out), 0, 0]],
      },
    };
    return {
      ...artifacts,
      modelTopology: memberTopology as unknown as tf.io.ModelArtifacts["modelTopology"],
      weightSpecs: specs,
      weightData: tf.io.CompositeArrayBuffer.join(pieces),
    };
  });
}
