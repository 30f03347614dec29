import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fileSystemLoadHandler, fileSystemSaveHandler, MODEL_JSON, WEIGHTS_BIN } from "./fs_io.ts";
import { fusedLstm } from "./fused_lstm.ts";
import { randomArray, seededUniform } from "./testing.ts";

await tf.setBackend("cpu");

Deno.test("fileSystemSaveHandler writes model.json + weights.bin that load back identically", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodline_model_" });
  try {
    const model = tf.sequential({
      layers: [
        tf.layers.masking({ inputShape: [6, 3] }),
        fusedLstm({ units: 4, returnSequences: true }),
        tf.layers.lstm({ units: 3 }),
        tf.layers.dense({ units: 2, activation: "softmax" }),
      ],
    });
    const result = await model.save(fileSystemSaveHandler(`${dir}/nested/m1`));
    assert.ok(result.modelArtifactsInfo.weightDataBytes! > 0);

    const json = JSON.parse(await Deno.readTextFile(`${dir}/nested/m1/${MODEL_JSON}`));
    assert.equal(json.format, "layers-model");
    assert.deepEqual(json.weightsManifest[0].paths, [WEIGHTS_BIN]);
    const weightBytes = (await Deno.stat(`${dir}/nested/m1/${WEIGHTS_BIN}`)).size;
    const expectedBytes = model.countParams() * 4;
    assert.equal(weightBytes, expectedBytes);

    const x = tf.tensor3d(randomArray(2 * 6 * 3, seededUniform(1)), [2, 6, 3]);
    const before = model.predict(x) as tf.Tensor;
    for (const location of [`${dir}/nested/m1`, `file://${dir}/nested/m1/${MODEL_JSON}`]) {
      const loaded = await tf.loadLayersModel(fileSystemLoadHandler(location));
      const after = loaded.predict(x) as tf.Tensor;
      assert.deepEqual(Array.from(after.dataSync()), Array.from(before.dataSync()));
      after.dispose();
      loaded.dispose();
    }
    tf.dispose([x, before]);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileSystemLoadHandler reads weights split over several shard files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "moodline_model_" });
  try {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 3, inputShape: [2] })],
    });
    await model.save(fileSystemSaveHandler(dir));
    const json = JSON.parse(await Deno.readTextFile(`${dir}/${MODEL_JSON}`));
    const bytes = await Deno.readFile(`${dir}/${WEIGHTS_BIN}`);
    await Deno.writeFile(`${dir}/a.bin`, bytes.subarray(0, 10));
    await Deno.writeFile(`${dir}/b.bin`, bytes.subarray(10));
    json.weightsManifest[0].paths = ["a.bin", "b.bin"];
    await Deno.writeTextFile(`${dir}/${MODEL_JSON}`, JSON.stringify(json));
    const loaded = await tf.loadLayersModel(fileSystemLoadHandler(dir));
    const want = model.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(loaded.getWeights().map((w) => Array.from(w.dataSync())), want);
    loaded.dispose();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
