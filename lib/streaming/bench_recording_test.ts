import assert from "node:assert/strict";
import { benchRecording } from "./bench_recording.ts";

Deno.test("the recording bench reports positive chunk costs and a speed ratio", async () => {
  const r = await benchRecording({ durationS: 8 });
  for (const [name, value] of Object.entries(r)) {
    assert.ok(Number.isFinite(value) && value > 0, `${name} = ${value}`);
  }
  assert.ok(r.chunkMsP99 >= r.chunkMsP50);
});
