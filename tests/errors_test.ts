/** How errors thrown by handlers become HTTP answers (`toHttpError` in app.ts). */
import assert from "node:assert/strict";
import { toHttpError } from "../app.ts";
import { StoreUnavailableError } from "../lib/kv_guard.ts";
import { LiveWorkerLostError } from "../lib/streaming/live_pool.ts";
import { RecordingClosedError, RecordingNotFoundError } from "../lib/streaming/sessions.ts";

Deno.test("errors map to their status, with Retry-After where sending again helps", () => {
  const quiet = console.error;
  console.error = () => {};
  try {
    const store = toHttpError(new StoreUnavailableError(new Error("disk")));
    assert.equal(store.status, 503);
    assert.equal(store.headers["retry-after"], "5");
    const worker = toHttpError(new LiveWorkerLostError());
    assert.equal(worker.status, 503);
    assert.equal(worker.headers["retry-after"], "1");
    assert.equal(toHttpError(new RecordingNotFoundError()).status, 404);
    assert.equal(toHttpError(new RecordingClosedError("finished")).status, 409);
    const other = toHttpError(new TypeError("bug"));
    assert.equal(other.status, 500);
    assert.match(other.message, /Nothing was lost/);
  } finally {
    console.error = quiet;
  }
});
