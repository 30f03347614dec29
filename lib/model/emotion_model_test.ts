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

const AUDIO = new URL("../../../shared/fixtures/golden/audio/", import.meta.url);

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
  const dir = await Deno.makeTempDir();
  try {
    const shipped = new URL("../../models/default/", import.meta.url).pathname;
    for await (const f of Deno.readDir(shipped)) {
      await Deno.copyFile(`${shipped}${f.name}`, `${dir}/${f.name}`);
    }
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
  const dir = await Deno.makeTempDir();
  try {
    const shipped = new URL("../../models/default/", import.meta.url).pathname;
    for await (const f of Deno.readDir(shipped)) {
      await Deno.copyFile(`${shipped}${f.name}`, `${dir}/${f.name}`);
    }
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
