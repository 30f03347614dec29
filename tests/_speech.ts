/**
 * A deterministic spoken recording for the live-recording tests: half a second of silence,
 * two golden espeak clips with a second's pause between them, and a second of silence, at
 * 16 kHz.
 */
import { resample } from "../lib/audio/resample.ts";
import { decodeAudio } from "../lib/audio/wav.ts";

const RATE = 16000;
const GOLDEN = new URL("../../shared/fixtures/golden/audio/", import.meta.url);

/** The recording described above. */
export async function twoUtterances(): Promise<Float32Array> {
  const clip = async (name: string) => {
    const { samples, sampleRateHz } = decodeAudio(await Deno.readFile(new URL(name, GOLDEN)));
    return resample(samples, sampleRateHz, RATE);
  };
  const a = await clip("speech_a_16k.wav"), b = await clip("speech_b_16k.wav");
  const out = new Float32Array(RATE / 2 + a.length + RATE + b.length + RATE);
  out.set(a, RATE / 2);
  out.set(b, RATE / 2 + a.length + RATE);
  return out;
}
