/**
 * Cross-site request forgery guard for every state-changing request (POST, PUT, PATCH,
 * DELETE), forms and `/api/*` alike.
 *
 * A browser sends `Origin` (and `Sec-Fetch-Site`) with such requests; one from another
 * site is refused with 403. Hono's `csrf` middleware checks only form content types,
 * while our API takes JSON and audio bodies too, hence this small variant. Requests that
 * carry neither header come from non-browser clients, which have no ambient cookies to
 * abuse, and pass.
 *
 * @example
 * app.use(csrfGuard());
 */
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";
import { publicOrigin } from "./request.ts";
import type { AppEnv } from "./types.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Middleware answering 403 to cross-site state-changing requests. */
export function csrfGuard(): MiddlewareHandler<AppEnv> {
  return async function csrfGuard(c, next) {
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header("origin");
      const fetchSite = c.req.header("sec-fetch-site");
      const crossOrigin = origin !== undefined
        ? origin !== publicOrigin(c)
        : fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none";
      if (crossOrigin) throw new HttpError(403, "Cross-site request refused.");
    }
    await next();
  };
}
