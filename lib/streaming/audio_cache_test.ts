import assert from "node:assert/strict";
import { KeptAudioCache } from "./audio_cache.ts";

const samples = (n: number, v = 0.5) => new Float32Array(n).fill(v);

Deno.test("cached audio is taken only at the versionstamp it was stored at", () => {
  const cache = new KeptAudioCache(1024);
  const audio = samples(10);
  cache.set("r1", "v1", audio);
  assert.equal(cache.take("r1", "v2"), null);
  assert.equal(cache.take("r2", "v1"), null);
  assert.equal(cache.take("r1", "v1"), audio);
  assert.equal(cache.take("r1", "v1"), null, "taking removes the entry");
  cache.set("r1", "v2", samples(4));
  cache.set("r1", "v3", samples(6));
  assert.equal(cache.take("r1", "v2"), null, "a newer row replaces the older audio");
  assert.deepEqual(cache.stats(), { entries: 1, bytes: 24, hits: 1, misses: 4 });
  cache.delete("r1");
  assert.equal(cache.take("r1", "v3"), null);
  assert.equal(cache.stats().bytes, 0);
});

Deno.test("the cache stays within its byte bound, forgetting the entry set longest ago", () => {
  const cache = new KeptAudioCache(100); // 25 samples
  cache.set("a", "1", samples(10));
  cache.set("b", "1", samples(10));
  cache.set("a", "2", samples(10)); // a moves on: b is now the oldest
  cache.set("c", "1", samples(10));
  assert.equal(cache.take("b", "1"), null, "b was set longest ago");
  assert.ok(cache.take("a", "2"));
  assert.ok(cache.take("c", "1"));
  assert.equal(cache.stats().bytes, 0);
  cache.set("huge", "1", samples(30));
  assert.equal(cache.take("huge", "1"), null, "audio larger than the bound is not kept");
  assert.throws(() => new KeptAudioCache(-1), /maxBytes/);
});
