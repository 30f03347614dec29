/**
 * Types shared by the web glue and every route module.
 *
 * A route module (`routes/*.tsx`) is Fresh-shaped: it may export `handlers` (one function
 * per HTTP method), a default page component, a `title`, and `isPublic` when it may be
 * seen without logging in. Routes are private unless they say otherwise.
 */
import type { Context } from "hono";
import type { ComponentType } from "preact";
import type { Db, UserRecord } from "../db.ts";
import type { Config } from "../config.ts";
import type { EmotionModel } from "../model/emotion_model.ts";

/** Hono environment of the app: connection info as bindings, request-scoped variables. */
export interface AppEnv {
  Bindings: { remoteAddr?: Deno.Addr };
  Variables: {
    db: Db;
    config: Config;
    /** The emotion model for live recordings, or null when none was loaded. */
    model: EmotionModel | null;
    /** The logged-in user, or null. */
    user: UserRecord | null;
    /** Hash of the current session token (the KV key), or null. */
    sessionHash: string | null;
    /** The page component of the route being served, for {@link RouteContext} rendering. */
    page: ComponentType<PageProps<unknown>> | null;
    /** The page title of the route being served. */
    title: string;
  };
}

/** The request context every handler receives. */
export type RouteContext = Context<AppEnv>;

/** One HTTP method's handler. */
export type Handler = (c: RouteContext) => Response | Promise<Response>;

/** Handlers of a route module, one per HTTP method. */
export type Handlers = Partial<Record<Method, Handler>>;

/** HTTP methods a route module may handle. */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a page component receives. */
export interface PageProps<Data> {
  /** Whatever the handler passed to `render`. */
  data: Data;
  /** The logged-in user's public fields, or null. */
  user: PublicUser | null;
  /** The request URL. */
  url: URL;
}

/** The user fields a page may show. */
export interface PublicUser {
  id: string;
  username: string;
  timeZone: string | null;
}

/** What a `routes/*.tsx` file exports. */
export interface RouteModule {
  handlers?: Handlers;
  // deno-lint-ignore no-explicit-any
  default?: ComponentType<PageProps<any>>;
  title?: string;
  isPublic?: boolean;
}
