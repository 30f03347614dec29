import assert from "node:assert/strict";
import { join } from "node:path";
import { MODEL_INPUT_FRAMES } from "../audio/constants.ts";
import { encodeWav } from "../audio/encode.ts";
import { speechLikeSignal } from "../audio/synth.ts";
import { AudioDecodeError } from "../audio/errors.ts";
import { computeFeatures, FeatureStore, sha256Hex } from "./feature_store.ts";

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "moodline_store_" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeClip(dir: string, name: string, seed: number): Promise<string> {
  const path = join(dir, name);
  await Deno.writeFile(path, encodeWav(speechLikeSignal({ durationS: 0.8, seed }), 16000));
  return path;
}

Deno.test("a second run reads features from the cache instead of recomputing", async () => {
  await withTempDir(async (dir) => {
    const cache = join(dir, "cache");
    const a = await writeClip(dir, "a.wav", 1);
    const b = await writeClip(dir, "b.wav", 2);
    const first = new FeatureStore({ dir: cache });
    const fa = await first.features(a);
    const fb = await first.features(b);
    assert.deepEqual(first.stats, { hits: 0, misses: 2 });
    assert.equal(fa.cached, false);
    assert.equal(fa.frames, MODEL_INPUT_FRAMES);
    assert.equal(fa.data.length, MODEL_INPUT_FRAMES * 15);

    // A new store on the same folder (the next training run) computes nothing.
    const second = new FeatureStore({ dir: cache });
    const again = await second.features(a);
    assert.deepEqual(second.stats, { hits: 1, misses: 0 });
    assert.equal(again.cached, true);
    assert.deepEqual(again.data, fa.data);
    assert.deepEqual((await second.features(b)).data, fb.data);

    // Cached values equal a fresh computation.
    assert.deepEqual(computeFeatures(await Deno.readFile(a)).data, fa.data);
  });
});

Deno.test("cache keys: file content, pipeline version and options", async () => {
  await withTempDir(async (dir) => {
    const cache = join(dir, "cache");
    const a = await writeClip(dir, "a.wav", 3);
    const copy = join(dir, "renamed copy.wav");
    await Deno.copyFile(a, copy);
    const store = new FeatureStore({ dir: cache });
    await store.features(a);
    assert.equal((await store.features(copy)).cached, true, "same bytes, same entry");
    assert.equal(
      store.entryPath(await sha256Hex(await Deno.readFile(a))),
      join(store.entryDir, `${await sha256Hex(await Deno.readFile(copy))}.f32`),
    );

    const newVersion = new FeatureStore({ dir: cache, pipelineVersion: "audio-v999" });
    assert.equal((await newVersion.features(a)).cached, false, "new pipeline version");
    const noDenoise = new FeatureStore({ dir: cache, preprocess: { denoise: false } });
    assert.equal((await noDenoise.features(a)).cached, false, "other options");
    assert.notEqual(noDenoise.entryDir, store.entryDir);
    // Option order does not matter.
    assert.equal(
      new FeatureStore({ dir: cache, preprocess: { headroomDb: 2, trimTopDb: 50 } }).entryDir,
      new FeatureStore({ dir: cache, preprocess: { trimTopDb: 50, headroomDb: 2 } }).entryDir,
    );

    // Changing one sample changes the key.
    const bytes = await Deno.readFile(a);
    bytes[bytes.length - 1] ^= 1;
    await Deno.writeFile(a, bytes);
    assert.equal((await store.features(a)).cached, false, "edited file");
  });
});

Deno.test("damaged cache entries are recomputed; undecodable audio is a typed error", async () => {
  await withTempDir(async (dir) => {
    const cache = join(dir, "cache");
    const a = await writeClip(dir, "a.wav", 4);
    const store = new FeatureStore({ dir: cache });
    const fresh = await store.features(a);
    const entry = store.entryPath(fresh.sha256);
    await Deno.writeFile(entry, new Uint8Array([1, 2, 3]));
    const repaired = await store.features(a);
    assert.equal(repaired.cached, false);
    assert.deepEqual(repaired.data, fresh.data);
    assert.equal((await store.features(a)).cached, true);
    // No temporary files are left behind.
    const names = [...Deno.readDirSync(store.entryDir)].map((e) => e.name);
    assert.deepEqual(names, [`${fresh.sha256}.f32`]);

    const flac = join(dir, "x.flac");
    await Deno.writeFile(flac, new TextEncoder().encode("fLaC\0\0\0\x22 not decodable here"));
    await assert.rejects(() => store.features(flac), AudioDecodeError);
    assert.throws(() => new FeatureStore({ pipelineVersion: "../x" }), RangeError);
  });
});

Deno.test("a pitch store keeps 17 columns in a folder of its own", async () => {
  await withTempDir(async (dir) => {
    const cache = join(dir, "cache");
    const a = await writeClip(dir, "a.wav", 4);
    const plain = new FeatureStore({ dir: cache });
    const pitch = new FeatureStore({ dir: cache, pitch: true });
    assert.notEqual(pitch.entryDir, plain.entryDir);
    const base = await plain.features(a);
    const withPitch = await pitch.features(a);
    assert.equal(withPitch.featureCount, 17);
    assert.equal(withPitch.frames, base.frames);
    // The 15 base columns of each frame, then pitch (pitch_test.ts checks the layout).
    assert.deepEqual(
      withPitch.data,
      computeFeatures(await Deno.readFile(a), {}, { pitch: true }).data,
    );
    assert.deepEqual(withPitch.data.subarray(0, 15), base.data.subarray(0, 15));
    const again = await new FeatureStore({ dir: cache, pitch: true }).features(a);
    assert.equal(again.cached, true);
    assert.deepEqual(again.data, withPitch.data);
  });
});

Deno.test("an MFCC-40 store keeps 42 columns in a folder of its own", async () => {
  await withTempDir(async (dir) => {
    const cache = join(dir, "cache");
    const a = await writeClip(dir, "a.wav", 4);
    const plain = new FeatureStore({ dir: cache });
    const wide = new FeatureStore({ dir: cache, mfcc: 40 });
    const widePitch = new FeatureStore({ dir: cache, mfcc: 40, pitch: true });
    assert.equal(new Set([plain.entryDir, wide.entryDir, widePitch.entryDir]).size, 3);
    assert.match(wide.entryDir, /\+mfcc40-/);
    const features = await wide.features(a);
    assert.equal(features.featureCount, 42);
    assert.deepEqual(features.data, computeFeatures(await Deno.readFile(a), {}, { mfcc: 40 }).data);
    assert.equal((await widePitch.features(a)).featureCount, 44);
    const again = await new FeatureStore({ dir: cache, mfcc: 40 }).features(a);
    assert.equal(again.cached, true);
    assert.deepEqual(again.data, features.data);
  });
});
