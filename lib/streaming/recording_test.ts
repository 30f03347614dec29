import assert from "node:assert/strict";
import { decodeAudio } from "../audio/wav.ts";
import { resample } from "../audio/resample.ts";
import { HOP_LENGTH } from "../audio/constants.ts";
import { utteranceFunctionals } from "../audio/functionals.ts";
import { seededRandom } from "../audio/synth.ts";
import * as tf from "@tensorflow/tfjs";
import { classifyRecording, type EmotionModel, loadEmotionModel } from "../model/emotion_model.ts";
import { ensembleArtifacts, memberChainsOf } from "../model/ensemble.ts";
import { buildModel } from "../model/architectures.ts";
import { createClassifier } from "../model/inference.ts";
import {
  appendChunk,
  dominantLabel,
  finishRecording,
  finishRecordingWithVoice,
  labelDistribution,
  leanModelOf,
  liveModelOf,
  MAX_CLASSIFICATION_DELAY_SAMPLES,
  newRecording,
  type Recording,
  type RecordingSegment,
  SPAN_SAMPLES,
  toStoredPrecision,
} from "./recording.ts";

const RATE = 16000;
const GOLDEN = new URL("../../../shared/fixtures/golden/audio/", import.meta.url);

async function clip16k(name: string): Promise<Float32Array> {
  const { samples, sampleRateHz } = decodeAudio(await Deno.readFile(new URL(name, GOLDEN)));
  return resample(samples, sampleRateHz, RATE);
}

/** Silence, the clip, silence: a recording with one stretch of speech. */
function padded(clip: Float32Array, beforeS = 0.5, afterS = 1): Float32Array {
  const out = new Float32Array(Math.round((beforeS + afterS) * RATE) + clip.length);
  out.set(clip, Math.round(beforeS * RATE));
  return out;
}

interface Run {
  segments: RecordingSegment[];
  framesFed: number[];
  chunkSizes: number[];
  recording: Recording;
  /** Most audio kept between chunks. */
  maxKept: number;
}

function stream(
  live: ReturnType<typeof liveModelOf>,
  audio: Float32Array,
  sizes: number[],
  defer: (chunk: number) => boolean = () => false,
  onSegments: (endSample: number, segments: RecordingSegment[]) => void = () => {},
): Run {
  let recording = newRecording();
  const segments: RecordingSegment[] = [];
  const framesFed: number[] = [];
  const chunkSizes: number[] = [];
  let maxKept = 0;
  for (let offset = 0, k = 0; offset < audio.length; k++) {
    const size = sizes[k % sizes.length];
    const chunk = audio.subarray(offset, Math.min(audio.length, offset + size));
    offset += chunk.length;
    const step = appendChunk(live, recording, chunk, { deferClassification: defer(k) });
    onSegments(offset, step.segments);
    recording = step.recording;
    maxKept = Math.max(maxKept, recording.audio.length);
    segments.push(...step.segments);
    framesFed.push(step.framesFed);
    chunkSizes.push(chunk.length);
  }
  segments.push(...finishRecording(live, recording));
  return { segments, framesFed, chunkSizes, recording, maxKept };
}

const model = await loadEmotionModel();
const live = liveModelOf(model);

/**
 * The shipped model's first network alone (the shipped model itself when it has one): the
 * member whose steps the running prediction takes.
 */
function firstNetworkOf(m: EmotionModel): EmotionModel {
  const whole = m.classifier.model;
  const chain = memberChainsOf(whole)[0];
  const single = tf.model({
    inputs: whole.inputs,
    outputs: chain[chain.length - 1].output as tf.SymbolicTensor,
  });
  return {
    classifier: createClassifier(single, {
      labels: m.config.labels,
      inputShape: [null, m.config.input.frames, 15],
    }),
    config: m.config,
  };
}
const firstNetwork = firstNetworkOf(model);

Deno.test("segments do not depend on how the stream is cut into chunks", async () => {
  const a = await clip16k("speech_a_16k.wav");
  const b = await clip16k("speech_b_16k.wav");
  const audio = padded(new Float32Array([...padded(a, 0, 1), ...b]));
  const whole = stream(live, audio, [16000]).segments;
  assert.ok(whole.length >= 2, `expected two utterances, got ${whole.length}`);
  for (const sizes of [[1000], [513, 7000, 16000], [audio.length]]) {
    assert.deepEqual(stream(live, audio, sizes).segments, whole, `chunk sizes ${sizes}`);
  }
});

Deno.test("a recording of one clip is classified exactly as the whole file", async () => {
  const clip = await clip16k("speech_a_16k.wav");
  const audio = padded(clip);
  const segments = stream(live, audio, [16000]).segments;
  assert.equal(segments.length, 1);
  const expected = classifyRecording(model, toStoredPrecision(audio), RATE);
  assert.equal(segments[0].label, expected.label);
  assert.equal(segments[0].confidence, expected.confidence);
  assert.deepEqual(segments[0].probabilities, expected.probabilities);
});

Deno.test("lean steps classify utterances with the LSTMs alone, the others with the dense member", async () => {
  assert.ok(model.functionals, "the shipped model has a dense member");
  const lstm = await loadEmotionModel(undefined, { functionals: false });
  assert.equal(leanModelOf(lstm), lstm, "nothing to shed");
  assert.equal(leanModelOf(model).functionals, null);
  assert.equal(leanModelOf(model).voice, null);
  assert.equal(leanModelOf(model), leanModelOf(model), "made once");
  const clip = await clip16k("speech_a_16k.wav");
  const audio = padded(clip);
  const full = classifyRecording(model, toStoredPrecision(audio), RATE);
  const alone = classifyRecording(lstm, toStoredPrecision(audio), RATE);
  assert.notDeepEqual(full.probabilities, alone.probabilities);
  const run = (lean: boolean) => {
    let recording = newRecording();
    const segments: RecordingSegment[] = [];
    for (let offset = 0; offset < audio.length; offset += 16000) {
      const step = appendChunk(live, recording, audio.subarray(offset, offset + 16000), { lean });
      segments.push(...step.segments);
      recording = step.recording;
    }
    return [...segments, ...finishRecording(live, recording, { lean })];
  };
  const [lean] = run(true);
  assert.deepEqual(lean.probabilities, alone.probabilities);
  const [rich] = run(false);
  assert.deepEqual(rich.probabilities, full.probabilities);
});

Deno.test("a recording uses its owner's voice reference and gives the entry its voice sample", async () => {
  assert.ok(model.voice, "the shipped model has a voice-referenced member");
  const audio = padded(await clip16k("speech_a_16k.wav"));
  const reference = utteranceFunctionals(await clip16k("speech_b_16k.wav"))!;
  const run = (ref: Float32Array | null, lean: boolean, leaning: Float32Array | null = null) => {
    // The state goes through a structured clone between chunks, as through storage.
    let recording = structuredClone(newRecording(ref, leaning));
    const segments: RecordingSegment[] = [];
    for (let offset = 0; offset < audio.length; offset += 16000) {
      const step = appendChunk(live, recording, audio.subarray(offset, offset + 16000), { lean });
      segments.push(...step.segments);
      recording = structuredClone(step.recording);
    }
    const last = finishRecordingWithVoice(live, recording, { lean });
    return { segments: [...segments, ...last.segments], voice: last.voice };
  };
  const stored = toStoredPrecision(audio);
  const withRef = run(reference, false);
  assert.equal(withRef.segments.length, 1);
  const expected = classifyRecording(model, stored, RATE, { reference });
  assert.deepEqual(withRef.segments[0].probabilities, expected.probabilities);
  assert.notDeepEqual(expected.probabilities, classifyRecording(model, stored, RATE).probabilities);
  // The entry's voice sample: the functionals of the one classified window, and the LSTMs'
  // log-probabilities of it, named by the LSTMs' fingerprint.
  assert.equal(withRef.voice?.windows, 1);
  assert.deepEqual(withRef.voice?.mean, utteranceFunctionals(stored));
  const leanings: Float32Array[] = [];
  classifyRecording(model, stored, RATE, { leaningOut: leanings });
  assert.deepEqual(withRef.voice?.leaning, leanings[0]);
  assert.equal(withRef.voice?.lstm, model.lstm);
  assert.match(model.lstm!, /^[0-9a-f]{16}$/);
  // With the person's leaning too, the shipped member divides it out (lstmReference 1).
  assert.equal(model.voice.config.lstmReference, 1);
  const leaning = leanings[0].map((v, i) => v + (i === 0 ? 3 : 0));
  const leaned = run(reference, false, leaning);
  const expectedLeaned = classifyRecording(model, stored, RATE, { reference, leaning });
  assert.deepEqual(leaned.segments[0].probabilities, expectedLeaned.probabilities);
  assert.notDeepEqual(expectedLeaned.probabilities, expected.probabilities);
  assert.deepEqual(leaned.voice, withRef.voice, "the sample keeps the LSTMs' own numbers");
  // A row stored before leanings were kept (a sum without one): the sample keeps no leaning
  // rather than one over part of its windows.
  let older = newRecording(reference);
  for (let offset = 0; offset < audio.length; offset += 16000) {
    older = appendChunk(live, older, audio.subarray(offset, offset + 16000)).recording;
  }
  older.state.voice = { sum: new Float32Array(utteranceFunctionals(stored)!.length), windows: 1 };
  const olderSample = finishRecordingWithVoice(live, older).voice!;
  assert.equal(olderSample.windows, 2);
  assert.equal(olderSample.leaning, undefined);
  // Without a reference the plain member, and the same voice sample.
  const without = run(null, false);
  assert.deepEqual(
    without.segments[0].probabilities,
    classifyRecording(model, stored, RATE).probabilities,
  );
  assert.deepEqual(without.voice, withRef.voice);
  // Lean classification computes no functionals: no sample, and no member.
  const lean = run(reference, true);
  assert.equal(lean.voice, null);
  assert.deepEqual(
    lean.segments[0].probabilities,
    classifyRecording(leanModelOf(model), stored, RATE).probabilities,
  );
});

Deno.test("utterances are classified with the audio up to halfway through the pauses", async () => {
  const a = await clip16k("speech_a_16k.wav");
  const b = await clip16k("speech_b_16k.wav");
  const audio = toStoredPrecision(padded(new Float32Array([...padded(a, 0, 1), ...b])));
  const [first, second] = stream(live, audio, [7000]).segments;
  const cut = Math.round(first.endS * RATE) +
    Math.floor((Math.round(second.startS * RATE) - Math.round(first.endS * RATE)) / 2);
  const expectFirst = classifyRecording(model, audio.subarray(0, cut), RATE);
  assert.equal(first.confidence, expectFirst.confidence);
  const secondStart = Math.max(cut, Math.round(second.endS * RATE) - SPAN_SAMPLES);
  const expectSecond = classifyRecording(
    model,
    audio.subarray(secondStart, Math.min(audio.length, secondStart + SPAN_SAMPLES)),
    RATE,
  );
  assert.equal(second.confidence, expectSecond.confidence);
});

Deno.test("each chunk feeds the stepper at most its own hops (plus the onset look-back)", async () => {
  const clip = await clip16k("speech_b_16k.wav");
  const audio = padded(new Float32Array([...clip, ...clip, ...clip, ...clip]));
  const run = stream(live, audio, [16000]);
  run.framesFed.forEach((n, i) => {
    assert.ok(
      n <= Math.ceil(run.chunkSizes[i] / HOP_LENGTH) + 3,
      `chunk ${i}: ${n} frames for ${run.chunkSizes[i]} samples`,
    );
  });
  // The kept audio never grows past two spans.
  assert.ok(run.maxKept <= 2 * SPAN_SAMPLES, `kept ${run.maxKept} samples`);
});

Deno.test("silence gives no segments and no current prediction", () => {
  const silence = new Float32Array(5 * RATE);
  let recording = newRecording();
  for (let i = 0; i < 5; i++) {
    const step = appendChunk(live, recording, silence.subarray(i * RATE, (i + 1) * RATE));
    assert.equal(step.current, null);
    assert.deepEqual(step.segments, []);
    recording = step.recording;
  }
  assert.deepEqual(finishRecording(live, recording), []);
  assert.deepEqual(labelDistribution([]), {});
  assert.equal(dominantLabel({}), null);
});

Deno.test("a long stretch of speech is cut at no more than 6 s", async () => {
  const clip = await clip16k("speech_a_16k.wav");
  // Quiet noise, then 15 s of sound with no pause (the clip over a steady tone).
  const random = seededRandom(3);
  const audio = new Float32Array(16 * RATE);
  for (let i = 0; i < audio.length; i++) {
    audio[i] = 0.001 * (random() * 2 - 1);
    if (i >= RATE) audio[i] += clip[i % clip.length] + 0.1 * Math.sin(i * 0.2);
  }
  const { segments } = stream(live, audio, [16000]);
  assert.ok(segments.length >= 3, `got ${segments.length} segments`);
  for (const s of segments) assert.ok(s.endS - s.startS <= 6, `${s.startS}–${s.endS}`);
});

Deno.test("the running prediction is a probability distribution over the labels", async () => {
  const clip = await clip16k("speech_a_16k.wav");
  const step = appendChunk(live, newRecording(), padded(clip, 0.2, 0).subarray(0, RATE));
  assert.ok(step.current);
  assert.deepEqual(Object.keys(step.current.probabilities), model.config.labels);
  const sum = Object.values(step.current.probabilities).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5);
  assert.equal(step.current.confidence, step.current.probabilities[step.current.label]);
});

Deno.test("distribution is the share of speech time per label; dominant is the largest", () => {
  const seg = (startS: number, endS: number, label: string): RecordingSegment => ({
    startS,
    endS,
    label,
    confidence: 1,
    probabilities: {},
  });
  const d = labelDistribution([seg(0, 1, "sad"), seg(2, 5, "angry"), seg(6, 7, "sad")]);
  assert.deepEqual(d, { sad: 0.4, angry: 0.6 });
  assert.equal(dominantLabel(d), "angry");
});

Deno.test("deferred classification gives the same segments, at most 5 s late", async () => {
  const a = await clip16k("speech_a_16k.wav");
  const b = await clip16k("speech_b_16k.wav");
  const audio = padded(new Float32Array([...padded(a, 0, 1), ...b, ...padded(a, 0.5, 1.5)]));
  const plain = stream(live, audio, [16000]);
  assert.ok(plain.segments.length >= 3, `expected three utterances, got ${plain.segments.length}`);
  const delays: number[] = [];
  const always = stream(live, audio, [16000], () => true, (end, segments) => {
    for (const s of segments) delays.push(end / RATE - s.endS);
  });
  assert.deepEqual(always.segments, plain.segments);
  // Classified while the stream went on, not all at the finish: each no later than the
  // chunk that took it past the bound.
  assert.ok(delays.length >= 2, `segments answered by chunks: ${delays.length}`);
  for (const d of delays) {
    assert.ok(d >= MAX_CLASSIFICATION_DELAY_SAMPLES / RATE, `classified only when due: ${d}`);
    assert.ok(d < MAX_CLASSIFICATION_DELAY_SAMPLES / RATE + 1, `delay ${d} s`);
  }
  const someTimes = stream(live, audio, [16000, 7000], (k) => k % 3 !== 1);
  assert.deepEqual(someTimes.segments, plain.segments);
});

Deno.test("live prediction refuses input configs it cannot compute", () => {
  const withInput = (input: Partial<typeof model.config.input>) => ({
    classifier: model.classifier,
    config: { ...model.config, input: { ...model.config.input, ...input } },
  });
  assert.throws(() => liveModelOf(withInput({ deltas: 1 })), /without deltas/);
  assert.throws(() => liveModelOf(withInput({ normalisation: "speaker" })), /"speaker"/);
  assert.throws(() => liveModelOf(withInput({ pitch: true })), /without pitch features/);
  assert.throws(() => liveModelOf(withInput({ mfcc: 40 })), /stepper input of 42, but got 15/);
  assert.ok(liveModelOf(withInput({ normalisation: "utterance" })));
});

/**
 * The shipped model's first network widened to read 40 MFCCs (`input.mfcc: 40`, 42 columns): its
 * first LSTM's kernel gets 27 more input rows, zero (so it computes exactly what that network
 * does) or seeded random ones.
 */
function widenedDefault(extraRows: "zero" | "random"): EmotionModel {
  const spec = { architecture: "lstm" as const, frames: model.config.input.frames, classes: 8 };
  const wide = buildModel({ ...spec, width: 42, seed: 1 });
  const weights = firstNetwork.classifier.model.getWeights();
  const kernel = weights[0].dataSync();
  const rows = new Float32Array(42 * 256);
  rows.set(kernel);
  const uniform = seededRandom(7);
  if (extraRows === "random") {
    for (let i = kernel.length; i < rows.length; i++) rows[i] = uniform() - 0.5;
  }
  wide.setWeights([tf.tensor2d(rows, [42, 256]), ...weights.slice(1)]);
  return {
    classifier: createClassifier(wide, {
      labels: model.config.labels,
      inputShape: [null, model.config.input.frames, 42],
    }),
    config: { ...model.config, input: { ...model.config.input, mfcc: 40 } },
  };
}

Deno.test("a model reading 40 MFCCs runs live: columns 2–14 are the recipe's, 15–41 the rest", async () => {
  const audio = padded(await clip16k("speech_a_16k.wav"));
  const chunk = audio.subarray(0, RATE);
  const same = widenedDefault("zero");
  const wideLive = liveModelOf(same);
  assert.equal(wideLive.nMfcc, 40);
  const recipe = appendChunk(live, newRecording(), chunk).current!;
  const wide = appendChunk(wideLive, newRecording(), chunk).current!;
  for (const label of model.config.labels) {
    assert.ok(Math.abs(wide.probabilities[label] - recipe.probabilities[label]) < 1e-5, label);
  }
  const other = widenedDefault("random");
  const moved = appendChunk(liveModelOf(other), newRecording(), chunk).current!;
  assert.notDeepEqual(moved.probabilities, recipe.probabilities, "the 27 extra MFCCs are fed");
  const [segment] = stream(liveModelOf(other), audio, [16000]).segments;
  const expected = classifyRecording(other, toStoredPrecision(audio), RATE);
  assert.deepEqual(segment.probabilities, expected.probabilities);
});

/** The shipped model's first network and a copy with halved weights, as one ensemble. */
async function pairOfFirstNetwork(): Promise<EmotionModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await firstNetwork.classifier.model.save(tf.io.withSaveHandler((saved) => {
    artifacts = saved;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const first: tf.io.ModelArtifacts = artifacts!;
  const halved = Float32Array.from(
    new Float32Array(first.weightData as ArrayBuffer),
    (w) => w / 2,
  );
  const other = { ...first, weightData: halved.buffer };
  const ensemble = await tf.loadLayersModel(
    tf.io.fromMemory(ensembleArtifacts([first, other], "pair")),
  );
  return {
    classifier: createClassifier(ensemble, {
      labels: model.config.labels,
      inputShape: [null, model.config.input.frames, 15],
    }),
    config: model.config,
  };
}

Deno.test("with an ensemble, the running prediction steps the first member and segments use all", async () => {
  const pair = await pairOfFirstNetwork();
  const pairLive = liveModelOf(pair);
  const singleLive = liveModelOf(firstNetwork);
  const clip = await clip16k("speech_a_16k.wav");
  const audio = padded(clip);
  const first = appendChunk(singleLive, newRecording(), audio.subarray(0, RATE));
  const both = appendChunk(pairLive, newRecording(), audio.subarray(0, RATE));
  assert.ok(first.current && both.current);
  assert.deepEqual(both.current, first.current, "the preview is the first member's");
  const [segment] = stream(pairLive, audio, [16000]).segments;
  const expected = classifyRecording(pair, toStoredPrecision(audio), RATE);
  assert.deepEqual(segment.probabilities, expected.probabilities);
  const [single] = stream(singleLive, audio, [16000]).segments;
  assert.notDeepEqual(segment.probabilities, single.probabilities, "the segment is the pair's");
  // The shipped model's own preview is its first network's too.
  const shipped = appendChunk(live, newRecording(), audio.subarray(0, RATE));
  assert.deepEqual(shipped.current, first.current);
});
