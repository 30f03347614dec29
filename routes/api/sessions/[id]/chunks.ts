/**
 * `POST /api/sessions/:id/chunks?seq=N`: one chunk of a live recording, as raw little-endian
 * Float32 mono at 16 kHz (`application/octet-stream`) or a WAV file (`audio/wav`, any rate
 * and channels). Answers `{ seq, current, segments }`; a repeated seq gets the same answer.
 * A chunk that would take the recording past `MAX_RECORDING_S` is refused with 413.
 */
import { MODEL_SAMPLE_RATE_HZ } from "../../../../lib/audio/constants.ts";
import { resample } from "../../../../lib/audio/resample.ts";
import { decodeAudio, decodeRawFloat32 } from "../../../../lib/audio/wav.ts";
import {
  addChunk,
  MAX_CHUNK_S,
  MAX_SEQ,
  RecordingTooLongError,
} from "../../../../lib/streaming/sessions.ts";
import { HttpError } from "../../../../lib/web/errors.ts";
import type { Handlers, RouteContext } from "../../../../lib/web/types.ts";
import { requireLiveModel } from "../../../../lib/web/live_model.ts";

const WAV_TYPES = new Set(["audio/wav", "audio/wave", "audio/x-wav", "audio/vnd.wave"]);

/**
 * Highest sample rate a WAV chunk may have. Microphones deliver 8–48 kHz (96 kHz at most on
 * studio gear); resampling 2 MB at rates far above that costs seconds of server time.
 */
export const MAX_CHUNK_RATE_HZ = 96_000;

function parseSeq(text: string | undefined): number {
  if (text === undefined || !/^\d{1,9}$/.test(text) || Number(text) > MAX_SEQ) {
    throw new HttpError(400, `Expected seq between 0 and ${MAX_SEQ}, but got "${text ?? ""}"`);
  }
  return Number(text);
}

/** The chunk's samples at 16 kHz mono; 415 for other content types, 422 for bad audio. */
async function readSamples(c: RouteContext): Promise<Float32Array> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/octet-stream" && !WAV_TYPES.has(type)) {
    throw new HttpError(
      415,
      'Send audio as "application/octet-stream" (Float32 at 16 kHz) or "audio/wav".',
    );
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) throw new HttpError(400, "The chunk is empty.");
  const maxSamples = MAX_CHUNK_S * MODEL_SAMPLE_RATE_HZ;
  const tooLong = () => new HttpError(413, `A chunk holds at most ${MAX_CHUNK_S} s of audio.`);
  let samples: Float32Array;
  if (type === "application/octet-stream") {
    samples = decodeRawFloat32(bytes, MODEL_SAMPLE_RATE_HZ).samples;
  } else {
    const decoded = decodeAudio(bytes);
    if (decoded.sampleRateHz > MAX_CHUNK_RATE_HZ) {
      throw new HttpError(
        422,
        `Expected a sample rate of at most ${MAX_CHUNK_RATE_HZ} Hz, but got ${decoded.sampleRateHz} Hz`,
      );
    }
    // Checked before resampling: 2 MB of 8-bit audio at 1 kHz would take most of a minute
    // to upsample, only to be refused afterwards.
    if (decoded.samples.length > MAX_CHUNK_S * decoded.sampleRateHz) throw tooLong();
    samples = resample(decoded.samples, decoded.sampleRateHz, MODEL_SAMPLE_RATE_HZ);
  }
  if (samples.length === 0) throw new HttpError(422, "The chunk holds no audio.");
  if (samples.length > maxSamples) throw tooLong();
  return samples;
}

export const handlers: Handlers = {
  async POST(c) {
    const live = requireLiveModel(c);
    const seq = parseSeq(c.req.query("seq"));
    const samples = await readSamples(c);
    const userId = c.get("user")!.id;
    try {
      const id = c.req.param("id") ?? "";
      return c.json(await addChunk(c.get("db"), live, userId, id, seq, samples));
    } catch (err) {
      if (err instanceof RecordingTooLongError) throw new HttpError(413, err.message);
      throw err;
    }
  },
};
