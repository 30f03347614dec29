import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeWav } from "../audio/encode.ts";
import { decodeAudio } from "../audio/wav.ts";
import {
  FUNCTIONAL_COUNT,
  FUNCTIONALS_VERSION,
  utteranceFunctionals,
} from "../audio/functionals.ts";
import { speechLikeSignal } from "../audio/synth.ts";
import { FunctionalsStore, loadFunctionals } from "./functionals_store.ts";

Deno.test("FunctionalsStore computes once, caches by content and spec, and keeps silence as null", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const speech = speechLikeSignal({ durationS: 1.5, sampleRateHz: 16000, seed: 3 });
    await Deno.writeFile(join(dir, "a.wav"), encodeWav(speech, 16000));
    await Deno.writeFile(join(dir, "silent.wav"), encodeWav(new Float32Array(8000), 16000));
    const store = new FunctionalsStore(join(dir, "cache"));
    const a = await store.of({ path: join(dir, "a.wav") });
    assert.ok(a);
    assert.equal(a.length, FUNCTIONAL_COUNT);
    // What the file decodes to (16-bit samples), through the same functionals.
    const decoded = decodeAudio(await Deno.readFile(join(dir, "a.wav"))).samples;
    assert.deepEqual(a, utteranceFunctionals(decoded));
    const entries = () => Array.from(Deno.readDirSync(join(dir, "cache", FUNCTIONALS_VERSION)));
    assert.equal(entries().length, 1);
    assert.deepEqual(await store.of({ path: join(dir, "a.wav") }), a, "read back from the cache");
    const copy = await store.of({
      path: join(dir, "a.wav"),
      augment: { speed: 1.08, snrDb: null, seed: 1 },
    });
    assert.ok(copy);
    assert.notDeepEqual(copy, a, "a faster copy is shorter and higher");
    assert.equal(entries().length, 2);
    assert.equal(await store.of({ path: join(dir, "silent.wav") }), null);
    assert.equal(entries().length, 3, "silence is cached too");
    const loaded = await loadFunctionals([join(dir, "a.wav"), join(dir, "silent.wav")], {
      workers: 2,
      cacheDir: join(dir, "cache"),
    });
    assert.deepEqual(loaded, [a, null]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
