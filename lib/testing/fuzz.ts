/**
 * Building blocks for fuzzing the web app in-process: a seeded random number generator,
 * hostile values (ids, seqs, texts, audio and JSON bodies), a request generator that walks
 * the route table, and a watched KV store that logs which keys each request wrote, with
 * whole-store snapshots to cross-check that log.
 *
 * Everything is deterministic for a given seed, so a failure seen once is seen again with
 * the seed printed beside it.
 *
 * @example
 * const rng = new Rng(42);
 * const c = generateCase(rng, world);
 * const res = await app.request(TEST_ORIGIN + c.path, toRequestInit(c));
 */
import { encodeWav } from "../audio/encode.ts";
import type { RouteEntry } from "../web/router.ts";
import type { Method, RouteModule } from "../web/types.ts";

// ---- random numbers ---------------------------------------------------------------------

/** A small seeded PRNG (mulberry32): the same seed always gives the same sequence. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Expected a non-empty list to pick from");
    return items[Math.floor(this.next() * items.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

// ---- the route table --------------------------------------------------------------------

/** The HTTP methods a route module may handle, in a fixed order. */
export const ROUTE_METHODS: readonly Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/**
 * The methods a route answers: its `handlers`, plus GET when it has a page and no GET
 * handler (as `mountRoutes` registers it). Throws for a handler under a name that is not an
 * HTTP method this app knows, so a test never skips one silently.
 */
export function routeMethods(module: RouteModule): Method[] {
  const names = Object.keys(module.handlers ?? {});
  for (const name of names) {
    if (!(ROUTE_METHODS as readonly string[]).includes(name)) {
      throw new RangeError(`Expected handlers for ${ROUTE_METHODS.join(", ")}, but got "${name}"`);
    }
  }
  const methods = ROUTE_METHODS.filter((m) => names.includes(m));
  if (module.default && !methods.includes("GET")) methods.unshift("GET");
  return methods;
}

/** The `:name` parameters of a Hono path pattern, e.g. `["id"]` for `/api/entries/:id`. */
export function routeParams(pattern: string): string[] {
  return [...pattern.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
}

/** The pattern with each `:name` replaced by `values[name]` (inserted as given, not encoded). */
export function fillPattern(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    if (!(name in values)) throw new RangeError(`No value for :${name} in ${pattern}`);
    return values[name];
  });
}

// ---- a watched store --------------------------------------------------------------------

/** One write to the store: the key and what happened to it. */
export interface KvWrite {
  key: Deno.KvKey;
  op: "set" | "delete" | "sum" | "min" | "max" | "enqueue";
}

/** Writes committed since the log was last taken. */
export interface WriteLog {
  /** Takes (and clears) the writes committed so far. */
  take(): KvWrite[];
}

const WRITE_OPS = new Set(["set", "delete", "sum", "min", "max"]);

/**
 * Wraps `kv` so that every committed write (`set`, `delete`, atomic operations) is logged.
 * Reads pass straight through. Only committed atomic operations are logged: a failed check
 * writes nothing.
 */
export function watchKv(kv: Deno.Kv): { kv: Deno.Kv; log: WriteLog } {
  let writes: KvWrite[] = [];
  const wrapAtomic = (op: Deno.AtomicOperation): Deno.AtomicOperation => {
    const pending: KvWrite[] = [];
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(target, name) {
        const value = Reflect.get(target, name, target);
        if (typeof value !== "function") return value;
        if (name === "commit") {
          return async () => {
            const res = await target.commit();
            if (res.ok) writes.push(...pending);
            return res;
          };
        }
        return (...args: unknown[]) => {
          if (WRITE_OPS.has(String(name))) {
            pending.push({ key: args[0] as Deno.KvKey, op: name as KvWrite["op"] });
          } else if (name === "enqueue") pending.push({ key: [], op: "enqueue" });
          const out = value.apply(target, args);
          return out === target ? proxy : out;
        };
      },
    });
    return proxy;
  };
  const watched = new Proxy(kv, {
    get(target, name) {
      const value = Reflect.get(target, name, target);
      if (typeof value !== "function") return value;
      if (name === "atomic") return () => wrapAtomic(target.atomic());
      if (name === "set" || name === "delete") {
        return async (...args: unknown[]) => {
          const out = await value.apply(target, args);
          writes.push({ key: args[0] as Deno.KvKey, op: name });
          return out;
        };
      }
      if (name === "enqueue") {
        return async (...args: unknown[]) => {
          const out = await value.apply(target, args);
          writes.push({ key: [], op: "enqueue" });
          return out;
        };
      }
      return value.bind(target);
    },
  });
  return {
    kv: watched,
    log: {
      take() {
        const out = writes;
        writes = [];
        return out;
      },
    },
  };
}

/** A readable, comparable form of a KV key, e.g. `["entries","01H…","01J…"]`. */
export function keyString(key: Deno.KvKey): string {
  return Deno.inspect(key, { colors: false, compact: true, breakLength: Infinity });
}

/** Every row of a store: key string → the key, its versionstamp and its value. */
export type KvSnapshot = Map<string, { key: Deno.KvKey; versionstamp: string; value: unknown }>;

/**
 * Reads the whole store. Rows compare by versionstamp, which moves with every write, even
 * one that writes the same value again.
 */
export async function kvSnapshot(kv: Deno.Kv): Promise<KvSnapshot> {
  const rows: KvSnapshot = new Map();
  for await (const row of kv.list({ prefix: [] })) {
    rows.set(keyString(row.key), {
      key: row.key,
      versionstamp: row.versionstamp,
      value: row.value,
    });
  }
  return rows;
}

function shortValue(value: unknown): string {
  return Deno.inspect(value, {
    colors: false,
    compact: true,
    breakLength: Infinity,
    depth: 4,
    iterableLimit: 8,
    strAbbreviateSize: 120,
  });
}

/** The keys added, removed or rewritten between two snapshots, each with what happened. */
export function snapshotChanges(before: KvSnapshot, after: KvSnapshot): string[] {
  const changes: string[] = [];
  for (const [key, row] of after) {
    const old = before.get(key);
    if (!old) changes.push(`added ${key} = ${shortValue(row.value)}`);
    else if (old.versionstamp !== row.versionstamp) {
      changes.push(`rewrote ${key}: ${shortValue(old.value)} → ${shortValue(row.value)}`);
    }
  }
  for (const [key, row] of before) {
    if (!after.has(key)) changes.push(`removed ${key} (was ${shortValue(row.value)})`);
  }
  return changes;
}

// ---- hostile values ---------------------------------------------------------------------

const TRICKY_TEXT = [
  "",
  " ",
  "a",
  "rita",
  "Rita",
  "ri ta",
  "rita\u0000",
  "\u0000",
  "\t\n\r",
  "\u0007\u001b[31mred\u001b[0m",
  "\u202eevil\u202c",
  "\u200b\u200d\ufeff",
  "ｒｉｔａ",
  "İstanbul",
  "straße",
  "日本語のテキスト",
  "😀👍🏽👨‍👩‍👧",
  "\ud800",
  "\udfff\ud800",
  "<script>alert(1)</script>",
  "\"'><img src=x onerror=alert(1)>",
  "${7*7}{{7*7}}",
  "'; DROP TABLE users; --",
  "../../etc/passwd",
  "%00%2e%2e%2f",
  "null",
  "undefined",
  "__proto__",
  "constructor",
  "NaN",
  "-0",
  "1e308",
  "Europe/Berlin",
  "Not/AZone",
  "UTC",
];

/** A hostile string: tricky fixed texts, random code points, control characters, or huge. */
export function weirdText(rng: Rng, maxLength = 64): string {
  switch (rng.int(0, 5)) {
    case 0:
    case 1:
      return rng.pick(TRICKY_TEXT);
    case 2: {
      let s = "";
      const n = rng.int(0, maxLength);
      for (let i = 0; i < n; i++) s += String.fromCodePoint(rng.int(0, 0x10ffff));
      return s.replace(/[\ud800-\udfff]/g, "?");
    }
    case 3: {
      let s = "";
      const n = rng.int(1, maxLength);
      for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(0, 0x7f));
      return s;
    }
    case 4:
      return rng.pick(TRICKY_TEXT).repeat(rng.int(1, 4)) + rng.pick(TRICKY_TEXT);
    default:
      return rng.pick(["x", "é", "😀", "\u0000", " "]).repeat(rng.pick([1025, 5001, 20000]));
  }
}

/** Percent-encodes `text` for a URL, lone surrogates (which cannot be encoded) replaced. */
export function encodeText(text: string): string {
  return encodeURIComponent(text.toWellFormed());
}

/** A bogus id for a `:id` path segment, already percent-encoded where it needs to be. */
export function bogusId(rng: Rng, like?: string): string {
  const fixed = [
    "0",
    "-1",
    "1.5",
    "1e308",
    "-1e308",
    "NaN",
    "Infinity",
    "9".repeat(400),
    "%2e%2e",
    "%2F",
    "%00",
    "%E0%A4%A",
    "%",
    "%ZZ",
    "%F0%9F%98%80",
    "%E6%97%A5%E6%9C%AC",
    "null",
    "undefined",
    "__proto__",
    "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    "a".repeat(3000),
    "A".repeat(26),
    " ",
    "%20",
    "%0A",
    "id;x=1",
    "x".repeat(rng.int(1, 40)),
  ];
  if (like && rng.chance(0.3)) {
    return rng.pick([
      like + "x",
      like.slice(0, -1),
      like.toLowerCase(),
      like + "%00",
      `${like}%2F..`,
      encodeText(like + "\u0000"),
    ]);
  }
  if (rng.chance(0.15)) return encodeText(weirdText(rng, 30)) || "%20";
  return rng.pick(fixed);
}

/** A `seq` query value: valid ones, and negatives, floats, huge, non-numeric, empty. */
export function seqValue(rng: Rng): string {
  if (rng.chance(0.35)) return String(rng.int(0, 40));
  return rng.pick([
    "-1",
    "1.5",
    "1e308",
    "-1e308",
    "1e3",
    "NaN",
    "Infinity",
    "abc",
    "",
    " 1",
    "0x10",
    "+1",
    "86400",
    "86401",
    "999999999",
    "9999999999",
    "99999999999999999999999",
    "٣",
    "%00",
    "1%00",
    "0".repeat(50),
  ]);
}

// ---- bodies -------------------------------------------------------------------------------

/** How a body was made, for counting what the fuzz covered. */
export type BodyKind =
  | "none"
  | "random-bytes"
  | "wav"
  | "wav-truncated"
  | "wav-mutated"
  | "float32"
  | "float32-bad"
  | "int16"
  | "json"
  | "json-bad"
  | "form"
  | "multipart"
  | "oversize";

function samplesOf(rng: Rng, n: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(n);
  const kind = rng.int(0, 3);
  const freq = rng.int(80, 4000);
  // Noise from an inline generator seeded by `rng`: one call per sample would be slow.
  let x = rng.int(1, 0x7fffffff);
  const noise = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296 * 2 - 1;
  };
  for (let i = 0; i < n; i++) {
    out[i] = kind === 0
      ? 0
      : kind === 1
      ? noise() * 0.5
      : kind === 2
      ? 0.3 * Math.sin((2 * Math.PI * freq * i) / 16000)
      : noise() * 4;
  }
  return out;
}

/** Short audio lengths mostly (a chunk costs model time), sometimes past the 10 s cap. */
function sampleCount(rng: Rng): number {
  if (rng.chance(0.04)) return rng.int(160_001, 170_000);
  if (rng.chance(0.2)) return rng.int(0, 64);
  return rng.int(64, 16_000);
}

/** A valid WAV file of short audio, at a random rate, channel count and encoding. */
export function wavBody(rng: Rng): Uint8Array<ArrayBuffer> {
  if (rng.chance(0.05)) {
    // Minutes of 8-bit audio at a very low rate: few bytes, many samples once resampled.
    const rate = rng.pick([1000, 2000]);
    const samples = samplesOf(rng, rng.int(10 * rate, 300 * rate));
    return new Uint8Array(encodeWav(samples, rate, { encoding: "pcm_u8" }));
  }
  const rate = rng.pick([8000, 16000, 22050, 44100, 48000, 1000, 96000]);
  const n = Math.min(sampleCount(rng), rate * 2);
  const channels = rng.int(1, 2);
  const data = Array.from({ length: channels }, () => samplesOf(rng, n));
  const encoding = rng.pick(["pcm_s16", "pcm_u8", "pcm_s24", "pcm_s32", "float32"] as const);
  return new Uint8Array(encodeWav(data, rate, { encoding }));
}

/** `bytes` damaged: flipped bytes, a cut, inserted garbage or a rewritten header field. */
export function mutateBytes(rng: Rng, bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes);
  const edits = rng.int(1, 8);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = rng.int(0, Math.min(out.length - 1, rng.chance(0.7) ? 64 : out.length - 1));
    switch (rng.int(0, 3)) {
      case 0:
        out[at] ^= 1 << rng.int(0, 7);
        break;
      case 1:
        out[at] = rng.pick([0, 0xff, 0x7f, 0x80]);
        break;
      case 2: {
        // A 32-bit header field (sizes, rates) set to an extreme.
        const view = new DataView(out.buffer);
        if (at + 4 <= out.length) {
          view.setUint32(at, rng.pick([0, 1, 0xffffffff, 0x7fffffff, 44, 2 ** 26]), true);
        }
        break;
      }
      default:
        out[at] = rng.int(0, 255);
    }
  }
  if (rng.chance(0.3)) {
    const extra = rng.bytes(rng.int(1, 64));
    const joined = new Uint8Array(out.length + extra.length);
    joined.set(out);
    joined.set(extra, out.length);
    return joined;
  }
  return out;
}

function float32Body(rng: Rng, bad: boolean): Uint8Array<ArrayBuffer> {
  const samples = samplesOf(rng, sampleCount(rng));
  if (bad) {
    for (let k = rng.int(1, 4); k > 0 && samples.length > 0; k--) {
      samples[rng.int(0, samples.length - 1)] = rng.pick([NaN, Infinity, -Infinity, 3e38, -0]);
    }
  }
  const bytes = new Uint8Array(samples.buffer as ArrayBuffer);
  // A length that is not a multiple of four.
  if (bad && rng.chance(0.5)) return bytes.slice(0, Math.max(0, bytes.length - rng.int(1, 3)));
  return bytes;
}

function int16Body(rng: Rng): Uint8Array<ArrayBuffer> {
  const samples = samplesOf(rng, sampleCount(rng));
  const out = new Int16Array(samples.length);
  samples.forEach((v, i) => out[i] = Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
  return new Uint8Array(out.buffer);
}

function jsonValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 3 ? 4 : 7)) {
    case 0:
      return weirdText(rng, 40);
    case 1:
      return rng.pick([1, 2, 3, 4, 5, 0, 6, -1, 2.5, 1e308, -1e308, 2 ** 53 + 1, -0]);
    case 2:
      return rng.pick([true, false, null]);
    case 3:
      return "x".repeat(rng.pick([4999, 5000, 5001, 20000]));
    case 4:
      return rng.int(1, 5);
    case 5:
      return Array.from({ length: rng.int(0, 4) }, () => jsonValue(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(0, 4) }, () => [jsonKey(rng), jsonValue(rng, depth + 1)]),
      );
  }
}

const JSON_KEYS = ["note", "mood", "energy", "id", "userId", "segments", "__proto__", "error"];

function jsonKey(rng: Rng): string {
  return rng.chance(0.8) ? rng.pick(JSON_KEYS) : weirdText(rng, 12);
}

function jsonBody(rng: Rng): Uint8Array<ArrayBuffer> {
  if (rng.chance(0.5)) {
    // Near a valid entry edit: the known fields with values of the right type, mostly.
    const edit: Record<string, unknown> = {};
    if (rng.chance(0.7)) edit.note = weirdText(rng, 200);
    if (rng.chance(0.5)) {
      edit.mood = rng.chance(0.8) ? rng.pick([1, 2, 3, 4, 5, null]) : jsonValue(rng);
    }
    if (rng.chance(0.5)) edit.energy = rng.chance(0.8) ? rng.int(1, 5) : jsonValue(rng);
    return new TextEncoder().encode(JSON.stringify(edit));
  }
  const fields: Record<string, unknown> = {};
  for (let k = rng.int(0, 4); k > 0; k--) {
    const key = jsonKey(rng);
    const value = jsonValue(rng);
    // Own `__proto__` keys are written as JSON text, as an attacker would send them.
    Object.defineProperty(fields, key, { value, enumerable: true, configurable: true });
  }
  return new TextEncoder().encode(JSON.stringify(fields));
}

function badJsonBody(rng: Rng): Uint8Array<ArrayBuffer> {
  const text = rng.pick([
    "",
    "{",
    "}",
    "[]",
    "[1,2",
    "null",
    "1",
    '"note"',
    "true",
    '{"note": "x",}',
    "{'note': 'x'}",
    '{"note": "\\ud800"}',
    '{"mood": 1e999}',
    '{"mood": NaN}',
    '{"__proto__": {"admin": true}}',
    '{"constructor": {"prototype": {"x": 1}}}',
    "\ufeff{}",
    "[".repeat(5000) + "]".repeat(5000),
    '{"a":'.repeat(3000) + "1" + "}".repeat(3000),
  ]);
  const bytes = new TextEncoder().encode(text);
  return rng.chance(0.3) ? mutateBytes(rng, bytes) : bytes;
}

/** Field names the app's forms read, and some it does not. */
const FORM_FIELDS = [
  "username",
  "password",
  "next",
  "action",
  "current_password",
  "new_password",
  "time_zone",
  "note",
  "mood",
  "energy",
];

const FORM_ACTIONS = ["password", "timezone", "logout-everywhere", "delete", "", "nope"];

/** Form fields for a fuzz request; `knownPassword` is used now and then, so some pass. */
function formFields(rng: Rng, knownPassword: string): [string, string][] {
  const fields: [string, string][] = [];
  for (let k = rng.int(0, 6); k > 0; k--) {
    const name = rng.chance(0.85) ? rng.pick(FORM_FIELDS) : weirdText(rng, 16);
    let value: string;
    if (name === "action" && rng.chance(0.8)) value = rng.pick(FORM_ACTIONS);
    else if (name.includes("password") && rng.chance(0.1)) value = knownPassword;
    else if (name === "next" && rng.chance(0.5)) {
      value = rng.pick(["/dashboard", "//evil.example", "/\\evil.example", "https://evil.example"]);
    } else value = weirdText(rng, 48);
    fields.push([name, value]);
  }
  return fields;
}

function formBody(rng: Rng, knownPassword: string): Uint8Array<ArrayBuffer> {
  const fields = formFields(rng, knownPassword);
  let text = new URLSearchParams(fields).toString();
  if (rng.chance(0.15)) {
    text = rng.pick([
      text + "&%",
      text + "&a=%E0%A4%A",
      "=".repeat(50),
      "&&&",
      text + "&" + "x=1&".repeat(2000),
    ]);
  }
  return new TextEncoder().encode(text);
}

function multipartBody(rng: Rng, knownPassword: string, boundary: string): Uint8Array {
  const parts = formFields(rng, knownPassword).map(([name, value]) =>
    `--${boundary}\r\ncontent-disposition: form-data; name="${name.replace(/"/g, "")}"` +
    `\r\n\r\n${value}\r\n`
  );
  if (rng.chance(0.3)) {
    parts.push(
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.wav"\r\n` +
        `content-type: audio/wav\r\n\r\nRIFF....WAVE\r\n`,
    );
  }
  let text = parts.join("") + `--${boundary}--\r\n`;
  if (rng.chance(0.3)) text = text.slice(0, rng.int(0, text.length));
  return new TextEncoder().encode(text);
}

// ---- requests ---------------------------------------------------------------------------

/** Who sends a fuzz request. */
export type Auth = "actor" | "other" | "anonymous" | "bad-cookie" | "huge-cookie";

/** Ids of what one user owns: journal entries and live recordings. */
export interface OwnedIds {
  entries: readonly string[];
  recordings: readonly string[];
}

/** What the generator needs to know about the app under test. */
export interface FuzzWorld {
  routes: readonly RouteEntry[];
  /** Session cookies (`name=value`) of the fuzzing user and of a second user. */
  cookies: { actor: string; other: string };
  /** The fuzzing user's password, sent now and then so that some forms succeed. */
  password: string;
  /** Real ids: the fuzzing user's own, and the second user's. */
  ids: { actor: OwnedIds; other: OwnedIds };
  /** The origin the app is addressed at. */
  origin: string;
}

/** One generated request and what it was made of. */
export interface FuzzCase {
  method: string;
  /** Path with query, as sent. */
  path: string;
  /** The manifest pattern it was built from, or null for a path outside the table. */
  pattern: string | null;
  headers: [string, string][];
  body: Uint8Array | null;
  /** Sent as a stream without a content-length (chunked). */
  streamed: boolean;
  bodyKind: BodyKind;
  auth: Auth;
  /** Whose real id went into `:id`: the sender's own, someone else's, or a bogus one. */
  idOwner: "actor" | "other" | "bogus" | null;
  /** Labels of the hostile parts, for coverage counts. */
  traits: string[];
}

const OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND"];

const CONTENT_TYPES = [
  "application/octet-stream",
  "audio/wav",
  "audio/x-wav",
  "AUDIO/WAV; codecs=1",
  "application/json",
  "application/json; charset=utf-16",
  "application/x-www-form-urlencoded",
  "application/x-www-form-urlencoded; charset=iso-8859-1",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  "text/plain",
  "text/csv",
  "",
  "*/*",
  ";;;",
  "application/octet-stream; rate=8000",
];

const EXTRA_PATHS = [
  "/api",
  "/api/",
  "/api/nope",
  "/api/entries/",
  "/api/sessions/x",
  "/api/sessions//chunks",
  "/entries/x/y",
  "/static/",
  "/static/nope.js",
  "/static/%2e%2e%2fdeno.json",
  "//dashboard",
  "/dashboard/",
  "/%ZZ",
  "/login%00",
  "/ＡＰＩ",
];

function bodyFor(
  rng: Rng,
  kind: BodyKind,
  password: string,
  boundary: string,
): Uint8Array | null {
  switch (kind) {
    case "none":
      return null;
    case "random-bytes":
      return rng.bytes(rng.pick([0, 1, 3, 4, rng.int(5, 4096)]));
    case "wav":
      return wavBody(rng);
    case "wav-truncated": {
      const wav = wavBody(rng);
      return wav.slice(0, rng.int(0, Math.min(wav.length - 1, rng.chance(0.5) ? 60 : wav.length)));
    }
    case "wav-mutated":
      return mutateBytes(rng, wavBody(rng));
    case "float32":
      return float32Body(rng, false);
    case "float32-bad":
      return float32Body(rng, true);
    case "int16":
      return int16Body(rng);
    case "json":
      return jsonBody(rng);
    case "json-bad":
      return badJsonBody(rng);
    case "form":
      return formBody(rng, password);
    case "multipart":
      return multipartBody(rng, password, boundary);
    case "oversize":
      return null;
  }
}

const NATURAL_TYPE: Record<BodyKind, string | null> = {
  "none": null,
  "random-bytes": "application/octet-stream",
  "wav": "audio/wav",
  "wav-truncated": "audio/wav",
  "wav-mutated": "audio/wav",
  "float32": "application/octet-stream",
  "float32-bad": "application/octet-stream",
  "int16": "application/octet-stream",
  "json": "application/json",
  "json-bad": "application/json",
  "form": "application/x-www-form-urlencoded",
  "multipart": "multipart/form-data",
  "oversize": null,
};

/** Body kinds by weight; audio kinds are rarer as each accepted chunk runs the model. */
const BODY_KINDS: readonly BodyKind[] = [
  "none",
  "none",
  "random-bytes",
  "random-bytes",
  "wav",
  "wav-truncated",
  "wav-mutated",
  "float32",
  "float32-bad",
  "int16",
  "json",
  "json",
  "json-bad",
  "form",
  "form",
  "form",
  "multipart",
];

/** The parts of a request that a plausible case gets right but for one. */
const ASPECTS = ["method", "id", "seq", "sender", "origin", "type", "body"] as const;

/** A body kind the route at `pathname` takes: audio for chunks, JSON for the API, forms. */
function naturalBodyKind(rng: Rng, pathname: string): BodyKind {
  if (pathname.endsWith("/chunks")) return rng.pick(["wav", "float32", "int16"] as const);
  if (pathname.startsWith("/api/")) return "json";
  return rng.pick(["form", "form", "multipart"] as const);
}

/**
 * Generates one request: a route of the table (now and then a path outside it), a method
 * it handles (or not), real or bogus ids, hostile query values, a body of some kind with a
 * fitting, wrong or missing content type, and a sender that is logged in, someone else,
 * anonymous or holding a bad cookie, with a good, bad or no Origin.
 *
 * Two in five cases are plausible: the sender's own id, a handled method, a small seq, a
 * good Origin and a body the route takes, with just one of these parts left to chance, so
 * that requests get past the first check and reach the deeper code.
 */
export function generateCase(
  rng: Rng,
  world: FuzzWorld,
  limits: { bodyLimitFor(path: string): number },
): FuzzCase {
  const traits: string[] = [];
  let pattern: string | null = null;
  let method: string;
  let pathname: string;
  let idOwner: FuzzCase["idOwner"] = null;
  const plausible = rng.chance(0.4);
  const odd = plausible ? rng.pick(ASPECTS) : null;
  /** Whether `aspect` is left to chance (always, unless the case is plausible). */
  const wild = (aspect: typeof ASPECTS[number]) => !plausible || odd === aspect;
  if (plausible) traits.push(`plausible-but-${odd}`);
  if (!plausible && rng.chance(0.04)) {
    pathname = rng.pick(EXTRA_PATHS);
    method = rng.pick(OTHER_METHODS);
    traits.push("path-outside-table");
  } else {
    const [routePattern, module] = rng.pick(world.routes);
    pattern = routePattern;
    const methods = routeMethods(module);
    if (methods.length > 0 && (!wild("method") || rng.chance(0.8))) method = rng.pick(methods);
    else {
      method = rng.pick(OTHER_METHODS);
      if (!(methods as string[]).includes(method)) traits.push("wrong-method");
    }
    const values: Record<string, string> = {};
    // A plausible id is of the kind the route is about; others are any real id or none.
    const kind = routePattern.includes("/sessions/") ? "recordings" : "entries";
    const ids = (owned: OwnedIds) =>
      plausible && !wild("id") && owned[kind].length > 0
        ? owned[kind]
        : [...owned.entries, ...owned.recordings];
    for (const name of routeParams(routePattern)) {
      const r = wild("id") ? rng.next() : 0;
      const own = ids(world.ids.actor), others = ids(world.ids.other);
      if (r < 0.45 && own.length > 0) {
        values[name] = rng.pick(own);
        idOwner = "actor";
      } else if (r < 0.6 && others.length > 0) {
        values[name] = rng.pick(others);
        idOwner = "other";
      } else {
        values[name] = bogusId(rng, rng.pick([...own, ""]) || undefined);
        idOwner = "bogus";
        traits.push("bogus-id");
      }
    }
    pathname = fillPattern(routePattern, values);
  }
  const query: string[] = [];
  if (pattern?.includes("chunks") || rng.chance(0.1)) {
    const seq = wild("seq") ? seqValue(rng) : String(rng.int(0, 6));
    query.push(`seq=${seq.startsWith("%") || seq.includes("%") ? seq : encodeURIComponent(seq)}`);
    if (!/^\d+$/.test(seq)) traits.push("bad-seq");
  }
  if (rng.chance(0.25)) {
    const name = rng.pick(["limit", "cursor", "format", "next", "done", "seq", "from", "to"]);
    const value = rng.chance(0.5)
      ? rng.pick(["0", "-1", "101", "1e308", "json", "csv", "xml", "", "AAAA", "%ZZ", "%E0%A4%A"])
      : encodeText(weirdText(rng, 40));
    query.push(`${name}=${value}`);
    traits.push("odd-query");
  }
  const path = pathname + (query.length > 0 ? `?${query.join("&")}` : "");

  const headers: [string, string][] = [];
  const authRoll = wild("sender") ? rng.next() : 0;
  const auth: Auth = authRoll < 0.55
    ? "actor"
    : authRoll < 0.65
    ? "other"
    : authRoll < 0.85
    ? "anonymous"
    : authRoll < 0.95
    ? "bad-cookie"
    : "huge-cookie";
  if (auth === "actor") headers.push(["cookie", world.cookies.actor]);
  if (auth === "other") headers.push(["cookie", world.cookies.other]);
  if (auth === "bad-cookie") {
    headers.push([
      "cookie",
      rng.pick([
        "moodline_session=" + "A".repeat(43),
        "moodline_session=",
        "moodline_session=%ZZ",
        "moodline_session=" + world.cookies.actor.split("=")[1]?.slice(0, 42),
        "moodline_session=a; moodline_session=b",
        ";;;;=;=;",
        "moodline_session=\u00e9\u00e9",
      ]),
    ]);
  }
  if (auth === "huge-cookie") {
    headers.push(["cookie", `${world.cookies.actor}; filler=${"x".repeat(64 * 1024)}`]);
    traits.push("huge-header");
  }
  if (rng.chance(0.03)) {
    headers.push(["x-filler", "y".repeat(64 * 1024)]);
    traits.push("huge-header");
  }
  if (rng.chance(0.02)) {
    for (let i = 0; i < 200; i++) headers.push([`x-many-${i}`, String(i)]);
    traits.push("many-headers");
  }
  const originRoll = wild("origin") ? rng.next() : 0;
  if (originRoll < 0.65) headers.push(["origin", world.origin]);
  else if (originRoll < 0.8) traits.push("no-origin");
  else if (originRoll < 0.92) {
    headers.push([
      "origin",
      rng.pick(["http://evil.example", "null", "http://localhost:8000", "HTTP://LOCALHOST", ""]),
    ]);
    traits.push("bad-origin");
  } else {
    headers.push(["sec-fetch-site", rng.pick(["cross-site", "same-site", "same-origin", "none"])]);
    traits.push("sec-fetch-site");
  }

  let bodyKind: BodyKind = "none";
  let body: Uint8Array | null = null;
  let streamed = false;
  const boundary = "fuzz" + rng.int(0, 1e6);
  if (method !== "GET" && method !== "HEAD") {
    if (!wild("body")) {
      bodyKind = naturalBodyKind(rng, pathname);
      body = bodyFor(rng, bodyKind, world.password, boundary);
    } else if (rng.chance(0.01)) {
      bodyKind = "oversize";
      body = new Uint8Array(limits.bodyLimitFor(pathname) + 1);
    } else {
      bodyKind = rng.pick(BODY_KINDS);
      body = bodyFor(rng, bodyKind, world.password, boundary);
    }
  }
  if (body !== null) {
    const natural = NATURAL_TYPE[bodyKind];
    const typeRoll = wild("type") ? rng.next() : 0;
    if (natural !== null && typeRoll < 0.6) {
      headers.push([
        "content-type",
        natural === "multipart/form-data" ? `${natural}; boundary=${boundary}` : natural,
      ]);
    } else if (typeRoll < 0.9) {
      headers.push(["content-type", rng.pick(CONTENT_TYPES)]);
      traits.push("wrong-content-type");
    } else traits.push("no-content-type");
    streamed = rng.chance(0.3);
    if (!streamed) {
      const lengthRoll = wild("type") ? rng.next() : 0;
      if (lengthRoll < 0.9) headers.push(["content-length", String(body.length)]);
      else {
        headers.push(["content-length", rng.pick(["abc", "-1", "1e308", "", " 5"])]);
        traits.push("bad-content-length");
      }
    }
  }
  return {
    method,
    path,
    pattern,
    headers,
    body,
    streamed,
    bodyKind,
    auth,
    idOwner,
    traits,
  };
}

/** The `RequestInit` of a case (streamed bodies go out in pieces with no content-length). */
export function toRequestInit(c: FuzzCase): RequestInit {
  const headers = new Headers();
  for (const [name, value] of c.headers) headers.append(name, value);
  const init: RequestInit & { duplex?: string } = { method: c.method, headers, redirect: "manual" };
  if (c.body !== null) {
    if (c.streamed) {
      const bytes = c.body;
      init.body = new ReadableStream<Uint8Array>({
        start(controller) {
          const piece = 16 * 1024;
          for (let at = 0; at < bytes.length; at += piece) {
            controller.enqueue(bytes.slice(at, at + piece));
          }
          controller.close();
        },
      });
      init.duplex = "half";
    } else init.body = c.body as Uint8Array<ArrayBuffer>;
  }
  return init;
}

/** One line that describes a case, with long values cut short, for failure messages. */
export function describeCase(c: FuzzCase): string {
  const cut = (s: string, n = 80) => s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s;
  const headers = c.headers.filter(([name]) => !name.startsWith("x-many-"))
    .map(([name, value]) => `${name}: ${cut(JSON.stringify(value))}`);
  const many = c.headers.length - headers.length;
  const body = c.body === null
    ? "no body"
    : `${c.bodyKind} body of ${c.body.length} bytes${c.streamed ? ", streamed" : ""}: ` +
      cut(JSON.stringify(new TextDecoder().decode(c.body.subarray(0, 60))), 70);
  return `${c.method} ${cut(c.path, 120)} as ${c.auth} [${headers.join("; ")}${
    many > 0 ? `; +${many} x-many headers` : ""
  }] ${body}`;
}
