import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { decodeAudio } from "../audio/wav.ts";
import {
  classifyRecording,
  loadEmotionModel,
  NoSpeechError,
  windowInput,
} from "./emotion_model.ts";
import { readModelConfig } from "./model_files.ts";
import { ttaCopiesOf } from "./tta.ts";

const AUDIO = new URL("../../../shared/fixtures/golden/audio/", import.meta.url);

/**
 * A temporary folder holding a copy of the shipped model's files, its dense member's folder
 * included (the caller removes it).
 */
async function copyOfShippedModel(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const copy = async (from: string, to: string) => {
    for await (const f of Deno.readDir(from)) {
      if (f.isDirectory) {
        await Deno.mkdir(`${to}/${f.name}`);
        await copy(`${from}${f.name}/`, `${to}/${f.name}`);
      } else {
        await Deno.copyFile(`${from}${f.name}`, `${to}/${f.name}`);
      }
    }
  };
  await copy(new URL("../../models/default/", import.meta.url).pathname, dir);
  return dir;
}

Deno.test("the shipped model classifies speech at any rate and refuses silence", async () => {
  const model = await loadEmotionModel();
  const before = tf.memory().numTensors;
  const a = decodeAudio(await Deno.readFile(new URL("speech_c_f3_16k.wav", AUDIO)));
  const b = decodeAudio(await Deno.readFile(new URL("speech_c_48k_stereo.wav", AUDIO)));
  for (const clip of [a, b]) {
    const r = classifyRecording(model, clip.samples, clip.sampleRateHz);
    assert.ok(model.config.labels.includes(r.label));
    assert.ok(r.confidence > 0 && r.confidence <= 1);
  }
  assert.throws(() => classifyRecording(model, new Float32Array(48000), 48000), NoSpeechError);
  assert.throws(
    () => classifyRecording(model, new Float32Array(200000).fill(0.25), 16000),
    NoSpeechError,
    "a constant (DC) signal is silence too",
  );
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
});

Deno.test("a model for another audio pipeline version is refused", async () => {
  const dir = await copyOfShippedModel();
  try {
    const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    config.input.pipelineVersion = "audio-v0";
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
    await assert.rejects(
      loadEmotionModel(dir),
      /Expected a model for audio pipeline audio-v\d+ but got audio-v0/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a model normalised per speaker round-trips but is refused where no statistics exist", async () => {
  const dir = await copyOfShippedModel();
  try {
    const config = await readModelConfig(dir);
    config.input.normalisation = "speaker";
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config, null, 2) + "\n");
    assert.deepEqual(await readModelConfig(dir), config);
    await assert.rejects(
      loadEmotionModel(dir),
      /uses normalisation "speaker": classification of files and live recordings cannot/,
    );
    const model = await loadEmotionModel(dir, { speakerNormalisation: true });
    assert.equal(model.config.input.normalisation, "speaker");
    assert.deepEqual(model.config, config);
    const clip = decodeAudio(await Deno.readFile(new URL("speech_c_f3_16k.wav", AUDIO)));
    assert.throws(() => windowInput(model, clip.samples), /speaker's statistics/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("test-time augmentation: a window's probabilities are the mean over it and its copies", async () => {
  // The LSTMs alone: the dense member's share is tested in functionals_model_test.ts.
  const plain = await loadEmotionModel(undefined, { ttaCopies: 0, functionals: false });
  const tta = await loadEmotionModel(undefined, { ttaCopies: 2, functionals: false });
  assert.equal(tta.ttaCopies, 2);
  const clip = decodeAudio(await Deno.readFile(new URL("speech_c_f3_16k.wav", AUDIO)));
  const before = tf.memory().numTensors;
  const inputs = [clip.samples, ...ttaCopiesOf(clip.samples, 2)].map((a) => windowInput(plain, a)!);
  const rows = plain.classifier.predict(inputs);
  const expected = plain.config.labels.map((_, k) => rows.reduce((s, r) => s + r[k], 0) / 3);
  const got = classifyRecording(tta, clip.samples, clip.sampleRateHz);
  plain.config.labels.forEach((label, k) => {
    assert.ok(Math.abs(got.probabilities[label] - expected[k]) < 1e-6, label);
  });
  const alone = classifyRecording(plain, clip.samples, clip.sampleRateHz);
  assert.notDeepEqual(got.probabilities, alone.probabilities, "the copies change the result");
  assert.deepEqual(classifyRecording(tta, clip.samples, clip.sampleRateHz), got, "deterministic");
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
  await assert.rejects(loadEmotionModel(undefined, { ttaCopies: 9 }), /from 0 to 6, but got 9/);
});

Deno.test("a model's own test-time augmentation setting is used unless the caller names one", async () => {
  const dir = await copyOfShippedModel();
  try {
    const config = await readModelConfig(dir);
    config.tta = { copies: 4 };
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
    assert.equal((await loadEmotionModel(dir)).ttaCopies, 4);
    assert.equal((await loadEmotionModel(dir, { ttaCopies: 1 })).ttaCopies, 1);
    config.tta = { copies: 7 };
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
    await assert.rejects(loadEmotionModel(dir), /from 0 to 6, but got 7/);
    // Copies hurt a network that never saw any in training: refused.
    config.tta = undefined;
    config.augmentCopies = 0;
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
    await assert.rejects(
      loadEmotionModel(dir, { ttaCopies: 2 }),
      /Expected a model trained on augmented copies for test-time augmentation, but .* was trained without/,
    );
    assert.equal((await loadEmotionModel(dir)).ttaCopies, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
