/**
 * The route table: Hono path pattern → route module. Kept as a plain list (rather than
 * discovered from the file system at start-up) so Deno Deploy sees every module statically.
 */
import type { RouteEntry } from "../lib/web/router.ts";
import * as index from "./index.tsx";
import * as signup from "./signup.tsx";
import * as login from "./login.tsx";
import * as logout from "./logout.ts";
import * as dashboard from "./dashboard.tsx";
import * as entries from "./entries/index.tsx";
import * as entry from "./entries/[id].tsx";
import * as history from "./history.tsx";
import * as account from "./account.tsx";
import * as apiMe from "./api/me.ts";
import * as apiHealth from "./api/health.ts";
import * as apiEntries from "./api/entries/index.ts";
import * as apiEntry from "./api/entries/[id].ts";
import * as apiExport from "./api/export.ts";
import * as apiSessions from "./api/sessions/index.ts";
import * as apiSessionChunks from "./api/sessions/[id]/chunks.ts";
import * as apiSessionFinish from "./api/sessions/[id]/finish.ts";

/** Every route, in matching order. */
export const routes: readonly RouteEntry[] = [
  ["/", index],
  ["/signup", signup],
  ["/login", login],
  ["/logout", logout],
  ["/dashboard", dashboard],
  ["/entries", entries],
  ["/entries/:id", entry],
  ["/history", history],
  ["/account", account],
  ["/api/me", apiMe],
  ["/api/health", apiHealth],
  ["/api/entries", apiEntries],
  ["/api/entries/:id", apiEntry],
  ["/api/export", apiExport],
  ["/api/sessions", apiSessions],
  ["/api/sessions/:id/chunks", apiSessionChunks],
  ["/api/sessions/:id/finish", apiSessionFinish],
];
