/**
 * Command-line options of `deno task loadtest`, parsed without side effects so they can be
 * tested: `--users N`, `--seconds S`, `--url U`, `--pid P`, `--seed K`, `--out FILE`,
 * `--signup-concurrency C`, `--server-entry FILE`, `--cpu-prof DIR`. Bad input throws {@link UsageError} with a one-line reason.
 */

import { parseCli, UsageError } from "../cli/args.ts";

export { UsageError };

/** What a load test run is asked to do. */
export interface LoadtestOptions {
  /** Simulated recorders, each with its own account and recording. */
  users: number;
  /** Seconds of audio each recorder sends, one 1 s chunk per second. */
  seconds: number;
  /** Base URL of a running server; null starts `main.ts` as a subprocess. */
  url: string | null;
  /**
   * Process id of the server at `url` (the deno process itself, not a launcher script), to
   * read its memory and CPU time; null when unknown.
   */
  pid: number | null;
  /** Seed of the random start offsets and of the audio each recorder gets. */
  seed: number;
  /** File the JSON report is also written to; null for none. */
  out: string | null;
  /** Sign-ups in flight at once (each costs a PBKDF2 hash on the server). */
  signupConcurrency: number;
  /** Module the started server runs instead of `main.ts` (e.g. a variant being measured). */
  serverEntry: string | null;
  /** Folder the started server writes a V8 CPU profile to; null for none. */
  cpuProf: string | null;
}

/** Defaults of {@link LoadtestOptions}. */
export const DEFAULT_OPTIONS: Readonly<LoadtestOptions> = Object.freeze({
  users: 10,
  seconds: 20,
  url: null,
  pid: null,
  seed: 1,
  out: null,
  signupConcurrency: 2,
  serverEntry: null,
  cpuProf: null,
});

/** Most recorders one run may simulate. */
export const MAX_USERS = 5000;
/** Longest run, in seconds. */
export const MAX_SECONDS = 3600;

/** One line of usage, shown with every argument error. */
export const USAGE =
  "usage: deno task loadtest [--users N] [--seconds S] [--url U [--pid P]] [--seed K] [--out FILE] [--signup-concurrency C] [--server-entry FILE] [--cpu-prof DIR]";

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(
      `Expected --${name} to be an integer from ${min} to ${max}, but got "${text}"`,
    );
  }
  return Number(text);
}

function nonEmpty(name: string, text: string, what: string): string {
  if (text === "") throw new UsageError(`Expected ${what} after --${name}`);
  return text;
}

function httpOrigin(text: string): string {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // Reported below.
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new UsageError(`Expected --url to be an http(s) URL, but got "${text}"`);
  }
  return url.origin;
}

const OPTIONS = {
  users: { type: "string" },
  seconds: { type: "string" },
  url: { type: "string" },
  pid: { type: "string" },
  seed: { type: "string" },
  out: { type: "string" },
  "signup-concurrency": { type: "string" },
  "server-entry": { type: "string" },
  "cpu-prof": { type: "string" },
} as const;

/** Parses `args` (as in `Deno.args`); accepts `--name value` and `--name=value`. */
export function parseLoadtestArgs(args: readonly string[]): LoadtestOptions {
  let parsed;
  try {
    parsed = parseCli([...args], OPTIONS);
  } catch (err) {
    // Some of `parseArgs`' messages run over several lines; the first says what is wrong.
    throw new UsageError((err as Error).message.split("\n")[0]);
  }
  const v = parsed.values;
  const d = DEFAULT_OPTIONS;
  const options: LoadtestOptions = {
    users: v.users === undefined ? d.users : integer("users", v.users, 1, MAX_USERS),
    seconds: v.seconds === undefined ? d.seconds : integer("seconds", v.seconds, 1, MAX_SECONDS),
    url: v.url === undefined ? d.url : httpOrigin(v.url),
    pid: v.pid === undefined ? d.pid : integer("pid", v.pid, 1, 2 ** 31 - 1),
    seed: v.seed === undefined ? d.seed : integer("seed", v.seed, 0, 2 ** 32 - 1),
    out: v.out === undefined ? d.out : nonEmpty("out", v.out, "a file name"),
    signupConcurrency: v["signup-concurrency"] === undefined
      ? d.signupConcurrency
      : integer("signup-concurrency", v["signup-concurrency"], 1, 64),
    serverEntry: v["server-entry"] === undefined
      ? d.serverEntry
      : nonEmpty("server-entry", v["server-entry"], "a module"),
    cpuProf: v["cpu-prof"] === undefined
      ? d.cpuProf
      : nonEmpty("cpu-prof", v["cpu-prof"], "a folder"),
  };
  if ((options.serverEntry !== null || options.cpuProf !== null) && options.url !== null) {
    throw new UsageError("--server-entry and --cpu-prof only apply without --url");
  }
  if (options.pid !== null && options.url === null) {
    throw new UsageError("--pid only applies with --url (a started server's pid is known)");
  }
  return options;
}
