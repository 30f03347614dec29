/**
 * The shapes of the recording API's answers, as the recorder reads them, and the URLs it
 * posts to:
 *
 * - `POST {sessions}` → 201 `{ "id" }`
 * - `POST {sessions}/{id}/chunks?seq=N` (raw little-endian float32 at 16 kHz) →
 *   `{ "seq", "current": Prediction | null, "segments": Segment[] }`
 * - `POST {sessions}/{id}/finish` → the saved entry
 *
 * Readers check what the page relies on and drop what it cannot show, so a slightly
 * different server answer degrades the display instead of breaking the recording.
 */

/** The model's reading of the speech so far in the open stretch. */
export interface Prediction {
  label: string;
  /** Probability of `label`, 0–1. */
  confidence: number;
  /** Probability of each emotion, 0–1. */
  probabilities: Record<string, number>;
}

/** A finished stretch of speech with its emotion. */
export interface Segment extends Prediction {
  /** Start, in seconds from the beginning of the recording. */
  startS: number;
  /** End, in seconds from the beginning of the recording. */
  endS: number;
}

/** The server's answer to one chunk. */
export interface ChunkAnswer {
  seq: number;
  current: Prediction | null;
  segments: Segment[];
}

/** The journal entry `finish` saved. */
export interface SavedEntry {
  id: string;
  startedAt: string;
  durationS: number;
  dominant: string | null;
  distribution: Record<string, number>;
  segments: Segment[];
}

/** Where a recording's requests go. */
export interface SessionUrls {
  chunk(seq: number): string;
  finish: string;
}

/** The URLs of session `id` under `sessionsUrl` (e.g. `/api/sessions`). */
export function sessionUrls(sessionsUrl: string, id: string): SessionUrls {
  const base = `${sessionsUrl}/${encodeURIComponent(id)}`;
  return { chunk: (seq) => `${base}/chunks?seq=${seq}`, finish: `${base}/finish` };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function finite(value: unknown, fallback = 0): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function readProbabilities(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObject(value)) return out;
  for (const [label, p] of Object.entries(value)) {
    if (typeof p === "number" && Number.isFinite(p)) out[label] = Math.min(1, Math.max(0, p));
  }
  return out;
}

function readPrediction(value: unknown): Prediction | null {
  if (!isObject(value) || typeof value.label !== "string") return null;
  const probabilities = readProbabilities(value.probabilities);
  return {
    label: value.label,
    confidence: finite(value.confidence, probabilities[value.label] ?? 0),
    probabilities,
  };
}

function readSegments(value: unknown): Segment[] {
  if (!Array.isArray(value)) return [];
  const segments: Segment[] = [];
  for (const item of value) {
    const prediction = readPrediction(item);
    if (!prediction || !isObject(item)) continue;
    const startS = finite(item.startS, NaN);
    const endS = finite(item.endS, NaN);
    if (!(endS >= startS && startS >= 0)) continue;
    segments.push({ ...prediction, startS, endS });
  }
  return segments;
}

/** Reads an answer to a chunk; throws when it is not one. */
export function readChunkAnswer(value: unknown): ChunkAnswer {
  if (!isObject(value) || typeof value.seq !== "number") {
    throw new TypeError("The server's answer to a chunk has no seq.");
  }
  return {
    seq: value.seq,
    current: readPrediction(value.current),
    segments: readSegments(value.segments),
  };
}

/** Reads the answer to `POST {sessions}`; throws when it has no id. */
export function readSessionId(value: unknown): string {
  if (!isObject(value) || typeof value.id !== "string" || value.id === "") {
    throw new TypeError("The server did not say which recording was started.");
  }
  return value.id;
}

/** Reads the saved entry `finish` answers with; throws when it has no id. */
export function readSavedEntry(value: unknown): SavedEntry {
  if (!isObject(value) || typeof value.id !== "string" || value.id === "") {
    throw new TypeError("The server did not say which entry was saved.");
  }
  return {
    id: value.id,
    startedAt: typeof value.startedAt === "string" ? value.startedAt : "",
    durationS: finite(value.durationS),
    dominant: typeof value.dominant === "string" ? value.dominant : null,
    distribution: readProbabilities(value.distribution),
    segments: readSegments(value.segments),
  };
}

/**
 * Adds `incoming` segments to `known`, in time order, without duplicates: a segment the
 * server sends again (answers may repeat every closed segment, or only new ones) replaces
 * the one with the same start.
 */
export function mergeSegments(known: readonly Segment[], incoming: readonly Segment[]): Segment[] {
  if (incoming.length === 0) return known as Segment[];
  const byStart = new Map<number, Segment>();
  for (const s of known) byStart.set(s.startS, s);
  for (const s of incoming) byStart.set(s.startS, s);
  return [...byStart.values()].sort((a, b) => a.startS - b.startS);
}
