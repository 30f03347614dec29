/**
 * The only module that touches Deno KV.
 *
 * Key layout (every key starts with a snake_case collection name; ids are ULIDs, so a
 * per-user prefix lists in time order):
 *
 * | key                                           | value              | notes                     |
 * | --------------------------------------------- | ------------------ | ------------------------- |
 * | `["users", userId]`                           | {@link UserRecord} |                           |
 * | `["users_by_username", username]`             | userId             | unique index              |
 * | `["sessions", tokenHash]`                     | {@link SessionRecord} | `expireIn` 30 days, sliding |
 * | `["sessions_by_user", userId, tokenHash]`     | expiresAtMs        | for "log out everywhere"  |
 * | `["login_failures", "username", username]`    | {@link FailureWindow} | `expireIn` 15 minutes  |
 * | `["login_failures", "ip", ip]`                | {@link FailureWindow} | `expireIn` 15 minutes  |
 * | `["entries", userId, entryId]`                | {@link EntrySummary} | journal entries         |
 * | `["entry_segments", userId, entryId, page]`   | {@link Segment}[]  | ≤ {@link SEGMENTS_PER_PAGE} a page, so no value nears KV's 64 KiB limit |
 * | `["entry_voice", userId, entryId]`            | {@link StoredVoiceSample} | the entry's mean functionals, for its owner's voice reference; goes with the entry |
 * | `["recordings", userId, recordingId]`         | {@link RecordingRow} | live recording: next seq, state; after finish, the entry id. `expireIn` 24 h |
 * | `["recording_audio", userId, recordingId, page]` | {@link AudioPage} | kept audio as Int16, page p = samples [p, p+1) s, ≤ 32 KB. `expireIn` 24 h |
 * | `["recording_answers", userId, recordingId, seq]` | {@link ChunkAnswer} | the answer to chunk `seq`, for repeats. `expireIn` 24 h |
 * | `["recording_pending", userId, recordingId, seq, part]` | Uint8Array | early chunk (Int16, ≤ 1 s a part) until the gap before it fills. `expireIn` 24 h |
 * | `["recording_segments", userId, recordingId, index]` | {@link Segment} | closed utterances so far, kept out of the row so it stays small. `expireIn` 24 h |
 *
 * Session tokens are stored only as their SHA-256, so a copy of the database does not
 * hand out live sessions. KV's `expireIn` is a hint (expired rows may still be read for a
 * while), so every row that expires also carries its own deadline, checked on read.
 *
 * Every write is one atomic operation; creations check that the key is new
 * (`versionstamp: null`) and a failed commit throws {@link DbConflictError}. The day index is
 * a second copy of each entry summary: creating, editing and deleting an entry write both
 * copies in one atomic operation checked against the primary row, so they cannot drift apart.
 * The index is by UTC day so that changing one's time zone never moves rows; range queries
 * read the UTC days around the local range and filter by the exact instant.
 */
import { monotonicFactory } from "ulid";
import { guardKv, StoreUnavailableError } from "./kv_guard.ts";
import { type Affect, affectOfSegments } from "./journal/affect.ts";
import type { Prediction, RecordingState } from "./streaming/recording.ts";
import { FUNCTIONALS_VERSION } from "./audio/functionals.ts";
import {
  REFERENCE_ENTRIES,
  type VoiceReference,
  voiceReferenceOf,
  type VoiceSample,
} from "./model/voice_reference.ts";

/** A stored account. `passwordHash` is the encoded string from `lib/auth.ts`. */
export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  createdAtMs: number;
  /** IANA time zone name chosen by the user (or detected by their browser); null until set. */
  timeZone: string | null;
}

/** A login session; the token itself is never stored, only its hash (the key). */
export interface SessionRecord {
  userId: string;
  createdAtMs: number;
  /** Last time the sliding expiry was pushed forward. */
  refreshedAtMs: number;
  expiresAtMs: number;
}

/** Failed-login counter for one username or one client address. */
export interface FailureWindow {
  count: number;
  windowStartMs: number;
}

/** One stretch of speech with its predicted emotion. */
export interface Segment {
  startS: number;
  endS: number;
  label: string;
  confidence: number;
  probabilities: Record<string, number>;
}

/** A journal entry without its segments (those live under `entry_segments`). */
export interface EntrySummary {
  id: string;
  userId: string;
  /** When the recording started (ISO 8601, UTC). */
  startedAt: string;
  durationS: number;
  /** The emotion heard for the longest time, null when no speech was heard. */
  dominant: string | null;
  /** Share of speech time per emotion. */
  distribution: Record<string, number>;
  segmentCount: number;
  /** Duration-weighted valence/arousal of the segments (`lib/journal/affect.ts`). */
  affect: Affect | null;
  /** The user's own words about this entry (at most {@link MAX_NOTE_CHARS}). */
  note: string;
  /** Self-rated mood, 1 (very low) … 5 (very good); null until rated. */
  mood: number | null;
  /** Self-rated energy, 1 (exhausted) … 5 (full of energy); null until rated. */
  energy: number | null;
  /** Last edit of note or ratings (ms since epoch); null when never edited. */
  updatedAtMs: number | null;
}

/** What a caller supplies for a new entry; note and ratings are optional, the rest derived. */
export interface NewEntry {
  startedAt: string;
  durationS: number;
  dominant: string | null;
  distribution: Record<string, number>;
  segments: Segment[];
  note?: string;
  mood?: number | null;
  energy?: number | null;
  /**
   * Mean functionals of the recording's windows (`lib/model/voice_reference.ts`), kept apart
   * from the entry (never shown or exported: numbers about the voice, not the journal) for its
   * owner's voice reference, and deleted with the entry.
   */
  voice?: VoiceSample | null;
}

/**
 * A {@link VoiceSample} as stored: the mean as float32 bytes, with the functionals version it was
 * computed by (samples of another version are not used).
 */
export interface StoredVoiceSample {
  mean: Uint8Array;
  windows: number;
  version: string;
  /** The LSTMs' mean log-probabilities as float32 bytes, and which LSTMs computed them. */
  leaning?: Uint8Array;
  lstm?: string;
}

/** The user-editable fields of an entry; absent fields stay as they are. */
export interface EntryPatch {
  note?: string;
  mood?: number | null;
  energy?: number | null;
}

/** A journal entry with all its segments, as the API returns it (minus `userId`). */
export interface Entry extends EntrySummary {
  segments: Segment[];
}

/** A live recording as stored; `entryId` is set once it was finished into an entry. */
export interface RecordingRow {
  id: string;
  userId: string;
  startedAtMs: number;
  /** Deadline after which the recording counts as abandoned (checked on read). */
  expiresAtMs: number;
  /** The seq of the next chunk to process; later ones wait under `recording_pending`. */
  nextSeq: number;
  state: RecordingState;
  /** Audio pages stored: `[first, end)`. */
  firstPage: number;
  endPage: number;
  /** Seqs of early chunks waiting under `recording_pending`, ascending. */
  pendingSeqs: number[];
  entryId: string | null;
}

/** A row with the versionstamp it was read at, for checked writes. */
export interface Versioned<T> {
  value: T;
  versionstamp: string;
}

/** One page of a recording's kept audio: Int16 little-endian samples from `startSample`. */
export interface AudioPage {
  startSample: number;
  pcm: Uint8Array;
}

/** The answer to one chunk, stored so a repeated chunk gets it again. */
export interface ChunkAnswer {
  seq: number;
  current: Prediction | null;
  segments: Segment[];
}

/** Options for every list function: `cursor` from the previous page, `limit` rows, `reverse` for newest first. */
export interface ListOptions {
  cursor?: string;
  limit?: number;
  reverse?: boolean;
}

/** One page of a list; `cursor` is empty when there is nothing more. */
export interface Page<T> {
  items: T[];
  cursor: string;
}

/** A write lost a race or met an existing key (e.g. a username taken in between). */
export class DbConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DbConflictError";
  }
}

/** A list cursor that this store did not hand out (or that was damaged). */
export class InvalidCursorError extends Error {
  constructor() {
    super("The list cursor is not valid.");
    this.name = "InvalidCursorError";
  }
}

/** Thirty days, the sliding lifetime of a login session. */
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** The sliding expiry is pushed forward at most this often, to keep reads from writing. */
export const SESSION_REFRESH_MS = 3600 * 1000;
/** Segments per KV value: ~250 bytes each keeps a page near 25 KiB, well under 64 KiB. */
export const SEGMENTS_PER_PAGE = 100;
/** Abandoned recordings (no chunk for this long) expire, with all their keys. */
export const RECORDING_TTL_MS = 24 * 3600 * 1000;
/** Samples per stored audio page: 1 s at 16 kHz, 32 000 bytes as Int16. */
export const AUDIO_PAGE_SAMPLES = 16000;
/** Longest note on an entry, in UTF-16 code units (well under KV's 64 KiB a value). */
export const MAX_NOTE_CHARS = 5000;
/** Deno KV's limit on mutations in one atomic operation is 1000; stay below it. */
const MAX_MUTATIONS_PER_ATOMIC = 500;

/** Settings for {@link Db}; `nowMs` lets tests move the clock. */
export interface DbOptions {
  nowMs?: () => number;
}

/**
 * Typed access to everything the app stores. Construct with an open `Deno.Kv`
 * (`:memory:` in tests, a file locally, the managed store on Deploy).
 */
export class Db {
  readonly kv: Deno.Kv;
  readonly nowMs: () => number;
  readonly #ulid: (seedTime?: number) => string;

  /**
   * Wraps `kv` with {@link guardKv}: a failure of the store itself then throws
   * `StoreUnavailableError` (answered with 503), while a failed check stays a conflict.
   */
  constructor(kv: Deno.Kv, options: DbOptions = {}) {
    this.kv = guardKv(kv);
    this.nowMs = options.nowMs ?? Date.now;
    this.#ulid = monotonicFactory();
  }

  /** A new ULID stamped with the db clock, so ids sort by creation time. */
  newId(): string {
    return this.#ulid(this.nowMs());
  }

  /** Closes the underlying store. */
  close(): void {
    this.kv.close();
  }

  // ---- users -------------------------------------------------------------------------

  /**
   * Creates a user, in `timeZone` when given (an IANA name the caller checked); throws
   * {@link DbConflictError} if the username is taken.
   */
  async createUser(
    username: string,
    passwordHash: string,
    timeZone: string | null = null,
  ): Promise<UserRecord> {
    const user: UserRecord = {
      id: this.newId(),
      username,
      passwordHash,
      createdAtMs: this.nowMs(),
      timeZone,
    };
    const userKey = ["users", user.id];
    const nameKey = ["users_by_username", username];
    const res = await this.kv.atomic()
      .check({ key: userKey, versionstamp: null })
      .check({ key: nameKey, versionstamp: null })
      .set(userKey, user)
      .set(nameKey, user.id)
      .commit();
    if (!res.ok) throw new DbConflictError("That username is taken.");
    return user;
  }

  /** The user with this id, or null. */
  async getUser(userId: string): Promise<UserRecord | null> {
    return (await this.kv.get<UserRecord>(["users", userId])).value;
  }

  /** The user with this (already normalised) username, or null. */
  async getUserByUsername(username: string): Promise<UserRecord | null> {
    const id = (await this.kv.get<string>(["users_by_username", username])).value;
    return id ? await this.getUser(id) : null;
  }

  /** Applies `change` to the stored user atomically (retrying if it changed meanwhile). */
  async updateUser(
    userId: string,
    change: (user: UserRecord) => UserRecord,
  ): Promise<UserRecord> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.kv.get<UserRecord>(["users", userId]);
      if (!current.value) throw new DbConflictError("No such user.");
      const next = { ...change(current.value), id: userId, username: current.value.username };
      const res = await this.kv.atomic().check(current).set(["users", userId], next).commit();
      if (res.ok) return next;
    }
    throw new DbConflictError("The account changed too often meanwhile; try again.");
  }

  /**
   * Deletes the user and every key that belongs to them: recordings, entries, segments,
   * sessions, login counters. Data goes first and the account record last, so an interrupted
   * deletion leaves a working account that can be deleted again.
   */
  async deleteUser(userId: string): Promise<void> {
    const user = await this.getUser(userId);
    if (!user) return;
    const userPrefixes: Deno.KvKey[] = [
      ["recording_audio", userId],
      ["recording_answers", userId],
      ["recording_pending", userId],
      ["recording_segments", userId],
      ["recordings", userId],
      ["entry_segments", userId],
      ["entry_voice", userId],
      ["entries_by_day", userId],
      ["entries", userId],
      ["sessions_by_user", userId],
    ];
    for (const prefix of userPrefixes) {
      let batch = this.kv.atomic();
      let size = 0;
      for await (const row of this.kv.list({ prefix })) {
        batch.delete(row.key);
        if (prefix[0] === "sessions_by_user") batch.delete(["sessions", row.key[2] as string]);
        size += 2;
        if (size >= MAX_MUTATIONS_PER_ATOMIC) {
          await commitOrThrow(batch);
          batch = this.kv.atomic();
          size = 0;
        }
      }
      if (size > 0) await commitOrThrow(batch);
    }
    await commitOrThrow(
      this.kv.atomic()
        .delete(["login_failures", "username", user.username])
        .delete(["users_by_username", user.username])
        .delete(["users", userId]),
    );
  }

  // ---- sessions ----------------------------------------------------------------------

  /** Stores a new session under the token's hash. */
  async createSession(userId: string, tokenHash: string): Promise<SessionRecord> {
    const now = this.nowMs();
    const session: SessionRecord = {
      userId,
      createdAtMs: now,
      refreshedAtMs: now,
      expiresAtMs: now + SESSION_TTL_MS,
    };
    const key = ["sessions", tokenHash];
    const res = await this.kv.atomic()
      .check({ key, versionstamp: null })
      .set(key, session, { expireIn: SESSION_TTL_MS })
      .set(["sessions_by_user", userId, tokenHash], session.expiresAtMs, {
        expireIn: SESSION_TTL_MS,
      })
      .commit();
    if (!res.ok) throw new DbConflictError("Session id collision.");
    return session;
  }

  /**
   * The live session for this token hash, or null when missing or expired. Pushes the
   * sliding expiry forward when it was last refreshed more than an hour ago.
   */
  async getSession(
    tokenHash: string,
  ): Promise<(SessionRecord & { refreshed: boolean }) | null> {
    const key = ["sessions", tokenHash];
    const row = await this.kv.get<SessionRecord>(key);
    const session = row.value;
    const now = this.nowMs();
    if (!session) return null;
    if (session.expiresAtMs <= now) {
      await this.deleteSession(tokenHash);
      return null;
    }
    if (now - session.refreshedAtMs < SESSION_REFRESH_MS) return { ...session, refreshed: false };
    const next = { ...session, refreshedAtMs: now, expiresAtMs: now + SESSION_TTL_MS };
    // A lost race means another request refreshed it; either copy is fine.
    await this.kv.atomic()
      .check(row)
      .set(key, next, { expireIn: SESSION_TTL_MS })
      .set(["sessions_by_user", session.userId, tokenHash], next.expiresAtMs, {
        expireIn: SESSION_TTL_MS,
      })
      .commit();
    return { ...next, refreshed: true };
  }

  /** Deletes one session (log out). */
  async deleteSession(tokenHash: string): Promise<void> {
    const session = (await this.kv.get<SessionRecord>(["sessions", tokenHash])).value;
    const op = this.kv.atomic().delete(["sessions", tokenHash]);
    if (session) op.delete(["sessions_by_user", session.userId, tokenHash]);
    await commitOrThrow(op);
  }

  /** Deletes every session of the user except `keepTokenHash` (log out everywhere else). */
  async deleteUserSessions(userId: string, keepTokenHash?: string): Promise<number> {
    let deleted = 0;
    for await (const row of this.kv.list({ prefix: ["sessions_by_user", userId] })) {
      const tokenHash = row.key[2] as string;
      if (tokenHash === keepTokenHash) continue;
      await commitOrThrow(
        this.kv.atomic().delete(row.key).delete(["sessions", tokenHash]),
      );
      deleted++;
    }
    return deleted;
  }

  /** Number of live sessions of the user (shown on the account page). */
  async countUserSessions(userId: string): Promise<number> {
    const now = this.nowMs();
    let n = 0;
    for await (const row of this.kv.list<number>({ prefix: ["sessions_by_user", userId] })) {
      if (row.value > now) n++;
    }
    return n;
  }

  // ---- login rate limiting -----------------------------------------------------------

  /** The current failure window for `["login_failures", kind, id]`, or null if none is live. */
  async getFailures(kind: "username" | "ip", id: string, windowMs: number) {
    const value = (await this.kv.get<FailureWindow>(["login_failures", kind, id])).value;
    if (!value || value.windowStartMs + windowMs <= this.nowMs()) return null;
    return value;
  }

  /** Counts one failed login against `kind`/`id`; a window starts at the first failure. */
  async addFailure(kind: "username" | "ip", id: string, windowMs: number): Promise<FailureWindow> {
    const key = ["login_failures", kind, id];
    for (let attempt = 0; attempt < 10; attempt++) {
      const row = await this.kv.get<FailureWindow>(key);
      const now = this.nowMs();
      const live = row.value && row.value.windowStartMs + windowMs > now ? row.value : null;
      const next: FailureWindow = live
        ? { count: live.count + 1, windowStartMs: live.windowStartMs }
        : { count: 1, windowStartMs: now };
      const expireIn = Math.max(1, next.windowStartMs + windowMs - now);
      const res = await this.kv.atomic().check(row).set(key, next, { expireIn }).commit();
      if (res.ok) return next;
    }
    throw new DbConflictError("Too much contention on the login counter.");
  }

  /** Forgets failures for a username after a successful login. */
  async clearFailures(kind: "username" | "ip", id: string): Promise<void> {
    await this.kv.delete(["login_failures", kind, id]);
  }

  // ---- entries -----------------------------------------------------------------------

  /** Saves a new journal entry with its segments, all in one atomic write. */
  async createEntry(userId: string, entry: NewEntry): Promise<Entry> {
    const op = this.kv.atomic();
    const saved = this.#addEntry(op, userId, entry);
    await commitOrThrow(op);
    return saved;
  }

  #addEntry(op: Deno.AtomicOperation, userId: string, entry: NewEntry): Entry {
    const id = this.newId();
    const { segments, note, mood, energy, voice, ...rest } = entry;
    const summary: EntrySummary = {
      ...rest,
      id,
      userId,
      segmentCount: segments.length,
      affect: affectOfSegments(segments),
      note: note ?? "",
      mood: mood ?? null,
      energy: energy ?? null,
      updatedAtMs: null,
    };
    checkEntryFields(summary);
    const key = ["entries", userId, id];
    op.check({ key, versionstamp: null }).set(key, summary);
    op.set(dayKey(summary), summary);
    for (let page = 0; page * SEGMENTS_PER_PAGE < segments.length; page++) {
      const slice = segments.slice(page * SEGMENTS_PER_PAGE, (page + 1) * SEGMENTS_PER_PAGE);
      op.set(["entry_segments", userId, id, page], slice);
    }
    if (voice) {
      const stored: StoredVoiceSample = {
        mean: new Uint8Array(Float32Array.from(voice.mean).buffer),
        windows: voice.windows,
        version: FUNCTIONALS_VERSION,
        ...(voice.leaning && voice.lstm
          ? { leaning: new Uint8Array(Float32Array.from(voice.leaning).buffer), lstm: voice.lstm }
          : {}),
      };
      op.set(["entry_voice", userId, id], stored);
    }
    return { ...summary, segments };
  }

  /** The entry without its segments, or null when it does not exist or is not this user's. */
  async getEntrySummary(userId: string, entryId: string): Promise<EntrySummary | null> {
    const value = (await this.kv.get<EntrySummary>(["entries", userId, entryId])).value;
    return value ? withDefaults(value) : null;
  }

  /**
   * The user's voice reference from the voice samples of their latest entries (entry ids sort
   * by creation; samples of another functionals version are skipped), or null while they have
   * too few (`voiceReferenceOf`); its leaning from the samples of the LSTMs `lstm` only.
   */
  async voiceReference(userId: string, lstm: string | null = null): Promise<VoiceReference | null> {
    const samples: VoiceSample[] = [];
    const rows = this.kv.list<StoredVoiceSample>({ prefix: ["entry_voice", userId] }, {
      reverse: true,
      limit: REFERENCE_ENTRIES,
    });
    for await (const row of rows) {
      const { mean, windows, version, leaning, lstm: by } = row.value;
      if (version !== FUNCTIONALS_VERSION) continue;
      samples.push({
        mean: new Float32Array(mean.slice().buffer),
        windows,
        ...(leaning && by ? { leaning: new Float32Array(leaning.slice().buffer), lstm: by } : {}),
      });
    }
    return voiceReferenceOf(samples, lstm);
  }

  /** The entry with its segments, or null when it does not exist or is not this user's. */
  async getEntry(userId: string, entryId: string): Promise<Entry | null> {
    const summary = await this.getEntrySummary(userId, entryId);
    if (!summary) return null;
    const segments: Segment[] = [];
    for await (
      const row of this.kv.list<Segment[]>({ prefix: ["entry_segments", userId, entryId] })
    ) {
      segments.push(...row.value);
    }
    return { ...summary, segments };
  }

  /** The user's entries without segments, oldest first (or newest with `reverse`). */
  async listEntries(userId: string, options: ListOptions = {}): Promise<Page<EntrySummary>> {
    const page = await this.#listValues<EntrySummary>(["entries", userId], options);
    return { ...page, items: page.items.map(withDefaults) };
  }

  /**
   * The user's entries whose recording started in `[fromMs, toMs)`, oldest first, read from
   * the day index (one range scan however many entries there are).
   */
  async listEntriesBetween(userId: string, fromMs: number, toMs: number): Promise<EntrySummary[]> {
    if (!(toMs > fromMs)) return [];
    const out: EntrySummary[] = [];
    const iter = this.kv.list<EntrySummary>({
      start: ["entries_by_day", userId, utcDay(fromMs)],
      // The day after the last one, so the whole last day is in the range.
      end: ["entries_by_day", userId, utcDay(toMs + 24 * 3600 * 1000)],
    }, { batchSize: 500 });
    for await (const row of iter) {
      const at = Date.parse(row.value.startedAt);
      if (at >= fromMs && at < toMs) out.push(withDefaults(row.value));
    }
    return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id));
  }

  /** Every entry of the user with its segments, oldest first, one at a time (for export). */
  async *allEntries(userId: string): AsyncGenerator<Entry> {
    let cursor = "";
    do {
      const page = await this.listEntries(userId, { cursor, limit: 100 });
      for (const summary of page.items) {
        const entry = await this.getEntry(userId, summary.id);
        if (entry) yield entry;
      }
      cursor = page.cursor;
    } while (cursor);
  }

  /**
   * Changes the note and ratings of an entry (both copies, atomically, retrying when it changed
   * meanwhile); null when there is no such entry of this user. Invalid values throw
   * `RangeError` before anything is written.
   */
  async updateEntry(
    userId: string,
    entryId: string,
    patch: EntryPatch,
  ): Promise<EntrySummary | null> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const row = await this.kv.get<EntrySummary>(["entries", userId, entryId]);
      if (!row.value) return null;
      const next: EntrySummary = {
        ...withDefaults(row.value),
        ...(patch.note !== undefined ? { note: patch.note } : {}),
        ...(patch.mood !== undefined ? { mood: patch.mood } : {}),
        ...(patch.energy !== undefined ? { energy: patch.energy } : {}),
        updatedAtMs: this.nowMs(),
      };
      checkEntryFields(next);
      const res = await this.kv.atomic().check(row).set(row.key, next).set(dayKey(next), next)
        .commit();
      if (res.ok) return next;
    }
    throw new DbConflictError("The entry changed too often meanwhile; try again.");
  }

  /** Deletes an entry, its day-index copy and its segments; false when it was not there. */
  async deleteEntry(userId: string, entryId: string): Promise<boolean> {
    const row = await this.kv.get<EntrySummary>(["entries", userId, entryId]);
    if (!row.value) return false;
    const op = this.kv.atomic().check(row).delete(row.key).delete(dayKey(row.value))
      .delete(["entry_voice", userId, entryId]);
    for await (const seg of this.kv.list({ prefix: ["entry_segments", userId, entryId] })) {
      op.delete(seg.key);
    }
    await commitOrThrow(op);
    return true;
  }

  // ---- live recordings ---------------------------------------------------------------

  /** Starts a recording in `state` (a fresh recording's). */
  async createRecording(userId: string, state: RecordingState): Promise<RecordingRow> {
    const now = this.nowMs();
    const row: RecordingRow = {
      id: this.newId(),
      userId,
      startedAtMs: now,
      expiresAtMs: now + RECORDING_TTL_MS,
      nextSeq: 0,
      state,
      firstPage: 0,
      endPage: 0,
      pendingSeqs: [],
      entryId: null,
    };
    const key = ["recordings", userId, row.id];
    const res = await this.kv.atomic()
      .check({ key, versionstamp: null })
      .set(key, row, { expireIn: RECORDING_TTL_MS })
      .commit();
    if (!res.ok) throw new DbConflictError("Recording id collision.");
    return row;
  }

  /** The user's recording with its versionstamp, or null when missing, not theirs or abandoned. */
  async getRecording(userId: string, recordingId: string): Promise<Versioned<RecordingRow> | null> {
    const row = await this.kv.get<RecordingRow>(["recordings", userId, recordingId]);
    if (!row.value || row.value.expiresAtMs <= this.nowMs()) return null;
    return { value: row.value, versionstamp: row.versionstamp! };
  }

  /** The kept audio of a recording: samples `[state.bufferStart, state.samplesReceived)`. */
  async getRecordingAudio(row: RecordingRow): Promise<Float32Array> {
    const { bufferStart, samplesReceived } = row.state;
    const out = new Float32Array(samplesReceived - bufferStart);
    if (row.endPage <= row.firstPage) return out;
    const keys = [];
    for (let p = row.firstPage; p < row.endPage; p++) {
      keys.push(["recording_audio", row.userId, row.id, p]);
    }
    for (let i = 0; i < keys.length; i += 10) {
      // getMany reads at most 10 keys at a time.
      for (const page of await this.kv.getMany<AudioPage[]>(keys.slice(i, i + 10))) {
        if (!page.value) continue;
        const samples = fromInt16(page.value.pcm);
        for (let j = 0; j < samples.length; j++) {
          const at = page.value.startSample + j - bufferStart;
          if (at >= 0 && at < out.length) out[at] = samples[j];
        }
      }
    }
    return out;
  }

  /** The stored answer to chunk `seq` of the recording (by owner and id), or null. */
  async getChunkAnswer(
    row: Pick<RecordingRow, "userId" | "id">,
    seq: number,
  ): Promise<ChunkAnswer | null> {
    return (await this.kv.get<ChunkAnswer>(["recording_answers", row.userId, row.id, seq]))
      .value;
  }

  /** Early chunks waiting for the gap before them, in seq order. */
  async listPendingChunks(row: RecordingRow): Promise<{ seq: number; samples: Float32Array }[]> {
    if (row.pendingSeqs.length === 0) return [];
    const bySeq = new Map<number, Uint8Array[]>();
    for await (
      const item of this.kv.list<Uint8Array>({
        prefix: ["recording_pending", row.userId, row.id],
      })
    ) {
      const seq = item.key[3] as number;
      if (!bySeq.has(seq)) bySeq.set(seq, []);
      bySeq.get(seq)!.push(item.value);
    }
    return [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map(([seq, parts]) => {
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const p of parts) {
        bytes.set(p, offset);
        offset += p.length;
      }
      return { seq, samples: fromInt16(bytes) };
    });
  }

  /** Segments closed so far, in order. */
  async listRecordingSegments(row: RecordingRow): Promise<Segment[]> {
    const segments: Segment[] = [];
    for await (
      const item of this.kv.list<Segment>({
        prefix: ["recording_segments", row.userId, row.id],
      })
    ) segments.push(item.value);
    return segments;
  }

  /**
   * Stores an early chunk and its answer, checked against the row (whose versionstamp it
   * moves, so a chunk being processed meanwhile retries and sees this one). False when
   * the row changed or the answer already exists.
   */
  async storePendingChunk(
    current: Versioned<RecordingRow>,
    seq: number,
    samples: Float32Array,
    answer: ChunkAnswer,
  ): Promise<boolean> {
    const { userId, id } = current.value;
    const rowKey = ["recordings", userId, id];
    const answerKey = ["recording_answers", userId, id, seq];
    const now = this.nowMs();
    const pendingSeqs = [...current.value.pendingSeqs, seq].sort((a, b) => a - b);
    const row = { ...current.value, pendingSeqs, expiresAtMs: now + RECORDING_TTL_MS };
    const ttl = { expireIn: RECORDING_TTL_MS };
    const op = this.kv.atomic()
      .check({ key: rowKey, versionstamp: current.versionstamp })
      .check({ key: answerKey, versionstamp: null })
      .set(rowKey, row, ttl)
      .set(answerKey, answer, ttl);
    const pcm = toInt16(samples);
    const partBytes = AUDIO_PAGE_SAMPLES * 2;
    for (let part = 0; part * partBytes < pcm.length || part === 0; part++) {
      op.set(
        ["recording_pending", userId, id, seq, part],
        pcm.slice(part * partBytes, (part + 1) * partBytes),
        ttl,
      );
    }
    return (await op.commit()).ok;
  }

  /**
   * Commits processed chunks in one atomic operation checked against the row read before:
   * the next row, the audio pages that changed (pages wholly before the kept audio are
   * deleted), the answer to `answer.seq`, new segments and the consumed early chunks. The
   * row's new versionstamp, or null when the row changed meanwhile (another request won; read
   * its answer).
   */
  async commitRecordingChunks(
    current: Versioned<RecordingRow>,
    next: RecordingRow,
    audio: Float32Array,
    answer: ChunkAnswer,
    consumedPending: readonly number[],
  ): Promise<string | null> {
    const { userId, id } = current.value;
    const prev = current.value;
    const ttl = { expireIn: RECORDING_TTL_MS };
    const rowKey = ["recordings", userId, id];
    const { bufferStart, samplesReceived } = next.state;
    const firstPage = Math.floor(bufferStart / AUDIO_PAGE_SAMPLES);
    const endPage = samplesReceived > bufferStart
      ? Math.floor((samplesReceived - 1) / AUDIO_PAGE_SAMPLES) + 1
      : firstPage;
    const row: RecordingRow = {
      ...next,
      firstPage,
      endPage,
      pendingSeqs: prev.pendingSeqs.filter((seq) => !consumedPending.includes(seq)),
      expiresAtMs: this.nowMs() + RECORDING_TTL_MS,
    };
    const op = this.kv.atomic()
      .check({ key: rowKey, versionstamp: current.versionstamp })
      .set(rowKey, row, ttl)
      .set(["recording_answers", userId, id, answer.seq], answer, ttl);
    for (let p = prev.firstPage; p < Math.min(prev.endPage, firstPage); p++) {
      op.delete(["recording_audio", userId, id, p]);
    }
    // Only pages holding new samples change; older kept pages are still right.
    const firstChanged = Math.max(
      firstPage,
      Math.floor(prev.state.samplesReceived / AUDIO_PAGE_SAMPLES),
    );
    for (let p = firstChanged; p < endPage; p++) {
      const from = Math.max(p * AUDIO_PAGE_SAMPLES, bufferStart);
      const to = Math.min((p + 1) * AUDIO_PAGE_SAMPLES, samplesReceived);
      const page: AudioPage = {
        startSample: from,
        pcm: toInt16(audio.subarray(from - bufferStart, to - bufferStart)),
      };
      op.set(["recording_audio", userId, id, p], page, ttl);
    }
    answer.segments.forEach((segment, i) => {
      op.set(["recording_segments", userId, id, prev.state.segmentCount + i], segment, ttl);
    });
    if (next.state.segmentCount !== prev.state.segmentCount + answer.segments.length) {
      throw new RangeError(
        `Expected ${prev.state.segmentCount + answer.segments.length} segments, but got ` +
          `${next.state.segmentCount}`,
      );
    }
    for (const seq of consumedPending) {
      for await (
        const part of this.kv.list({ prefix: ["recording_pending", userId, id, seq] })
      ) op.delete(part.key);
    }
    const res = await op.commit();
    return res.ok ? res.versionstamp : null;
  }

  /**
   * Saves the recording as an entry and marks the row finished with its id, in one atomic
   * operation checked against the row; then deletes the recording's other keys. The row stays
   * (until it expires) so a repeated finish finds the entry. Null when the row changed.
   */
  async finishRecording(
    current: Versioned<RecordingRow>,
    entry: NewEntry,
  ): Promise<Entry | null> {
    const { userId, id } = current.value;
    const rowKey = ["recordings", userId, id];
    const op = this.kv.atomic().check({ key: rowKey, versionstamp: current.versionstamp });
    const saved = this.#addEntry(op, userId, entry);
    const row: RecordingRow = {
      ...current.value,
      entryId: saved.id,
      firstPage: 0,
      endPage: 0,
      pendingSeqs: [],
      expiresAtMs: this.nowMs() + RECORDING_TTL_MS,
    };
    op.set(rowKey, row, { expireIn: RECORDING_TTL_MS });
    if (!(await op.commit()).ok) return null;
    await this.#deleteRecordingData(current.value);
    return saved;
  }

  /**
   * Deletes the recording's audio pages, answers, early chunks and segments. Their keys follow
   * from the row (pages `[firstPage, endPage)`, answers of every seq taken or waiting, segments
   * `[0, segmentCount)`), so nothing is listed or read but the parts of waiting early chunks;
   * keys that are already gone cost nothing.
   */
  async #deleteRecordingData(row: RecordingRow): Promise<void> {
    const { userId, id } = row;
    const keys: Deno.KvKey[] = [];
    for (let p = row.firstPage; p < row.endPage; p++) keys.push(["recording_audio", userId, id, p]);
    for (let seq = 0; seq < row.nextSeq; seq++) keys.push(["recording_answers", userId, id, seq]);
    for (let i = 0; i < row.state.segmentCount; i++) {
      keys.push(["recording_segments", userId, id, i]);
    }
    for (const seq of row.pendingSeqs) {
      keys.push(["recording_answers", userId, id, seq]);
      for await (const part of this.kv.list({ prefix: ["recording_pending", userId, id, seq] })) {
        keys.push(part.key);
      }
    }
    for (let i = 0; i < keys.length; i += MAX_MUTATIONS_PER_ATOMIC) {
      const batch = this.kv.atomic();
      for (const key of keys.slice(i, i + MAX_MUTATIONS_PER_ATOMIC)) batch.delete(key);
      await commitOrThrow(batch);
    }
  }

  async #listValues<T>(prefix: Deno.KvKey, options: ListOptions): Promise<Page<T>> {
    const limit = Math.min(Math.max(1, options.limit ?? 20), 1000);
    const iter = this.kv.list<T>({ prefix }, {
      cursor: options.cursor || undefined,
      limit,
      reverse: options.reverse ?? false,
    });
    const items: T[] = [];
    try {
      for await (const row of iter) items.push(row.value);
    } catch (err) {
      if (options.cursor && !(err instanceof StoreUnavailableError)) throw new InvalidCursorError();
      throw err;
    }
    return { items, cursor: items.length < limit ? "" : iter.cursor };
  }
}

/** `YYYY-MM-DD` of the UTC day holding `ms`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayKey(summary: Pick<EntrySummary, "userId" | "startedAt" | "id">): Deno.KvKey {
  return ["entries_by_day", summary.userId, utcDay(Date.parse(summary.startedAt)), summary.id];
}

/** Summaries stored before notes and ratings existed read as unrated, with no note. */
function withDefaults(summary: EntrySummary): EntrySummary {
  return {
    ...summary,
    affect: summary.affect ?? null,
    note: summary.note ?? "",
    mood: summary.mood ?? null,
    energy: summary.energy ?? null,
    updatedAtMs: summary.updatedAtMs ?? null,
  };
}

function isRating(value: unknown): boolean {
  return value === null || (Number.isInteger(value) && (value as number) >= 1 &&
    (value as number) <= 5);
}

/** Throws `RangeError` for a bad start time, note or rating (nothing is written then). */
function checkEntryFields(summary: EntrySummary): void {
  if (!Number.isFinite(Date.parse(summary.startedAt))) {
    throw new RangeError(`Expected an ISO start time, but got "${summary.startedAt}"`);
  }
  if (typeof summary.note !== "string" || summary.note.length > MAX_NOTE_CHARS) {
    throw new RangeError(`Expected a note of at most ${MAX_NOTE_CHARS} characters`);
  }
  if (!isRating(summary.mood)) {
    throw new RangeError(`Expected mood 1–5 or null, but got ${String(summary.mood)}`);
  }
  if (!isRating(summary.energy)) {
    throw new RangeError(`Expected energy 1–5 or null, but got ${String(summary.energy)}`);
  }
}

/** Samples in [−1, 1] as Int16 little-endian bytes (rounded, clipped). */
function toInt16(samples: Float32Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  if (LITTLE_ENDIAN) {
    // Written in place as Int16, several times faster than a DataView.
    const pcm = new Int16Array(bytes.buffer);
    for (let i = 0; i < samples.length; i++) {
      pcm[i] = Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767);
    }
    return bytes;
  }
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(2 * i, Math.round(v * 32767), true);
  }
  return bytes;
}

/** Int16 little-endian bytes back to samples, exactly as `toStoredPrecision` rounds them. */
function fromInt16(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length >> 1);
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    // The common case reads the bytes in place as Int16, several times faster than a DataView.
    const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, out.length);
    for (let i = 0; i < out.length; i++) out[i] = pcm[i] / 32767;
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true) / 32767;
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Commits `op` and throws {@link DbConflictError} when a check failed. */
async function commitOrThrow(op: Deno.AtomicOperation): Promise<void> {
  const res = await op.commit();
  if (!res.ok) throw new DbConflictError("The data changed meanwhile; try again.");
}

/**
 * Opens the store: the managed KV on Deno Deploy (no path), else `path`
 * (a local SQLite file, or `:memory:`).
 */
export async function openDb(path: string | undefined, options: DbOptions = {}): Promise<Db> {
  const kv = await Deno.openKv(path);
  return new Db(kv, options);
}
