/**
 * Starts Moodline: opens the store (a local KV file by default, the managed store on
 * Deno Deploy), loads the shipped emotion model and serves the app. Settings: see `lib/config.ts`.
 *
 * On SIGTERM or SIGINT the server shuts down gracefully: requests in flight finish (a chunk
 * being uploaded is answered, not cut off), requests that arrive meanwhile are answered 503
 * with `Retry-After` and `Connection: close` (the recorder's upload queue retries them),
 * then the listener closes, the store is closed and the process exits with status 0 — or 1
 * when requests were still running after `SHUTDOWN_GRACE_MS` (25 s). Deno Deploy has no
 * signals and stops instances itself, so there the listeners are not installed.
 *
 * The drain comes before `server.shutdown()` because on Deno 2.9 that call makes the body
 * of every request in flight unreadable at once (denoland/deno#36809), which would turn
 * an upload in progress into a 500.
 */
import { createApp } from "./app.ts";
import { readConfig } from "./lib/config.ts";
import { openDb } from "./lib/db.ts";
import { loadEmotionModel } from "./lib/model/emotion_model.ts";
import { startLivePool } from "./lib/streaming/live_pool.ts";
import { liveModelOf } from "./lib/streaming/recording.ts";
import { securityHeaders } from "./lib/web/security.ts";

/** Longest wait for requests in flight after a shutdown signal. */
const SHUTDOWN_GRACE_MS = 25_000;

const config = readConfig(Deno.env);
if (!config.onDeploy && config.kvPath && config.kvPath !== ":memory:") {
  const dir = config.kvPath.replace(/[^/]*$/, "");
  if (dir) await Deno.mkdir(dir, { recursive: true });
}
const db = await openDb(config.kvPath);
const model = await loadEmotionModel(undefined, { ttaCopies: config.ttaCopies });
// Live-recording steps (features, running prediction, classifying closed utterances) run on
// worker threads, so the request thread only does HTTP and KV; without `Worker` (Deno
// Deploy) they stay in the request thread.
await startLivePool(liveModelOf(model), config.liveWorkers);
const app = createApp({ db, config, model });

let stopping = false;
let inFlight = 0;
let onIdle: (() => void) | null = null;

/** The answer to a request that arrives while the server drains. */
function restarting(req: Request): Response {
  const message = "The server is restarting; please try again in a few seconds.";
  const api = new URL(req.url).pathname.startsWith("/api/");
  return new Response(api ? JSON.stringify({ error: message }) : message, {
    status: 503,
    headers: {
      ...securityHeaders(null),
      "content-type": api ? "application/json" : "text/plain; charset=utf-8",
      "retry-after": "5",
      connection: "close",
    },
  });
}

const server = Deno.serve({ port: config.port }, async (req, info) => {
  if (stopping) return restarting(req);
  inFlight++;
  try {
    return await app.fetch(req, info);
  } finally {
    if (--inFlight === 0) onIdle?.();
  }
});

/** Drains the requests in flight, closes the listener and the store, and exits. */
async function shutDown(signal: Deno.Signal): Promise<void> {
  // A terminal's Ctrl-C reaches both `scripts/start.ts` and this process, so a repeated
  // signal is expected and must not cut the drain short.
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: finishing ${inFlight} request(s) in flight, then stopping`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<void>((resolve) => {
    onIdle = resolve;
    if (inFlight === 0) resolve();
  });
  const drained = await Promise.race([
    idle.then(() => server.shutdown()).then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), SHUTDOWN_GRACE_MS)),
  ]);
  clearTimeout(timer);
  db.close();
  if (!drained) console.error(`Requests still running after ${SHUTDOWN_GRACE_MS} ms were cut off`);
  else console.log("Stopped");
  Deno.exit(drained ? 0 : 1);
}

if (!config.onDeploy) {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    try {
      Deno.addSignalListener(signal, () => void shutDown(signal));
    } catch {
      // This platform cannot listen for the signal (Windows has no SIGTERM).
    }
  }
}
