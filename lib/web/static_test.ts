import assert from "node:assert/strict";
import { assetPath, serveAsset } from "./static.ts";

Deno.test("asset URLs carry the content hash and are immutable only at that hash", async () => {
  const path = await assetPath("islands.js");
  const version = new URL(path, "http://x").searchParams.get("v")!;
  const body = await Deno.readFile(new URL("../../static/islands.js", import.meta.url));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(version, hex.slice(0, 16));
  const current = (await serveAsset("islands.js", version))!;
  assert.equal(current.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(current.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.deepEqual(new Uint8Array(await current.arrayBuffer()), body);
  const stale = (await serveAsset("islands.js", "0000000000000000"))!;
  assert.equal(stale.headers.get("cache-control"), "no-cache");
  await stale.body?.cancel();
});

Deno.test("only plain files of known types in static/ are served", async () => {
  for (const name of ["../deno.json", "..", ".hidden.js", "islands.meta.json.bak", "nope.js"]) {
    assert.equal(await serveAsset(name, undefined), null, name);
  }
});
