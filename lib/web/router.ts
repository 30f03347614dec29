/**
 * Mounts Fresh-shaped route modules on a Hono app. For each `[path, module]` it registers
 * the module's `handlers` (a GET that only renders the page when the module has a page
 * but no GET handler), stores the page component and title for `render`, and guards
 * private routes: pages redirect to `/login?next=…`, `/api/*` answers 401 JSON. An `:id`
 * parameter that is not an id the store hands out (a ULID) is answered 404 before any
 * handler runs, so no handler builds a store key from an arbitrary string.
 */
import type { Hono } from "hono";
import { HttpError, isApiPath } from "./errors.ts";
import { render } from "./render.tsx";
import type { AppEnv, Handler, Method, RouteContext, RouteModule } from "./types.ts";

/** The shape of every id the store makes (`Db.newId`): a ULID in Crockford base 32. */
const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A route table entry: Hono path pattern and the module serving it. */
export type RouteEntry = readonly [path: string, module: RouteModule];

/** Where to send someone who must log in first, keeping where they were going. */
export function loginRedirect(c: RouteContext): Response {
  const url = new URL(c.req.url);
  const next = url.pathname + url.search;
  return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
}

/** Registers every route of `table` on `app`. */
export function mountRoutes(app: Hono<AppEnv>, table: readonly RouteEntry[]): void {
  for (const [path, module] of table) {
    const handlers: Partial<Record<Method, Handler>> = { ...module.handlers };
    if (module.default && !handlers.GET) handlers.GET = (c) => render(c, undefined);
    const hasId = /\/:id(\/|$)/.test(path);
    for (const [method, handler] of Object.entries(handlers) as [Method, Handler][]) {
      app.on(method, path, (c) => {
        if (!module.isPublic && !c.get("user")) {
          if (isApiPath(c.req.path)) throw new HttpError(401, "Log in first.");
          return loginRedirect(c);
        }
        if (hasId && !ID_PATTERN.test(c.req.param("id") ?? "")) {
          throw new HttpError(404, "There is nothing at this address.");
        }
        c.set("page", module.default ?? null);
        c.set("title", module.title ?? "Moodline");
        return handler(c);
      });
    }
  }
}
