import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { FUNCTIONAL_COUNT } from "../audio/functionals.ts";
import { decodeAudio } from "../audio/wav.ts";
import { EMOTION_LABELS } from "../data/labels.ts";
import { assertAllClose } from "../testing/all_close.ts";
import { functionalsConfigOf } from "./testing.ts";
import { classifyRecording, type EmotionModel, loadEmotionModel } from "./emotion_model.ts";
import { fileSystemSaveHandler } from "./fs_io.ts";
import { logProbabilities } from "./voice_reference.ts";
import {
  buildFunctionalsNet,
  type FunctionalsConfig,
  type FunctionalsModel,
  geometricMix,
  loadFunctionalsModel,
  mixProbabilities,
  type MixRule,
  mixRule,
  mixWithDense,
  predictFunctionals,
} from "./functionals_model.ts";

const AUDIO = new URL("../../../shared/fixtures/golden/audio/", import.meta.url);
const ANGRY = EMOTION_LABELS.indexOf("angry");

/** A dense member that answers "angry" with probability ~1 whatever it reads. */
function alwaysAngry(): tf.LayersModel {
  const net = buildFunctionalsNet({ units: 4, l2: 0, seed: 1, classes: EMOTION_LABELS.length });
  const bias2 = new Float32Array(EMOTION_LABELS.length);
  bias2[ANGRY] = 40;
  net.setWeights([
    tf.zeros([FUNCTIONAL_COUNT, 4]),
    tf.zeros([4]),
    tf.zeros([4, EMOTION_LABELS.length]),
    tf.tensor1d(bias2),
  ]);
  return net;
}

const configOf = functionalsConfigOf;

async function writeMember(modelDir: string, config: FunctionalsConfig, net = alwaysAngry()) {
  const dir = join(modelDir, "functionals");
  await Deno.mkdir(dir, { recursive: true });
  await net.save(fileSystemSaveHandler(dir));
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config));
}

Deno.test("predictFunctionals checks lengths and leaks no tensor; mixProbabilities weighs", () => {
  const net = alwaysAngry();
  const before = tf.memory().numTensors;
  const [p, q] = predictFunctionals(net, [
    new Float32Array(FUNCTIONAL_COUNT),
    new Float32Array(FUNCTIONAL_COUNT).fill(3),
  ]);
  assert.ok(p[ANGRY] > 0.999 && q[ANGRY] > 0.999);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(predictFunctionals(net, []), []);
  assert.throws(
    () => predictFunctionals(net, [new Float32Array(10)]),
    /Expected 378 functionals but got 10/,
  );
  assertAllClose(mixProbabilities([1, 0], [0, 1], 0.25), [0.75, 0.25], { atol: 1e-7 });
  // Batched: a silent clip (no functionals) keeps its LSTM probabilities.
  const lstm = [Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0), Float32Array.of(0, 1, 0, 0, 0, 0, 0, 0)];
  const dense = { model: net, config: configOf({ weight: 0.5 }) };
  const mixed = mixWithDense(dense, lstm, [null, new Float32Array(FUNCTIONAL_COUNT)]);
  assert.deepEqual(mixed[0], lstm[0]);
  assert.ok(Math.abs(mixed[1][1] - 0.5) < 1e-6 && Math.abs(mixed[1][ANGRY] - 0.5) < 1e-6);
  assert.throws(
    () => mixWithDense(dense, lstm, [null]),
    /Expected 2 functionals vectors but got 1/,
  );
  assert.throws(() => mixProbabilities([1, 0], [1], 0.5), /Expected 2 probabilities but got 1/);
  // Leanings count only for a voice member with an lstmReference.
  const vectors = [null, new Float32Array(FUNCTIONAL_COUNT)];
  const leanings = [null, Float32Array.of(-0.01, -9, -9, -9, -9, -9, -9, -9)];
  assert.deepEqual(mixWithDense(dense, lstm, vectors, leanings), mixed, "a plain member");
  const voice = {
    model: net,
    config: configOf({ weight: 0.5, reference: "speaker-mean", lstmReference: 1 }),
  };
  // The clip's LSTMs lean to neutral (0.6 against calm's 0.4), as this person's always do
  // (0.9 against 0.1): divided out, calm wins the LSTMs' half: softmax(log p − log leaning).
  const leaned = [lstm[0], Float32Array.of(0.6, 0.4, 0, 0, 0, 0, 0, 0)];
  const leaning = logProbabilities([0.9, 0.1, 0, 0, 0, 0, 0, 0]);
  const unleanedMix = mixWithDense(voice, leaned, vectors, [null, leaning]);
  assert.deepEqual(unleanedMix[0], lstm[0], "silent: the LSTMs as they are");
  // Each class's weight is p / leaning (the six floored ones 1e-9 / 1e-9 = 1).
  const z = 0.6 / 0.9 + 0.4 / 0.1 + 6;
  assertAllClose(
    unleanedMix[1],
    [0.6 / 0.9, 0.4 / 0.1, 1, 1, 1, 1, 1, 1].map((w, i) => 0.5 * w / z + (i === ANGRY ? 0.5 : 0)),
    { atol: 1e-5 },
  );
  assert.ok(unleanedMix[1][1] > unleanedMix[1][0]);
  assert.deepEqual(mixWithDense(voice, lstm, vectors), mixed, "no leanings given");
  assert.throws(() => mixWithDense(voice, lstm, vectors, [null]), /Expected 2 leanings but got 1/);
  net.dispose();
});

Deno.test("geometricMix by hand, and a voice member mixed by the geometric rule", () => {
  // √(0.8 · 0.5) : √(0.2 · 0.5) = 2 : 1.
  assertAllClose(geometricMix([0.8, 0.2], [0.5, 0.5], 0.5), [2 / 3, 1 / 3], { atol: 1e-6 });
  assertAllClose(geometricMix([0.8, 0.2], [0.5, 0.5], 0), [0.8, 0.2], { atol: 1e-6 });
  assertAllClose(geometricMix([0.8, 0.2], [0.5, 0.5], 1), [0.5, 0.5], { atol: 1e-6 });
  // (0.9^0.75 · 0.3^0.25) : (0.1^0.75 · 0.7^0.25), normalised.
  const a = 0.9 ** 0.75 * 0.3 ** 0.25;
  const b = 0.1 ** 0.75 * 0.7 ** 0.25;
  assertAllClose(geometricMix([0.9, 0.1], [0.3, 0.7], 0.25), [a / (a + b), b / (a + b)], {
    atol: 1e-6,
  });
  // A part sure that an emotion is absent vetoes it; the arithmetic mean keeps it at a quarter.
  const veto = geometricMix([0.5, 0.5, 0], [0, 0.5, 0.5], 0.5);
  assert.ok(veto[1] > 0.9999 && veto[0] < 1e-4 && veto[2] < 1e-4);
  assertAllClose(mixProbabilities([0.5, 0.5, 0], [0, 0.5, 0.5], 0.5), [0.25, 0.5, 0.25], {
    atol: 1e-7,
  });
  assert.throws(() => geometricMix([1, 0], [1], 0.5), /Expected 2 probabilities but got 1/);
  assert.equal(mixRule("geometric"), geometricMix);
  assert.equal(mixRule("arithmetic"), mixProbabilities);

  // Through mixWithDense: the LSTMs' probabilities, their leaning divided out, then the geometric
  // mean with the dense member's (angry ≈ 1, the others below the 1e-9 floor).
  const net = alwaysAngry();
  const voice = {
    model: net,
    config: configOf({
      weight: 0.5,
      reference: "speaker-mean",
      lstmReference: 1,
      mix: "geometric",
    }),
  };
  const lstm = [Float32Array.of(0.6, 0.4, 0, 0, 0, 0, 0, 0)];
  const leaning = logProbabilities([0.9, 0.1, 0, 0, 0, 0, 0, 0]);
  const [mixed] = mixWithDense(voice, lstm, [new Float32Array(FUNCTIONAL_COUNT)], [leaning]);
  const z = 0.6 / 0.9 + 0.4 / 0.1 + 6;
  const unleanedLstm = [0.6 / 0.9, 0.4 / 0.1, 1, 1, 1, 1, 1, 1].map((w) => w / z);
  const dense = EMOTION_LABELS.map((_, i) => (i === ANGRY ? 1 : 1e-9));
  const weights = unleanedLstm.map((u, i) => Math.sqrt(u * dense[i]));
  const sum = weights.reduce((s, w) => s + w, 0);
  assertAllClose(mixed, weights.map((w) => w / sum), { atol: 1e-6 });
  assert.ok(mixed[ANGRY] > 0.999);
  // The same member mixed by the arithmetic mean keeps half for the LSTMs.
  const arithmetic = { ...voice, config: { ...voice.config, mix: "arithmetic" as MixRule } };
  const [half] = mixWithDense(arithmetic, lstm, [new Float32Array(FUNCTIONAL_COUNT)], [leaning]);
  assert.ok(Math.abs(half[1] - 0.5 * unleanedLstm[1]) < 1e-6);
  net.dispose();
});

Deno.test("loadFunctionalsModel: none, a good one, and refusals with the reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await loadFunctionalsModel(dir, EMOTION_LABELS), null);
    await writeMember(dir, configOf());
    const loaded = await loadFunctionalsModel(dir, EMOTION_LABELS);
    assert.ok(loaded);
    assert.equal(loaded.config.weight, 0.5);
    loaded.model.dispose();
    await writeMember(dir, configOf({ version: "functionals-v0" }));
    await assert.rejects(
      loadFunctionalsModel(dir, EMOTION_LABELS),
      /Expected a dense member for functionals-v1 but got functionals-v0/,
    );
    await writeMember(dir, configOf({ labels: ["a", "b"] }));
    await assert.rejects(loadFunctionalsModel(dir, EMOTION_LABELS), /labels/);
    await writeMember(dir, configOf({ weight: 1.5 }));
    await assert.rejects(loadFunctionalsModel(dir, EMOTION_LABELS), /mixing weight in \[0, 1\]/);
    await writeMember(dir, configOf({ mix: "harmonic" as MixRule }));
    await assert.rejects(
      loadFunctionalsModel(dir, EMOTION_LABELS),
      /Expected a mixing rule arithmetic or geometric but got harmonic/,
    );
    await writeMember(dir, configOf({ mix: "geometric" }));
    const geometric = await loadFunctionalsModel(dir, EMOTION_LABELS);
    assert.equal(geometric?.config.mix, "geometric");
    geometric?.model.dispose();
    const narrow = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [12], units: EMOTION_LABELS.length })],
    });
    await writeMember(dir, configOf(), narrow as unknown as tf.LayersModel);
    await assert.rejects(
      loadFunctionalsModel(dir, EMOTION_LABELS),
      /reading 378 numbers into 8 probabilities but got 12 into 8/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("classifyRecording mixes the dense member into clips and segments", async () => {
  const lstm = await loadEmotionModel(undefined, { functionals: false });
  assert.equal(lstm.functionals, null);
  const functionals: FunctionalsModel = {
    model: alwaysAngry(),
    config: configOf({ weight: 0.25 }),
  };
  const mixed: EmotionModel = { ...lstm, functionals };
  const clip = decodeAudio(await Deno.readFile(new URL("speech_c_f3_16k.wav", AUDIO)));
  const long = new Float32Array(clip.samples.length * 4);
  for (let i = 0; i < 4; i++) long.set(clip.samples, i * clip.samples.length);
  for (const samples of [clip.samples, long]) {
    const alone = classifyRecording(lstm, samples, clip.sampleRateHz);
    const both = classifyRecording(mixed, samples, clip.sampleRateHz);
    const expected = EMOTION_LABELS.map((l, i) =>
      0.75 * alone.probabilities[l] + (i === ANGRY ? 0.25 : 0)
    );
    assertAllClose(EMOTION_LABELS.map((l) => both.probabilities[l]), expected, {
      atol: 1e-6,
      label: `${samples.length} samples`,
    });
    assert.equal(both.segments?.length, alone.segments?.length);
    if (samples === long) assert.ok((alone.segments?.length ?? 0) >= 2, "segments exercised");
  }
  functionals.model.dispose();
});
