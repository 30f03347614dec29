/**
 * Builds the web application: shared middleware, static files, the route table and the
 * one place where errors become responses. `main.ts` serves it; tests call
 * `app.request(...)` on it in-process.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Config } from "./lib/config.ts";
import { type Db, DbConflictError, InvalidCursorError } from "./lib/db.ts";
import { AudioDecodeError } from "./lib/audio/errors.ts";
import { StoreUnavailableError } from "./lib/kv_guard.ts";
import { LiveWorkerLostError } from "./lib/streaming/live_pool.ts";
import type { EmotionModel } from "./lib/model/emotion_model.ts";
import { RecordingClosedError, RecordingNotFoundError } from "./lib/streaming/sessions.ts";
import { csrfGuard } from "./lib/web/csrf.ts";
import { HttpError, isApiPath } from "./lib/web/errors.ts";
import { publicUser, renderDocument } from "./lib/web/render.tsx";
import { mountRoutes } from "./lib/web/router.ts";
import { loadSession } from "./lib/web/session.ts";
import { newCspContext, securityHeaders, withCsp } from "./lib/web/security.ts";
import { serveAsset } from "./lib/web/static.ts";
import type { AppEnv, RouteContext } from "./lib/web/types.ts";
import ErrorPage from "./routes/_error.tsx";
import { routes } from "./routes/_manifest.ts";

/** Largest form body accepted (bytes); forms here hold a few short fields. */
export const MAX_FORM_BYTES = 16 * 1024;
/** Largest JSON body accepted by the API (bytes). */
export const MAX_API_BYTES = 64 * 1024;
/** Largest audio chunk of a live recording (bytes). */
export const MAX_CHUNK_BYTES = 2 * 1024 * 1024;

/** Seconds a client is asked to wait (`Retry-After`) when the store is unavailable. */
export const STORE_RETRY_AFTER_S = 5;

/** What the app needs from outside. */
export interface AppDeps {
  db: Db;
  config: Config;
  /**
   * The emotion model for live recordings, loaded once at start-up. Without one the
   * recording API answers 503 and every other route works as usual.
   */
  model?: EmotionModel | null;
}

/** The body limit of a request path: audio chunks, other API calls, or forms. */
export function bodyLimitFor(path: string): number {
  if (/^\/api\/sessions\/[^/]+\/chunks$/.test(path)) return MAX_CHUNK_BYTES;
  return isApiPath(path) ? MAX_API_BYTES : MAX_FORM_BYTES;
}

async function errorResponse(c: RouteContext, err: HttpError): Promise<Response> {
  if (isApiPath(c.req.path)) {
    return c.json({ error: err.message }, err.status as 400, err.headers);
  }
  const html = await renderDocument(ErrorPage, {
    data: { status: err.status, message: err.message },
    user: publicUser(c.get("user") ?? null),
    url: new URL(c.req.url),
  }, err.status === 404 ? "Not found" : "Error");
  return c.html(html, err.status as 400, err.headers);
}

/**
 * The HTTP answer to an error thrown by a handler: known errors get their 4xx or 503 (with
 * `Retry-After` where waiting helps), anything else a 500 that says nothing was lost.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof HTTPException) return new HttpError(err.status, err.message || "Bad request.");
  if (err instanceof InvalidCursorError) return new HttpError(400, err.message);
  if (err instanceof RecordingNotFoundError) return new HttpError(404, err.message);
  if (err instanceof RecordingClosedError) return new HttpError(409, err.message);
  if (err instanceof AudioDecodeError) {
    return new HttpError(422, `The audio could not be read: ${err.message}.`);
  }
  if (err instanceof DbConflictError) {
    return new HttpError(409, "The data changed meanwhile; please try again.");
  }
  if (err instanceof StoreUnavailableError) {
    console.error(err.message);
    return new HttpError(
      503,
      "The journal store is unavailable for a moment. Please try again shortly.",
      { "retry-after": String(STORE_RETRY_AFTER_S) },
    );
  }
  if (err instanceof LiveWorkerLostError) {
    console.error(err.message);
    return new HttpError(503, "The server is restarting a worker. Please send this again.", {
      "retry-after": "1",
    });
  }
  console.error(err);
  return new HttpError(500, "An unexpected error stopped this request. Nothing was lost.");
}

/**
 * Guards the body size before any handler reads it, with the limit of
 * {@link bodyLimitFor}: forms {@link MAX_FORM_BYTES}, the API {@link MAX_API_BYTES},
 * recording chunks {@link MAX_CHUNK_BYTES}. A declared oversize length is refused at once; an
 * undeclared (chunked) body is cut off while it streams.
 */
function bodyLimits() {
  return async function bodyLimits(c: RouteContext, next: () => Promise<void>) {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return await next();
    const limit = bodyLimitFor(c.req.path);
    const declared = c.req.header("content-length");
    if (declared !== undefined && !/^\d{1,15}$/.test(declared.trim())) {
      throw new HttpError(400, "The Content-Length header is not a number.");
    }
    if (declared !== undefined && Number(declared) > limit) {
      throw new HttpError(413, `The request body is larger than ${limit} bytes.`);
    }
    const body = c.req.raw.body;
    if (body && declared === undefined) {
      let seen = 0;
      const limited = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            seen += chunk.byteLength;
            if (seen > limit) {
              controller.error(
                new HttpError(413, `The request body is larger than ${limit} bytes.`),
              );
            } else controller.enqueue(chunk);
          },
        }),
      );
      c.req.raw = new Request(c.req.raw, { body: limited, duplex: "half" } as RequestInit);
    }
    await next();
  };
}

/** Creates the app over `db` with `config`. */
export function createApp({ db, config, model = null }: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(async function provide(c, next) {
    c.set("db", db);
    c.set("config", config);
    c.set("model", model);
    c.set("user", null);
    c.set("sessionHash", null);
    const csp = newCspContext();
    await withCsp(csp, next);
    for (const [name, value] of Object.entries(securityHeaders(csp))) c.header(name, value);
  });
  app.get("/static/:name", async (c) => {
    const res = await serveAsset(c.req.param("name"), c.req.query("v"));
    if (!res) throw new HttpError(404, "No such file.");
    return res;
  });
  app.use(csrfGuard());
  app.use(bodyLimits());
  app.use(loadSession());
  mountRoutes(app, routes);
  app.notFound((c) =>
    errorResponse(c as RouteContext, new HttpError(404, "There is nothing at this address."))
  );
  app.onError((err, c) => errorResponse(c as RouteContext, toHttpError(err)));
  return app;
}
