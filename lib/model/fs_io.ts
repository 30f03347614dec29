/**
 * tfjs model I/O on the local file system with Deno's file APIs. tfjs's own routers only know
 * browsers, HTTP and Node's `fs` (via tfjs-node), so in Deno `model.save` and
 * `tf.loadLayersModel` need these handlers.
 *
 * Layout is tfjs's standard one, readable by any tfjs loader: `model.json` (topology plus a
 * weights manifest) and one `weights.bin` with all weights concatenated.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** File name of the topology and weights manifest. */
export const MODEL_JSON = "model.json";
/** File name of the concatenated weights. */
export const WEIGHTS_BIN = "weights.bin";

function toFileUrl(location: string | URL): URL {
  const url = location instanceof URL
    ? new URL(location.href)
    : location.startsWith("file:")
    ? new URL(location)
    : pathToFileURL(resolve(location));
  if (url.protocol !== "file:") {
    throw new TypeError(`Expected a file: URL or path, but got ${url.href}`);
  }
  return url;
}

function toDirUrl(dir: string | URL): URL {
  const url = toFileUrl(dir);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/**
 * An IOHandler for `model.save(...)` that writes `model.json` and `weights.bin` into `dir`
 * (a path or `file:` URL; created if missing). The weights file is written first, so a reader
 * that finds `model.json` never sees it pointing at a missing or partial weights file.
 */
export function fileSystemSaveHandler(dir: string | URL): tf.io.IOHandler {
  const dirUrl = toDirUrl(dir);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new TypeError("Expected a JSON model topology, but got binary (a graph model?)");
      }
      await Deno.mkdir(dirUrl, { recursive: true });
      const weights = artifacts.weightData === undefined
        ? new ArrayBuffer(0)
        : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        trainingConfig: artifacts.trainingConfig,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      await Deno.writeFile(new URL(WEIGHTS_BIN, dirUrl), new Uint8Array(weights));
      const json = JSON.stringify(modelJson);
      await Deno.writeTextFile(new URL(MODEL_JSON, dirUrl), json);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          modelTopologyBytes: new TextEncoder().encode(JSON.stringify(artifacts.modelTopology))
            .length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

/**
 * An IOHandler for `tf.loadLayersModel(...)` that reads a tfjs `model.json` and the weight
 * files its manifest names (any number of shards) from the local file system. `location` is
 * the model directory or the `model.json` itself, as a path or `file:` URL.
 */
export function fileSystemLoadHandler(location: string | URL): tf.io.IOHandler {
  const url = toFileUrl(location);
  const jsonUrl = url.pathname.endsWith(".json") ? url : new URL(MODEL_JSON, toDirUrl(url));
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJson = JSON.parse(await Deno.readTextFile(jsonUrl)) as tf.io.ModelJSON;
      return await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const path of group.paths) {
            const bytes = await Deno.readFile(new URL(path, jsonUrl));
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          }
        }
        return [tf.io.getWeightSpecs(manifest), tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}
