/**
 * Energy-based voice activity detection that cuts a live 16 kHz stream into utterances.
 *
 * The stream is measured in hops of 512 samples (32 ms, the feature hop). A hop is speech
 * when its RMS level is at least `marginDb` above the noise floor and above `minLevelDb`
 * (dBFS). The noise floor follows the quietest recent hops: it drops at once to a quieter
 * hop and rises by at most `floorRiseDbPerS`, so a steady background is learned while
 * speech does not drag the floor up. An utterance opens after `onsetHops` speech hops in a
 * row (starting at the first of them) and closes after `hangoverHops` non-speech hops in a
 * row (ending after the last speech hop), or when it reaches `maxUtteranceS`. Utterances
 * shorter than `minUtteranceS` are dropped as clicks.
 *
 * The state is a plain object of numbers, so it can be stored between chunks (e.g. in
 * Deno KV) and the result does not depend on how the stream was cut into chunks.
 */
import { HOP_LENGTH, MODEL_SAMPLE_RATE_HZ } from "../audio/constants.ts";

/** Tunable settings; every field has a documented default. */
export interface VadOptions {
  /** How far above the noise floor speech must be; default 12 dB. */
  marginDb?: number;
  /** Hops quieter than this (dBFS) are never speech; default −50. */
  minLevelDb?: number;
  /** Fastest rise of the noise floor; default 1 dB per second. */
  floorRiseDbPerS?: number;
  /** Speech hops in a row that open an utterance; default 3 (96 ms). */
  onsetHops?: number;
  /** Non-speech hops in a row that close it; default 12 (384 ms). */
  hangoverHops?: number;
  /** Longest utterance before it is closed anyway; default 6 s. */
  maxUtteranceS?: number;
  /** Shortest utterance kept; default 0.3 s. */
  minUtteranceS?: number;
}

/** Where a detected utterance lies in the stream, in samples from its start (end exclusive). */
export interface Utterance {
  startSample: number;
  endSample: number;
}

/** Serialisable detector state between chunks. */
export interface VadState {
  /** Samples of the stream consumed so far (whole hops only). */
  samplesSeen: number;
  floorDb: number;
  speechRun: number;
  silenceRun: number;
  /** Start of the open utterance, or −1 when none is open. */
  openStart: number;
  /** End of the last speech hop of the open utterance. */
  lastSpeechEnd: number;
}

/** What one call of {@link advanceVad} found. */
export interface VadStep {
  state: VadState;
  /** Utterances that closed in this chunk, in order. */
  closed: Utterance[];
  /** Start of the utterance still open after this chunk, or null. */
  openStart: number | null;
}

const DEFAULTS: Required<VadOptions> = {
  marginDb: 12,
  minLevelDb: -50,
  floorRiseDbPerS: 1,
  onsetHops: 3,
  hangoverHops: 12,
  maxUtteranceS: 6,
  minUtteranceS: 0.3,
};

/** The state before any audio. */
export function initialVadState(): VadState {
  return {
    samplesSeen: 0,
    floorDb: 0,
    speechRun: 0,
    silenceRun: 0,
    openStart: -1,
    lastSpeechEnd: 0,
  };
}

/** RMS level of `samples[start, start + HOP_LENGTH)` in dBFS (−120 for silence). */
function hopLevelDb(samples: Float32Array, start: number): number {
  let sum = 0;
  for (let i = start; i < start + HOP_LENGTH; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / HOP_LENGTH);
  return rms > 1e-6 ? 20 * Math.log10(rms) : -120;
}

/**
 * Consumes `samples`, which continue the stream at `state.samplesSeen` and hold whole hops
 * (a multiple of {@link HOP_LENGTH}; keep the remainder for the next call). Returns the new
 * state and the utterances closed on the way.
 */
export function advanceVad(
  state: VadState,
  samples: Float32Array,
  options: VadOptions = {},
): VadStep {
  if (samples.length % HOP_LENGTH !== 0) {
    throw new RangeError(
      `Expected a multiple of ${HOP_LENGTH} samples, but got ${samples.length}`,
    );
  }
  const o = { ...DEFAULTS, ...options };
  const hopS = HOP_LENGTH / MODEL_SAMPLE_RATE_HZ;
  const maxSamples = Math.round(o.maxUtteranceS * MODEL_SAMPLE_RATE_HZ);
  const minSamples = Math.round(o.minUtteranceS * MODEL_SAMPLE_RATE_HZ);
  const s = { ...state };
  const closed: Utterance[] = [];
  const close = (end: number) => {
    if (end - s.openStart >= minSamples) closed.push({ startSample: s.openStart, endSample: end });
    s.openStart = -1;
    s.speechRun = 0;
    s.silenceRun = 0;
  };
  for (let offset = 0; offset < samples.length; offset += HOP_LENGTH) {
    const hopStart = s.samplesSeen;
    const hopEnd = hopStart + HOP_LENGTH;
    const level = hopLevelDb(samples, offset);
    s.floorDb = hopStart === 0 ? level : Math.min(level, s.floorDb + o.floorRiseDbPerS * hopS);
    const speech = level >= o.minLevelDb && level >= s.floorDb + o.marginDb;
    if (speech) {
      s.speechRun++;
      s.silenceRun = 0;
      if (s.openStart < 0 && s.speechRun >= o.onsetHops) {
        s.openStart = hopEnd - o.onsetHops * HOP_LENGTH;
      }
      if (s.openStart >= 0) s.lastSpeechEnd = hopEnd;
    } else {
      s.speechRun = 0;
      if (s.openStart >= 0 && ++s.silenceRun >= o.hangoverHops) close(s.lastSpeechEnd);
    }
    // Close before the next hop would make the utterance longer than the maximum.
    if (s.openStart >= 0 && hopEnd + HOP_LENGTH - s.openStart > maxSamples) {
      s.lastSpeechEnd = hopEnd;
      close(hopEnd);
    }
    s.samplesSeen = hopEnd;
  }
  return { state: s, closed, openStart: s.openStart >= 0 ? s.openStart : null };
}

/** Closes the open utterance at the end of the stream (the person pressed Stop). */
export function flushVad(state: VadState, options: VadOptions = {}): Utterance[] {
  if (state.openStart < 0) return [];
  const minSamples = Math.round(
    (options.minUtteranceS ?? DEFAULTS.minUtteranceS) * MODEL_SAMPLE_RATE_HZ,
  );
  const end = state.lastSpeechEnd;
  return end - state.openStart >= minSamples
    ? [{ startSample: state.openStart, endSample: end }]
    : [];
}
