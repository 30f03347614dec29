/**
 * The committed island bundle must match its sources: Deno Deploy serves it as committed.
 */
import assert from "node:assert/strict";
import { islandSourceHash, readBundleMeta } from "../scripts/build.ts";

Deno.test("static/islands.js is built from the current island sources", async () => {
  const meta = await readBundleMeta();
  assert.ok(meta, "static/islands.js or its meta is missing: run `deno task build`");
  assert.equal(
    meta.sourceHash,
    await islandSourceHash(),
    "static/islands.js is stale: run `deno task build` and commit it",
  );
});
