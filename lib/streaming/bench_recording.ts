/**
 * Speed figures of live recordings, for `deno task bench`:
 *
 * - `chunkMsP50`, `chunkMsP99`: server cost of one 1 s chunk through `addChunk` (read the
 *   recording from KV, voice activity, running prediction, classification of closed
 *   utterances, one checked commit) on an in-memory store, over a speech-like recording.
 * - `incrementalVsWindowSpeedup`: time to re-run the model on the last 3.9 s of audio after
 *   each chunk (preprocessing, features, tfjs) divided by the time `appendChunk` takes for
 *   the same chunk (median over the chunks).
 */
import { MODEL_SAMPLE_RATE_HZ } from "../audio/constants.ts";
import { speechLikeSignal } from "../audio/synth.ts";
import { Db } from "../db.ts";
import { percentile } from "../loadtest/stats.ts";
import { type EmotionModel, loadEmotionModel, windowInput } from "../model/emotion_model.ts";
import { appendChunk, liveModelOf, newRecording } from "./recording.ts";
import { addChunk, startRecording } from "./sessions.ts";

/** Options of {@link benchRecording}. */
export interface RecordingBenchOptions {
  /** Length of the recording in seconds (one chunk per second); default 60. */
  durationS?: number;
  /** The model; default the shipped one. */
  model?: EmotionModel;
}

/** The figures of {@link benchRecording}, in milliseconds and as a ratio. */
export interface RecordingBenchResult {
  chunkMsP50: number;
  chunkMsP99: number;
  incrementalMsP50: number;
  windowMsP50: number;
  incrementalVsWindowSpeedup: number;
}

/** The window a non-incremental server would re-run after every chunk, in seconds. */
export const WINDOW_S = 3.9;

/** Measures the figures on a deterministic speech-like recording (see the module comment). */
export async function benchRecording(
  options: RecordingBenchOptions = {},
): Promise<RecordingBenchResult> {
  const durationS = options.durationS ?? 60;
  const model = options.model ?? await loadEmotionModel();
  const live = liveModelOf(model);
  const rate = MODEL_SAMPLE_RATE_HZ;
  const signal = speechLikeSignal({ durationS, sampleRateHz: rate, seed: 7 });
  const chunks = Array.from(
    { length: Math.ceil(signal.length / rate) },
    (_, i) => signal.subarray(i * rate, (i + 1) * rate),
  );
  // One warm-up pass compiles the hot paths.
  let warm = newRecording();
  for (const chunk of chunks) warm = appendChunk(live, warm, chunk).recording;

  const db = new Db(await Deno.openKv(":memory:"));
  try {
    const user = await db.createUser("bench", "-");
    const id = await startRecording(db, user.id);
    const chunkMs: number[] = [];
    for (const [seq, chunk] of chunks.entries()) {
      const started = performance.now();
      await addChunk(db, live, user.id, id, seq, chunk);
      chunkMs.push(performance.now() - started);
    }

    const incrementalMs: number[] = [];
    const windowMs: number[] = [];
    let recording = newRecording();
    const window = Math.round(WINDOW_S * rate);
    for (const [i, chunk] of chunks.entries()) {
      let started = performance.now();
      recording = appendChunk(live, recording, chunk).recording;
      incrementalMs.push(performance.now() - started);
      const end = (i + 1) * rate;
      started = performance.now();
      const input = windowInput(model, signal.subarray(Math.max(0, end - window), end));
      if (input) model.classifier.predict([input]);
      windowMs.push(performance.now() - started);
    }
    const round2 = (v: number) => Math.round(v * 100) / 100;
    const incrementalP50 = percentile(incrementalMs, 50);
    const windowP50 = percentile(windowMs, 50);
    return {
      chunkMsP50: round2(percentile(chunkMs, 50)),
      chunkMsP99: round2(percentile(chunkMs, 99)),
      incrementalMsP50: round2(incrementalP50),
      windowMsP50: round2(windowP50),
      incrementalVsWindowSpeedup: round2(windowP50 / incrementalP50),
    };
  } finally {
    db.close();
  }
}
