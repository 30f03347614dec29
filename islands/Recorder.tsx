/**
 * The live recorder: start, talk, see the emotion your voice carries, stop, and the
 * recording becomes a journal entry.
 *
 * {@link RecorderView} draws a {@link RecorderState}; {@link Recorder} (the island) owns
 * the state and the {@link Recording}. The server renders the island in its `loading`
 * phase: the Start button disabled and a note that recording needs JavaScript and a
 * microphone. That first render carries every class any later state uses (hidden parts
 * are rendered, empty message boxes hide with `empty:hidden`, bar widths and colours are
 * inline styles), because Tailwind classes are compiled from the server's HTML only.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { emotionColour, emotionName, EMOTIONS } from "./audio/emotions.ts";
import { canRecord, MICROPHONE_MESSAGES, MicrophoneError } from "./audio/microphone.ts";
import { Recording, RecordingError } from "./audio/recording.ts";
import {
  mergeSegments,
  type Prediction,
  type SavedEntry,
  type Segment,
} from "./audio/session_api.ts";

/** Props of {@link Recorder}; all serialisable. */
export interface RecorderProps {
  /** URL of the AudioWorklet bundle, with its content hash (`assetPath("recorder-worklet.js")`). */
  workletUrl: string;
  /** Base URL of the recording API, e.g. `/api/sessions`. */
  sessionsUrl: string;
}

/** Where the recorder is in its life. */
export type RecorderPhase =
  | "loading"
  | "unsupported"
  | "idle"
  | "starting"
  | "recording"
  | "stopping"
  | "saved"
  | "failed";

/** Everything the recorder shows. */
export interface RecorderState {
  phase: RecorderPhase;
  /** Seconds recorded. */
  elapsedS: number;
  /** Microphone level, 0–100 (−60 dBFS to 0 dBFS). */
  levelPct: number;
  /** The open stretch's prediction, or null while the server is still listening. */
  current: Prediction | null;
  /** Finished stretches, in time order. */
  segments: Segment[];
  /** True while chunks are being retried. */
  connectionLost: boolean;
  /** Chunks not yet acknowledged. */
  pendingChunks: number;
  /** A problem to show, or null. */
  error: string | null;
  /** The saved entry, once there is one. */
  entry: SavedEntry | null;
}

/** The state the server renders and the browser hydrates. */
export const INITIAL_STATE: RecorderState = {
  phase: "loading",
  elapsedS: 0,
  levelPct: 0,
  current: null,
  segments: [],
  connectionLost: false,
  pendingChunks: 0,
  error: null,
  entry: null,
};

/** Shown while chunks are being retried. */
export const CONNECTION_LOST_MESSAGE =
  "Connection lost — your recording is kept and will be sent when it is back";

/** Shown before the island is hydrated, and kept when scripts do not run. */
export const NEEDS_JAVASCRIPT_MESSAGE = "Recording needs JavaScript and a microphone.";

/** Lowest level the meter shows, in dBFS. */
const METER_FLOOR_DB = -60;

/** Meter position (0–100) of an RMS value (0–1 full scale). */
export function levelPercent(rms: number): number {
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(100, Math.max(0, (1 - db / METER_FLOOR_DB) * 100));
}

/** `m:ss` of a number of seconds. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function percent(p: number): string {
  return `${Math.round(p * 100)}%`;
}

const BUTTON_LABELS: Record<RecorderPhase, string> = {
  loading: "Start recording",
  unsupported: "Start recording",
  idle: "Start recording",
  starting: "Starting…",
  recording: "Stop",
  stopping: "Saving…",
  saved: "Record again",
  failed: "Try again",
};

function progressText(state: RecorderState): string {
  switch (state.phase) {
    case "starting":
      return "Asking for your microphone…";
    case "recording":
      return "Recording — talk about your day, then press Stop.";
    case "stopping":
      return state.pendingChunks > 1
        ? `Saving — sending the last ${state.pendingChunks} seconds of audio…`
        : "Saving…";
    case "saved":
      return "Saved.";
    default:
      return "";
  }
}

/** Draws the recorder for `state`; `onToggle` is the Start/Stop button. */
export function RecorderView(
  { state, onToggle }: { state: RecorderState; onToggle?: () => void },
) {
  const { phase, current } = state;
  const enabled = phase === "idle" || phase === "recording" || phase === "saved" ||
    phase === "failed";
  const probabilities = current?.probabilities ?? {};
  const timelineS = Math.max(1, state.elapsedS, state.segments.at(-1)?.endS ?? 0);
  const levelDb = state.levelPct > 0
    ? Math.round((1 - state.levelPct / 100) * METER_FLOOR_DB)
    : null;
  return (
    <div class="flex flex-col gap-5" data-testid="recorder" data-phase={phase}>
      <div class="flex flex-wrap items-center gap-x-6 gap-y-3">
        <button
          type="button"
          onClick={onToggle}
          disabled={!enabled}
          data-state={phase === "recording" ? "recording" : "idle"}
          class="min-w-[10rem] rounded-full px-5 py-3 font-semibold text-white bg-indigo-600 hover:bg-indigo-700 data-[state=recording]:bg-red-600 data-[state=recording]:hover:bg-red-700 disabled:opacity-50 disabled:cursor-not-allowed focus:outline-none focus:ring-2 focus:ring-offset-2 focus:ring-indigo-500 dark:focus:ring-offset-gray-800"
        >
          {BUTTON_LABELS[phase]}
        </button>
        <p class="text-3xl font-mono tabular-nums">
          <span class="sr-only">Recorded time:</span>
          <time data-testid="elapsed" dateTime={`PT${Math.floor(state.elapsedS)}S`}>
            {formatClock(state.elapsedS)}
          </time>
        </p>
        <div class="flex-1 min-w-[10rem] flex flex-col gap-1">
          <span id="recorder-level-label" class="text-sm text-gray-600 dark:text-gray-400">
            Microphone level
          </span>
          <div
            role="meter"
            aria-labelledby="recorder-level-label"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(state.levelPct)}
            aria-valuetext={levelDb === null ? "silent" : `${levelDb} dB`}
            data-testid="level-meter"
            class="h-3 w-full rounded-full bg-gray-200 dark:bg-gray-700 overflow-hidden"
          >
            <div class="h-full rounded-full bg-green-500" style={{ width: `${state.levelPct}%` }} />
          </div>
        </div>
      </div>

      <p
        class="text-sm text-gray-600 dark:text-gray-400"
        hidden={phase !== "loading"}
        data-testid="recorder-needs-js"
      >
        {NEEDS_JAVASCRIPT_MESSAGE}
      </p>
      <p role="status" class="font-medium empty:hidden" data-testid="recorder-progress">
        {progressText(state)}
      </p>
      <p hidden={!state.entry} data-testid="recorder-saved">
        {state.entry?.dominant
          ? `Mostly ${state.entry.dominant} over ${formatClock(state.entry.durationS)}. `
          : ""}
        <a
          href={state.entry ? `/entries/${encodeURIComponent(state.entry.id)}` : "/entries"}
          class="font-medium underline text-indigo-700 dark:text-indigo-300"
        >
          Open the entry
        </a>
      </p>
      <div
        role="status"
        data-testid="recorder-connection"
        class="empty:hidden border rounded px-4 py-3 bg-amber-50 text-amber-900 border-amber-200 dark:bg-amber-900 dark:text-amber-100 dark:border-amber-700"
      >
        {state.connectionLost ? CONNECTION_LOST_MESSAGE : ""}
      </div>
      <div
        role="alert"
        data-testid="recorder-error"
        class="empty:hidden border rounded px-4 py-3 bg-red-50 text-red-800 border-red-200 dark:bg-red-900 dark:text-red-200 dark:border-red-800"
      >
        {state.error ?? ""}
      </div>

      <section aria-labelledby="recorder-now-heading" class="flex flex-col gap-3">
        <div class="flex flex-wrap items-baseline gap-x-3">
          <h3 id="recorder-now-heading" class="font-semibold">Right now</h3>
          <p class="text-xl font-semibold" data-testid="current-emotion">
            <span
              aria-live="polite"
              data-testid="current-label"
              data-waiting={String(!current)}
              class="data-[waiting=true]:font-normal data-[waiting=true]:text-gray-600 dark:data-[waiting=true]:text-gray-400"
            >
              {current
                ? emotionName(current.label)
                : phase === "recording"
                ? "listening…"
                : "not recording"}
            </span>
            <span class="ml-2 font-normal text-gray-600 dark:text-gray-400 tabular-nums">
              {current ? percent(current.confidence) : ""}
            </span>
          </p>
        </div>
        <ul class="flex flex-col gap-1.5" aria-label="Probability of each emotion">
          {EMOTIONS.map((emotion) => {
            const p = probabilities[emotion] ?? 0;
            return (
              <li
                key={emotion}
                data-emotion={emotion}
                data-current={String(current?.label === emotion)}
                class="grid grid-cols-[5.5rem_1fr_3rem] items-center gap-2 text-sm data-[current=true]:font-semibold"
              >
                <span>{emotionName(emotion)}</span>
                <span
                  class="h-2.5 rounded-full bg-gray-200 dark:bg-gray-700 overflow-hidden"
                  aria-hidden="true"
                >
                  <span
                    class="block h-full rounded-full"
                    style={{ width: `${p * 100}%`, backgroundColor: emotionColour(emotion) }}
                  />
                </span>
                <span class="text-right tabular-nums">{percent(p)}</span>
              </li>
            );
          })}
        </ul>
      </section>

      <section aria-labelledby="recorder-timeline-heading" class="flex flex-col gap-2">
        <h3 id="recorder-timeline-heading" class="font-semibold">Timeline</h3>
        <div
          class="relative h-6 rounded bg-gray-100 dark:bg-gray-700 overflow-hidden"
          aria-hidden="true"
          data-testid="timeline"
        >
          {state.segments.map((s) => (
            <div
              key={s.startS}
              data-label={s.label}
              title={`${formatClock(s.startS)}–${formatClock(s.endS)} ${emotionName(s.label)}`}
              style={{
                position: "absolute",
                top: 0,
                bottom: 0,
                left: `${(s.startS / timelineS) * 100}%`,
                width: `${Math.max(0.5, ((s.endS - s.startS) / timelineS) * 100)}%`,
                backgroundColor: emotionColour(s.label),
              }}
            />
          ))}
        </div>
        <div
          class="flex justify-between text-xs text-gray-600 dark:text-gray-400 tabular-nums"
          aria-hidden="true"
        >
          <span>0:00</span>
          <span>{formatClock(timelineS)}</span>
        </div>
        <p class="text-sm text-gray-600 dark:text-gray-400" hidden={state.segments.length > 0}>
          Each finished stretch of speech appears here in its emotion's colour.
        </p>
        <ol class="sr-only">
          {state.segments.map((s) => (
            <li key={s.startS}>
              {formatClock(s.startS)} to {formatClock(s.endS)}: {emotionName(s.label)},{" "}
              {percent(s.confidence)}
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}

function messageOf(err: unknown): string {
  if (err instanceof MicrophoneError || err instanceof RecordingError) return err.message;
  return "The recorder stopped unexpectedly. Reload the page and try again.";
}

/** Meter points lost per refresh while the level falls (fast rise, slow fall). */
const METER_FALL_PER_TICK = 4;
/** How often the meter and the clock are redrawn while recording. */
const REFRESH_MS = 50;

/** The recorder island. */
export default function Recorder({ workletUrl, sessionsUrl }: RecorderProps) {
  const [state, setState] = useState<RecorderState>(INITIAL_STATE);
  const recordingRef = useRef<Recording | null>(null);
  const phaseRef = useRef<RecorderPhase>(state.phase);
  phaseRef.current = state.phase;
  // Written on every audio block, read on every refresh: no re-render per block.
  const levelRef = useRef({ peakPct: 0, elapsedS: 0 });

  useEffect(() => {
    const supported = canRecord();
    setState((s) => ({
      ...s,
      phase: supported ? "idle" : "unsupported",
      error: supported ? null : MICROPHONE_MESSAGES.unsupported,
    }));
    return () => recordingRef.current?.cancel();
  }, []);

  useEffect(() => {
    if (state.phase !== "recording") return;
    const timer = setInterval(() => {
      const level = levelRef.current;
      setState((s) => {
        const levelPct = Math.max(level.peakPct, s.levelPct - METER_FALL_PER_TICK);
        return levelPct === s.levelPct && level.elapsedS === s.elapsedS
          ? s
          : { ...s, levelPct, elapsedS: level.elapsedS };
      });
      level.peakPct = 0;
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [state.phase]);

  useEffect(() => {
    if (state.phase !== "recording" && state.phase !== "stopping") return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener("beforeunload", warn);
    return () => removeEventListener("beforeunload", warn);
  }, [state.phase]);

  const fail = (message: string) => {
    recordingRef.current?.cancel();
    recordingRef.current = null;
    setState((s) => ({
      ...s,
      phase: "failed",
      error: message,
      levelPct: 0,
      connectionLost: false,
    }));
  };

  const stop = async () => {
    const recording = recordingRef.current;
    if (!recording || phaseRef.current !== "recording") return;
    phaseRef.current = "stopping";
    setState((s) => ({ ...s, phase: "stopping", levelPct: 0 }));
    try {
      const entry = await recording.stop();
      recordingRef.current = null;
      const refusal = recording.refusal;
      setState((s) => ({
        ...s,
        phase: "saved",
        elapsedS: recording.elapsedS,
        entry,
        connectionLost: false,
        pendingChunks: 0,
        error: refusal
          ? `Saved up to where the server stopped taking audio: ${refusal.message}`
          : null,
      }));
    } catch (err) {
      if (recordingRef.current === recording) {
        fail(`Your recording could not be saved: ${messageOf(err)}`);
      }
    }
  };

  const start = async () => {
    levelRef.current = { peakPct: 0, elapsedS: 0 };
    phaseRef.current = "starting";
    setState({ ...INITIAL_STATE, phase: "starting" });
    try {
      // Called straight from the click, so the AudioContext starts inside the gesture.
      const recording = await Recording.start({
        workletUrl,
        sessionsUrl,
        onLevel(rms, elapsedS) {
          const level = levelRef.current;
          level.peakPct = Math.max(level.peakPct, levelPercent(rms));
          level.elapsedS = elapsedS;
        },
        onAnswer(answer) {
          setState((s) => ({
            ...s,
            current: answer.current,
            segments: mergeSegments(s.segments, answer.segments),
          }));
        },
        onQueue(status) {
          if (status.fatal) {
            // The server refused a chunk for good: save what it has rather than lose it
            // (while stopping, stop() is already doing that).
            if (phaseRef.current === "recording") void stop();
            return;
          }
          setState((s) => ({
            ...s,
            connectionLost: status.retrying,
            pendingChunks: status.pending,
          }));
        },
        onMicrophoneEnded() {
          void stop();
        },
        onLimit() {
          // 30 minutes: the longest entry. Saved like a press of Stop.
          void stop();
        },
      });
      recordingRef.current = recording;
      phaseRef.current = "recording";
      setState((s) => ({ ...s, phase: "recording" }));
    } catch (err) {
      phaseRef.current = "failed";
      setState((s) => ({ ...s, phase: "failed", error: messageOf(err) }));
    }
  };

  const toggle = () => {
    if (phaseRef.current === "recording") void stop();
    else if (["idle", "saved", "failed"].includes(phaseRef.current)) void start();
  };

  return <RecorderView state={state} onToggle={toggle} />;
}
