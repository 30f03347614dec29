/**
 * One live recording from start to saved entry: microphone frames → 16 kHz
 * ({@link Downsampler}) → one-second chunks ({@link Chunker}) → {@link UploadQueue} →
 * the server's answers; on stop, the last frames and the remainder chunk, then `finish`
 * once every chunk is acknowledged.
 *
 * The microphone, `fetch` and the clock are injectable, so the whole path runs in tests
 * without a browser.
 */
import { Chunker, float32LittleEndian } from "./chunker.ts";
import { Downsampler } from "./downsample.ts";
import { type Microphone, openMicrophone } from "./microphone.ts";
import {
  type ChunkAnswer,
  readChunkAnswer,
  readSavedEntry,
  readSessionId,
  type SavedEntry,
  type SessionUrls,
  sessionUrls,
} from "./session_api.ts";
import {
  type Clock,
  FatalRequestError,
  type QueueStatus,
  requestWithRetry,
  type RetryOptions,
  systemClock,
  UploadQueue,
} from "./upload_queue.ts";

/** What a {@link Recording} tells the page. */
export interface RecordingCallbacks {
  /** After every block of frames: its RMS (0–1 full scale) and the seconds recorded so far. */
  onLevel?: (rms: number, elapsedS: number) => void;
  /** Each chunk's answer, in order. */
  onAnswer?: (answer: ChunkAnswer) => void;
  /** Upload state: pending chunks, whether the connection looks lost, a fatal refusal. */
  onQueue?: (status: QueueStatus) => void;
  /** The microphone went away mid-recording. */
  onMicrophoneEnded?: () => void;
  /** The recording reached {@link RecordingOptions.maxSeconds}; the page should stop it. */
  onLimit?: () => void;
}

/**
 * The longest recording the server takes (its `MAX_RECORDING_S`, 30 minutes). The recorder
 * stops taking audio half a second before it, so the last chunk is never refused.
 */
export const MAX_RECORDING_S = 1800;

/** Options of {@link Recording.start}. */
export interface RecordingOptions extends RecordingCallbacks {
  /** URL of the bundled AudioWorklet module. */
  workletUrl: string;
  /** Base URL of the sessions API, e.g. `/api/sessions`. */
  sessionsUrl: string;
  fetch?: typeof fetch;
  clock?: Clock;
  retry?: RetryOptions;
  /** Opens the microphone; the browser's by default. */
  openMicrophone?: (workletUrl: string) => Promise<Microphone>;
  /** Audio beyond this many seconds is not taken; default {@link MAX_RECORDING_S}. */
  maxSeconds?: number;
}

/** A recording failed to start or to be saved for a reason other than the microphone. */
export class RecordingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RecordingError";
  }
}

function rms(frames: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < frames.length; i++) sum += frames[i] * frames[i];
  return frames.length === 0 ? 0 : Math.sqrt(sum / frames.length);
}

/** A recording in progress. */
export class Recording {
  /** The server's id of this recording session. */
  readonly sessionId: string;
  readonly #options: RecordingOptions;
  readonly #microphone: Microphone;
  readonly #urls: SessionUrls;
  readonly #downsampler: Downsampler;
  readonly #chunker = new Chunker();
  readonly #queue: UploadQueue;
  #framesIn = 0;
  #stopping: Promise<SavedEntry> | null = null;
  #cancelled = false;
  #full = false;
  #refusal: FatalRequestError | null = null;

  private constructor(
    options: RecordingOptions,
    microphone: Microphone,
    sessionId: string,
    downsampler: Downsampler,
  ) {
    this.#options = options;
    this.#microphone = microphone;
    this.sessionId = sessionId;
    this.#urls = sessionUrls(options.sessionsUrl, sessionId);
    this.#downsampler = downsampler;
    this.#queue = new UploadQueue({
      ...options.retry,
      chunkUrl: this.#urls.chunk,
      fetch: options.fetch,
      clock: options.clock,
      onAnswer: (_seq, answer) => options.onAnswer?.(readChunkAnswer(answer)),
      onStatus: (status) => options.onQueue?.(status),
    });
  }

  /**
   * Opens the microphone, starts a session on the server, and starts sending audio.
   * Throws `MicrophoneError` (permission, device) or {@link RecordingError} (server).
   */
  static async start(options: RecordingOptions): Promise<Recording> {
    const microphone = await (options.openMicrophone ?? openMicrophone)(options.workletUrl);
    const fail = (message: string, cause?: unknown): never => {
      microphone.close();
      throw new RecordingError(message, { cause });
    };
    let downsampler: Downsampler;
    try {
      downsampler = new Downsampler({ inputRateHz: microphone.sampleRateHz });
    } catch (err) {
      return fail(`The microphone's rate of ${microphone.sampleRateHz} Hz is not supported.`, err);
    }
    let res: Response;
    let body: { error?: unknown } | null;
    try {
      res = await (options.fetch ?? fetch)(options.sessionsUrl, {
        method: "POST",
        credentials: "same-origin",
      });
      body = await res.json().catch(() => null);
    } catch (err) {
      return fail("Moodline could not be reached. Check your connection and try again.", err);
    }
    if (!res.ok) {
      return fail(
        typeof body?.error === "string"
          ? body.error
          : `The server could not start a recording (HTTP ${res.status}).`,
      );
    }
    let sessionId: string;
    try {
      sessionId = readSessionId(body);
    } catch (err) {
      return fail((err as Error).message, err);
    }
    const recording = new Recording(options, microphone, sessionId, downsampler);
    microphone.start(
      (frames) => recording.#take(frames),
      () => options.onMicrophoneEnded?.(),
    );
    return recording;
  }

  /** Seconds of audio recorded so far. */
  get elapsedS(): number {
    return this.#framesIn / this.#microphone.sampleRateHz;
  }

  /**
   * Why the server refused a chunk, when it did (e.g. the length cap). The recording is then
   * saved with the audio the server had taken, and this says what was left out.
   */
  get refusal(): FatalRequestError | null {
    return this.#refusal;
  }

  #take(input: Float32Array): void {
    if (this.#cancelled || this.#full) return;
    const limit = ((this.#options.maxSeconds ?? MAX_RECORDING_S) - 0.5) *
      this.#microphone.sampleRateHz;
    let frames = input;
    if (this.#framesIn + frames.length >= limit) {
      frames = frames.subarray(0, Math.max(0, Math.floor(limit - this.#framesIn)));
      this.#full = true;
    }
    this.#framesIn += frames.length;
    this.#options.onLevel?.(rms(frames), this.elapsedS);
    this.#send(this.#chunker.push(this.#downsampler.push(frames)));
    if (this.#full) this.#options.onLimit?.();
  }

  #send(chunks: { seq: number; samples: Float32Array }[]): void {
    for (const chunk of chunks) this.#queue.enqueue(chunk.seq, float32LittleEndian(chunk.samples));
  }

  /**
   * Stops recording and saves it: the last audio is sent, every chunk is waited for
   * (however long the connection takes to come back), then the session is finished. When
   * the server refused a chunk for good, the recording is still finished with what it had
   * taken ({@link refusal} says why the rest is missing): an entry is never thrown away.
   * Resolves with the saved entry; rejects with {@link RecordingError}.
   */
  stop(): Promise<SavedEntry> {
    this.#stopping ??= this.#finish();
    return this.#stopping;
  }

  async #finish(): Promise<SavedEntry> {
    await this.#microphone.stop();
    this.#send(this.#chunker.push(this.#downsampler.flush()));
    this.#send(this.#chunker.flush());
    try {
      try {
        await this.#queue.drained();
      } catch (err) {
        if (!(err instanceof FatalRequestError)) throw err;
        this.#refusal = err;
      }
      const entry = await requestWithRetry(this.#urls.finish, {
        method: "POST",
        credentials: "same-origin",
      }, {
        ...this.#options.retry,
        fetch: this.#options.fetch,
        clock: this.#options.clock ?? systemClock,
        onRetry: (notice) =>
          this.#options.onQueue?.({
            pending: 0,
            retrying: true,
            failures: notice.attempt,
            fatal: null,
          }),
      });
      this.#options.onQueue?.({ pending: 0, retrying: false, failures: 0, fatal: null });
      return readSavedEntry(entry);
    } catch (err) {
      if (err instanceof FatalRequestError || err instanceof TypeError) {
        throw new RecordingError(err.message, { cause: err });
      }
      throw err;
    }
  }

  /** Drops the recording: the microphone is released and nothing more is sent. */
  cancel(): void {
    this.#cancelled = true;
    this.#queue.cancel();
    this.#microphone.close();
  }
}
