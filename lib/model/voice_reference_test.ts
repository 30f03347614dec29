import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { FUNCTIONAL_COUNT } from "../audio/functionals.ts";
import { decodeAudio } from "../audio/wav.ts";
import { EMOTION_LABELS } from "../data/labels.ts";
import { seededRandom } from "../train/rng.ts";
import { assertAllClose } from "../testing/all_close.ts";
import { functionalsConfigOf } from "./testing.ts";
import { classifyRecording, loadEmotionModel } from "./emotion_model.ts";
import { fileSystemSaveHandler } from "./fs_io.ts";
import { buildFunctionalsNet, type FunctionalsConfig } from "./functionals_model.ts";
import {
  historyReferences,
  logProbabilities,
  lstmFingerprint,
  MIN_REFERENCE_ENTRIES,
  MIN_REFERENCE_WINDOWS,
  minusHistoryMeans,
  minusSpeakerMeans,
  REFERENCE_ENTRIES,
  referenced,
  unleaned,
  VOICE_DIR,
  voiceReferenceOf,
} from "./voice_reference.ts";

const AUDIO = new URL("../../../shared/fixtures/golden/audio/", import.meta.url);
const HAPPY = EMOTION_LABELS.indexOf("happy");

function filled(value: number): Float32Array {
  return new Float32Array(FUNCTIONAL_COUNT).fill(value);
}

Deno.test("voiceReferenceOf needs enough entries and windows and weighs entries by windows", () => {
  // Too few entries, then too few windows: no reference yet.
  const entry = (value: number, windows: number) => ({ mean: filled(value), windows });
  const few = Array.from({ length: MIN_REFERENCE_ENTRIES - 1 }, () => entry(1, 50));
  assert.equal(voiceReferenceOf(few), null);
  const thin = Array.from({ length: MIN_REFERENCE_ENTRIES }, () => entry(1, 1));
  assert.ok(MIN_REFERENCE_ENTRIES < MIN_REFERENCE_WINDOWS);
  assert.equal(voiceReferenceOf(thin), null);

  // Weighted by windows: (8·1 + 1·10 + 1·10) / 10 = 2.8 over 10 windows.
  const reference = voiceReferenceOf([entry(1, 8), entry(10, 1), entry(10, 1)])!;
  assert.equal(reference.windows, 10);
  assert.equal(reference.entries, 3);
  assertAllClose(reference.mean, filled(2.8), { atol: 1e-6 });

  // Only the newest REFERENCE_ENTRIES count (the list comes newest first).
  const many = [
    ...Array.from({ length: REFERENCE_ENTRIES }, () => entry(5, 4)),
    entry(1000, 100),
  ];
  const recent = voiceReferenceOf(many)!;
  assert.equal(recent.entries, REFERENCE_ENTRIES);
  assertAllClose(recent.mean, filled(5), { atol: 1e-6 });
  assert.throws(
    () => voiceReferenceOf([...thin, entry(1, 0), entry(1, 20)]),
    /at least one window/,
  );
  assert.throws(() => referenced(filled(1), new Float32Array(2)), /reference of 378 numbers/);
});

Deno.test("minusSpeakerMeans uses each speaker's own clips; minusHistoryMeans never the clip itself", () => {
  const vectors = [filled(1), filled(3), filled(10), filled(20), filled(30)];
  const speakers = ["a", "a", "b", "b", "b"];
  const labels = [0, 1, 0, 1, 2];
  const centred = minusSpeakerMeans(vectors, speakers);
  assert.deepEqual(centred.map((v) => v[0]), [-1, 1, -10, 0, 10]);

  // With a history of one clip, a speaker of two clips is referenced by the other one.
  const one = minusHistoryMeans(vectors, speakers, labels, 1, seededRandom(1));
  assert.equal(one[0][0], 1 - 3);
  assert.equal(one[1][0], 3 - 1);
  // A history longer than the speaker's other clips takes all of them.
  const all = minusHistoryMeans(vectors, speakers, labels, 50, seededRandom(2));
  assert.deepEqual(all.slice(2).map((v) => v[0]), [10 - 25, 20 - 20, 30 - 15]);
  // One mood: the history comes from clips of a single emotion of the speaker.
  for (let seed = 0; seed < 20; seed++) {
    const moody = minusHistoryMeans(vectors, speakers, labels, 50, seededRandom(seed), 1);
    // Clip 2 (20 or 30 as its only other clip of one emotion).
    assert.ok([10 - 20, 10 - 30].includes(moody[2][0]), `seed ${seed}: ${moody[2][0]}`);
  }
  assert.throws(
    () => minusHistoryMeans([filled(1)], ["solo"], [0], 5, seededRandom(1)),
    /no other clip/,
  );
  assert.throws(
    () => minusHistoryMeans(vectors, speakers, labels, 0, seededRandom(1)),
    /at least 1/,
  );

  // Labelled clips: a silent one (null) stays null and is nobody's history.
  const items = ["a", "a", "a"].map((speaker, i) => ({
    speaker,
    path: `/clips/${i}.wav`,
    label: "calm" as const,
  }));
  const out = historyReferences(items, [filled(2), null, filled(6)], 5).vectors;
  assert.equal(out[1], null);
  assert.deepEqual([out[0]![0], out[2]![0]], [2 - 6, 6 - 2]);
});

Deno.test("a reference's leaning comes only from samples of the LSTMs in use, under the same minimums", () => {
  const leaning = (v: number) => new Float32Array(EMOTION_LABELS.length).fill(v);
  const sample = (v: number, windows: number, lstm: string | null) => ({
    mean: filled(v),
    windows,
    ...(lstm ? { leaning: leaning(v), lstm } : {}),
  });
  // Three samples of LSTMs "a" (one of 2 windows, two of 4), one of "b", one without a leaning.
  const samples = [
    sample(1, 2, "a"),
    sample(2, 4, "b"),
    sample(3, 4, "a"),
    sample(4, 4, null),
    sample(5, 4, "a"),
  ];
  const a = voiceReferenceOf(samples, "a")!;
  assertAllClose(a.mean, filled((2 + 8 + 12 + 16 + 20) / 18), { atol: 1e-5 });
  assertAllClose(a.leaning!, leaning((2 + 12 + 20) / 10), { atol: 1e-6 });
  // "b" has one sample: a reference, but no leaning; neither without a name.
  assert.equal(voiceReferenceOf(samples, "b")!.leaning, null);
  assert.equal(voiceReferenceOf(samples)!.leaning, null);
  // Enough entries of "a" but too few windows between them: no leaning.
  const thin = [sample(1, 3, "a"), sample(1, 3, "a"), sample(1, 3, "a"), sample(1, 30, null)];
  assert.ok(3 * 3 < MIN_REFERENCE_WINDOWS);
  assert.equal(voiceReferenceOf(thin, "a")!.leaning, null);
});

Deno.test("unleaned divides the leaning out; a fingerprint names the weights", async () => {
  const probs = Float32Array.of(0.7, 0.1, 0.05, 0.05, 0.04, 0.03, 0.02, 0.01);
  // Strength 0 changes nothing; a leaning equal to the clip's own makes it uniform.
  assertAllClose(unleaned(probs, logProbabilities(probs), 0), probs, { atol: 1e-6 });
  assertAllClose(
    unleaned(probs, logProbabilities(probs), 1),
    new Float32Array(8).fill(1 / 8),
    { atol: 1e-6 },
  );
  // Half strength: softmax(log p − 0.5 · l), by hand.
  const leaning = Float32Array.of(-0.1, -3, -3, -3, -3, -3, -3, -3);
  const logits = [...probs].map((p, i) => Math.log(p) - 0.5 * leaning[i]);
  const z = logits.reduce((sum, v) => sum + Math.exp(v), 0);
  assertAllClose(unleaned(probs, leaning, 0.5), logits.map((v) => Math.exp(v) / z), {
    atol: 1e-6,
  });
  assert.equal(logProbabilities([0])[0], Math.fround(Math.log(1e-9)), "a zero stays finite");
  assert.throws(() => unleaned(probs, new Float32Array(2), 1), /leaning of 8 numbers/);

  const w = [Float32Array.of(1, 2, 3), Float32Array.of(4)];
  const name = await lstmFingerprint(w);
  assert.match(name, /^[0-9a-f]{16}$/);
  assert.equal(await lstmFingerprint([Float32Array.of(1, 2, 3), Float32Array.of(4)]), name);
  assert.notEqual(await lstmFingerprint([Float32Array.of(1, 2, 3), Float32Array.of(5)]), name);
});

Deno.test("historyReferences takes each clip's leaning from the same history clips", () => {
  // Clip i's functionals are all i and its LSTMs put e^-i on emotion 0: the leaning's first
  // number is minus the mean index of the history, which the functionals' reference shows too.
  const items = Array.from({ length: 12 }, (_, i) => ({
    speaker: i < 6 ? "a" : "b",
    path: `/clips/${i}.wav`,
    label: EMOTION_LABELS[i % 8],
  }));
  const vectors = items.map((_, i) => i === 4 ? null : filled(i));
  const lstm = items.map((_, i) => {
    const p = new Float32Array(8).fill(0.01);
    p[0] = Math.exp(-i);
    return p;
  });
  const refs = historyReferences(items, vectors, 3, undefined, lstm);
  assert.deepEqual(refs.vectors, historyReferences(items, vectors, 3).vectors, "the same draws");
  assert.equal(refs.leanings[4], null, "a silent clip has none");
  for (const [i, v] of refs.vectors.entries()) {
    if (!v) continue;
    const historyMean = i - v[0];
    assert.ok(Math.abs(refs.leanings[i]![0] + historyMean) < 1e-5, `clip ${i}`);
  }
  assert.deepEqual(historyReferences(items, vectors, 3).leanings, items.map(() => null));
});

/**
 * A voice member whose only hidden unit reads functional 0: "happy" with probability ~1 when
 * that input is well above 0, uniform when it is 0 or below.
 */
function happyWhenFirstAbove(): tf.LayersModel {
  const net = buildFunctionalsNet({ units: 1, l2: 0, seed: 1, classes: EMOTION_LABELS.length });
  const kernel1 = new Float32Array(FUNCTIONAL_COUNT);
  kernel1[0] = 1;
  const kernel2 = new Float32Array(EMOTION_LABELS.length);
  kernel2[HAPPY] = 100;
  net.setWeights([
    tf.tensor2d(kernel1, [FUNCTIONAL_COUNT, 1]),
    tf.zeros([1]),
    tf.tensor2d(kernel2, [1, EMOTION_LABELS.length]),
    tf.zeros([EMOTION_LABELS.length]),
  ]);
  return net;
}

function voiceConfig(overrides: Partial<FunctionalsConfig> = {}): FunctionalsConfig {
  return functionalsConfigOf({ units: 1, weight: 1, reference: "speaker-mean", ...overrides });
}

async function copyModel(to: string): Promise<void> {
  const from = new URL("../../models/default/", import.meta.url).pathname;
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

Deno.test("classifyRecording subtracts the reference and mixes the voice member only with one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await copyModel(dir);
    const voiceDir = join(dir, VOICE_DIR);
    await Deno.mkdir(voiceDir);
    await happyWhenFirstAbove().save(fileSystemSaveHandler(voiceDir));
    await Deno.writeTextFile(join(voiceDir, "config.json"), JSON.stringify(voiceConfig()));
    const model = await loadEmotionModel(dir);
    assert.ok(model.voice);
    assert.equal(model.functionals, null, "the copy holds no plain member");

    const clip = decodeAudio(await Deno.readFile(new URL("speech_c_f3_16k.wav", AUDIO)));
    const seen: Float32Array[] = [];
    const plain = classifyRecording(model, clip.samples, clip.sampleRateHz, {
      functionalsOut: seen,
    });
    assert.equal(seen.length, 1, "one window's functionals");
    // Reference = the clip's own functionals: input 0 everywhere, a uniform answer (weight 1).
    const own = classifyRecording(model, clip.samples, clip.sampleRateHz, { reference: seen[0] });
    assertAllClose(
      EMOTION_LABELS.map((l) => own.probabilities[l]),
      EMOTION_LABELS.map(() => 1 / 8),
      { atol: 1e-6 },
    );
    // Reference 1 below the clip on functional 0: "happy".
    const below = Float32Array.from(seen[0]);
    below[0] -= 1;
    const happy = classifyRecording(model, clip.samples, clip.sampleRateHz, { reference: below });
    assert.equal(happy.label, "happy");
    assert.ok(happy.confidence > 0.999);
    // Without a reference, the LSTMs alone (no plain member here).
    const lstm = await loadEmotionModel(dir, { functionals: false });
    assert.equal(lstm.voice, null);
    assert.deepEqual(plain, classifyRecording(lstm, clip.samples, clip.sampleRateHz));

    // Half and half with the LSTMs, whose leaning is divided out (lstmReference 1): with the
    // clip's own leaning and reference, both halves are uniform.
    await Deno.writeTextFile(
      join(voiceDir, "config.json"),
      JSON.stringify(voiceConfig({ weight: 0.5, lstmReference: 1 })),
    );
    const mixed = await loadEmotionModel(dir);
    assert.match(mixed.lstm!, /^[0-9a-f]{16}$/);
    const leanings: Float32Array[] = [];
    const asIs = classifyRecording(mixed, clip.samples, clip.sampleRateHz, {
      reference: seen[0],
      leaningOut: leanings,
    });
    assert.equal(leanings.length, 1);
    const lstmProbs = EMOTION_LABELS.map((l) => plain.probabilities[l]);
    assertAllClose(leanings[0], lstmProbs.map((p) => Math.log(p)), { atol: 1e-5 });
    assertAllClose(
      EMOTION_LABELS.map((l) => asIs.probabilities[l]),
      lstmProbs.map((p) => 0.5 * p + 0.5 / 8),
      { atol: 1e-6 },
    );
    const evened = classifyRecording(mixed, clip.samples, clip.sampleRateHz, {
      reference: seen[0],
      leaning: leanings[0],
    });
    assertAllClose(
      EMOTION_LABELS.map((l) => evened.probabilities[l]),
      EMOTION_LABELS.map(() => 1 / 8),
      { atol: 1e-5 },
    );
    // No leaning without a reference, nor with lstmReference 0.
    assert.deepEqual(
      classifyRecording(mixed, clip.samples, clip.sampleRateHz, { leaning: leanings[0] }),
      plain,
    );
    await Deno.writeTextFile(
      join(voiceDir, "config.json"),
      JSON.stringify(voiceConfig({ weight: 0.5, lstmReference: 0 })),
    );
    assert.deepEqual(
      classifyRecording(await loadEmotionModel(dir), clip.samples, clip.sampleRateHz, {
        reference: seen[0],
        leaning: leanings[0],
      }),
      asIs,
    );
    // Mixed by the geometric mean, the uniform half leaves the LSTMs' probabilities' square
    // roots, normalised; with the leaning divided out, still uniform.
    await Deno.writeTextFile(
      join(voiceDir, "config.json"),
      JSON.stringify(voiceConfig({ weight: 0.5, lstmReference: 1, mix: "geometric" })),
    );
    const geometric = await loadEmotionModel(dir);
    const roots = lstmProbs.map((p) => Math.sqrt(p));
    const rootSum = roots.reduce((s, r) => s + r, 0);
    const byProduct = classifyRecording(geometric, clip.samples, clip.sampleRateHz, {
      reference: seen[0],
    });
    assertAllClose(
      EMOTION_LABELS.map((l) => byProduct.probabilities[l]),
      roots.map((r) => r / rootSum),
      { atol: 1e-5 },
    );
    assert.equal(byProduct.label, plain.label);
    assertAllClose(
      EMOTION_LABELS.map((l) =>
        classifyRecording(geometric, clip.samples, clip.sampleRateHz, {
          reference: seen[0],
          leaning: leanings[0],
        }).probabilities[l]
      ),
      EMOTION_LABELS.map(() => 1 / 8),
      { atol: 1e-5 },
    );

    // A voice folder with a member trained on raw functionals is refused.
    await Deno.writeTextFile(
      join(voiceDir, "config.json"),
      JSON.stringify(voiceConfig({ reference: undefined })),
    );
    await assert.rejects(loadEmotionModel(dir), /voice-referenced functionals/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
