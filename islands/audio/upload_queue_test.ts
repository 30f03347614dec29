import assert from "node:assert/strict";
import {
  type Clock,
  FatalRequestError,
  parseRetryAfter,
  type QueueStatus,
  requestWithRetry,
  UploadQueue,
} from "./upload_queue.ts";

/** A clock that moves only when told to. */
class FakeClock implements Clock {
  nowMs = Date.UTC(2026, 0, 15, 12);
  #timers: { at: number; id: number; callback: () => void }[] = [];
  #nextId = 0;
  /** Delays of every timer ever set, in order. */
  readonly delays: number[] = [];

  now(): number {
    return this.nowMs;
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    const id = this.#nextId++;
    this.delays.push(delayMs);
    this.#timers.push({ at: this.nowMs + delayMs, id, callback });
    return () => {
      this.#timers = this.#timers.filter((t) => t.id !== id);
    };
  }

  /** Timers still waiting. */
  get waiting(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promises settle. */
  async advance(ms: number): Promise<void> {
    const until = this.nowMs + ms;
    for (;;) {
      await settle();
      const due = this.#timers.filter((t) => t.at <= until).sort((a, b) =>
        a.at - b.at || a.id - b.id
      );
      if (due.length === 0) break;
      const [timer] = due;
      this.#timers = this.#timers.filter((t) => t !== timer);
      this.nowMs = timer.at;
      timer.callback();
    }
    this.nowMs = until;
    await settle();
  }
}

/** Lets every pending promise chain run (a macrotask turn, twice). */
async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** One request the fake fetch received. */
interface Call {
  url: string;
  init: RequestInit;
  body: Uint8Array;
  respond(response: Response): void;
  fail(error?: unknown): void;
}

/** A fetch whose every call waits until the test answers it. */
function fakeFetch() {
  const calls: Call[] = [];
  const fetch = (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      calls.push({
        url: String(input),
        init,
        body: new Uint8Array(init.body as Uint8Array),
        respond: resolve,
        fail: (error = new TypeError("Failed to fetch")) => reject(error),
      });
    });
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function answerFor(seq: number) {
  return { seq, current: null, segments: [] };
}

function setUp(options: { requestTimeoutMs?: number } = {}) {
  const clock = new FakeClock();
  const { calls, fetch } = fakeFetch();
  const answers: [number, unknown][] = [];
  const statuses: QueueStatus[] = [];
  const queue = new UploadQueue({
    chunkUrl: (seq) => `/api/sessions/s1/chunks?seq=${seq}`,
    fetch,
    clock,
    random: () => 1, // no jitter: waits are exactly 500, 1000, 2000 … ms
    onAnswer: (seq, answer) => answers.push([seq, answer]),
    onStatus: (status) => statuses.push(status),
    ...options,
  });
  return { clock, calls, queue, answers, statuses };
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

Deno.test("chunks go out one at a time, in order, as same-origin octet-stream posts", async () => {
  const { calls, queue, answers, statuses } = setUp();
  queue.enqueue(0, bytes(1, 2, 3, 4));
  queue.enqueue(1, bytes(5, 6, 7, 8));
  await settle();
  assert.equal(calls.length, 1, "the second waits for the first");
  const [first] = calls;
  assert.equal(first.url, "/api/sessions/s1/chunks?seq=0");
  assert.equal(first.init.method, "POST");
  assert.equal(first.init.credentials, "same-origin");
  assert.deepEqual(first.init.headers, { "content-type": "application/octet-stream" });
  assert.deepEqual(first.body, bytes(1, 2, 3, 4));
  let drained = false;
  const done = queue.drained().then(() => drained = true);
  first.respond(json(answerFor(0)));
  await settle();
  assert.equal(calls.length, 2);
  assert.equal(calls[1].url, "/api/sessions/s1/chunks?seq=1");
  assert.equal(drained, false, "drained waits for the last chunk");
  calls[1].respond(json(answerFor(1)));
  await done;
  assert.deepEqual(answers, [[0, answerFor(0)], [1, answerFor(1)]]);
  assert.equal(statuses.at(-1)?.pending, 0);
  assert.equal(statuses.some((s) => s.retrying), false);
  await queue.drained();
});

Deno.test("network errors and 5xx are retried with exponential backoff", async () => {
  const { clock, calls, queue, answers, statuses } = setUp();
  queue.enqueue(0, bytes(9));
  await settle();
  calls[0].fail();
  await settle();
  assert.equal(statuses.at(-1)?.retrying, true);
  assert.equal(statuses.at(-1)?.failures, 1);
  await clock.advance(499);
  assert.equal(calls.length, 1, "no retry before the backoff is over");
  await clock.advance(1);
  assert.equal(calls.length, 2);
  calls[1].respond(json({ error: "Internal" }, 500));
  await clock.advance(1000);
  assert.equal(calls.length, 3);
  calls[2].respond(new Response("bad gateway", { status: 502 }));
  await clock.advance(1999);
  assert.equal(calls.length, 3);
  await clock.advance(1);
  assert.equal(calls.length, 4);
  assert.deepEqual(calls.map((c) => c.body), [bytes(9), bytes(9), bytes(9), bytes(9)]);
  calls[3].respond(json(answerFor(0)));
  await queue.drained();
  assert.deepEqual(answers, [[0, answerFor(0)]]);
  assert.deepEqual(statuses.at(-1), { pending: 0, retrying: false, failures: 0, fatal: null });
});

Deno.test("backoff is capped and jittered", async () => {
  const clock = new FakeClock();
  const { calls, fetch } = fakeFetch();
  const waits: number[] = [];
  const randoms = [0, 0.5, 0.999, 0, 0, 0, 0, 0];
  const result = requestWithRetry("/x", { method: "POST" }, {
    fetch,
    clock,
    random: () => randoms.shift() ?? 0,
    onRetry: (n) => waits.push(n.delayMs),
  });
  for (let i = 0; i < 8; i++) {
    await settle();
    calls[i].fail();
    await clock.advance(20_000);
  }
  await settle();
  calls[8].respond(json({ ok: true }));
  assert.deepEqual(await result, { ok: true });
  assert.deepEqual(waits.slice(0, 3), [250, 750, 1999]);
  assert.deepEqual(
    waits.slice(3),
    [2000, 4000, 5000, 5000, 5000],
    "at most 10 s, half with jitter 0",
  );
});

Deno.test("503, 429 and 408 wait as long as Retry-After says", async () => {
  const { clock, calls, queue, answers } = setUp();
  queue.enqueue(0, bytes(1));
  await settle();
  calls[0].respond(json({ error: "Storage is busy." }, 503, { "retry-after": "3" }));
  await clock.advance(2999);
  assert.equal(calls.length, 1, "Retry-After: 3 means not before 3 s");
  await clock.advance(1);
  const date = new Date(clock.nowMs + 7000).toUTCString();
  calls[1].respond(json({ error: "Slow down." }, 429, { "retry-after": date }));
  await clock.advance(6999);
  assert.equal(calls.length, 2, "an HTTP-date Retry-After is honoured too");
  await clock.advance(1);
  calls[2].respond(new Response(null, { status: 408 }));
  await clock.advance(2000);
  assert.equal(calls.length, 4, "408 without Retry-After backs off (third failure: 2 s)");
  calls[3].respond(json(answerFor(0)));
  await queue.drained();
  assert.deepEqual(answers.map(([seq]) => seq), [0]);
});

Deno.test("chunks queued during an outage wait their turn; none is dropped", async () => {
  const { clock, calls, queue, answers, statuses } = setUp();
  queue.enqueue(0, bytes(0));
  await settle();
  calls[0].fail();
  await settle();
  queue.enqueue(1, bytes(1));
  queue.enqueue(2, bytes(2));
  assert.equal(statuses.at(-1)?.pending, 3);
  assert.equal(statuses.at(-1)?.retrying, true);
  await clock.advance(500);
  calls[1].respond(json({ error: "down" }, 503));
  await clock.advance(1000);
  queue.enqueue(3, bytes(3));
  calls[2].respond(json(answerFor(0)));
  await settle();
  assert.equal(statuses.at(-1)?.retrying, false, "one success ends the outage");
  for (let i = 3; i < calls.length + 1 && i < 6; i++) {
    await settle();
    const seq = Number(new URL(calls[i].url, "http://x").searchParams.get("seq"));
    calls[i].respond(json(answerFor(seq)));
  }
  await queue.drained();
  const sentSeqs = calls.map((c) => new URL(c.url, "http://x").searchParams.get("seq"));
  assert.deepEqual(sentSeqs, ["0", "0", "0", "1", "2", "3"]);
  assert.deepEqual(calls.slice(3).map((c) => c.body), [bytes(1), bytes(2), bytes(3)]);
  assert.deepEqual(answers.map(([seq]) => seq), [0, 1, 2, 3]);
});

Deno.test("a resent chunk is answered as the first time and reported once", async () => {
  // The server takes the chunk, but its answer is lost on the way back.
  const clock = new FakeClock();
  const received: { seq: number; body: Uint8Array }[] = [];
  const stored = new Map<number, unknown>();
  let loseNextAnswerFor = 1;
  const fetch = (input: RequestInfo | URL, init: RequestInit = {}) => {
    const seq = Number(new URL(String(input), "http://x").searchParams.get("seq"));
    received.push({ seq, body: new Uint8Array(init.body as Uint8Array) });
    if (!stored.has(seq)) stored.set(seq, { seq, current: { label: `label-${seq}` } });
    if (seq === loseNextAnswerFor) {
      loseNextAnswerFor = -1;
      return Promise.reject(new TypeError("network connection was lost"));
    }
    return Promise.resolve(json(stored.get(seq)));
  };
  const answers: [number, unknown][] = [];
  const queue = new UploadQueue({
    chunkUrl: (seq) => `/c?seq=${seq}`,
    fetch: fetch as typeof globalThis.fetch,
    clock,
    onAnswer: (seq, answer) => answers.push([seq, answer]),
  });
  for (let seq = 0; seq < 3; seq++) queue.enqueue(seq, bytes(seq, 10 + seq));
  await clock.advance(10_000);
  await queue.drained();
  assert.deepEqual(received.map((r) => r.seq), [0, 1, 1, 2]);
  assert.deepEqual(received[1].body, received[2].body, "the resend carries the same bytes");
  assert.deepEqual(answers, [0, 1, 2].map((seq) => [seq, stored.get(seq)]));
});

Deno.test("an attempt that times out is retried, and its late answer is ignored", async () => {
  const { clock, calls, queue, answers } = setUp({ requestTimeoutMs: 5000 });
  queue.enqueue(0, bytes(0));
  queue.enqueue(1, bytes(1));
  await settle();
  await clock.advance(5000);
  assert.equal(calls[0].init.signal?.aborted, true, "the abandoned attempt is aborted");
  await clock.advance(500);
  assert.equal(calls.length, 2, "retried after the timeout and the backoff");
  calls[1].respond(json({ seq: 0, current: { label: "calm" } }));
  await settle();
  // The first attempt resolves now, out of order, with another answer.
  calls[0].respond(json({ seq: 0, current: { label: "stale" } }));
  await settle();
  assert.equal(calls.length, 3);
  calls[2].respond(json(answerFor(1)));
  await queue.drained();
  assert.deepEqual(answers, [[0, { seq: 0, current: { label: "calm" } }], [1, answerFor(1)]]);
});

Deno.test("answers that resolve out of order still reach onAnswer in seq order", async () => {
  // Chunk 1's first attempt hangs; its retry and chunk 2 finish before it resolves.
  const { clock, calls, queue, answers } = setUp({ requestTimeoutMs: 1000 });
  for (let seq = 0; seq < 3; seq++) queue.enqueue(seq, bytes(seq));
  await settle();
  calls[0].respond(json(answerFor(0)));
  await clock.advance(1500);
  calls[2].respond(json(answerFor(1)));
  await settle();
  calls[3].respond(json(answerFor(2)));
  calls[1].respond(json({ seq: 1, late: true }));
  await queue.drained();
  assert.deepEqual(answers.map(([seq]) => seq), [0, 1, 2]);
  assert.deepEqual(answers[1][1], answerFor(1));
});

Deno.test("4xx other than 408/429 is fatal and carries the server's message", async () => {
  for (
    const [status, body, message] of [
      [400, { error: "The audio could not be decoded." }, "The audio could not be decoded."],
      [413, { error: "The chunk is larger than 2 MB." }, "The chunk is larger than 2 MB."],
      [404, "not json", "The server refused the request (HTTP 404)."],
      [401, { error: "Log in first." }, "Log in first."],
    ] as const
  ) {
    const { calls, queue, answers, statuses } = setUp();
    queue.enqueue(0, bytes(0));
    queue.enqueue(1, bytes(1));
    const drained = queue.drained();
    await settle();
    calls[0].respond(
      typeof body === "string" ? new Response(body, { status }) : json(body, status),
    );
    await assert.rejects(drained, (err: unknown) => {
      assert.ok(err instanceof FatalRequestError);
      assert.equal(err.status, status);
      assert.equal(err.message, message);
      return true;
    });
    await settle();
    assert.equal(calls.length, 1, `nothing is sent after a ${status}`);
    assert.deepEqual(answers, []);
    assert.equal(statuses.at(-1)?.fatal?.message, message);
    await assert.rejects(queue.drained(), FatalRequestError);
    queue.enqueue(2, bytes(2));
    await settle();
    assert.equal(calls.length, 1, "a stopped queue takes no more chunks");
  }
});

Deno.test("a 2xx answer that is not JSON is fatal", async () => {
  const { calls, queue } = setUp();
  queue.enqueue(0, bytes(0));
  await settle();
  calls[0].respond(new Response("<html>", { status: 200 }));
  await assert.rejects(queue.drained(), /cannot be read/);
});

Deno.test("cancel stops retrying and rejects waiters", async () => {
  const { clock, calls, queue } = setUp();
  queue.enqueue(0, bytes(0));
  await settle();
  calls[0].fail();
  const drained = queue.drained();
  await settle();
  queue.cancel();
  await assert.rejects(drained, { name: "AbortError" });
  await clock.advance(60_000);
  assert.equal(calls.length, 1);
  assert.equal(clock.waiting, 0, "no timer is left behind");
});

Deno.test("drained resolves at once when nothing is pending", async () => {
  const { queue, calls } = setUp();
  await queue.drained();
  assert.equal(calls.length, 0);
});

Deno.test("requestWithRetry returns the JSON after transient failures", async () => {
  const clock = new FakeClock();
  const { calls, fetch } = fakeFetch();
  const result = requestWithRetry("/finish", { method: "POST" }, { fetch, clock, random: () => 1 });
  await settle();
  calls[0].respond(json({ error: "busy" }, 503, { "retry-after": "1" }));
  await clock.advance(1000);
  calls[1].respond(json({ id: "e1" }, 200));
  assert.deepEqual(await result, { id: "e1" });
});

Deno.test("Retry-After parses seconds and HTTP dates", () => {
  const now = Date.UTC(2026, 0, 15, 12);
  assert.equal(parseRetryAfter("5", now), 5000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter(new Date(now + 2000).toUTCString(), now), 2000);
  assert.equal(parseRetryAfter(new Date(now - 2000).toUTCString(), now), 0);
  assert.equal(parseRetryAfter("soon", now), null);
  assert.equal(parseRetryAfter(null, now), null);
});
