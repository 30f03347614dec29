/**
 * Live recordings over the store: start one, add chunks by sequence number, finish it into a
 * journal entry. The recording lives in KV between chunks (see `lib/db.ts`), never in process
 * memory, so any server process continues any recording. Framework-free, like
 * `lib/accounts.ts`: the routes only parse and answer.
 *
 * Each chunk is processed exactly once, in seq order: the state, the answer and the changed
 * audio pages are committed in one atomic operation checked against the row that was read,
 * so of two concurrent copies of a chunk one commits and the other finds its answer. A chunk
 * that arrives early is stored (with an answer that shows the prediction as of then) and
 * processed when the gap before it fills.
 *
 * The kept audio a chunk needs is remembered in process memory for the row versionstamp it
 * belongs to ({@link KeptAudioCache}), so the next chunk of the same recording usually skips
 * reading it back; any other versionstamp reads the store, so this changes no result.
 */
import { type ChunkAnswer, type Db, type Entry, type RecordingRow, type Versioned } from "../db.ts";
import {
  dominantLabel,
  labelDistribution,
  type LiveModel,
  newRecording,
  type Recording,
  type RecordingSegment,
} from "./recording.ts";
import { MODEL_SAMPLE_RATE_HZ } from "../audio/constants.ts";
import { appendChunkLive, finishRecordingLive } from "./live_pool.ts";
import { KeptAudioCache } from "./audio_cache.ts";

/** Largest accepted seq: a day of 1 s chunks, far beyond any journal recording. */
export const MAX_SEQ = 86_400;
/** Longest chunk accepted, in seconds of 16 kHz audio; keeps each KV commit small. */
export const MAX_CHUNK_S = 10;
/**
 * How far ahead of the next expected chunk an early one may be: enough for a client that
 * queued half a minute during an outage, and a bound on what waits in storage.
 */
export const MAX_SEQ_AHEAD = 32;
/**
 * Longest live recording, in seconds of audio (30 minutes): a journal entry is a few minutes
 * of talk, and the cap bounds what one recording stores and what its finish classifies.
 */
export const MAX_RECORDING_S = 1800;

/** The recording does not exist, is another user's, or was abandoned and expired. */
export class RecordingNotFoundError extends Error {
  constructor() {
    super("No such recording.");
    this.name = "RecordingNotFoundError";
  }
}

/** A chunk that cannot be placed: the recording was finished, or it is too late or too early. */
export class RecordingClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RecordingClosedError";
  }
}

/**
 * A chunk would take the recording past its length cap ({@link MAX_RECORDING_S}). Nothing of
 * the chunk was stored; the recording keeps what it had and can still be finished.
 */
export class RecordingTooLongError extends Error {
  /** The cap, in seconds of audio. */
  readonly maxS: number;
  constructor(maxS: number) {
    const limit = maxS % 60 === 0 ? `${maxS / 60} minutes` : `${maxS} seconds`;
    super(`Recordings are limited to ${limit}. Finish this one and start a new entry.`);
    this.name = "RecordingTooLongError";
    this.maxS = maxS;
  }
}

/** Options of {@link addChunk}. */
export interface AddChunkOptions {
  /** Length cap of the recording in seconds of audio; {@link MAX_RECORDING_S} by default. */
  maxRecordingS?: number;
}

/**
 * Starts a recording for `userId`; returns its id. With a model that has a voice-referenced
 * member (`live`), the recording carries the person's voice reference from their latest entries
 * once they have enough.
 */
export async function startRecording(db: Db, userId: string, live?: LiveModel): Promise<string> {
  const reference = live?.model.voice
    ? await db.voiceReference(userId, live.model.lstm ?? null)
    : null;
  const recording = newRecording(reference?.mean ?? null, reference?.leaning ?? null);
  return (await db.createRecording(userId, recording.state)).id;
}

async function openRow(
  db: Db,
  userId: string,
  recordingId: string,
): Promise<Versioned<RecordingRow>> {
  const row = await db.getRecording(userId, recordingId);
  if (!row) throw new RecordingNotFoundError();
  return row;
}

type PendingChunk = { seq: number; samples: Float32Array };

const audioCaches = new WeakMap<Db, KeptAudioCache>();

/** The kept-audio cache of `db` (one per store, since versionstamps are per store). */
export function keptAudioCacheOf(db: Db): KeptAudioCache {
  let cache = audioCaches.get(db);
  if (!cache) audioCaches.set(db, cache = new KeptAudioCache());
  return cache;
}

function audioKey(row: Pick<RecordingRow, "userId" | "id">): string {
  return `${row.userId}/${row.id}`;
}

/** Samples of the early chunks still waiting to be processed (seq at or after `nextSeq`). */
function waitingSamples(row: RecordingRow, pending: readonly PendingChunk[]): number {
  let total = 0;
  for (const chunk of pending) if (chunk.seq >= row.nextSeq) total += chunk.samples.length;
  return total;
}

/**
 * Adds chunk `seq` (16 kHz mono samples) to the recording and returns its answer. A seq that
 * was already answered gets the stored answer and changes nothing. A chunk that would take
 * the audio received plus the early chunks waiting past the length cap throws
 * {@link RecordingTooLongError} and stores nothing.
 */
export async function addChunk(
  db: Db,
  live: LiveModel,
  userId: string,
  recordingId: string,
  seq: number,
  samples: Float32Array,
  { maxRecordingS = MAX_RECORDING_S }: AddChunkOptions = {},
): Promise<ChunkAnswer> {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw new RangeError(`Expected seq between 0 and ${MAX_SEQ}, but got ${seq}`);
  }
  const maxSamples = maxRecordingS * MODEL_SAMPLE_RATE_HZ;
  for (let attempt = 0; attempt < 20; attempt++) {
    // Both reads at once: most chunks are new, and a repeat needs only the answer.
    const [current, stored] = await Promise.all([
      openRow(db, userId, recordingId),
      db.getChunkAnswer({ userId, id: recordingId }, seq),
    ]);
    if (stored) return stored;
    if (current.value.entryId !== null) {
      throw new RecordingClosedError("This recording was already finished.");
    }
    if (seq < current.value.nextSeq) {
      // Processed, but its answer is gone (expired): it cannot be answered the same way.
      throw new RecordingClosedError(`Chunk ${seq} was already processed.`);
    }
    if (seq > current.value.nextSeq + MAX_SEQ_AHEAD) {
      throw new RecordingClosedError(
        `Chunk ${seq} is too far ahead of chunk ${current.value.nextSeq}; send that one first.`,
      );
    }
    // Every write below is checked against this row, so the total cannot grow meanwhile.
    const pending = await db.listPendingChunks(current.value);
    const received = current.value.state.samplesReceived + waitingSamples(current.value, pending);
    if (received + samples.length > maxSamples) throw new RecordingTooLongError(maxRecordingS);
    if (seq > current.value.nextSeq) {
      const answer: ChunkAnswer = { seq, current: current.value.state.current, segments: [] };
      if (await db.storePendingChunk(current, seq, samples, answer)) return answer;
      continue;
    }
    const { next, audio, segments, consumed } = await processInOrder(
      db,
      live,
      current,
      pending,
      [{ seq, samples }],
    );
    const answer: ChunkAnswer = { seq, current: next.state.current, segments };
    const versionstamp = await db.commitRecordingChunks(current, next, audio, answer, consumed);
    if (versionstamp !== null) {
      keptAudioCacheOf(db).set(audioKey(next), versionstamp, audio);
      return answer;
    }
  }
  throw new RecordingClosedError("This recording is changing too fast; send the chunk again.");
}

/**
 * Runs `first` and then every stored early chunk (`pending`, as listed for the row) that
 * follows without a gap through the recording. With `skipGaps`, the remaining early chunks
 * are taken in order even across missing seqs (used when the recording ends).
 */
async function processInOrder(
  db: Db,
  live: LiveModel,
  current: Versioned<RecordingRow>,
  pending: readonly PendingChunk[],
  first: PendingChunk[],
  skipGaps = false,
): Promise<{
  next: RecordingRow;
  audio: Float32Array;
  recording: Recording;
  segments: RecordingSegment[];
  consumed: number[];
}> {
  const row = current.value;
  const audio = keptAudioCacheOf(db).take(audioKey(row), current.versionstamp) ??
    await db.getRecordingAudio(row);
  let recording: Recording = { state: row.state, audio };
  const consumed: number[] = [];
  const segments: RecordingSegment[] = [];
  let nextSeq = row.nextSeq;
  const run = async (samples: Float32Array) => {
    const step = await appendChunkLive(live, recording, samples);
    recording = step.recording;
    segments.push(...step.segments);
  };
  for (const chunk of first) {
    await run(chunk.samples);
    nextSeq = chunk.seq + 1;
  }
  for (const chunk of pending) {
    if (chunk.seq < nextSeq) {
      consumed.push(chunk.seq);
      continue;
    }
    if (chunk.seq !== nextSeq && !skipGaps) break;
    await run(chunk.samples);
    consumed.push(chunk.seq);
    nextSeq = chunk.seq + 1;
  }
  return {
    next: { ...row, nextSeq, state: recording.state },
    audio: recording.audio,
    recording,
    segments,
    consumed,
  };
}

/** The API shape of an entry, as `GET /api/entries/:id` answers it (no owner id). */
export type EntryJson = Omit<Entry, "userId">;

function entryJson({ userId: _userId, ...rest }: Entry): EntryJson {
  return rest;
}

/**
 * Ends the recording: early chunks still waiting are taken in order, the open utterance is
 * closed and classified, and the entry is saved (duration, speech-time distribution,
 * dominant label, segments). A repeated finish returns the same entry.
 */
export async function finishRecordingEntry(
  db: Db,
  live: LiveModel,
  userId: string,
  recordingId: string,
): Promise<EntryJson> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = await openRow(db, userId, recordingId);
    if (current.value.entryId !== null) {
      const entry = await db.getEntry(userId, current.value.entryId);
      if (!entry) throw new RecordingNotFoundError();
      return entryJson(entry);
    }
    const { recording, segments: late } = await processInOrder(
      db,
      live,
      current,
      await db.listPendingChunks(current.value),
      [],
      true,
    );
    const last = await finishRecordingLive(live, recording);
    const segments = [...await db.listRecordingSegments(current.value), ...late, ...last.segments];
    const distribution = labelDistribution(segments);
    const saved = await db.finishRecording(current, {
      startedAt: new Date(current.value.startedAtMs).toISOString(),
      durationS: recording.state.samplesReceived / MODEL_SAMPLE_RATE_HZ,
      dominant: dominantLabel(distribution),
      distribution,
      segments,
      voice: last.voice,
    });
    if (saved) {
      keptAudioCacheOf(db).delete(audioKey(current.value));
      return entryJson(saved);
    }
  }
  throw new RecordingClosedError("This recording is changing too fast; finish it again.");
}
