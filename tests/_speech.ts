/**
 * Speech for the live-recording tests: a deterministic spoken recording (half a second of
 * silence, two golden espeak clips with a second's pause between them, and a second of
 * silence, at 16 kHz), and RAVDESS FLAC files decoded to WAV.
 */
import { resample } from "../lib/audio/resample.ts";
import { decodeAudio } from "../lib/audio/wav.ts";

const RATE = 16000;
const GOLDEN = new URL("../../shared/fixtures/golden/audio/", import.meta.url);

/** The deterministic spoken recording described above. */
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

/** The WAV bytes of the FLAC file at `path`, decoded with the `flac` program. */
export async function flacToWav(path: string): Promise<Uint8Array> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("flac", { args: ["-d", "-c", "-s", path] }).output();
  } catch (err) {
    throw new Error(
      `This test needs the "flac" program to decode RAVDESS (apt-get install flac): ${err}`,
    );
  }
  if (!output.success) {
    throw new Error(`flac could not decode ${path}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return output.stdout;
}
