/**
 * Command-line options of `deno task loadtest`, parsed without side effects so they can be
 * tested: `--users N`, `--seconds S`, `--url U`, `--pid P`, `--seed K`, `--out FILE`,
 * `--signup-concurrency C`, `--server-entry FILE`, `--cpu-prof DIR`. Bad input throws {@link UsageError} with a one-line reason.
 */

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

/** The arguments cannot be used; the message says why in one line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(
      `Expected --${name} to be an integer from ${min} to ${max}, but got "${text}"`,
    );
  }
  return Number(text);
}

/** Parses `args` (as in `Deno.args`); accepts `--name value` and `--name=value`. */
export function parseLoadtestArgs(args: readonly string[]): LoadtestOptions {
  const options: LoadtestOptions = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`Unexpected argument "${arg}"`);
    const name = match[1];
    let value = match[2];
    if (value === undefined) {
      if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
        throw new UsageError(`Expected a value after --${name}`);
      }
      value = args[++i];
    }
    switch (name) {
      case "users":
        options.users = integer(name, value, 1, MAX_USERS);
        break;
      case "seconds":
        options.seconds = integer(name, value, 1, MAX_SECONDS);
        break;
      case "seed":
        options.seed = integer(name, value, 0, 2 ** 32 - 1);
        break;
      case "pid":
        options.pid = integer(name, value, 1, 2 ** 31 - 1);
        break;
      case "signup-concurrency":
        options.signupConcurrency = integer(name, value, 1, 64);
        break;
      case "url": {
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          throw new UsageError(`Expected --url to be an http(s) URL, but got "${value}"`);
        }
        if (url.protocol !== "http:" && url.protocol !== "https:") {
          throw new UsageError(`Expected --url to be an http(s) URL, but got "${value}"`);
        }
        options.url = url.origin;
        break;
      }
      case "server-entry":
        if (value === "") throw new UsageError("Expected a module after --server-entry");
        options.serverEntry = value;
        break;
      case "cpu-prof":
        if (value === "") throw new UsageError("Expected a folder after --cpu-prof");
        options.cpuProf = value;
        break;
      case "out":
        if (value === "") throw new UsageError("Expected a file name after --out");
        options.out = value;
        break;
      default:
        throw new UsageError(`Unknown option --${name}`);
    }
  }
  if ((options.serverEntry !== null || options.cpuProf !== null) && options.url !== null) {
    throw new UsageError("--server-entry and --cpu-prof only apply without --url");
  }
  if (options.pid !== null && options.url === null) {
    throw new UsageError("--pid only applies with --url (a started server's pid is known)");
  }
  return options;
}
