/**
 * The load test itself: simulated recorders sign up (before the clock starts, a few at a
 * time), start a recording each, then send a one-second chunk of speech every second from a
 * random offset within the first second, through the browser's own upload queue
 * (`islands/audio/upload_queue.ts`: one chunk in flight per recorder, retries on 408, 429,
 * 5xx and network errors, honouring `Retry-After`), and finish. Every finished entry is
 * checked against what was sent ({@link checkEntry}).
 */
import { float32LittleEndian } from "../../islands/audio/chunker.ts";
import {
  FatalRequestError,
  requestWithRetry,
  UploadQueue,
} from "../../islands/audio/upload_queue.ts";
import { MODEL_SAMPLE_RATE_HZ } from "../audio/constants.ts";
import { seededRandom } from "../audio/synth.ts";
import { checkEntry, type SegmentLike } from "./entry_check.ts";
import { loadSpeechLoop, recorderAudio, type SpeechKind } from "./audio.ts";
import type { LoadtestOptions } from "./options.ts";
import { cpuSeconds, residentMiB, type ServerProcess, startServer } from "./server.ts";
import { type LatencySummary, latencySummary } from "./stats.ts";
import { userSchedules } from "./schedule.ts";

/** The figures of one run (the JSON the CLI prints). */
export interface LoadtestReport {
  users: number;
  seconds: number;
  server: string;
  audio: { kind: SpeechKind; description: string };
  /** Wall time of the sign-ups (not part of the measured run), in seconds. */
  signupS: number;
  /** Wall time from the first scheduled chunk to the last finished entry, in seconds. */
  runS: number;
  chunks: { sent: number; acknowledged: number; retries: number; lost: number };
  entries: { finished: number; complete: number; failed: number; unheardClips: number };
  /** Enqueue (when the chunk was due) to acknowledgement, in ms. */
  chunkLatencyMs: LatencySummary;
  finishLatencyMs: LatencySummary;
  /** How late the client's own timers fired, in ms (a busy client shows here first). */
  scheduleLagMs: LatencySummary;
  /**
   * p99 chunk latency of the chunks due in each second of the run (index = seq), in ms: shows
   * whether the tail comes from a start-up transient or from the steady state.
   */
  chunkP99BySecondMs: (number | null)[];
  /** Non-2xx answers and failed attempts, by status ("network", "timeout" for no answer). */
  errorsByStatus: Record<string, number>;
  serverRssMiB: { before: number | null; peak: number | null; after: number | null };
  /**
   * CPU time used during the run (user + system, all threads), in seconds, and the server's
   * per acknowledged chunk in ms: a figure that holds up on a busy machine, where latency
   * does not.
   */
  cpu: {
    serverS: number | null;
    serverMsPerChunk: number | null;
    /** The server's main (request) thread alone, per acknowledged chunk. */
    mainThreadMsPerChunk: number | null;
    clientS: number | null;
  };
  /** RSS every 5 s of the run, for the trend. */
  serverRssTimelineMiB: (number | null)[];
  tensors: { before: number | null; after: number | null; note: string };
  /** Up to ten problems found, one line each. */
  problems: string[];
  /** `uptime`-style load averages of this machine at the end (1, 5, 15 min). */
  loadAverage: number[] | null;
}

const PASSWORD = "load test password, not secret";
const TENSOR_NOTE = "live tfjs tensors of the server, its request thread plus every " +
  "live-recording worker, from GET /api/health";

/** The server's live tensors (request thread plus workers), or null when it does not say. */
async function serverTensors(base: string): Promise<number | null> {
  try {
    const res = await fetch(`${base}/api/health`);
    const body = await res.json() as { tensors?: { thread: number; workers: number[] } | null };
    if (!res.ok || !body.tensors) return null;
    return body.tensors.thread + body.tensors.workers.reduce((a, b) => a + b, 0);
  } catch {
    return null;
  }
}

interface UserRun {
  index: number;
  cookie: string;
  recordingId: string;
}

function since(t0: number): number {
  return performance.now() - t0;
}

async function signUp(base: string, username: string): Promise<string> {
  const res = await fetch(base + "/signup", {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: new URLSearchParams({ username, password: PASSWORD }).toString(),
  });
  await res.body?.cancel();
  if (res.status !== 303) throw new Error(`sign-up of ${username} answered ${res.status}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("moodline_session="));
  if (!cookie) throw new Error(`sign-up of ${username} set no session cookie`);
  return cookie.split(";")[0];
}

async function inBatches<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  }));
  return out;
}

function loadAverage(): number[] | null {
  try {
    return Deno.loadavg().map((v) => Math.round(v * 100) / 100);
  } catch {
    return null;
  }
}

/** Runs the load test described by `options`; `log` gets progress lines. */
export async function runLoadtest(
  options: LoadtestOptions,
  log: (line: string) => void = () => {},
): Promise<LoadtestReport> {
  const loop = await loadSpeechLoop(options.seed);
  log(`audio: ${loop.description}`);
  let server: ServerProcess | null = null;
  let base: string;
  let pid: number | null;
  if (options.url) {
    base = options.url;
    pid = options.pid;
  } else {
    log(`starting ${options.serverEntry ?? "main.ts"} …`);
    server = await startServer({
      entry: options.serverEntry ?? undefined,
      cpuProfDir: options.cpuProf ?? undefined,
    });
    base = server.base;
    pid = server.pid;
  }
  const rss = () => pid === null ? Promise.resolve(null) : residentMiB(pid);
  const problems: string[] = [];
  const problem = (line: string) => {
    if (problems.length < 10) problems.push(line);
  };
  try {
    const tag = Date.now().toString(36).slice(-6);
    log(`signing up ${options.users} users (${options.signupConcurrency} at a time) …`);
    const signupStart = performance.now();
    const cookies = await inBatches(
      options.users,
      options.signupConcurrency,
      (i) => signUp(base, `lt-${tag}-${i}`),
    );
    const signupS = since(signupStart) / 1000;
    const users: UserRun[] = await inBatches(options.users, 8, async (i) => {
      const res = await fetch(base + "/api/sessions", {
        method: "POST",
        headers: { cookie: cookies[i], origin: base },
      });
      const body = await res.json();
      if (res.status !== 201) throw new Error(`POST /api/sessions answered ${res.status}`);
      return { index: i, cookie: cookies[i], recordingId: body.id as string };
    });

    const rssBefore = await rss();
    const tensorsBefore = await serverTensors(base);
    let rssPeak = rssBefore;
    const rssTimeline: (number | null)[] = [];
    let sampling = true;
    const sampler = (async () => {
      for (let tick = 0; sampling; tick++) {
        await new Promise((r) => setTimeout(r, 1000));
        const v = await rss();
        if (v !== null && (rssPeak === null || v > rssPeak)) rssPeak = v;
        if (tick % 5 === 4) rssTimeline.push(v);
      }
    })();

    const random = seededRandom(options.seed);
    const schedules = userSchedules(options.users, options.seconds, random);
    const chunkLatency: number[] = [];
    const latencyBySecond: number[][] = Array.from({ length: options.seconds }, () => []);
    const finishLatency: number[] = [];
    const lag: number[] = [];
    const errorsByStatus: Record<string, number> = {};
    let sent = 0, acknowledged = 0, retries = 0, lost = 0;
    let finished = 0, complete = 0, failed = 0, unheard = 0;
    const countError = (key: string) => errorsByStatus[key] = (errorsByStatus[key] ?? 0) + 1;

    const cpuBefore = pid === null ? null : await cpuSeconds(pid);
    const mainBefore = pid === null ? null : await cpuSeconds(pid, pid);
    const clientCpuBefore = await cpuSeconds("self");
    const t0 = performance.now() + 200;
    log(`running ${options.users} recorders for ${options.seconds} s …`);
    await Promise.all(users.map(async (user) => {
      const schedule = schedules[user.index];
      // Recorders start at different clips of the loop.
      const offset = loop.clips[(user.index * 7) % loop.clips.length].start;
      const audio = recorderAudio(loop, offset, options.seconds);
      const attempts = new Map<string, number>();
      const userFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input instanceof Request ? input.url : input);
        const n = (attempts.get(url) ?? 0) + 1;
        attempts.set(url, n);
        if (n > 1) retries++;
        const headers = new Headers(init?.headers);
        headers.set("cookie", user.cookie);
        headers.set("origin", base);
        try {
          const res = await fetch(url, { ...init, headers });
          if (res.status >= 300) countError(String(res.status));
          return res;
        } catch (err) {
          countError(init?.signal?.aborted ? "timeout" : "network");
          throw err;
        }
      };
      const enqueuedAt: number[] = [];
      const answered: SegmentLike[] = [];
      const queue = new UploadQueue({
        chunkUrl: (seq) => `${base}/api/sessions/${user.recordingId}/chunks?seq=${seq}`,
        fetch: userFetch as typeof fetch,
        onAnswer: (seq, answer) => {
          acknowledged++;
          const latency = performance.now() - enqueuedAt[seq];
          chunkLatency.push(latency);
          latencyBySecond[seq].push(latency);
          answered.push(...(answer as { segments: SegmentLike[] }).segments);
        },
      });
      for (let seq = 0; seq < options.seconds; seq++) {
        const due = t0 + schedule.sendAtMs[seq];
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        lag.push(Math.max(0, performance.now() - due));
        enqueuedAt[seq] = performance.now();
        queue.enqueue(seq, float32LittleEndian(audio.chunk(seq)));
        sent++;
      }
      try {
        await queue.drained();
      } catch (err) {
        problem(`user ${user.index}: chunks stopped: ${(err as Error).message}`);
      }
      const finishStart = performance.now();
      let entry: { durationS: number; segments: SegmentLike[] };
      try {
        entry = await requestWithRetry(
          `${base}/api/sessions/${user.recordingId}/finish`,
          { method: "POST" },
          { fetch: userFetch as typeof fetch },
        ) as typeof entry;
      } catch (err) {
        failed++;
        lost += options.seconds;
        const status = err instanceof FatalRequestError ? ` (${err.status})` : "";
        problem(`user ${user.index}: finish failed${status}: ${(err as Error).message}`);
        return;
      }
      finishLatency.push(performance.now() - finishStart);
      finished++;
      const rate = MODEL_SAMPLE_RATE_HZ;
      const check = checkEntry(entry, {
        seconds: options.seconds,
        answered,
        clips: audio.clips.map((c) => ({ startS: c.start / rate, endS: c.end / rate })),
      });
      lost += Math.max(0, check.lostChunks);
      unheard += check.unheardClips;
      if (check.complete) complete++;
      else problem(`user ${user.index}: ${check.problems.join("; ")}`);
    }));
    const runS = since(t0) / 1000;
    sampling = false;
    await sampler;
    const rssAfter = await rss();
    const cpuAfter = pid === null ? null : await cpuSeconds(pid);
    const mainAfter = pid === null ? null : await cpuSeconds(pid, pid);
    const clientCpuAfter = await cpuSeconds("self");
    const serverCpuS = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
    const round2 = (v: number) => Math.round(v * 100) / 100;
    return {
      users: options.users,
      seconds: options.seconds,
      server: server ? `${options.serverEntry ?? "main.ts"} subprocess (pid ${server.pid})` : base,
      audio: { kind: loop.kind, description: loop.description },
      signupS: Math.round(signupS * 10) / 10,
      runS: Math.round(runS * 10) / 10,
      chunks: { sent, acknowledged, retries, lost },
      entries: { finished, complete, failed, unheardClips: unheard },
      chunkLatencyMs: latencySummary(chunkLatency),
      finishLatencyMs: latencySummary(finishLatency),
      scheduleLagMs: latencySummary(lag),
      chunkP99BySecondMs: latencyBySecond.map((values) => latencySummary(values).p99),
      errorsByStatus,
      serverRssMiB: { before: rssBefore, peak: rssPeak, after: rssAfter },
      serverRssTimelineMiB: rssTimeline,
      cpu: {
        serverS: serverCpuS === null ? null : round2(serverCpuS),
        serverMsPerChunk: serverCpuS === null || acknowledged === 0
          ? null
          : round2(serverCpuS * 1000 / acknowledged),
        mainThreadMsPerChunk: mainBefore === null || mainAfter === null || acknowledged === 0
          ? null
          : round2((mainAfter - mainBefore) * 1000 / acknowledged),
        clientS: clientCpuBefore === null || clientCpuAfter === null
          ? null
          : round2(clientCpuAfter - clientCpuBefore),
      },
      tensors: { before: tensorsBefore, after: await serverTensors(base), note: TENSOR_NOTE },
      problems,
      loadAverage: loadAverage(),
    };
  } catch (err) {
    if (server) {
      const tail = server.logTail().slice(-5);
      if (tail.length) log(`server log tail:\n${tail.join("\n")}`);
    }
    throw err;
  } finally {
    await server?.stop();
  }
}

/** A readable summary of `report`, a few lines. */
export function formatSummary(r: LoadtestReport): string {
  const l = r.chunkLatencyMs;
  const ms = (v: number | null) => v === null ? "–" : `${v}`;
  const errors = Object.entries(r.errorsByStatus).map(([k, v]) => `${k}×${v}`).join(", ") ||
    "none";
  return [
    `${r.users} users × ${r.seconds} s (${r.audio.kind} speech), server ${r.server}`,
    `chunks: ${r.chunks.sent} sent, ${r.chunks.acknowledged} acknowledged, ${r.chunks.retries} retries, ${r.chunks.lost} lost`,
    `entries: ${r.entries.complete}/${r.users} complete (${r.entries.failed} failed, ${r.entries.unheardClips} unheard clips)`,
    `chunk latency ms: p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`,
    `finish latency ms: p50 ${ms(r.finishLatencyMs.p50)}  p99 ${
      ms(r.finishLatencyMs.p99)
    }; client timer lag p99 ${ms(r.scheduleLagMs.p99)}`,
    `errors: ${errors}`,
    `server RSS MiB: ${r.serverRssMiB.before} before, ${r.serverRssMiB.peak} peak, ${r.serverRssMiB.after} after; tensors ${r.tensors.before} before, ${r.tensors.after} after`,
    `CPU: server ${r.cpu.serverS} s (${r.cpu.serverMsPerChunk} ms per chunk, finishes included; main thread ${r.cpu.mainThreadMsPerChunk} ms), client ${r.cpu.clientS} s`,
    `load average: ${
      r.loadAverage?.join(" ") ?? "unknown"
    }; sign-up ${r.signupS} s, run ${r.runS} s`,
    ...r.problems.map((p) => `problem: ${p}`),
  ].join("\n");
}
