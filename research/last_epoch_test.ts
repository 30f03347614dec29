/** `research/last_epoch.ts`: a run's last epoch as a model folder. */
import assert from "node:assert/strict";
import { checkpointDirOf } from "../lib/train/checkpoint.ts";
import { lastEpochModel } from "./last_epoch.ts";

async function run(root: string, history: { epoch: number }[]) {
  const model = `${root}/models/run`;
  const checkpoint = `${root}/checkpoints/run`;
  await Deno.mkdir(model, { recursive: true });
  await Deno.mkdir(checkpoint, { recursive: true });
  for (const file of ["labels.json", "split.json", "history.json"]) {
    await Deno.writeTextFile(`${model}/${file}`, `"${file} of the run"`);
  }
  await Deno.writeTextFile(`${model}/model.json`, `"best epoch's topology"`);
  await Deno.writeFile(`${model}/weights.bin`, new Uint8Array([1, 1, 1]));
  await Deno.writeTextFile(`${model}/config.json`, JSON.stringify({ name: "run", bestEpoch: 7 }));
  await Deno.writeTextFile(`${checkpoint}/model.json`, `"last epoch's topology"`);
  await Deno.writeFile(`${checkpoint}/weights.bin`, new Uint8Array([9, 8, 7, 6]));
  await Deno.writeTextFile(`${checkpoint}/state.json`, JSON.stringify({ history }));
  return { model, checkpoint };
}

Deno.test("lastEpochModel: the checkpoint's weights with the run's files, named and marked", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { model, checkpoint } = await run(root, [{ epoch: 1 }, { epoch: 2 }, { epoch: 30 }]);
    const { dir, epoch } = await lastEpochModel(model + "/", checkpoint);
    assert.deepEqual(dir, `${model}-last`);
    assert.deepEqual(epoch, 30);
    assert.deepEqual(Array.from(await Deno.readFile(`${dir}/weights.bin`)), [9, 8, 7, 6]);
    assert.deepEqual(await Deno.readTextFile(`${dir}/model.json`), `"last epoch's topology"`);
    assert.deepEqual(await Deno.readTextFile(`${dir}/split.json`), `"split.json of the run"`);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/config.json`)), {
      name: "run-last",
      bestEpoch: 30,
      selection: "last epoch",
    });
    // The CLI finds the checkpoint where `train` writes it for the same folder.
    assert.equal(checkpointDirOf("models/run/"), ".cache/checkpoints/run");
    // The run's own folder is left as it was.
    assert.deepEqual(Array.from(await Deno.readFile(`${model}/weights.bin`)), [1, 1, 1]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("lastEpochModel: a missing checkpoint or an empty history is refused", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { model, checkpoint } = await run(root, []);
    await assert.rejects(() => lastEpochModel(model, checkpoint), /its history is empty/);
    await assert.rejects(
      () => lastEpochModel(model, `${root}/checkpoints/other`),
      /its checkpoint in .*checkpoints\/other/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
