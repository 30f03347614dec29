/** `GET /api/health`: public, says whether the model is loaded, and counts live tensors. */
import assert from "node:assert/strict";
import { readConfig } from "../lib/config.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { createTestApp } from "./_helpers.ts";

Deno.test("health: public, with the model's live tensor counts", async () => {
  const bare = await createTestApp();
  const none = await bare.request("/api/health");
  assert.equal(none.status, 200);
  assert.deepEqual(await none.json(), { status: "ok", model: false, tensors: null });
  bare.close();

  const t = await createTestApp({}, { model: await loadEmotionModel() });
  const first = await (await t.request("/api/health")).json();
  assert.equal(first.model, true);
  assert.ok(Number.isInteger(first.tensors.thread) && first.tensors.thread > 0);
  assert.deepEqual(first.tensors.workers, []);
  const again = await (await t.request("/api/health")).json();
  assert.equal(again.tensors.thread, first.tensors.thread, "asking leaks no tensor");
  t.close();
});

Deno.test("config: LIVE_WORKERS defaults to 2 and must be a small whole number", () => {
  const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
  assert.equal(readConfig(env({})).liveWorkers, 2);
  assert.equal(readConfig(env({ LIVE_WORKERS: "0" })).liveWorkers, 0);
  for (const bad of ["-1", "two", "1.5", "99"]) {
    assert.throws(() => readConfig(env({ LIVE_WORKERS: bad })), /LIVE_WORKERS/);
  }
});

Deno.test("config: TTA_COPIES is unset (the model's setting) or 0 to 6 copies", () => {
  const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
  assert.equal(readConfig(env({})).ttaCopies, undefined);
  assert.equal(readConfig(env({ TTA_COPIES: "" })).ttaCopies, undefined);
  assert.equal(readConfig(env({ TTA_COPIES: "0" })).ttaCopies, 0);
  assert.equal(readConfig(env({ TTA_COPIES: "6" })).ttaCopies, 6);
  for (const bad of ["-1", "7", "two", "1.5"]) {
    assert.throws(
      () => readConfig(env({ TTA_COPIES: bad })),
      /^RangeError: TTA_COPIES: Expected test-time augmentation copies to be a whole number from 0 to 6/,
    );
  }
});
