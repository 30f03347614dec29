/**
 * A live recording advanced chunk by chunk: voice activity cuts the stream into utterances
 * ({@link advanceVad}), every closed utterance is classified by `classifyRecording` (the
 * same path as file classification, so a clip gets the same label live and from
 * `deno task classify`, except on a server shedding load, which classifies without the dense
 * member: {@link AppendOptions.lean}), and the open utterance's running prediction (`current`) comes from
 * the LSTM advanced frame by frame with carried state, so a chunk costs O(its own audio)
 * however long the recording is.
 *
 * The state is plain data (numbers and arrays) and the audio it still needs is a separate
 * `Float32Array` (at most the open utterance, ≤ 6 s, plus a few hops), so both can be stored
 * between chunks (see `lib/db.ts`). Incoming audio is rounded to 16-bit precision, the
 * precision it is stored at, so a recording continued from storage computes exactly what an
 * uninterrupted one does.
 *
 * `current` is an approximation of what the model would say on the utterance so far: the
 * file path preprocesses a whole clip (noise reduction, trimming, peak normalisation, a dB
 * floor 80 dB below the clip's loudest mel value) and needs the clip's end for that. Live,
 * each new 512-sample hop gets one frame from the causal 2048-sample window ending at it,
 * scaled by the running peak of the utterance (to −1 dBFS, as peak normalisation would),
 * with `power_to_db`'s top_db floor taken from the running maximum so far. Segments, which
 * are what an entry keeps, use the exact path.
 */
import {
  HOP_LENGTH,
  mfccCount,
  MODEL_INPUT_SAMPLES,
  MODEL_SAMPLE_RATE_HZ,
  N_FFT,
  N_MELS,
} from "../audio/constants.ts";
import { hannWindow, type MelFilterbank, melFilterbank, mfccFromDb } from "../audio/features.ts";
import { realFftFor } from "../audio/fft.ts";
import { classifyRecording, type EmotionModel, NoSpeechError } from "../model/emotion_model.ts";
import { inputWidth, VOICED_RMS } from "../model/input.ts";
import {
  type ClassifierState,
  type ClassifierStepper,
  createEnsembleStepper,
} from "../model/lstm_stepper.ts";
import { memberWeightsOf } from "../model/stepper_weights.ts";
import type { VoiceSample } from "../model/voice_reference.ts";
import {
  advanceVad,
  flushVad,
  initialVadState,
  type Utterance,
  type VadOptions,
  type VadState,
} from "./vad.ts";

/** The model's reading of some speech: best label, its probability and every label's. */
export interface Prediction {
  label: string;
  confidence: number;
  probabilities: Record<string, number>;
}

/** A closed utterance with its emotion; times in seconds from the start of the recording. */
export interface RecordingSegment extends Prediction {
  startS: number;
  endS: number;
}

/** Carried state of the frame-by-frame prediction of the open utterance. */
export interface LiveState {
  /** Start sample of the utterance this state belongs to. */
  utteranceStart: number;
  /** Stream sample up to which hops have been fed. */
  fedUntil: number;
  /** `(h, c)` of each LSTM layer, as plain arrays. */
  layers: { h: number[]; c: number[] }[];
  frames: number;
  /** Largest absolute sample of the utterance so far (the peak-normalisation reference). */
  peak: number;
  /** Largest mel dB value so far (the top_db reference). */
  maxDb: number;
  /** Running sums over voiced frames, for `normalisation: "utterance"`. */
  voicedCount: number;
  voicedSum: number[];
  voicedSumSq: number[];
}

/** Everything a recording carries between chunks except the audio it still needs. */
export interface RecordingState {
  /** Samples received so far (the stream's length). */
  samplesReceived: number;
  /** Stream position of the first sample of the kept audio. */
  bufferStart: number;
  vad: VadState;
  live: LiveState | null;
  current: Prediction | null;
  /** Segments closed so far. */
  segmentCount: number;
  /** Closed utterances whose classification span has not ended yet, in order. */
  waiting: Utterance[];
  /** End of the last classified span: the next span starts here at the earliest. */
  spanCut: number;
  /**
   * The person's voice reference when the recording started (`voice_reference.ts`), for a model
   * with a voice-referenced member; absent or null: none yet.
   */
  reference?: Float32Array | null;
  /** The person's LSTM leaning when the recording started (`VoiceReference.leaning`), if known. */
  leaning?: Float32Array | null;
  /**
   * Sum and count of the functionals of the windows classified so far with the dense member
   * (lean classification computes none), and the sum of the LSTMs' log-probabilities of the same
   * windows: the entry's voice sample once finished. The arrays are float32 (the functionals'
   * 1.5 KB) to keep the stored row small.
   */
  voice?: { sum: Float32Array; windows: number; leaningSum?: Float32Array } | null;
}

/** What a recording is tuned with: the person's voice reference and LSTM leaning, if known. */
interface VoiceTuning {
  reference: Float32Array | null;
  leaning: Float32Array | null;
}

/** Per classified window: its functionals and the LSTMs' log-probabilities, in order. */
interface VoiceOut {
  functionals: Float32Array[];
  leanings: Float32Array[];
}

/** A recording between chunks: its state and the audio from `state.bufferStart` on. */
export interface Recording {
  state: RecordingState;
  audio: Float32Array;
}

/** What one chunk did. */
export interface ChunkStep {
  recording: Recording;
  /** Utterances closed by this chunk, classified. */
  segments: RecordingSegment[];
  /** Running prediction of the utterance open after the chunk, or null. */
  current: Prediction | null;
  /** Frames fed to the LSTM stepper for this chunk (for cost checks). */
  framesFed: number;
}

/** A model prepared for live use: the stepper, the mel filterbank and the settings. */
export interface LiveModel {
  model: EmotionModel;
  stepper: ClassifierStepper;
  filterbank: MelFilterbank;
  /** MFCCs per frame the model reads (`InputConfig.mfcc`, 13 for the recipe). */
  nMfcc: number;
  vadOptions: VadOptions;
}

/**
 * Voice activity settings of live recordings: a 6 s maximum (two model windows, so an
 * utterance is one clip for `classifyRecording`), and speech counted down to −60 dBFS, since
 * quiet (calm, sad) speech sits below the default −50; the 12 dB margin over the noise
 * floor still keeps steady background out.
 */
export const RECORDING_VAD_OPTIONS: VadOptions = Object.freeze({
  maxUtteranceS: 6,
  minLevelDb: -60,
});

/** Longest span classified as one clip: two model windows (6 s), as `classifyRecording` takes. */
export const SPAN_SAMPLES = 2 * MODEL_INPUT_SAMPLES;
/**
 * Longest a closed utterance may wait for its classification when classification is
 * deferred ({@link AppendOptions.deferClassification}): 5 s of stream after its end.
 */
export const MAX_CLASSIFICATION_DELAY_SAMPLES = 5 * MODEL_SAMPLE_RATE_HZ;
/** Hops the detector reaches back when it opens an utterance (its `onsetHops`). */
const ONSET_HOPS = 3;

const liveModels = new WeakMap<EmotionModel, LiveModel>();

/**
 * How many members of an ensemble the running prediction (`current`) advances: the first
 * one. Each member costs the stepper's whole per-hop work again on every chunk of every live
 * recording, while segments — what an entry keeps — are classified once per utterance by the
 * whole model. The preview is an approximation already (see the module comment); the saved
 * segments get every member's vote.
 */
export const PREVIEW_MEMBERS = 1;

/**
 * Prepares `model` for live recordings (cached per model). Throws a `RangeError` for input
 * configs that need frames from the future (deltas), which a running prediction cannot have,
 * a speaker's statistics (`normalisation: "speaker"`), which a recording does not bring, or
 * pitch columns, which the frame-by-frame features do not compute.
 */
export function liveModelOf(model: EmotionModel): LiveModel {
  let live = liveModels.get(model);
  if (live) return live;
  if (model.config.input.deltas !== 0) {
    throw new RangeError(
      `Expected a model without deltas for live prediction, but got deltas ${model.config.input.deltas}`,
    );
  }
  if (model.config.input.pitch) {
    throw new RangeError(
      "Expected a model without pitch features for live prediction: the running prediction does not compute pitch",
    );
  }
  const { normalisation } = model.config.input;
  if (normalisation !== "none" && normalisation !== "utterance") {
    throw new RangeError(
      `Expected a model normalised "none" or "utterance" for live prediction, but got "${normalisation}"`,
    );
  }
  const stepper = createEnsembleStepper(
    memberWeightsOf(model.classifier.model).slice(0, PREVIEW_MEMBERS),
  );
  if (stepper.inputSize !== inputWidth(model.config.input)) {
    throw new RangeError(
      `Expected a stepper input of ${inputWidth(model.config.input)}, but got ${stepper.inputSize}`,
    );
  }
  live = {
    model,
    stepper,
    filterbank: melFilterbank({ sampleRateHz: MODEL_SAMPLE_RATE_HZ, nFft: N_FFT, nMels: N_MELS }),
    nMfcc: mfccCount(model.config.input),
    vadOptions: RECORDING_VAD_OPTIONS,
  };
  liveModels.set(model, live);
  return live;
}

/**
 * A recording before any audio; `reference` and `leaning`: the person's voice reference and
 * LSTM leaning, if known.
 */
export function newRecording(
  reference: Float32Array | null = null,
  leaning: Float32Array | null = null,
): Recording {
  return {
    state: {
      samplesReceived: 0,
      bufferStart: 0,
      vad: initialVadState(),
      live: null,
      current: null,
      segmentCount: 0,
      waiting: [],
      spanCut: 0,
      reference: reference ?? null,
      leaning: reference ? leaning ?? null : null,
      voice: null,
    },
    audio: new Float32Array(0),
  };
}

/** Rounds samples to 16-bit precision (clipped to ±1), the precision recordings are stored at. */
export function toStoredPrecision(samples: Float32Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    // `|| 0` turns −0 into 0, as an Int16 round trip does.
    out[i] = (Math.round(v * 32767) || 0) / 32767;
  }
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function toPrediction(labels: readonly string[], probs: ArrayLike<number>): Prediction {
  let best = 0;
  for (let i = 1; i < labels.length; i++) if (probs[i] > probs[best]) best = i;
  return {
    label: labels[best],
    confidence: probs[best],
    probabilities: Object.fromEntries(labels.map((l, i) => [l, probs[i]])),
  };
}

/**
 * Where the span of an utterance `u` starts: as far back as the previous span's end allows,
 * within the 6 s that one clip may last.
 */
function spanStartOf(u: Utterance, spanCut: number): number {
  return Math.max(spanCut, u.endSample - SPAN_SAMPLES);
}

/**
 * Classifies waiting utterances whose span end is known. An utterance is classified with
 * the audio around it, as a file is: its span runs from the previous span's end to halfway
 * through the silence before the next utterance (or to the end of the stream), at most 6 s.
 * So a recording of one clip of up to 6 s is classified exactly as the whole file. The span
 * end is known once the next utterance opens, the stream ends (`streamEnd`), or no later
 * utterance could start early enough to cut the span short. Silent spans give no segment.
 */
function classifyWaiting(
  live: LiveModel,
  audio: Float32Array,
  bufferStart: number,
  waiting: readonly Utterance[],
  nextOpenStart: number | null,
  samplesSeen: number,
  spanCut: number,
  streamEnd: number | null,
  lean: boolean,
  tuning: Partial<VoiceTuning>,
  out: VoiceOut,
): { segments: RecordingSegment[]; waiting: Utterance[]; spanCut: number } {
  const model = lean ? leanModelOf(live.model) : live.model;
  // A lean model has no dense member: its classification computes no functionals, which are
  // most of the member's cost, so the entry's voice sample leaves those windows out.
  const keep = model.functionals || model.voice;
  const options = {
    reference: tuning.reference ?? null,
    leaning: tuning.leaning ?? null,
    functionalsOut: keep ? out.functionals : undefined,
    leaningOut: keep ? out.leanings : undefined,
  };
  const segments: RecordingSegment[] = [];
  for (let i = 0; i < waiting.length; i++) {
    const u = waiting[i];
    const start = spanStartOf(u, spanCut);
    const limit = start + SPAN_SAMPLES;
    const nextStart = i + 1 < waiting.length ? waiting[i + 1].startSample : nextOpenStart;
    let cut: number;
    if (nextStart !== null) cut = Math.min(midpoint(u.endSample, nextStart), limit);
    else if (streamEnd !== null) cut = Math.min(streamEnd, limit);
    // A later utterance opens at or after samplesSeen − onset hops; if even that one would
    // cut past the limit, the limit is the end whatever comes.
    else if (midpoint(u.endSample, samplesSeen - ONSET_HOPS * HOP_LENGTH) >= limit) cut = limit;
    else return { segments, waiting: waiting.slice(i), spanCut };
    const samples = audio.subarray(start - bufferStart, cut - bufferStart);
    spanCut = cut;
    try {
      const c = classifyRecording(model, samples, MODEL_SAMPLE_RATE_HZ, options);
      segments.push({
        startS: u.startSample / MODEL_SAMPLE_RATE_HZ,
        endS: u.endSample / MODEL_SAMPLE_RATE_HZ,
        label: c.label,
        confidence: c.confidence,
        probabilities: c.probabilities,
      });
    } catch (err) {
      if (!(err instanceof NoSpeechError)) throw err;
    }
  }
  return { segments, waiting: [], spanCut };
}

function midpoint(a: number, b: number): number {
  return a + Math.floor((b - a) / 2);
}

const melPair = new Float64Array(2 * N_MELS);
const hopBasics = new Float64Array(4);

/**
 * Fills `frame` with the causal 2048-sample window ending at `end` (zeros before the
 * utterance start), peak-normalised with the running peak of `s` (updated by the hop's new
 * samples), and writes the window's RMS and ZCR to `basics[2·lane]` and `basics[2·lane + 1]`.
 */
function prepareHop(
  audio: Float32Array,
  bufferStart: number,
  end: number,
  s: LiveState,
  frame: Float64Array,
  basics: Float64Array,
  lane: number,
): void {
  const first = end - N_FFT;
  for (let i = 0; i < N_FFT; i++) {
    const pos = first + i;
    frame[i] = pos < s.utteranceStart ? 0 : audio[pos - bufferStart];
  }
  for (let i = N_FFT - HOP_LENGTH; i < N_FFT; i++) {
    const a = Math.abs(frame[i]);
    if (a > s.peak) s.peak = a;
  }
  // Peak normalisation to −1 dBFS, with the peak known so far.
  const gain = s.peak > 0 ? 10 ** (-1 / 20) / s.peak : 1;
  let sumSq = 0, crossings = 0;
  let previousNegative = frame[0] * gain < -1e-10;
  for (let i = 0; i < N_FFT; i++) {
    const v = frame[i] * gain;
    sumSq += v * v;
    const negative = v < -1e-10;
    if (negative !== previousNegative) crossings++;
    previousNegative = negative;
    frame[i] = v;
  }
  basics[2 * lane] = Math.sqrt(sumSq / N_FFT);
  basics[2 * lane + 1] = crossings / N_FFT;
}

/**
 * The `[2 + nMfcc]` base features of a hop (15 for the recipe) from its mel power
 * (`mel[offset …]`, overwritten with decibels) and its RMS and ZCR: the dB floor is taken from
 * the running maximum in `s`.
 */
function finishHop(
  mel: Float64Array,
  offset: number,
  rms: number,
  zcr: number,
  nMfcc: number,
  s: LiveState,
): Float64Array {
  const db = mel.subarray(offset, offset + N_MELS);
  for (let m = 0; m < N_MELS; m++) {
    db[m] = 10 * Math.log10(Math.max(1e-10, db[m]));
    if (db[m] > s.maxDb) s.maxDb = db[m];
  }
  const floor = s.maxDb - 80;
  for (let m = 0; m < N_MELS; m++) if (db[m] < floor) db[m] = floor;
  const out = new Float64Array(2 + nMfcc);
  out[0] = rms;
  out[1] = zcr;
  out.set(mfccFromDb(db, 1, N_MELS, nMfcc), 2);
  return out;
}

/** Model input of one frame under the model's input config, updating the running statistics. */
function frameInput(live: LiveModel, features: Float64Array, s: LiveState, out: Float32Array) {
  if (live.model.config.input.normalisation === "none") {
    out.set(features);
    return;
  }
  // "utterance": standardise with the voiced frames seen so far; other frames are the mean (0).
  if (features[0] <= VOICED_RMS) {
    out.fill(0);
    return;
  }
  s.voicedCount++;
  for (let f = 0; f < features.length; f++) {
    s.voicedSum[f] += features[f];
    s.voicedSumSq[f] += features[f] * features[f];
    const mean = s.voicedSum[f] / s.voicedCount;
    const std = Math.sqrt(Math.max(0, s.voicedSumSq[f] / s.voicedCount - mean * mean));
    out[f] = std > 1e-6 ? (features[f] - mean) / std : 0;
  }
}

function freshLive(stepper: ClassifierStepper, utteranceStart: number): LiveState {
  const initial = stepper.initialState();
  return {
    utteranceStart,
    fedUntil: utteranceStart,
    layers: initial.layers.map((l) => ({ h: Array.from(l.h), c: Array.from(l.c) })),
    frames: 0,
    peak: 0,
    maxDb: -Infinity,
    voicedCount: 0,
    voicedSum: new Array(stepper.inputSize).fill(0),
    voicedSumSq: new Array(stepper.inputSize).fill(0),
  };
}

/**
 * Advances the open utterance's prediction over the hops from `s.fedUntil` to `end`: one
 * feature frame per hop, all fed to the stepper in one call.
 */
function advanceLive(
  live: LiveModel,
  audio: Float32Array,
  bufferStart: number,
  s: LiveState,
  end: number,
): { probs: Float32Array; frames: number } {
  const hops = Math.max(0, (end - s.fedUntil) / HOP_LENGTH);
  const width = live.stepper.inputSize;
  const frames = new Float32Array(hops * width);
  const row = new Float32Array(width);
  // Hops go through the FFT two at a time (one per lane of fft.ts's paired transform); each
  // is prepared and finished in stream order, so the running peak and dB maximum are the
  // same as hop by hop.
  const fft = realFftFor(N_FFT);
  const window = hannWindow(N_FFT);
  for (let h = 0; h < hops; h += 2) {
    const lanes = Math.min(2, hops - h);
    for (let lane = 0; lane < lanes; lane++) {
      const hopEnd = s.fedUntil + (h + lane + 1) * HOP_LENGTH;
      prepareHop(audio, bufferStart, hopEnd, s, fft.frame[lane], hopBasics, lane);
    }
    if (lanes === 1) fft.frame[1].fill(0);
    fft.forward(window, 1, false);
    fft.projectPower(live.filterbank, melPair, 0, lanes === 2 ? melPair : null, N_MELS);
    for (let lane = 0; lane < lanes; lane++) {
      const features = finishHop(
        melPair,
        lane * N_MELS,
        hopBasics[2 * lane],
        hopBasics[2 * lane + 1],
        live.nMfcc,
        s,
      );
      frameInput(live, features, s, row);
      frames.set(row, (h + lane) * width);
    }
  }
  const state: ClassifierState = {
    layers: s.layers.map((l) => ({ h: Float32Array.from(l.h), c: Float32Array.from(l.c) })),
    frames: s.frames,
  };
  const probs = live.stepper.advance(frames, state);
  s.layers = state.layers.map((l) => ({ h: Array.from(l.h), c: Array.from(l.c) }));
  s.frames = state.frames;
  s.fedUntil = end;
  return { probs, frames: hops };
}

/** Options of {@link appendChunk}. */
export interface AppendOptions {
  /**
   * Leave closed utterances unclassified for now (a busy server does, to answer running
   * predictions first): they wait in the state, with their audio, and a later chunk or the
   * finish classifies them. An utterance that ended {@link MAX_CLASSIFICATION_DELAY_SAMPLES}
   * or more before the stream's end is classified anyway. Segments are the same either way,
   * since a span's end, once known, does not depend on when it is classified; only the chunk
   * whose answer carries them changes.
   */
  deferClassification?: boolean;
  /**
   * Classify closed utterances without the model's dense member (`functionals_model.ts`): the
   * LSTMs alone, at about a third of the CPU. A server short of CPU does, so that running
   * predictions stay live; see {@link leanModelOf}.
   */
  lean?: boolean;
}

const leanModels = new WeakMap<EmotionModel, EmotionModel>();

/**
 * `model` without its dense members (the same object when it has none): what closed utterances
 * are classified with when the server sheds load ({@link AppendOptions.lean}).
 */
export function leanModelOf(model: EmotionModel): EmotionModel {
  if (!model.functionals && !model.voice) return model;
  let lean = leanModels.get(model);
  if (!lean) {
    lean = { ...model, functionals: null, voice: null };
    leanModels.set(model, lean);
  }
  return lean;
}

/**
 * Appends `chunk` (16 kHz mono, any length) to the recording: whole hops go through voice
 * activity detection, closed utterances are classified (see {@link AppendOptions}), the open
 * one's prediction advances by the new hops, and audio no longer needed is dropped. Pure:
 * `recording` is not changed.
 */
export function appendChunk(
  live: LiveModel,
  recording: Recording,
  chunk: Float32Array,
  options: AppendOptions = {},
): ChunkStep {
  const prev = recording.state;
  const audio = concat(recording.audio, toStoredPrecision(chunk));
  const samplesReceived = prev.samplesReceived + chunk.length;
  const bufferStart = prev.bufferStart;
  const vadFrom = prev.vad.samplesSeen;
  const wholeHops = Math.floor((samplesReceived - vadFrom) / HOP_LENGTH) * HOP_LENGTH;
  const step = advanceVad(
    prev.vad,
    audio.subarray(vadFrom - bufferStart, vadFrom - bufferStart + wholeHops),
    live.vadOptions,
  );
  const waiting = [...prev.waiting, ...step.closed];
  const defer = options.deferClassification === true && waiting.length > 0 &&
    step.state.samplesSeen - waiting[0].endSample < MAX_CLASSIFICATION_DELAY_SAMPLES;
  const out: VoiceOut = { functionals: [], leanings: [] };
  const classified = defer ? { segments: [], waiting, spanCut: prev.spanCut } : classifyWaiting(
    live,
    audio,
    bufferStart,
    waiting,
    step.openStart,
    step.state.samplesSeen,
    prev.spanCut,
    null,
    options.lean === true,
    prev,
    out,
  );
  const segments = classified.segments;

  let liveState: LiveState | null = null;
  let current: Prediction | null = null;
  let framesFed = 0;
  if (step.openStart !== null) {
    liveState = prev.live && prev.live.utteranceStart === step.openStart
      ? structuredClone(prev.live)
      : freshLive(live.stepper, step.openStart);
    const { probs, frames } = advanceLive(
      live,
      audio,
      bufferStart,
      liveState,
      step.state.samplesSeen,
    );
    framesFed = frames;
    current = toPrediction(live.model.config.labels, probs);
  }

  // Keep what a span may still need: from the first waiting utterance's span start, or the
  // earliest start a span of the open (or a future) utterance can have.
  const spanCut = classified.spanCut;
  const keepFrom = Math.max(
    bufferStart,
    classified.waiting.length > 0
      ? spanStartOf(classified.waiting[0], spanCut)
      : step.openStart !== null
      ? Math.min(step.openStart, Math.max(spanCut, step.state.lastSpeechEnd - SPAN_SAMPLES))
      : Math.max(spanCut, step.state.samplesSeen - ONSET_HOPS * HOP_LENGTH - SPAN_SAMPLES),
  );
  const kept = audio.slice(keepFrom - bufferStart);
  return {
    recording: {
      state: {
        samplesReceived,
        bufferStart: keepFrom,
        vad: step.state,
        live: liveState,
        current,
        segmentCount: prev.segmentCount + segments.length,
        waiting: classified.waiting,
        spanCut,
        reference: prev.reference ?? null,
        leaning: prev.leaning ?? null,
        voice: addedVoice(prev.voice, out),
      },
      audio: kept,
    },
    segments,
    current,
    framesFed,
  };
}

/** `voice` with the windows of `out` added (unchanged when there are none). */
function addedVoice(voice: RecordingState["voice"], out: VoiceOut): RecordingState["voice"] {
  const vectors = out.functionals;
  if (vectors.length === 0) return voice ?? null;
  const sum = voice ? Float32Array.from(voice.sum) : new Float32Array(vectors[0].length);
  for (const v of vectors) v.forEach((x, i) => sum[i] += x);
  const windows = (voice?.windows ?? 0) + vectors.length;
  // A row stored before leanings were kept has none for its earlier windows: the sample then
  // keeps no leaning rather than one over part of its windows.
  if (voice && !voice.leaningSum) return { sum, windows };
  const leaningSum = voice?.leaningSum
    ? Float32Array.from(voice.leaningSum)
    : new Float32Array(out.leanings[0].length);
  for (const l of out.leanings) l.forEach((x, i) => leaningSum[i] += x);
  return { sum, windows, leaningSum };
}

/** What finishing a recording gives: the last segments and the entry's voice sample. */
export interface FinishStep {
  segments: RecordingSegment[];
  /** Mean functionals of every window classified with the dense member, or null for none. */
  voice: VoiceSample | null;
}

/**
 * Ends the recording (the person pressed Stop): the open utterance is closed where its
 * speech ended, and it and any waiting ones are classified. Returns their segments.
 */
export function finishRecording(
  live: LiveModel,
  recording: Recording,
  options: Pick<AppendOptions, "lean"> = {},
): RecordingSegment[] {
  return finishRecordingWithVoice(live, recording, options).segments;
}

/**
 * {@link finishRecording}, also giving the recording's voice sample (`voice_reference.ts`): the
 * mean functionals of its windows, kept with the entry for its owner's voice reference.
 */
export function finishRecordingWithVoice(
  live: LiveModel,
  recording: Recording,
  options: Pick<AppendOptions, "lean"> = {},
): FinishStep {
  const { state } = recording;
  const closed = flushVad(state.vad, live.vadOptions);
  const out: VoiceOut = { functionals: [], leanings: [] };
  const { segments } = classifyWaiting(
    live,
    recording.audio,
    state.bufferStart,
    [...state.waiting, ...closed],
    null,
    state.vad.samplesSeen,
    state.spanCut,
    state.samplesReceived,
    options.lean === true,
    state,
    out,
  );
  const voice = addedVoice(state.voice, out);
  const leaningSum = voice?.leaningSum;
  return {
    segments,
    voice: voice
      ? {
        mean: Float32Array.from(voice.sum, (v) => v / voice.windows),
        windows: voice.windows,
        ...(leaningSum && live.model.lstm
          ? {
            leaning: Float32Array.from(leaningSum, (v) => v / voice.windows),
            lstm: live.model.lstm,
          }
          : {}),
      }
      : null,
  };
}

/** The speech time per label over `segments`, as shares of the whole (empty without speech). */
export function labelDistribution(segments: readonly RecordingSegment[]): Record<string, number> {
  const seconds: Record<string, number> = {};
  let total = 0;
  for (const s of segments) {
    const d = s.endS - s.startS;
    seconds[s.label] = (seconds[s.label] ?? 0) + d;
    total += d;
  }
  if (total <= 0) return {};
  return Object.fromEntries(Object.entries(seconds).map(([l, d]) => [l, d / total]));
}

/** The label with the largest share of `distribution`, or null when it is empty. */
export function dominantLabel(distribution: Record<string, number>): string | null {
  let best: string | null = null;
  for (const [label, share] of Object.entries(distribution)) {
    if (best === null || share > distribution[best]) best = label;
  }
  return best;
}
