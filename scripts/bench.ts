/**
 * Performance figures of the project, printed as one JSON line (`--json`) or a table.
 *
 * Usage: deno task bench [--json]
 *
 * Each figure is one named measurement function in {@link MEASUREMENTS}; adding a figure means
 * adding a function there. All run single-threaded, so a figure is per core.
 *
 * - `featuresRealtimeFactor`: seconds of audio turned into model features per second of wall
 *   time, for the full path training and live audio take: {@link preprocess} (DC removal,
 *   resampling, noisereduce-style gating, trimming, pad/crop, peak normalisation) and
 *   {@link extractFeatures}, on a 60 s speech-like 16 kHz signal cut into consecutive 3 s
 *   model windows (so every second of the input is processed). Median of 5 timed passes after
 *   one warm-up pass.
 * - `lstmInferMs`, `lstmInferSpeedup`, `lstmTrainBatchSpeedup`: the fused LSTM against
 *   `tf.layers.lstm` on the published model's shape, from one run of `benchLstm`.
 * - `recipeTrainStepMs`, `recipeTrainStepSpeedup`: one training step of the shipped recipe
 *   (batch 32 of 3 s clips, Dropout 0.3 after each fused LSTM, RMSProp) with `buildModel`'s fused
 *   Dropout and RMSProp, and the same step with tfjs's Dropout and RMSProp / with the fused ones
 *   (the same weights; bit-identical results, tested), alternated step by step; medians of 9.
 * - `recipeTrainStepGateSpeedup`: that fused step with the LSTM gate loops in scalar JavaScript /
 *   in the WebAssembly kernels of `lib/model/simd_gates.ts` (bit-identical results, tested),
 *   alternated step by step in the same run; medians of 9.
 * - `chunkMsP50`, `chunkMsP99`, `incrementalVsWindowSpeedup`: live recording on the server
 *   (`lib/streaming/bench_recording.ts`), from one run over a 60 s recording.
 * - `segmentMs`, `segmentNetworkMs`: classifying one closed 3 s utterance with the shipped model
 *   (`classifyRecording`: preprocessing, features, the network), and the network's part of it
 *   (`classifier.predict` on the same window's input), from one run over 20 speech-like 3 s
 *   windows; median of 5 timed passes after a warm-up pass. Every member of an ensemble adds
 *   the network's part again. `segmentDenseMs`: the dense member's part of `segmentMs` (the
 *   window's utterance functionals, `lib/audio/functionals.ts`, and its network), same run.
 * - `stepperSimdSpeedup`: the shipped model's network on those windows through the stepper's
 *   scalar loop / through its WebAssembly SIMD kernel (`lib/model/simd_lstm.ts`), the two
 *   alternated in one run; medians of 7 timed passes each.
 * - `segmentTtaMs`, `segmentTtaCostRatio`: the same closed utterances classified with test-time
 *   augmentation (`lib/model/tta.ts`, all 6 copies), and that time / the time without, the two
 *   alternated in one run over 8 of the windows; medians of 3 timed passes each.
 * - `segmentTta3CostRatio`: that ratio with 3 copies, from a run of its own.
 * - `ttaCopiesSpeedup`: the six copies of those windows made as training makes them
 *   (`augmentClip`: the float64 resampler, noise drawn anew) / as test-time augmentation makes
 *   them (`ttaCopiesOf`: the SIMD resampler, each copy's noise kept), alternated in one run over
 *   8 windows; medians of 5 timed passes each.
 * - `historyRenderMs`: one `GET /history?range=365` through the whole app in-process (session,
 *   day-index read, aggregation in Europe/Berlin, three SVG charts with tables, twind CSS) for
 *   a user with 1 000 entries spread over the last 365 days in an in-memory KV. Median of 15
 *   requests after 3 warm-up requests.
 */

import {
  extractFeatures,
  MODEL_INPUT_SAMPLES,
  MODEL_SAMPLE_RATE_HZ,
  preprocess,
  speechLikeSignal,
} from "../lib/audio/mod.ts";
import { MODEL_INPUT_FRAMES } from "../lib/audio/constants.ts";
import * as tf from "@tensorflow/tfjs";
import { benchLstm, type LstmBenchResult } from "../lib/model/bench_lstm.ts";
import { utteranceFunctionals } from "../lib/audio/functionals.ts";
import { predictFunctionals } from "../lib/model/functionals_model.ts";
import { buildModel, type ModelSpec } from "../lib/model/architectures.ts";
import { FusedDropout } from "../lib/model/fused_dropout.ts";
import { setSimdGates } from "../lib/model/lstm_kernels.ts";
import { benchRecording, type RecordingBenchResult } from "../lib/streaming/bench_recording.ts";
import {
  classifyRecording,
  type EmotionModel,
  loadEmotionModel,
  windowInput,
} from "../lib/model/emotion_model.ts";
import { MAX_TTA_COPIES, TTA_SPECS, ttaCopiesOf } from "../lib/model/tta.ts";
import { augmentClip } from "../lib/train/augment.ts";
import { createEnsembleStepper } from "../lib/model/lstm_stepper.ts";
import { memberWeightsOf } from "../lib/model/stepper_weights.ts";
import { createApp } from "../app.ts";
import { testConfig } from "../lib/config.ts";
import { Db, type NewEntry } from "../lib/db.ts";
import { EMOTION_LABELS } from "../lib/data/labels.ts";

/** One figure: its value, unit and what was measured. */
export interface Measurement {
  value: number;
  unit: string;
  description: string;
}

/** Options of {@link measureFeaturesRealtimeFactor}. */
export interface FeaturesBenchOptions {
  /** Length of the test signal in seconds; default 60. */
  durationS?: number;
  /** Timed passes (the median is reported); default 5. */
  repeats?: number;
}

/**
 * Runs `first` and `second` once each to warm up, then alternately `repeats` times, so both see
 * the same machine; returns the medians of what each returned.
 */
async function alternatedMedians(
  first: () => number | Promise<number>,
  second: () => number | Promise<number>,
  repeats: number,
): Promise<[number, number]> {
  await first();
  await second();
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < repeats; i++) {
    a.push(await first());
    b.push(await second());
  }
  return [median(a), median(b)];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Measures `featuresRealtimeFactor` (see the module comment). */
export function measureFeaturesRealtimeFactor(options: FeaturesBenchOptions = {}): Measurement {
  const durationS = options.durationS ?? 60;
  const repeats = options.repeats ?? 5;
  const signal = speechLikeSignal({ durationS, sampleRateHz: MODEL_SAMPLE_RATE_HZ, seed: 1 });
  let checksum = 0;
  const pass = () => {
    for (let start = 0; start < signal.length; start += MODEL_INPUT_SAMPLES) {
      const window = signal.subarray(start, start + MODEL_INPUT_SAMPLES);
      const { data } = extractFeatures(preprocess(window, MODEL_SAMPLE_RATE_HZ));
      checksum += data[2]; // keeps the work observable
    }
  };
  pass();
  const seconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    pass();
    seconds.push((performance.now() - started) / 1000);
  }
  if (!Number.isFinite(checksum)) throw new Error("features were not finite");
  const audioSeconds = signal.length / MODEL_SAMPLE_RATE_HZ;
  return {
    value: Math.round((audioSeconds / median(seconds)) * 10) / 10,
    unit: "s audio / s",
    description: `preprocess + features, ${audioSeconds} s speech-like 16 kHz in 3 s windows`,
  };
}

/** Options of {@link measureHistoryRenderMs}. */
export interface HistoryBenchOptions {
  /** Entries of the user, spread over the last 365 days; default 1000. */
  entries?: number;
  /** Timed requests (the median is reported); default 15. */
  repeats?: number;
}

/** A varied but reproducible entry `i` of `n`, on day `⌊365 i / n⌋` before `nowMs`. */
function benchEntry(i: number, n: number, nowMs: number): NewEntry {
  const labels = [0, 1, 2].map((k) => EMOTION_LABELS[(i * 3 + k * 5 + (i >> 3)) % 8]);
  const weights = [0.6, 0.3, 0.1];
  const distribution: Record<string, number> = {};
  labels.forEach((label, k) => distribution[label] = (distribution[label] ?? 0) + weights[k]);
  const segments = labels.map((label, k) => ({
    startS: k * 10,
    endS: k * 10 + 10 * weights[k] * 3,
    label,
    confidence: 0.7,
    probabilities: { [label]: 0.7, neutral: 0.3 },
  }));
  const daysAgo = Math.floor((i * 365) / n);
  return {
    startedAt: new Date(nowMs - daysAgo * 24 * 3600_000 - (i % 3) * 60_000).toISOString(),
    durationS: 20 + (i % 40),
    dominant: labels[0],
    distribution,
    segments,
    mood: i % 3 === 0 ? null : 1 + (i % 5),
    energy: i % 4 === 0 ? null : 1 + ((i * 7) % 5),
  };
}

/** Measures `historyRenderMs` (see the module comment). */
export async function measureHistoryRenderMs(
  options: HistoryBenchOptions = {},
): Promise<Measurement> {
  const count = options.entries ?? 1000;
  const repeats = options.repeats ?? 15;
  const db = new Db(await Deno.openKv(":memory:"));
  try {
    const app = createApp({ db, config: testConfig() });
    const env = { remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 40000 } };
    const signUp = await app.request("http://localhost/signup", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "bench.user", password: "correct horse battery" })
        .toString(),
      redirect: "manual",
    }, env);
    await signUp.body?.cancel();
    const cookie = signUp.headers.getSetCookie().find((c) => c.startsWith("moodline_session="))
      ?.split(";")[0];
    const user = await db.getUserByUsername("bench.user");
    if (signUp.status !== 303 || !cookie || !user) {
      throw new Error(`Expected the bench sign-up to succeed, but got status ${signUp.status}`);
    }
    await db.updateUser(user.id, (u) => ({ ...u, timeZone: "Europe/Berlin" }));
    const nowMs = db.nowMs();
    for (let i = 0; i < count; i++) await db.createEntry(user.id, benchEntry(i, count, nowMs));
    let bytes = 0, shown = 0;
    const once = async () => {
      const res = await app.request("http://localhost/history?range=365", {
        headers: { cookie },
      }, env);
      const html = await res.text();
      shown = Number(/(\d+) entries from/.exec(html)?.[1] ?? 0);
      // Entries of the oldest day may fall before its local midnight, hence not all of them.
      if (res.status !== 200 || shown < count * 0.99) {
        throw new Error(
          `Expected a history of about ${count} entries, but got status ${res.status} and ${shown}`,
        );
      }
      bytes = html.length;
    };
    for (let i = 0; i < 3; i++) await once();
    const ms: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      await once();
      ms.push(performance.now() - started);
    }
    return {
      value: round2(median(ms)),
      unit: "ms",
      description: `GET /history?range=365, ${shown} entries over 365 days, ${
        Math.round(bytes / 1024)
      } KiB of HTML`,
    };
  } finally {
    db.close();
  }
}

/** Options of {@link measureSegmentCost}. */
export interface SegmentBenchOptions {
  /** Speech-like 3 s windows classified per pass; default 20. */
  windows?: number;
  /** Timed passes (the median is reported); default 5. */
  repeats?: number;
}

/**
 * The shipped model and `count` speech-like 3 s windows of the segment figures: the audio and
 * the model's input for each. Throws when a window comes out silent.
 */
async function speechWindows(count: number) {
  const model = await loadEmotionModel();
  const clips = Array.from(
    { length: count },
    (_, i) => speechLikeSignal({ durationS: 3, sampleRateHz: MODEL_SAMPLE_RATE_HZ, seed: 10 + i }),
  );
  const inputs = clips.map((clip) => {
    const input = windowInput(model, clip);
    if (input === null) throw new Error("a bench window was silent");
    return input;
  });
  return { model, clips, inputs };
}

/** Median ms per window of `segmentMs` and `segmentNetworkMs` (see the module comment). */
export async function measureSegmentCost(
  options: SegmentBenchOptions = {},
): Promise<{ segmentMs: number; networkMs: number; denseMs: number }> {
  const windows = options.windows ?? 20;
  const repeats = options.repeats ?? 5;
  const { model, clips, inputs } = await speechWindows(windows);
  let checksum = 0;
  const timed = (pass: () => void): number => {
    pass();
    const ms: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      pass();
      ms.push((performance.now() - started) / windows);
    }
    return median(ms);
  };
  const segmentMs = timed(() => {
    for (const clip of clips) {
      checksum += classifyRecording(model, clip, MODEL_SAMPLE_RATE_HZ).confidence;
    }
  });
  const networkMs = timed(() => {
    for (const x of inputs) checksum += model.classifier.predict([x])[0][0];
  });
  const dense = model.functionals;
  if (!dense) throw new Error("the shipped model has no dense member");
  const denseMs = timed(() => {
    for (const clip of clips) {
      checksum += predictFunctionals(dense.model, [utteranceFunctionals(clip)!])[0][0];
    }
  });
  if (!Number.isFinite(checksum)) throw new Error("classification was not finite");
  return { segmentMs, networkMs, denseMs };
}

/**
 * Milliseconds per 3 s window of the shipped model's network through the stepper's scalar loop
 * and through its SIMD kernel, alternated pass by pass (medians of `repeats` passes).
 */
export async function measureStepperSimd(
  options: SegmentBenchOptions = {},
): Promise<{ scalarMs: number; simdMs: number }> {
  const windows = options.windows ?? 20;
  const repeats = options.repeats ?? 7;
  const { model, inputs } = await speechWindows(windows);
  const members = memberWeightsOf(model.classifier.model);
  const scalar = createEnsembleStepper(members, { simd: false });
  const simd = createEnsembleStepper(members);
  let checksum = 0;
  const pass = (stepper: typeof simd): number => {
    const started = performance.now();
    for (const x of inputs) checksum += stepper.advance(x, stepper.initialState())[0];
    return (performance.now() - started) / windows;
  };
  const [scalarMs, simdMs] = await alternatedMedians(() => pass(scalar), () => pass(simd), repeats);
  if (!Number.isFinite(checksum)) throw new Error("classification was not finite");
  return { scalarMs, simdMs };
}

/** Options of {@link measureTtaCost}. */
export interface TtaBenchOptions extends SegmentBenchOptions {
  /** Test-time augmentation copies; default all ({@link MAX_TTA_COPIES}). */
  copies?: number;
}

/**
 * Milliseconds per 3 s window of `classifyRecording` with `copies` test-time augmentation copies
 * and without, alternated pass by pass (medians of `repeats` passes).
 */
export async function measureTtaCost(
  options: TtaBenchOptions = {},
): Promise<{ plainMs: number; ttaMs: number }> {
  const windows = options.windows ?? 8;
  const repeats = options.repeats ?? 3;
  const { model, clips } = await speechWindows(windows);
  const tta = { ...model, ttaCopies: options.copies ?? MAX_TTA_COPIES };
  let checksum = 0;
  const pass = (m: EmotionModel): number => {
    const started = performance.now();
    for (const clip of clips) {
      checksum += classifyRecording(m, clip, MODEL_SAMPLE_RATE_HZ).confidence;
    }
    return (performance.now() - started) / windows;
  };
  const [plainMs, ttaMs] = await alternatedMedians(() => pass(model), () => pass(tta), repeats);
  if (!Number.isFinite(checksum)) throw new Error("classification was not finite");
  return { plainMs, ttaMs };
}

/**
 * Milliseconds per 3 s window to make all test-time augmentation copies as training makes its
 * copies and as `ttaCopiesOf` makes them, alternated pass by pass (medians of `repeats` passes).
 */
export async function measureTtaCopies(
  options: SegmentBenchOptions = {},
): Promise<{ trainingMs: number; ttaMs: number }> {
  const windows = options.windows ?? 8;
  const repeats = options.repeats ?? 5;
  const { clips } = await speechWindows(windows);
  let checksum = 0;
  const pass = (make: (clip: Float32Array) => Float32Array[]): number => {
    const started = performance.now();
    for (const clip of clips) for (const copy of make(clip)) checksum += copy[copy.length >> 1];
    return (performance.now() - started) / windows;
  };
  const training = (clip: Float32Array) => TTA_SPECS.map((spec) => augmentClip(clip, spec));
  const tta = (clip: Float32Array) => ttaCopiesOf(clip, MAX_TTA_COPIES);
  const [trainingMs, ttaMs] = await alternatedMedians(
    () => pass(training),
    () => pass(tta),
    repeats,
  );
  if (!Number.isFinite(checksum)) throw new Error("copies were not finite");
  return { trainingMs, ttaMs };
}

/** Options of {@link measureRecipeTrainStep}. */
export interface TrainStepBenchOptions {
  /** Timed steps of each model (medians are reported); default 9. */
  repeats?: number;
  /** Frames per clip; default the shipped model's 94 (3 s). */
  frames?: number;
}

/**
 * Milliseconds per training step (`trainOnBatch`, a batch of 32 clips) of the shipped recipe —
 * LSTM(64) → Dropout(0.3) → LSTM(64) → Dropout(0.3) → Dense(8), RMSProp, both LSTMs fused —
 * with tfjs's Dropout and RMSProp and with `buildModel`'s fused ones (`fused_dropout.ts`,
 * `fused_rmsprop.ts`), the same weights and batch, alternated step by step.
 */
export async function measureRecipeTrainStep(
  options: TrainStepBenchOptions = {},
): Promise<{ tfjsMs: number; fusedMs: number; scalarGatesMs: number; simdGatesMs: number }> {
  const repeats = options.repeats ?? 9;
  const frames = options.frames ?? MODEL_INPUT_FRAMES;
  const spec: ModelSpec = {
    architecture: "lstm",
    frames,
    width: 15,
    classes: EMOTION_LABELS.length,
    seed: 3,
    dropout: 0.3,
  };
  const fused = buildModel(spec);
  // The same network (its layers, so its weights) with tfjs's own Dropout layers and optimizer
  // in place of the fused ones.
  const input = tf.input({ shape: [frames, spec.width] });
  let x = input;
  for (const layer of fused.layers.slice(1)) {
    x = (layer instanceof FusedDropout
      ? tf.layers.dropout({ rate: spec.dropout!, seed: layer.maskSeed })
      : layer).apply(x) as tf.SymbolicTensor;
  }
  const reference = tf.model({ inputs: input, outputs: x });
  reference.compile({ optimizer: tf.train.rmsprop(0.001), loss: "categoricalCrossentropy" });
  const batch = tf.randomNormal([32, frames, spec.width], 0, 1, "float32", 1);
  const labels = tf.oneHot(
    tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % spec.classes), "int32"),
    spec.classes,
  );
  let checksum = 0;
  const step = async (model: tf.LayersModel): Promise<number> => {
    const started = performance.now();
    const result = await model.trainOnBatch(batch, labels);
    checksum += Array.isArray(result) ? result[0] : result;
    return performance.now() - started;
  };
  const previousGates = setSimdGates(true);
  try {
    const [tfjsMs, fusedMs] = await alternatedMedians(
      () => step(reference),
      () => step(fused),
      repeats,
    );
    const withGates = (simd: boolean) => () => {
      setSimdGates(simd);
      return step(fused);
    };
    const [scalarGatesMs, simdGatesMs] = await alternatedMedians(
      withGates(false),
      withGates(true),
      repeats,
    );
    if (!Number.isFinite(checksum)) throw new Error("training loss was not finite");
    return { tfjsMs, fusedMs, scalarGatesMs, simdGatesMs };
  } finally {
    setSimdGates(previousGates);
    tf.dispose([batch, labels]);
    fused.dispose();
    reference.optimizer.dispose();
  }
}

let ttaRun: Promise<{ plainMs: number; ttaMs: number }> | null = null;
/** One run of {@link measureTtaCost} shared by the test-time augmentation figures. */
function ttaFigures(): Promise<{ plainMs: number; ttaMs: number }> {
  return ttaRun ??= measureTtaCost();
}

/** Copies of the cheaper test-time augmentation setting the README recommends. */
const FEWER_TTA_COPIES = 3;

let segmentRun: Promise<{ segmentMs: number; networkMs: number; denseMs: number }> | null = null;
/** One run of {@link measureSegmentCost} shared by the segment figures. */
function segmentFigures(): Promise<{ segmentMs: number; networkMs: number; denseMs: number }> {
  return segmentRun ??= measureSegmentCost();
}

let lstmRun: Promise<LstmBenchResult> | null = null;
/** One run of {@link benchLstm} shared by the LSTM figures, so their ratios come from it. */
function lstmFigures(): Promise<LstmBenchResult> {
  return lstmRun ??= benchLstm();
}

let trainStepRun: ReturnType<typeof measureRecipeTrainStep> | null = null;
/** One run of {@link measureRecipeTrainStep} shared by the training-step figures. */
function trainStepFigures(): ReturnType<typeof measureRecipeTrainStep> {
  return trainStepRun ??= measureRecipeTrainStep();
}

let recordingRun: Promise<RecordingBenchResult> | null = null;
/** One run of {@link benchRecording} shared by the live-recording figures. */
function recordingFigures(): Promise<RecordingBenchResult> {
  return recordingRun ??= benchRecording();
}

const LSTM_SHAPE = "LSTM(64)→LSTM(64)→Dense(8), 339 frames × 15 features";

/** Every figure the bench reports, by its key in the JSON line. */
export const MEASUREMENTS: Record<string, () => Measurement | Promise<Measurement>> = {
  featuresRealtimeFactor: () => measureFeaturesRealtimeFactor(),
  lstmInferMs: async () => ({
    value: round2((await lstmFigures()).fusedInferMs),
    unit: "ms",
    description: `one clip through the fused ${LSTM_SHAPE}`,
  }),
  lstmInferSpeedup: async () => {
    const r = await lstmFigures();
    return {
      value: round2(r.tfjsInferMs / r.fusedInferMs),
      unit: "×",
      description: `tf.layers.lstm time / fused time, one clip, same weights, same run`,
    };
  },
  lstmTrainBatchSpeedup: async () => {
    const r = await lstmFigures();
    return {
      value: round2(r.tfjsTrainBatchMs / r.fusedTrainBatchMs),
      unit: "×",
      description: `tf.layers.lstm time / fused time, one RMSProp step on 23 clips, same run`,
    };
  },
  recipeTrainStepMs: async () => ({
    value: round2((await trainStepFigures()).fusedMs),
    unit: "ms",
    description: "one training step of the shipped recipe (batch 32, 3 s clips, dropout 0.3)",
  }),
  recipeTrainStepSpeedup: async () => {
    const { tfjsMs, fusedMs } = await trainStepFigures();
    return {
      value: round2(tfjsMs / fusedMs),
      unit: "×",
      description: "that step with tfjs's Dropout and RMSProp / with the fused ones, same run",
    };
  },
  recipeTrainStepGateSpeedup: async () => {
    const { scalarGatesMs, simdGatesMs } = await trainStepFigures();
    return {
      value: round2(scalarGatesMs / simdGatesMs),
      unit: "×",
      description: "the fused step with scalar LSTM gate loops / with the SIMD ones, same run",
    };
  },
  chunkMsP50: async () => ({
    value: round2((await recordingFigures()).chunkMsP50),
    unit: "ms",
    description: "server cost of one 1 s chunk (processing + KV), median over a 60 s recording",
  }),
  chunkMsP99: async () => ({
    value: round2((await recordingFigures()).chunkMsP99),
    unit: "ms",
    description: "the same, 99th percentile (chunks that close an utterance)",
  }),
  incrementalVsWindowSpeedup: async () => ({
    value: round2((await recordingFigures()).incrementalVsWindowSpeedup),
    unit: "×",
    description: "re-running a 3.9 s window per chunk / the incremental running prediction",
  }),
  segmentMs: async () => ({
    value: round2((await segmentFigures()).segmentMs),
    unit: "ms",
    description: "classifying a closed 3 s utterance with the shipped model, whole path",
  }),
  segmentNetworkMs: async () => ({
    value: round2((await segmentFigures()).networkMs),
    unit: "ms",
    description: "the network's part of it; each ensemble member adds this again",
  }),
  segmentDenseMs: async () => ({
    value: round2((await segmentFigures()).denseMs),
    unit: "ms",
    description: "the dense member's part of it: the utterance functionals and its network",
  }),
  stepperSimdSpeedup: async () => {
    const { scalarMs, simdMs } = await measureStepperSimd();
    return {
      value: round2(scalarMs / simdMs),
      unit: "×",
      description: "the shipped network on a 3 s window: stepper scalar loop / SIMD kernel",
    };
  },
  segmentTtaMs: async () => ({
    value: round2((await ttaFigures()).ttaMs),
    unit: "ms",
    description: `the same with test-time augmentation, ${MAX_TTA_COPIES} copies (TTA_COPIES)`,
  }),
  segmentTtaCostRatio: async () => {
    const { plainMs, ttaMs } = await ttaFigures();
    return {
      value: round2(ttaMs / plainMs),
      unit: "×",
      description: "that time / the time without copies, on the same windows in one run",
    };
  },
  segmentTta3CostRatio: async () => {
    const { plainMs, ttaMs } = await measureTtaCost({ copies: FEWER_TTA_COPIES });
    return {
      value: round2(ttaMs / plainMs),
      unit: "×",
      description:
        `the same ratio with ${FEWER_TTA_COPIES} copies (TTA_COPIES=${FEWER_TTA_COPIES})`,
    };
  },
  ttaCopiesSpeedup: async () => {
    const { trainingMs, ttaMs } = await measureTtaCopies();
    return {
      value: round2(trainingMs / ttaMs),
      unit: "×",
      description: `${MAX_TTA_COPIES} copies of a 3 s window: as training makes them / as TTA does`,
    };
  },
  historyRenderMs: () => measureHistoryRenderMs(),
};

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Runs the named measurements (default: all) in order. */
export async function runMeasurements(
  names: string[] = Object.keys(MEASUREMENTS),
): Promise<Record<string, Measurement>> {
  const results: Record<string, Measurement> = {};
  for (const name of names) {
    const measure = MEASUREMENTS[name];
    if (!measure) throw new RangeError(`Expected one of ${Object.keys(MEASUREMENTS)}, got ${name}`);
    results[name] = await measure();
  }
  return results;
}

/** The table printed without `--json`. */
export function formatTable(results: Record<string, Measurement>): string {
  const rows = Object.entries(results).map(([name, m]) => [
    name,
    String(m.value),
    m.unit,
    m.description,
  ]);
  const header = ["figure", "value", "unit", "what"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

if (import.meta.main) {
  const json = Deno.args.includes("--json");
  const unknown = Deno.args.filter((a) => a !== "--json");
  if (unknown.length > 0) {
    console.error("usage: deno task bench [--json]");
    Deno.exit(2);
  }
  const results = await runMeasurements();
  if (json) {
    const line = Object.fromEntries(Object.entries(results).map(([k, m]) => [k, m.value]));
    console.log(JSON.stringify(line));
  } else {
    console.log(formatTable(results));
  }
}
