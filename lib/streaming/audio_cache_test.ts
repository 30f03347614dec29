import assert from "node:assert/strict";
import { KeptAudioCache } from "./audio_cache.ts";

const samples = (n: number, v = 0.5) => new Float32Array(n).fill(v);

Deno.test("cached audio is returned only for the versionstamp it was stored at", () => {
  const cache = new KeptAudioCache(1024);
  const audio = samples(10);
  cache.set("r1", "v1", audio);
  assert.equal(cache.get("r1", "v1"), audio);
  assert.equal(cache.get("r1", "v2"), null);
  assert.equal(cache.get("r2", "v1"), null);
  cache.set("r1", "v2", samples(4));
  assert.equal(cache.get("r1", "v1"), null, "a newer row replaces the older audio");
  assert.equal(cache.get("r1", "v2")!.length, 4);
  assert.deepEqual(cache.stats(), { entries: 1, bytes: 16, hits: 2, misses: 3 });
  cache.delete("r1");
  assert.equal(cache.get("r1", "v2"), null);
  assert.equal(cache.stats().bytes, 0);
});

Deno.test("the cache stays within its byte bound, forgetting the least recently used", () => {
  const cache = new KeptAudioCache(100); // 25 samples
  cache.set("a", "1", samples(10));
  cache.set("b", "1", samples(10));
  assert.ok(cache.get("a", "1"), "a is now the most recently used");
  cache.set("c", "1", samples(10));
  assert.equal(cache.get("b", "1"), null, "b was the least recently used");
  assert.ok(cache.get("a", "1"));
  assert.ok(cache.get("c", "1"));
  assert.ok(cache.stats().bytes <= 100);
  cache.set("huge", "1", samples(30));
  assert.equal(cache.get("huge", "1"), null, "audio larger than the bound is not kept");
  assert.throws(() => new KeptAudioCache(-1), /maxBytes/);
});
