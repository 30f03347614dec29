/**
 * Reliable delivery of recorded chunks: an ordered queue that sends one chunk at a time,
 * retries whatever may succeed later, and gives up only on answers that say it never will.
 *
 * Retried: network errors, timeouts, 408, 429 and every 5xx. The wait before the next
 * attempt is the server's `Retry-After` (seconds or an HTTP date) when it sends one,
 * otherwise exponential backoff with jitter (0.5 s, 1 s, 2 s … up to 10 s). Retrying is
 * safe because the server answers a repeated `seq` exactly as the first time.
 *
 * Fatal: any other 4xx (bad audio, oversize, not yours, logged out) and a 2xx whose body
 * is not JSON; the server's `{ "error" }` message is kept for the person to read.
 *
 * Nothing is ever dropped: chunks that arrive while an earlier one is being retried wait
 * behind it, and `drained()` lets the recorder wait for the last one before it finishes
 * the recording. `fetch` and the clock are injectable, so all of this is tested without
 * a network or real time.
 *
 * @example
 * const queue = new UploadQueue({
 *   chunkUrl: (seq) => `/api/sessions/${id}/chunks?seq=${seq}`,
 *   onAnswer: (seq, answer) => show(answer),
 *   onStatus: (status) => showConnection(status.retrying),
 * });
 * queue.enqueue(0, bytes);
 * await queue.drained();
 */

/** Time as the queue sees it. */
export interface Clock {
  /** Milliseconds since the epoch (to read `Retry-After` dates). */
  now(): number;
  /** Calls `callback` after `delayMs`; returns a function that cancels the call. */
  setTimer(callback: () => void, delayMs: number): () => void;
}

/** The browser's clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const id = setTimeout(callback, delayMs);
    return () => clearTimeout(id);
  },
};

/** How patiently to retry. */
export interface RetryOptions {
  /** Wait after the first failed attempt, before jitter; default 500 ms. */
  baseDelayMs?: number;
  /** Longest backoff wait; default 10 000 ms. */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured; default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** An attempt with no complete answer by then is abandoned and retried; default 20 000 ms. */
  requestTimeoutMs?: number;
  /** Jitter source in [0, 1); the wait is scaled by `0.5 + 0.5 · random()`. */
  random?: () => number;
}

/** What {@link requestWithRetry} needs besides the request. */
export interface RequestWithRetryOptions extends RetryOptions {
  fetch?: typeof fetch;
  clock?: Clock;
  /** Told before each wait: which attempt failed, why, and how long until the next. */
  onRetry?: (notice: RetryNotice) => void;
  /** Aborting it stops retrying; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** One failed attempt that will be retried. */
export interface RetryNotice {
  /** 1 for the first failed attempt of this request, then 2, 3, … */
  attempt: number;
  /** Wait before the next attempt. */
  delayMs: number;
  /** HTTP status, or null for a network error or timeout. */
  status: number | null;
}

/** The server refused a request in a way that retrying cannot change. */
export class FatalRequestError extends Error {
  /** HTTP status of the refusal. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "FatalRequestError";
    this.status = status;
  }
}

type Outcome =
  | { kind: "ok"; body: unknown }
  | { kind: "retry"; status: number | null; retryAfterMs: number | null }
  | { kind: "fatal"; error: FatalRequestError }
  | { kind: "cancelled" };

/** `Retry-After` in milliseconds (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

async function attemptOnce(
  url: string,
  init: RequestInit,
  fetchFn: typeof fetch,
  clock: Clock,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Outcome> {
  const controller = new AbortController();
  let cancelTimer = () => {};
  let removeAbortListener = () => {};
  // An attempt that outlives its timeout is abandoned even if its fetch ignores the
  // abort: whatever it resolves to later is never looked at.
  const timedOut = new Promise<Outcome>((resolve) => {
    cancelTimer = clock.setTimer(() => {
      controller.abort();
      resolve({ kind: "retry", status: null, retryAfterMs: null });
    }, timeoutMs);
  });
  const cancelled = new Promise<Outcome>((resolve) => {
    if (!signal) return;
    const onAbort = () => {
      controller.abort();
      resolve({ kind: "cancelled" });
    };
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort);
    removeAbortListener = () => signal.removeEventListener("abort", onAbort);
  });
  const answered = (async (): Promise<Outcome> => {
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetchFn(url, { ...init, signal: controller.signal });
      status = res.status;
      retryAfter = res.headers.get("retry-after");
      text = await res.text();
    } catch {
      return { kind: "retry", status: null, retryAfterMs: null };
    }
    const json = parseJson(text);
    if (status >= 200 && status < 300) {
      if (json.ok) return { kind: "ok", body: json.value };
      return {
        kind: "fatal",
        error: new FatalRequestError(status, "The server sent an answer that cannot be read."),
      };
    }
    if (isRetryableStatus(status)) {
      return { kind: "retry", status, retryAfterMs: parseRetryAfter(retryAfter, clock.now()) };
    }
    const error = json.ok && typeof (json.value as { error?: unknown })?.error === "string"
      ? (json.value as { error: string }).error
      : `The server refused the request (HTTP ${status}).`;
    return { kind: "fatal", error: new FatalRequestError(status, error) };
  })();
  try {
    return await Promise.race([answered, timedOut, cancelled]);
  } finally {
    cancelTimer();
    removeAbortListener();
  }
}

function wait(clock: Clock, delayMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      cancel();
      resolve();
    };
    const cancel = clock.setTimer(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Sends one request until it gets a 2xx JSON answer and returns the parsed body; throws
 * {@link FatalRequestError} when the server refuses it for good. The request must be safe
 * to repeat (the body is sent again as is).
 */
export async function requestWithRetry(
  url: string,
  init: RequestInit,
  options: RequestWithRetryOptions = {},
): Promise<unknown> {
  const {
    fetch: fetchFn = globalThis.fetch.bind(globalThis),
    clock = systemClock,
    baseDelayMs = 500,
    maxDelayMs = 10_000,
    maxRetryAfterMs = 60_000,
    requestTimeoutMs = 20_000,
    random = Math.random,
    onRetry,
    signal,
  } = options;
  for (let attempt = 1;; attempt++) {
    if (signal?.aborted) throw signal.reason;
    const outcome = await attemptOnce(url, init, fetchFn, clock, requestTimeoutMs, signal);
    if (outcome.kind === "ok") return outcome.body;
    if (outcome.kind === "fatal") throw outcome.error;
    if (outcome.kind === "cancelled") throw signal!.reason;
    const backoffMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) *
      (0.5 + 0.5 * random());
    const delayMs = outcome.retryAfterMs === null
      ? backoffMs
      : Math.min(outcome.retryAfterMs, maxRetryAfterMs);
    onRetry?.({ attempt, delayMs, status: outcome.status });
    await wait(clock, delayMs, signal);
  }
}

/** Runs a listener; an exception in it is reported but never stops the queue. */
function report(listener: () => void): void {
  try {
    listener();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/** Where the queue stands, reported after every change. */
export interface QueueStatus {
  /** Chunks not yet acknowledged, including the one being sent. */
  pending: number;
  /** True from a failed attempt until the next success: the connection looks lost. */
  retrying: boolean;
  /** Failed attempts in a row for the chunk at the head of the queue. */
  failures: number;
  /** The refusal that stopped the queue, or null while it is working. */
  fatal: FatalRequestError | null;
}

/** Options of {@link UploadQueue}. */
export interface UploadQueueOptions extends RetryOptions {
  /** The URL a chunk is posted to. */
  chunkUrl: (seq: number) => string;
  fetch?: typeof fetch;
  clock?: Clock;
  /** The server's parsed answer to each chunk, in `seq` order, once per chunk. */
  onAnswer?: (seq: number, answer: unknown) => void;
  /** Called whenever {@link UploadQueue.status} changes. */
  onStatus?: (status: QueueStatus) => void;
}

interface QueuedChunk {
  seq: number;
  body: Uint8Array;
}

/** Sends chunks in the order they were queued, one at a time, until each is acknowledged. */
export class UploadQueue {
  readonly #options: UploadQueueOptions;
  readonly #items: QueuedChunk[] = [];
  readonly #controller = new AbortController();
  #waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  #running = false;
  #retrying = false;
  #failures = 0;
  #fatal: FatalRequestError | null = null;

  constructor(options: UploadQueueOptions) {
    this.#options = options;
  }

  /** The current state. */
  get status(): QueueStatus {
    return {
      pending: this.#items.length,
      retrying: this.#retrying,
      failures: this.#failures,
      fatal: this.#fatal,
    };
  }

  /** Queues chunk `seq` (raw bytes, sent as `application/octet-stream`). */
  enqueue(seq: number, body: Uint8Array): void {
    if (this.#fatal || this.#controller.signal.aborted) return;
    this.#items.push({ seq, body });
    this.#emit();
    void this.#pump();
  }

  /**
   * Resolves once every chunk queued so far, and any queued meanwhile, is acknowledged;
   * rejects with the {@link FatalRequestError} that stopped the queue, or on cancel.
   */
  drained(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#controller.signal.aborted) return Promise.reject(this.#controller.signal.reason);
    if (this.#items.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Stops sending: the request in flight and any wait are abandoned, nothing more is sent. */
  cancel(): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(new DOMException("The upload was cancelled.", "AbortError"));
    this.#settleWaiters(this.#controller.signal.reason);
  }

  #emit(): void {
    const onStatus = this.#options.onStatus;
    if (onStatus) report(() => onStatus(this.status));
  }

  #settleWaiters(error?: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) error === undefined ? w.resolve() : w.reject(error);
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const signal = this.#controller.signal;
    try {
      while (this.#items.length > 0 && !signal.aborted) {
        const { seq, body } = this.#items[0];
        let answer: unknown;
        try {
          answer = await requestWithRetry(this.#options.chunkUrl(seq), {
            method: "POST",
            credentials: "same-origin",
            headers: { "content-type": "application/octet-stream" },
            body: body as BodyInit,
          }, {
            ...this.#options,
            signal,
            onRetry: (notice) => {
              this.#retrying = true;
              this.#failures = notice.attempt;
              this.#emit();
            },
          });
        } catch (err) {
          if (err instanceof FatalRequestError) {
            this.#fatal = err;
            this.#emit();
            this.#settleWaiters(err);
          }
          return;
        }
        this.#items.shift();
        this.#retrying = false;
        this.#failures = 0;
        const onAnswer = this.#options.onAnswer;
        if (onAnswer) report(() => onAnswer(seq, answer));
        this.#emit();
      }
      if (this.#items.length === 0) this.#settleWaiters();
    } finally {
      this.#running = false;
    }
  }
}
