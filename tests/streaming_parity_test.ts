/**
 * Streaming parity: a clip sent in 1 s chunks at 16 kHz (as the recorder sends it)
 * ends as an entry whose dominant label is the label `classifyRecording` gives the whole file
 * (what `deno task classify` prints), for at least 95 % of clips. The clips are the espeak
 * speech fixtures and every RAVDESS recording of actors 17–20 (the published fold's test
 * actors), decoded with the `flac` program.
 */
import assert from "node:assert/strict";
import { decodeAudio } from "../lib/audio/wav.ts";
import { resample } from "../lib/audio/resample.ts";
import { classifyRecording, loadEmotionModel } from "../lib/model/emotion_model.ts";
import {
  appendChunk,
  dominantLabel,
  finishRecording,
  labelDistribution,
  liveModelOf,
  newRecording,
  type RecordingSegment,
} from "../lib/streaming/recording.ts";
import { flacToWav } from "./_speech.ts";

const RATE = 16000;
const SHARED = new URL("../../shared/", import.meta.url);
const GOLDEN_SPEECH = [
  "speech_a_16k.wav",
  "speech_a_noisy10db_16k.wav",
  "speech_a_padded_16k.wav",
  "speech_b_16k.wav",
  "speech_b_22050.wav",
  "speech_c_48k_stereo.wav",
  "speech_c_f3_16k.wav",
];
const TEST_ACTORS = [17, 18, 19, 20];

async function ravdessClips(): Promise<string[]> {
  const paths: string[] = [];
  for (const actor of TEST_ACTORS) {
    const dir = new URL(`data/ravdess/Actor_${actor}/`, SHARED);
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".flac")) names.push(e.name);
    names.sort();
    assert.ok(names.length > 0, `no RAVDESS clips in ${dir.pathname}`);
    paths.push(...names.map((n) => dir.pathname + n));
  }
  return paths;
}

Deno.test("streaming 1 s chunks gives the whole-file label for ≥ 95 % of held-out clips", async () => {
  const model = await loadEmotionModel();
  const live = liveModelOf(model);
  const clips: { name: string; bytes: Uint8Array }[] = [];
  for (const name of GOLDEN_SPEECH) {
    clips.push({
      name,
      bytes: await Deno.readFile(new URL(`fixtures/golden/audio/${name}`, SHARED)),
    });
  }
  for (const path of await ravdessClips()) {
    clips.push({ name: path.split("/").pop()!, bytes: await flacToWav(path) });
  }
  const mismatches: string[] = [];
  for (const { name, bytes } of clips) {
    const { samples, sampleRateHz } = decodeAudio(bytes);
    const expected = classifyRecording(model, samples, sampleRateHz).label;
    const audio = resample(samples, sampleRateHz, RATE);
    let recording = newRecording();
    const segments: RecordingSegment[] = [];
    for (let offset = 0; offset < audio.length; offset += RATE) {
      const step = appendChunk(live, recording, audio.subarray(offset, offset + RATE));
      recording = step.recording;
      segments.push(...step.segments);
    }
    segments.push(...finishRecording(live, recording));
    const streamed = dominantLabel(labelDistribution(segments));
    if (streamed !== expected) mismatches.push(`${name}: file ${expected}, streamed ${streamed}`);
  }
  const agreement = 1 - mismatches.length / clips.length;
  console.log(
    `streaming parity: ${clips.length - mismatches.length}/${clips.length} clips ` +
      `(${(100 * agreement).toFixed(1)} %)` +
      (mismatches.length ? `\n  ${mismatches.join("\n  ")}` : ""),
  );
  assert.ok(agreement >= 0.95, `agreement ${(100 * agreement).toFixed(1)} % < 95 %`);
});
