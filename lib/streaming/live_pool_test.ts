import assert from "node:assert/strict";
import { loadEmotionModel } from "../model/emotion_model.ts";
import { twoUtterances } from "../../tests/_speech.ts";
import {
  appendChunk,
  type ChunkStep,
  finishRecording,
  finishRecordingWithVoice,
  liveModelOf,
  newRecording,
  type Recording,
} from "./recording.ts";
import {
  appendChunkLive,
  finishRecordingLive,
  livePoolOf,
  liveTensorCounts,
  LiveWorkerLostError,
  startLivePool,
  stopLivePool,
} from "./live_pool.ts";

const RATE = 16000;
const model = await loadEmotionModel();
const live = liveModelOf(model);

async function streamed(
  step: (recording: Recording, chunk: Float32Array) => Promise<ChunkStep> | ChunkStep,
  finish: (recording: Recording) => Promise<unknown> | unknown,
  audio: Float32Array,
) {
  let recording = newRecording();
  const steps = [];
  for (let i = 0; i < audio.length; i += RATE) {
    const s = await step(recording, audio.subarray(i, i + RATE));
    recording = s.recording;
    steps.push(s);
  }
  return { steps, final: await finish(recording) };
}

/** `audio` streamed in whole seconds, not finished: its finish has utterances to classify. */
function unfinished(audio: Float32Array): Recording {
  let recording = newRecording();
  for (let i = 0; i + RATE <= audio.length; i += RATE) {
    recording = appendChunk(live, recording, audio.subarray(i, i + RATE)).recording;
  }
  return recording;
}

Deno.test({
  name: "steps on worker threads equal the in-thread steps exactly",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const audio = await twoUtterances();
    const here = await streamed(
      (r, c) => appendChunk(live, r, c),
      (r) => finishRecordingWithVoice(live, r),
      audio,
    );
    assert.equal(await startLivePool(live, 2), 2);
    try {
      const before = await liveTensorCounts(live);
      assert.equal(before.workers.length, 2);
      // Audio handed to the pool moves to a worker; the steps kept here need their own.
      const pooled = await streamed(
        (r, c) => appendChunkLive(live, structuredClone(r), c),
        (r) => finishRecordingLive(live, structuredClone(r)),
        audio,
      );
      assert.deepEqual(pooled, here);
      assert.ok(here.steps.some((s) => s.segments.length > 0), "utterances were classified");
      // Requests side by side are spread over the workers and answered each its own.
      const chunk = audio.subarray(RATE, 3 * RATE);
      const side = await Promise.all(
        Array.from({ length: 6 }, () => appendChunkLive(live, newRecording(), chunk)),
      );
      for (const s of side) assert.deepEqual(s, appendChunk(live, newRecording(), chunk));
      const after = await liveTensorCounts(live);
      assert.deepEqual(after.workers, before.workers, "workers leak no tensors");
      assert.equal(after.thread, before.thread);
    } finally {
      stopLivePool(live);
    }
  },
});

Deno.test("without a pool, or for a model with no folder, steps run in-thread", async () => {
  // The same classifier, but not loaded from a folder a worker could load.
  const bare = liveModelOf({ classifier: model.classifier, config: model.config });
  assert.equal(await startLivePool(bare, 1), 0);
  const chunk = (await twoUtterances()).subarray(0, RATE);
  assert.deepEqual(
    await appendChunkLive(bare, newRecording(), chunk),
    appendChunk(live, newRecording(), chunk),
  );
});

Deno.test({
  name: "a worker takes one step at a time, and waiting chunks go before waiting finishes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const audio = await twoUtterances();
    const long = unfinished(audio);
    const chunk = audio.subarray(0, RATE);
    assert.equal(await startLivePool(live, 1), 1);
    try {
      const pool = livePoolOf(live)!;
      const order: string[] = [];
      const first = appendChunkLive(live, newRecording(), chunk).then(() => order.push("a0"));
      // The audio of a recording handed to the pool moves to a worker: pass copies.
      const finish = finishRecordingLive(live, structuredClone(long)).then(() =>
        order.push("finish")
      );
      const later = [1, 2, 3].map((i) =>
        appendChunkLive(live, newRecording(), chunk).then(() => order.push(`a${i}`))
      );
      // One step went to the worker; the other four wait in the pool.
      assert.equal(pool.waiting, 4);
      await Promise.all([first, finish, ...later]);
      assert.deepEqual(order, ["a0", "a1", "a2", "a3", "finish"]);
      assert.equal(pool.waiting, 0);
      // Chunks waited a moment ago, so the pool still classifies lean (LEAN_HOLD_MS).
      assert.deepEqual(
        await finishRecordingLive(live, structuredClone(long)),
        finishRecordingWithVoice(live, long, { lean: true }),
        "the finish is still computed exactly, lean",
      );
      assert.notDeepEqual(
        finishRecording(live, long, { lean: true }),
        finishRecording(live, long),
        "lean differs: the shipped model has a dense member",
      );
    } finally {
      stopLivePool(live);
    }
  },
});

Deno.test({
  name: "the recording's audio moves to the worker instead of being copied",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const audio = await twoUtterances();
    const first = appendChunk(live, newRecording(), audio.subarray(0, RATE));
    assert.ok(first.recording.audio.length > 0);
    assert.equal(await startLivePool(live, 1), 1);
    try {
      const handed = first.recording;
      const step = await appendChunkLive(live, handed, audio.subarray(RATE, 2 * RATE));
      assert.equal(handed.audio.byteLength, 0, "the handed-over buffer is gone here");
      assert.deepEqual(
        step,
        appendChunk(
          live,
          appendChunk(live, newRecording(), audio.subarray(0, RATE)).recording,
          audio.subarray(RATE, 2 * RATE),
        ),
      );
    } finally {
      stopLivePool(live);
    }
  },
});

Deno.test({
  name: "a step lost with its worker after its audio moved is refused, not recomputed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const audio = await twoUtterances();
    const first = appendChunk(live, newRecording(), audio.subarray(0, RATE));
    assert.equal(await startLivePool(live, 1), 1);
    const moved = appendChunkLive(live, first.recording, audio.subarray(RATE, 2 * RATE));
    // Waiting in the pool, nothing moved yet: computed here when the workers stop.
    const waiting = appendChunkLive(live, newRecording(), audio.subarray(0, RATE));
    stopLivePool(live);
    await assert.rejects(moved, LiveWorkerLostError);
    assert.deepEqual(await waiting, appendChunk(live, newRecording(), audio.subarray(0, RATE)));
  },
});

Deno.test({
  name: "finishes leave a worker free for chunks",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const audio = await twoUtterances();
    const long = unfinished(audio);
    assert.equal(await startLivePool(live, 2), 2);
    try {
      const pool = livePoolOf(live)!;
      const finishes = [1, 2, 3].map(() => finishRecordingLive(live, structuredClone(long)));
      assert.equal(pool.waiting, 2, "one finish runs, two wait");
      const chunk = appendChunkLive(live, newRecording(), audio.subarray(0, RATE));
      assert.equal(pool.waiting, 2, "the chunk went to the free worker at once");
      const expected = finishRecordingWithVoice(live, long);
      assert.ok(expected.voice, "the finish gives a voice sample");
      for (const f of await Promise.all(finishes)) assert.deepEqual(f, expected);
      await chunk;
    } finally {
      stopLivePool(live);
    }
  },
});

Deno.test({
  name: "workers classify with the model's test-time augmentation, as the thread does",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const audio = await twoUtterances();
    const tta = liveModelOf(await loadEmotionModel(undefined, { ttaCopies: 1 }));
    const recording = unfinished(audio);
    const here = finishRecording(tta, structuredClone(recording));
    const plain = finishRecording(live, structuredClone(recording));
    assert.ok(here.length > 0, "utterances were classified");
    assert.notDeepEqual(here, plain, "the copies change the segments");
    assert.equal(await startLivePool(tta, 1), 1);
    try {
      assert.deepEqual(
        (await finishRecordingLive(tta, structuredClone(recording))).segments,
        here,
      );
    } finally {
      stopLivePool(tta);
    }
  },
});
