/**
 * Speech the simulated recorders send: a loop of real recordings, so voice activity
 * detection and the classifier do the work they do for people. Taken, in order of
 * preference, from the RAVDESS WAVs unpacked by `../shared/data/unpack` (`$SER_DATA_DIR` or
 * `~/.cache/ser-data`), the spoken espeak fixtures in `../shared/fixtures/golden/audio`, or,
 * when neither is there, the synthetic speech-like signal of `lib/audio/synth.ts`.
 */
import { MODEL_SAMPLE_RATE_HZ } from "../audio/constants.ts";
import { resample } from "../audio/resample.ts";
import { speechLikeSignal } from "../audio/synth.ts";
import { decodeAudio } from "../audio/wav.ts";
import { unpackedDataDir } from "../data/corpora.ts";
import { seededRandom, shuffled } from "../train/rng.ts";

/** Where the speech came from. */
export type SpeechKind = "ravdess" | "espeak" | "synthetic";

/** A loop of speech at 16 kHz and where each clip in it lies. */
export interface SpeechLoop {
  kind: SpeechKind;
  /** Human-readable origin (folder and clip count). */
  description: string;
  samples: Float32Array;
  /** Clips as `[start, end)` sample ranges of `samples`, in order, touching end to end. */
  clips: { start: number; end: number }[];
}

/** Clips taken from RAVDESS (about 3.7 s each, so the loop lasts about three minutes). */
export const RAVDESS_CLIPS = 48;

const GOLDEN_AUDIO = new URL("../../../shared/fixtures/golden/audio/", import.meta.url);

async function listWavs(dir: string): Promise<string[]> {
  const files: string[] = [];
  let actors: Deno.DirEntry[];
  try {
    actors = await Array.fromAsync(Deno.readDir(dir));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      return [];
    }
    throw err;
  }
  for (const actor of actors) {
    if (!actor.isDirectory) continue;
    for await (const file of Deno.readDir(`${dir}/${actor.name}`)) {
      if (file.isFile && file.name.endsWith(".wav")) {
        files.push(`${dir}/${actor.name}/${file.name}`);
      }
    }
  }
  return files.sort();
}

async function readClip(path: string | URL): Promise<Float32Array> {
  const { samples, sampleRateHz } = decodeAudio(await Deno.readFile(path));
  return resample(samples, sampleRateHz, MODEL_SAMPLE_RATE_HZ);
}

function joined(kind: SpeechKind, description: string, clips: Float32Array[]): SpeechLoop {
  const total = clips.reduce((n, c) => n + c.length, 0);
  const samples = new Float32Array(total);
  const ranges: { start: number; end: number }[] = [];
  let at = 0;
  for (const clip of clips) {
    samples.set(clip, at);
    ranges.push({ start: at, end: at + clip.length });
    at += clip.length;
  }
  return { kind, description, samples, clips: ranges };
}

/** Loads the speech loop (see the module comment); `seed` picks the RAVDESS clips. */
export async function loadSpeechLoop(seed: number): Promise<SpeechLoop> {
  const root = unpackedDataDir();
  const wavs = await listWavs(`${root}/ravdess`);
  if (wavs.length > 0) {
    const picked = shuffled(wavs, seededRandom(seed)).slice(0, RAVDESS_CLIPS);
    const clips = [];
    for (const path of picked) clips.push(await readClip(path));
    return joined("ravdess", `${clips.length} RAVDESS clips from ${root}/ravdess`, clips);
  }
  try {
    const names = ["speech_a_16k.wav", "speech_b_16k.wav", "speech_c_f3_16k.wav"];
    const clips = [];
    for (const name of names) {
      const speech = await readClip(new URL(name, GOLDEN_AUDIO));
      // A second of silence after each clip, so every clip is an utterance of its own.
      const padded = new Float32Array(speech.length + MODEL_SAMPLE_RATE_HZ);
      padded.set(speech);
      clips.push(padded);
    }
    return joined("espeak", `${names.length} espeak clips from ${GOLDEN_AUDIO.pathname}`, clips);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const signal = speechLikeSignal({ durationS: 60, sampleRateHz: MODEL_SAMPLE_RATE_HZ, seed });
  return joined("synthetic", "60 s synthetic speech-like signal (lib/audio/synth.ts)", [signal]);
}

/**
 * The `seconds` one-second chunks a recorder sends when it starts `offset` samples into the
 * loop (wrapping around), and the clips that lie wholly inside them, in stream samples.
 */
export function recorderAudio(
  loop: SpeechLoop,
  offset: number,
  seconds: number,
): { chunk(seq: number): Float32Array; clips: { start: number; end: number }[] } {
  const rate = MODEL_SAMPLE_RATE_HZ;
  const length = loop.samples.length;
  const total = seconds * rate;
  const clips: { start: number; end: number }[] = [];
  // Walk the clips from the offset on, laps of the loop after one another.
  for (let lap = 0; lap * length < total + length; lap++) {
    for (const c of loop.clips) {
      const start = lap * length + c.start - offset;
      const end = lap * length + c.end - offset;
      if (start >= 0 && end <= total) clips.push({ start, end });
    }
  }
  return {
    clips,
    chunk(seq: number): Float32Array {
      const out = new Float32Array(rate);
      for (let i = 0; i < rate; i++) out[i] = loop.samples[(offset + seq * rate + i) % length];
      return out;
    },
  };
}
