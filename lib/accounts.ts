/**
 * Account flows on top of `db.ts` and `auth.ts`: sign up, log in with rate limiting,
 * change password, delete. Framework-free so the rules are tested without HTTP.
 */
import {
  checkNewPassword,
  hashPassword,
  normaliseUsername,
  timingDecoyHash,
  ValidationError,
  verifyPassword,
} from "./auth.ts";
import { type Db, DbConflictError, type UserRecord } from "./db.ts";

/** Failures per username before logins for it are refused for the rest of the window. */
export const MAX_FAILURES_PER_USERNAME = 5;
/** Failures per client address before its logins are refused for the rest of the window. */
export const MAX_FAILURES_PER_ADDRESS = 20;
/** Length of the failure-counting window. */
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;

/** Too many failed logins; `retryAfterS` says when to try again. */
export class RateLimitError extends Error {
  readonly retryAfterS: number;
  constructor(retryAfterS: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterS / 60));
    super(
      `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
    );
    this.name = "RateLimitError";
    this.retryAfterS = retryAfterS;
  }
}

/** Wrong username or password; deliberately the same message for both. */
export class LoginFailedError extends Error {
  constructor() {
    super("Wrong username or password.");
    this.name = "LoginFailedError";
  }
}

/**
 * Creates an account, in `timeZone` when given (a zone {@link isValidTimeZone} accepted);
 * throws {@link ValidationError} for bad input or a taken name.
 */
export async function signUp(
  db: Db,
  rawUsername: unknown,
  rawPassword: unknown,
  timeZone: string | null = null,
) {
  const username = normaliseUsername(rawUsername);
  const password = checkNewPassword(rawPassword);
  if (await db.getUserByUsername(username)) {
    throw new ValidationError("That username is taken.");
  }
  try {
    return await db.createUser(username, await hashPassword(password), timeZone);
  } catch (err) {
    if (err instanceof DbConflictError) throw new ValidationError("That username is taken.");
    throw err;
  }
}

async function retryAfter(db: Db, username: string | null, address: string) {
  const byName = username ? await db.getFailures("username", username, FAILURE_WINDOW_MS) : null;
  const byAddress = await db.getFailures("ip", address, FAILURE_WINDOW_MS);
  let until = 0;
  if (byName && byName.count >= MAX_FAILURES_PER_USERNAME) {
    until = Math.max(until, byName.windowStartMs + FAILURE_WINDOW_MS);
  }
  if (byAddress && byAddress.count >= MAX_FAILURES_PER_ADDRESS) {
    until = Math.max(until, byAddress.windowStartMs + FAILURE_WINDOW_MS);
  }
  return until > 0 ? Math.max(1, Math.ceil((until - db.nowMs()) / 1000)) : 0;
}

/**
 * Checks credentials. Throws {@link RateLimitError} while the username or the address is
 * locked out, {@link LoginFailedError} for any wrong credentials (an unknown username
 * costs the same hashing time as a wrong password).
 */
export async function logIn(
  db: Db,
  rawUsername: unknown,
  rawPassword: unknown,
  address: string,
): Promise<UserRecord> {
  let username: string | null = null;
  try {
    username = normaliseUsername(rawUsername);
  } catch {
    // An impossible username cannot exist; it still counts against the address.
  }
  const password = typeof rawPassword === "string" ? rawPassword : "";
  const wait = await retryAfter(db, username, address);
  if (wait > 0) throw new RateLimitError(wait);
  const user = username ? await db.getUserByUsername(username) : null;
  const ok = password.length > 0 && password.length <= 1024 &&
    await verifyPassword(password, user?.passwordHash ?? await timingDecoyHash());
  if (user && ok) {
    await db.clearFailures("username", user.username);
    return user;
  }
  if (username) await db.addFailure("username", username, FAILURE_WINDOW_MS);
  await db.addFailure("ip", address, FAILURE_WINDOW_MS);
  throw new LoginFailedError();
}

/** Replaces the password after checking the current one. */
export async function changePassword(
  db: Db,
  user: UserRecord,
  currentPassword: unknown,
  newPassword: unknown,
): Promise<void> {
  if (
    typeof currentPassword !== "string" || !await verifyPassword(currentPassword, user.passwordHash)
  ) {
    throw new ValidationError("Your current password is not right.");
  }
  const hash = await hashPassword(checkNewPassword(newPassword));
  await db.updateUser(user.id, (u) => ({ ...u, passwordHash: hash }));
}

/** Deletes the account and all its data after checking the password. */
export async function deleteAccount(db: Db, user: UserRecord, password: unknown): Promise<void> {
  if (typeof password !== "string" || !await verifyPassword(password, user.passwordHash)) {
    throw new ValidationError("Your password is not right; nothing was deleted.");
  }
  await db.deleteUser(user.id);
}

/** Stores the user's IANA time zone after checking the runtime knows it. */
export async function setTimeZone(db: Db, user: UserRecord, zone: unknown): Promise<void> {
  if (typeof zone !== "string" || !isValidTimeZone(zone)) {
    throw new ValidationError("Choose a time zone from the list.");
  }
  await db.updateUser(user.id, (u) => ({ ...u, timeZone: zone }));
}

/** True when `zone` names an IANA time zone. */
export function isValidTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
