import assert from "node:assert/strict";
import type { Microphone } from "./microphone.ts";
import { Recording, RecordingError, type RecordingOptions } from "./recording.ts";
import type { ChunkAnswer } from "./session_api.ts";
import type { Clock, QueueStatus } from "./upload_queue.ts";

/** A microphone the test feeds by hand. */
class FakeMicrophone implements Microphone {
  readonly sampleRateHz: number;
  onFrames: ((frames: Float32Array) => void) | null = null;
  stopped = false;
  closed = false;
  /** Frames the microphone still delivers when asked to stop. */
  tail = new Float32Array(0);

  constructor(sampleRateHz: number) {
    this.sampleRateHz = sampleRateHz;
  }

  start(onFrames: (frames: Float32Array) => void): void {
    this.onFrames = onFrames;
  }

  /** Delivers `seconds` of a 440 Hz tone in 1024-frame blocks, reusing one array. */
  play(seconds: number, amplitude = 0.5): void {
    const block = new Float32Array(1024);
    const total = Math.round(seconds * this.sampleRateHz);
    for (let start = 0; start < total; start += block.length) {
      const n = Math.min(block.length, total - start);
      for (let i = 0; i < n; i++) {
        block[i] = amplitude * Math.sin((2 * Math.PI * 440 * (start + i)) / this.sampleRateHz);
      }
      this.onFrames!(block.subarray(0, n));
      block.fill(NaN); // the recorder must have copied what it needs
    }
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.tail.length > 0) this.onFrames!(this.tail);
    this.close();
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
  }
}

/** A clock whose timers never fire: the happy path needs none. */
const stillClock: Clock = { now: () => 0, setTimer: () => () => {} };

/**
 * `Recording.start` on `microphone` with the test URLs and the still clock; `options` adds
 * to or overrides them.
 */
function startOn(microphone: FakeMicrophone, options: Partial<RecordingOptions> = {}) {
  return Recording.start({
    workletUrl: "/static/recorder-worklet.js",
    sessionsUrl: "/api/sessions",
    clock: stillClock,
    openMicrophone: () => Promise.resolve(microphone),
    ...options,
  });
}

/** A fake recording API that keeps every request, in order. */
function fakeServer(options: { sessionStatus?: number; refuseFromSeq?: number } = {}) {
  const log: { path: string; seq?: number; samples?: Float32Array }[] = [];
  const fetch = (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), "http://moodline.test");
    assert.equal(init.method, "POST");
    assert.equal(init.credentials, "same-origin");
    if (url.pathname === "/api/sessions") {
      log.push({ path: url.pathname });
      const status = options.sessionStatus ?? 201;
      return Promise.resolve(
        Response.json(status === 201 ? { id: "s-1" } : { error: "Too many recordings." }, {
          status,
        }),
      );
    }
    if (url.pathname === "/api/sessions/s-1/chunks") {
      const seq = Number(url.searchParams.get("seq"));
      const bytes = init.body as Uint8Array;
      const samples = new Float32Array(bytes.length / 4);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getFloat32(i * 4, true);
      if (options.refuseFromSeq !== undefined && seq >= options.refuseFromSeq) {
        return Promise.resolve(
          Response.json({ error: "Recordings are limited to 30 minutes." }, { status: 413 }),
        );
      }
      log.push({ path: url.pathname, seq, samples });
      return Promise.resolve(Response.json({
        seq,
        current: { label: "calm", confidence: 0.6, probabilities: { calm: 0.6, sad: 0.4 } },
        segments: [],
      }));
    }
    if (url.pathname === "/api/sessions/s-1/finish") {
      log.push({ path: url.pathname });
      return Promise.resolve(Response.json({
        id: "e-1",
        startedAt: "2026-01-15T12:00:00.000Z",
        durationS: 2.5,
        dominant: "calm",
        distribution: { calm: 1 },
        segments: [],
      }));
    }
    return Promise.resolve(Response.json({ error: "no" }, { status: 404 }));
  };
  return { log, fetch: fetch as typeof globalThis.fetch };
}

Deno.test("a recording sends 16 kHz chunks in order, then finishes after the last one", async () => {
  const microphone = new FakeMicrophone(48000);
  microphone.tail = new Float32Array(480).fill(0.1);
  const server = fakeServer();
  const answers: ChunkAnswer[] = [];
  const levels: number[] = [];
  const statuses: QueueStatus[] = [];
  const recording = await startOn(microphone, {
    fetch: server.fetch,
    onAnswer: (a) => answers.push(a),
    onLevel: (rms) => levels.push(rms),
    onQueue: (s) => statuses.push(s),
  });
  assert.equal(recording.sessionId, "s-1");
  microphone.play(2.5);
  assert.equal(recording.elapsedS, 2.5);
  const entry = await recording.stop();
  assert.equal(entry.id, "e-1");
  assert.equal(entry.dominant, "calm");
  assert.ok(microphone.stopped && microphone.closed);

  const chunks = server.log.filter((r) => r.seq !== undefined);
  assert.deepEqual(chunks.map((c) => c.seq), [0, 1, 2]);
  // 2.5 s plus the 10 ms tail at 48 kHz is 40 160 samples at 16 kHz.
  assert.deepEqual(chunks.map((c) => c.samples!.length), [16000, 16000, 8160]);
  assert.equal(server.log.at(-1)?.path, "/api/sessions/s-1/finish", "finish comes last");
  assert.equal(server.log[0].path, "/api/sessions");
  for (const c of chunks) assert.ok(c.samples!.every(Number.isFinite), "no reused frames leak in");
  // The 440 Hz tone survives with its amplitude (middle of chunk 1: steady state).
  const middle = chunks[1].samples!.subarray(4000, 12000);
  const rms = Math.sqrt(middle.reduce((s, x) => s + x * x, 0) / middle.length);
  assert.ok(Math.abs(rms - 0.5 / Math.SQRT2) < 1e-3, `rms ${rms}`);

  assert.deepEqual(answers.map((a) => a.seq), [0, 1, 2]);
  assert.equal(answers[0].current?.label, "calm");
  // One level per block: the tone's 0.5/√2, then the constant tail's 0.1.
  assert.equal(levels.length, Math.ceil(120000 / 1024) + 1);
  assert.ok(levels.slice(0, -2).every((l) => Math.abs(l - 0.5 / Math.SQRT2) < 0.005));
  assert.ok(Math.abs(levels.at(-1)! - 0.1) < 1e-6);
  assert.equal(statuses.at(-1)?.pending, 0);
  assert.equal(statuses.some((s) => s.retrying), false);
});

Deno.test("stop twice saves once", async () => {
  const microphone = new FakeMicrophone(44100);
  const server = fakeServer();
  const recording = await startOn(microphone, { fetch: server.fetch });
  microphone.play(1.2);
  const [a, b] = await Promise.all([recording.stop(), recording.stop()]);
  assert.equal(a, b);
  assert.equal(server.log.filter((r) => r.path.endsWith("/finish")).length, 1);
  assert.deepEqual(server.log.filter((r) => r.seq !== undefined).map((r) => r.samples!.length), [
    16000,
    3200,
  ]);
});

Deno.test("a refused session start releases the microphone and says why", async () => {
  const microphone = new FakeMicrophone(48000);
  const server = fakeServer({ sessionStatus: 429 });
  await assert.rejects(
    startOn(microphone, { fetch: server.fetch }),
    (err: unknown) => err instanceof RecordingError && err.message === "Too many recordings.",
  );
  assert.equal(microphone.closed, true);
});

Deno.test("an unreachable server at start is a connection message", async () => {
  const microphone = new FakeMicrophone(48000);
  await assert.rejects(
    startOn(microphone, { fetch: () => Promise.reject(new TypeError("Failed to fetch")) }),
    /could not be reached/,
  );
  assert.equal(microphone.closed, true);
});

Deno.test("an unusable microphone rate or a start answer without id releases the microphone", async () => {
  const oddMicrophone = new FakeMicrophone(100);
  await assert.rejects(
    startOn(oddMicrophone, { fetch: fakeServer().fetch }),
    /rate of 100 Hz is not supported/,
  );
  assert.equal(oddMicrophone.closed, true);
  const microphone = new FakeMicrophone(48000);
  await assert.rejects(
    startOn(microphone, { fetch: () => Promise.resolve(Response.json({}, { status: 201 })) }),
    (err: unknown) => err instanceof RecordingError && /did not say/.test(err.message),
  );
  assert.equal(microphone.closed, true);
});

Deno.test("a recording stops taking audio just before its length limit and says so", async () => {
  const microphone = new FakeMicrophone(48000);
  const server = fakeServer();
  let limits = 0;
  const recording = await startOn(microphone, {
    fetch: server.fetch,
    maxSeconds: 3,
    onLimit: () => limits++,
  });
  microphone.play(6);
  assert.ok(limits >= 1);
  assert.equal(recording.elapsedS, 2.5);
  const entry = await recording.stop();
  assert.equal(entry.id, "e-1");
  const chunks = server.log.filter((r) => r.seq !== undefined);
  const samples = chunks.reduce((n, c) => n + c.samples!.length, 0);
  assert.ok(samples <= 2.5 * 16000, `${samples} samples sent`);
  assert.ok(samples >= 2.5 * 16000 - 200, `${samples} samples sent`);
  assert.equal(recording.refusal, null);
});

Deno.test("a chunk refused for good still leaves a saved entry of what was taken", async () => {
  const microphone = new FakeMicrophone(16000);
  const server = fakeServer({ refuseFromSeq: 2 });
  const recording = await startOn(microphone, { fetch: server.fetch });
  microphone.play(4);
  const entry = await recording.stop();
  assert.equal(entry.id, "e-1");
  assert.equal(server.log.at(-1)?.path, "/api/sessions/s-1/finish");
  assert.deepEqual(server.log.filter((r) => r.seq !== undefined).map((r) => r.seq), [0, 1]);
  assert.match(recording.refusal?.message ?? "", /limited to 30 minutes/);
});

Deno.test("the recorder's length limit is the server's", async () => {
  const { MAX_RECORDING_S: server } = await import("../../lib/streaming/sessions.ts");
  const { MAX_RECORDING_S: client } = await import("./recording.ts");
  assert.equal(client, server);
});
