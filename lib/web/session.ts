/**
 * Login sessions over HTTP: a cookie holding a random 256-bit token, looked up in KV by
 * its hash. Cookie flags: `HttpOnly; SameSite=Lax; Path=/`, plus `Secure` over https.
 */
import type { MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { hashSessionToken, newSessionToken } from "../auth.ts";
import { SESSION_TTL_MS } from "../db.ts";
import { isHttps } from "./request.ts";
import type { AppEnv, RouteContext } from "./types.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "moodline_session";

/** Middleware that sets `c.var.user` and `c.var.sessionHash` from the cookie, if valid. */
export function loadSession(): MiddlewareHandler<AppEnv> {
  return async function loadSession(c, next) {
    c.set("user", null);
    c.set("sessionHash", null);
    const token = getCookie(c, SESSION_COOKIE);
    if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) {
      const db = c.get("db");
      const hash = await hashSessionToken(token);
      const session = await db.getSession(hash);
      const user = session ? await db.getUser(session.userId) : null;
      if (user && session) {
        c.set("user", user);
        c.set("sessionHash", hash);
        if (session.refreshed) setSessionCookie(c, token);
      }
    }
    await next();
  };
}

/**
 * Starts a fresh session for `userId` (a new token every login, so a token planted
 * before login is worthless) and sets the cookie. Ends the request's old session.
 */
export async function startSession(c: RouteContext, userId: string): Promise<void> {
  const db = c.get("db");
  const old = c.get("sessionHash");
  if (old) await db.deleteSession(old);
  const token = newSessionToken();
  const hash = await hashSessionToken(token);
  await db.createSession(userId, hash);
  setSessionCookie(c, token);
  c.set("sessionHash", hash);
}

/** (Re)sets the cookie; called at login and whenever the sliding expiry moves. */
function setSessionCookie(c: RouteContext, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: isHttps(c),
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

/** Ends the current session (KV row and cookie). */
export async function endSession(c: RouteContext): Promise<void> {
  const hash = c.get("sessionHash");
  if (hash) await c.get("db").deleteSession(hash);
  deleteCookie(c, SESSION_COOKIE, {
    path: "/",
    secure: isHttps(c),
    httpOnly: true,
    sameSite: "Lax",
  });
  c.set("user", null);
  c.set("sessionHash", null);
}
