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
 *
 * Session tokens are stored only as their SHA-256, so a copy of the database does not
 * hand out live sessions. KV's `expireIn` is a hint (expired rows may still be read for a
 * while), so every row that expires also carries its own deadline, checked on read.
 *
 * Every write is one atomic operation; creations check that the key is new
 * (`versionstamp: null`) and a failed commit throws {@link DbConflictError}.
 */
import { monotonicFactory } from "ulid";

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
  startedAt: string;
  durationS: number;
  dominant: string | null;
  distribution: Record<string, number>;
  segmentCount: number;
}

/** A journal entry with all its segments, as the API returns it (minus `userId`). */
export interface Entry extends EntrySummary {
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

  constructor(kv: Deno.Kv, options: DbOptions = {}) {
    this.kv = kv;
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

  /** Creates a user; throws {@link DbConflictError} if the username is taken. */
  async createUser(username: string, passwordHash: string): Promise<UserRecord> {
    const user: UserRecord = {
      id: this.newId(),
      username,
      passwordHash,
      createdAtMs: this.nowMs(),
      timeZone: null,
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
   * Deletes the user and every key that belongs to them: entries, segments, sessions,
   * login counters. Data goes first and the account record last, so an interrupted
   * deletion leaves a working account that can be deleted again.
   */
  async deleteUser(userId: string): Promise<void> {
    const user = await this.getUser(userId);
    if (!user) return;
    const userPrefixes: Deno.KvKey[] = [
      ["entry_segments", userId],
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
  async createEntry(
    userId: string,
    entry: Omit<Entry, "id" | "userId" | "segmentCount">,
  ): Promise<Entry> {
    const id = this.newId();
    const { segments, ...rest } = entry;
    const summary: EntrySummary = { ...rest, id, userId, segmentCount: segments.length };
    const key = ["entries", userId, id];
    const op = this.kv.atomic().check({ key, versionstamp: null }).set(key, summary);
    for (let page = 0; page * SEGMENTS_PER_PAGE < segments.length; page++) {
      const slice = segments.slice(page * SEGMENTS_PER_PAGE, (page + 1) * SEGMENTS_PER_PAGE);
      op.set(["entry_segments", userId, id, page], slice);
    }
    await commitOrThrow(op);
    return { ...summary, segments };
  }

  /** The entry with its segments, or null when it does not exist or is not this user's. */
  async getEntry(userId: string, entryId: string): Promise<Entry | null> {
    const summary = (await this.kv.get<EntrySummary>(["entries", userId, entryId])).value;
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
    return await this.#listValues<EntrySummary>(["entries", userId], options);
  }

  /** Deletes an entry and its segments; false when it was not there. */
  async deleteEntry(userId: string, entryId: string): Promise<boolean> {
    const row = await this.kv.get<EntrySummary>(["entries", userId, entryId]);
    if (!row.value) return false;
    const op = this.kv.atomic().check(row).delete(row.key);
    for await (const seg of this.kv.list({ prefix: ["entry_segments", userId, entryId] })) {
      op.delete(seg.key);
    }
    await commitOrThrow(op);
    return true;
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
      if (options.cursor) throw new InvalidCursorError();
      throw err;
    }
    return { items, cursor: items.length < limit ? "" : iter.cursor };
  }
}

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
