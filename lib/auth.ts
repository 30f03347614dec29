/**
 * Credentials: password hashing, username rules and session tokens.
 *
 * Passwords use WebCrypto PBKDF2-SHA256 (native in Deno and on Deno Deploy, no addons)
 * with 600 000 iterations, OWASP's 2023 figure, and a 16-byte random salt. The encoded
 * form keeps its parameters, `pbkdf2-sha256$600000$<salt b64>$<hash b64>`, so the count
 * can be raised later and old hashes still verify.
 */
import { decodeBase64, encodeBase64, encodeBase64Url, encodeHex } from "./encoding.ts";
import { sha256 } from "@noble/hashes/sha2.js";

/** Iterations for new password hashes. */
export const PBKDF2_ITERATIONS = 600_000;
/** Shortest password accepted at sign-up and password change. */
export const MIN_PASSWORD_LENGTH = 10;
/** Longest password accepted: hashing cost must not be steerable by a huge input. */
export const MAX_PASSWORD_LENGTH = 1024;

const encoder = new TextEncoder();

/** A rule broken by user input; `message` is safe to show the person. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValidationError";
  }
}

/**
 * Trims and lower-cases a username, then checks it is 3–32 of `[a-z0-9_.-]`.
 * Throws {@link ValidationError} otherwise.
 */
export function normaliseUsername(raw: unknown): string {
  if (typeof raw !== "string") throw new ValidationError("Enter a username.");
  const name = raw.trim().toLowerCase();
  if (name.length < 3 || name.length > 32) {
    throw new ValidationError("Usernames are 3 to 32 characters long.");
  }
  if (!/^[a-z0-9_.-]+$/.test(name)) {
    throw new ValidationError(
      "Usernames may use only letters a–z, digits, dot, dash and underscore.",
    );
  }
  return name;
}

/** Checks a new password's length; throws {@link ValidationError} with a readable reason. */
export function checkNewPassword(raw: unknown): string {
  if (typeof raw !== "string" || raw.length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError(
      `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`,
    );
  }
  if (raw.length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError(`Passwords may have at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
  return raw;
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number) {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Hashes a password with a fresh salt; returns the self-describing encoded string. */
export async function hashPassword(
  password: string,
  iterations: number = PBKDF2_ITERATIONS,
): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${encodeBase64(salt)}$${encodeBase64(hash)}`;
}

/**
 * True when `password` matches `encoded`. The comparison takes the same time wherever the
 * bytes differ; a malformed `encoded` is simply false.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split("$");
  if (parts.length !== 4 || parts[0] !== "pbkdf2-sha256") return false;
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
  const expected = decodeBase64(parts[3]);
  const actual = await pbkdf2(password, decodeBase64(parts[2]), iterations);
  return constantTimeEqual(actual, expected);
}

/**
 * A hash of a random password, verified against when a username does not exist, so a
 * failed login costs the same time whether or not the account is there.
 */
export function timingDecoyHash(): Promise<string> {
  return decoyHash ??= hashPassword(encodeBase64(crypto.getRandomValues(new Uint8Array(18))));
}
let decoyHash: Promise<string> | undefined;

/** Byte-wise equality that does not stop at the first difference. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** A new session token: 256 random bits, base64url without padding (43 characters). */
export function newSessionToken(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The SHA-256 of a session token, hex; this is what the database keys sessions by. Computed
 * synchronously (@noble/hashes): every request hashes its cookie, and WebCrypto's async
 * digest cost more than the hash itself on the request thread under load.
 */
export function hashSessionToken(token: string): Promise<string> {
  return Promise.resolve(encodeHex(sha256(encoder.encode(token))));
}
