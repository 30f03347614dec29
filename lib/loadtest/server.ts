/**
 * The server under test: `main.ts` started as a subprocess on a free loopback port over a
 * temporary KV file, and its resident memory read from `/proc/<pid>/status`.
 */

/** A started server; `stop()` ends it and removes its KV folder. */
export interface ServerProcess {
  base: string;
  pid: number;
  /** The last lines the server wrote to stdout and stderr (for error reports). */
  logTail(): string[];
  stop(): Promise<void>;
}

const REPO_ROOT = new URL("../../", import.meta.url);
const LOG_LINES = 40;

/** A loopback port nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Resolves once the server `child` started at `base` answers `GET /`; throws if it exits
 * first or does not answer within `timeoutMs`.
 */
export async function waitForServer(
  base: string,
  child: Deno.ChildProcess,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await (await fetch(base + "/")).body?.cancel();
      return;
    } catch {
      const done = await Promise.race([
        child.status.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 200)),
      ]);
      if (done) throw new Error("the server exited during start-up");
    }
  }
  throw new Error(`the server did not answer within ${timeoutMs / 1000} s`);
}

async function keepTail(stream: ReadableStream<Uint8Array>, lines: string[]): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const bytes of stream) {
    const parts = (partial + decoder.decode(bytes, { stream: true })).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      if (line === "") continue;
      lines.push(line);
      if (lines.length > LOG_LINES) lines.shift();
    }
  }
  if (partial) lines.push(partial);
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Module to serve instead of `main.ts` (a path from the repository root, or absolute). */
  entry?: string;
  /**
   * Folder for a V8 CPU profile of the server (`--cpu-prof`); the server is then stopped
   * with SIGINT, on which Deno writes the profile.
   */
  cpuProfDir?: string;
  timeoutMs?: number;
}

/**
 * Starts `deno run --allow-all --config deno.json main.ts` with `PORT` and `DENO_KV_PATH`
 * set; resolves once it answers `GET /`, within `timeoutMs`.
 */
export async function startServer(
  { entry = "main.ts", cpuProfDir, timeoutMs = 120_000 }: StartServerOptions = {},
): Promise<ServerProcess> {
  const dir = await Deno.makeTempDir({ prefix: "moodline-loadtest-" });
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--config",
      "deno.json",
      ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []),
      entry,
    ],
    cwd: REPO_ROOT,
    env: { PORT: String(port), DENO_KV_PATH: `${dir}/moodline.sqlite` },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const drained = Promise.all([keepTail(child.stdout, lines), keepTail(child.stderr, lines)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async () => {
    if (!exited) child.kill(cpuProfDir ? "SIGINT" : "SIGTERM");
    await status;
    await drained.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(`the server exited during start-up: ${lines.slice(-3).join(" | ")}`);
    }
    try {
      await (await fetch(base + "/")).body?.cancel();
      return { base, pid: child.pid, logTail: () => [...lines], stop };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await stop();
  throw new Error(`the server did not answer within ${timeoutMs / 1000} s`);
}

/** Resident memory of process `pid` in MiB (VmRSS), or null where it cannot be read. */
export async function residentMiB(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Math.round(Number(match[1]) / 1024 * 10) / 10 : null;
  } catch {
    return null;
  }
}

/**
 * CPU time process `pid` has used so far (user + system, all threads), in seconds, from
 * `/proc/<pid>/stat` (or of its thread `tid` alone, e.g. `tid = pid` for the main thread); null
 * where it cannot be read. Clock ticks are taken as 100 per second.
 */
export async function cpuSeconds(pid: number | "self", tid?: number): Promise<number | null> {
  try {
    const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
    const stat = await Deno.readTextFile(path);
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
