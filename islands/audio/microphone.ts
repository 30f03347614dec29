/**
 * Browser glue for the microphone: `getUserMedia` with the browser's voice processing
 * switched off (the model was trained on unprocessed audio), an `AudioContext` at the
 * device's own rate, and the recorder's AudioWorklet tapping the input.
 *
 * Errors are sorted into the few problems a person can act on ({@link MicrophoneProblem})
 * with a message for each.
 */
import { TAP_PROCESSOR_NAME, TAP_STOP, type TapStopped } from "./worklet_protocol.ts";

/** Audio constraints: one channel, no echo cancellation, noise suppression or gain control. */
export const AUDIO_CONSTRAINTS: MediaTrackConstraints = {
  channelCount: 1,
  echoCancellation: false,
  noiseSuppression: false,
  autoGainControl: false,
};

/** What went wrong with the microphone, as far as the person can do something about it. */
export type MicrophoneProblem = "denied" | "missing" | "busy" | "unsupported" | "failed";

/** The message shown for each {@link MicrophoneProblem}. */
export const MICROPHONE_MESSAGES: Readonly<Record<MicrophoneProblem, string>> = {
  denied:
    "Microphone access was denied. Allow the microphone for this site in your browser's settings, then try again.",
  missing: "No microphone was found. Connect one, then try again.",
  busy: "The microphone could not be opened. Another app may be using it.",
  unsupported:
    "This browser cannot record here: recording needs microphone access and AudioWorklet, which browsers offer only on secure (https) pages.",
  failed: "The recorder could not start its audio processing. Reload the page and try again.",
};

/** A microphone failure with the problem it stands for; `message` is for the person. */
export class MicrophoneError extends Error {
  readonly problem: MicrophoneProblem;
  constructor(problem: MicrophoneProblem, options?: { cause?: unknown }) {
    super(MICROPHONE_MESSAGES[problem], options);
    this.name = "MicrophoneError";
    this.problem = problem;
  }
}

/** Sorts a `getUserMedia` rejection by its DOMException name. */
export function microphoneProblem(err: unknown): MicrophoneProblem {
  const name = (err as { name?: unknown })?.name;
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
    case "TypeError":
      return "unsupported";
    default:
      return "failed";
  }
}

/** True when this browser, on this page, offers what recording needs. */
export function canRecord(): boolean {
  return typeof navigator !== "undefined" &&
    typeof navigator.mediaDevices?.getUserMedia === "function" &&
    typeof AudioContext === "function" &&
    typeof AudioWorkletNode === "function";
}

/** An open microphone, not yet delivering audio. */
export interface Microphone {
  /** Rate of the frames delivered. */
  readonly sampleRateHz: number;
  /**
   * Starts delivering mono frames to `onFrames`. The array is reused once `onFrames`
   * returns, so copy what must outlive the call. `onEnded` is called if the device goes
   * away (unplugged, taken by another app, permission revoked).
   */
  start(onFrames: (frames: Float32Array) => void, onEnded?: () => void): void;
  /** Delivers the last frames, then releases the device. */
  stop(): Promise<void>;
  /** Releases the device at once, dropping frames not yet delivered. */
  close(): void;
}

/** Longest wait for the worklet's last frames before the device is released anyway. */
const STOP_TIMEOUT_MS = 1000;

class WorkletMicrophone implements Microphone {
  readonly sampleRateHz: number;
  readonly #context: AudioContext;
  readonly #stream: MediaStream;
  readonly #source: MediaStreamAudioSourceNode;
  readonly #node: AudioWorkletNode;
  #onStopped: (() => void) | null = null;
  #closed = false;

  constructor(context: AudioContext, stream: MediaStream, node: AudioWorkletNode) {
    this.sampleRateHz = context.sampleRate;
    this.#context = context;
    this.#stream = stream;
    this.#source = context.createMediaStreamSource(stream);
    this.#node = node;
  }

  start(onFrames: (frames: Float32Array) => void, onEnded?: () => void): void {
    const port = this.#node.port;
    port.onmessage = (event: MessageEvent<Float32Array | TapStopped>) => {
      const data = event.data;
      if (data instanceof Float32Array) {
        onFrames(data);
        port.postMessage(data, [data.buffer]);
      } else if (data?.type === "stopped") {
        if (data.frames.length > 0) onFrames(data.frames);
        this.#onStopped?.();
      }
    };
    for (const track of this.#stream.getAudioTracks()) {
      track.addEventListener("ended", () => onEnded?.(), { once: true });
    }
    this.#source.connect(this.#node);
  }

  async stop(): Promise<void> {
    if (this.#closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
      this.#onStopped = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#node.port.postMessage(TAP_STOP);
    });
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#node.port.onmessage = null;
    this.#source.disconnect();
    this.#node.disconnect();
    for (const track of this.#stream.getTracks()) track.stop();
    void this.#context.close();
  }
}

/**
 * Asks for the microphone and sets up the audio graph. Call it straight from a click
 * handler: the `AudioContext` is created before the first `await`, while the click still
 * counts as the person's gesture, so browsers let it run. Throws {@link MicrophoneError}.
 */
export async function openMicrophone(workletUrl: string): Promise<Microphone> {
  if (!canRecord()) throw new MicrophoneError("unsupported");
  const context = new AudioContext();
  const streams: MediaStream[] = [];
  try {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS });
    } catch (err) {
      throw new MicrophoneError(microphoneProblem(err), { cause: err });
    }
    streams.push(stream);
    if (stream.getAudioTracks().length === 0) throw new MicrophoneError("missing");
    try {
      await context.audioWorklet.addModule(workletUrl);
      await context.resume();
      const node = new AudioWorkletNode(context, TAP_PROCESSOR_NAME, {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        channelCount: 1,
        channelCountMode: "explicit",
        channelInterpretation: "speakers",
      });
      // The node writes silence; connecting it to the output keeps every browser pulling it.
      node.connect(context.destination);
      return new WorkletMicrophone(context, stream, node);
    } catch (err) {
      throw new MicrophoneError("failed", { cause: err });
    }
  } catch (err) {
    for (const track of streams.flatMap((s) => s.getTracks())) track.stop();
    void context.close();
    throw err;
  }
}
