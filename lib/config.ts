/**
 * Service settings from the environment, read once at start-up.
 *
 * | variable         | default                 | meaning                                          |
 * | ---------------- | ----------------------- | ------------------------------------------------ |
 * | `PORT`           | 8000                    | port to listen on                                |
 * | `DENO_KV_PATH`   | `data/moodline.kv`      | local KV file; on Deno Deploy the managed store  |
 * | `TRUST_PROXY`    | unset                   | `1`: take client address and scheme from `X-Forwarded-*` |
 * | `LIVE_WORKERS`   | 2                       | worker threads for live-recording steps (0: in the request thread) |
 * | `TTA_COPIES`     | the model's (none)      | test-time augmentation copies per classified window, 0–6 (`lib/model/tta.ts`) |
 */
import { parseTtaCopies } from "./model/tta.ts";

/** Settings of one running service. */
export interface Config {
  port: number;
  /** Path handed to `Deno.openKv`; undefined means the platform's default store (Deploy). */
  kvPath: string | undefined;
  /** Whether `X-Forwarded-For` / `X-Forwarded-Proto` come from a proxy we trust. */
  trustProxy: boolean;
  /** True on Deno Deploy (no local files may be written there). */
  onDeploy: boolean;
  /** Worker threads that run live-recording steps; 0 runs them in the request thread. */
  liveWorkers: number;
  /**
   * Augmented copies each closed utterance is also classified from (test-time augmentation);
   * undefined: the model's own setting. Each copy costs about as much as the utterance itself.
   */
  ttaCopies: number | undefined;
}

/** Default of `LIVE_WORKERS`: on 2 cores, 2 workers gave the lowest chunk latency under load. */
export const DEFAULT_LIVE_WORKERS = 2;

/** The local KV file used when nothing else is configured. */
export const DEFAULT_KV_PATH = "data/moodline.kv";

/** Reads {@link Config} from `env`; throws a readable error for a bad `PORT`. */
export function readConfig(env: { get(name: string): string | undefined }): Config {
  const onDeploy = Boolean(env.get("DENO_DEPLOYMENT_ID"));
  const portText = env.get("PORT") ?? "8000";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Expected PORT to be a port number, but got "${portText}"`);
  }
  const workersText = env.get("LIVE_WORKERS") ?? String(DEFAULT_LIVE_WORKERS);
  const liveWorkers = Number(workersText);
  if (!/^\d+$/.test(workersText) || liveWorkers > 16) {
    throw new RangeError(`Expected LIVE_WORKERS to be 0 to 16, but got "${workersText}"`);
  }
  const ttaText = env.get("TTA_COPIES");
  let ttaCopies: number | undefined;
  if (ttaText !== undefined && ttaText !== "") {
    try {
      ttaCopies = parseTtaCopies(ttaText);
    } catch (err) {
      throw new RangeError(`TTA_COPIES: ${(err as Error).message}`);
    }
  }
  return {
    port,
    kvPath: env.get("DENO_KV_PATH") || (onDeploy ? undefined : DEFAULT_KV_PATH),
    trustProxy: env.get("TRUST_PROXY") === "1",
    onDeploy,
    liveWorkers,
    ttaCopies,
  };
}

/** Settings for in-process tests: in-memory KV, no proxy. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    kvPath: ":memory:",
    trustProxy: false,
    onDeploy: false,
    liveWorkers: 0,
    ttaCopies: undefined,
    ...overrides,
  };
}
