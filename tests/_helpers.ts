/**
 * Shared test set-up: an app over an in-memory KV with a movable clock, and small request
 * helpers that post forms and carry the session cookie like a browser would.
 */
import { createApp } from "../app.ts";
import { type Config, testConfig } from "../lib/config.ts";
import { Db } from "../lib/db.ts";
import type { EmotionModel } from "../lib/model/emotion_model.ts";

/** An app under test plus handles to its store and clock. */
export interface TestApp {
  app: ReturnType<typeof createApp>;
  db: Db;
  /** Milliseconds since the epoch as the app sees it; move it forward to expire things. */
  clock: { nowMs: number };
  /** Sends a request to the app in-process. */
  request(path: string, init?: RequestInit & { address?: string }): Promise<Response>;
  /** Posts a url-encoded form. */
  postForm(
    path: string,
    fields: Record<string, string>,
    init?: { cookie?: string; origin?: string; address?: string },
  ): Promise<Response>;
  /** Signs up `username` and returns the session cookie (`name=value`). */
  signUp(username: string, password?: string): Promise<string>;
  /** Lists every key in the store. */
  allKeys(): Promise<Deno.KvKey[]>;
  close(): void;
}

/** The password every test user gets unless told otherwise. */
export const TEST_PASSWORD = "correct horse battery";
/** Origin the in-process requests are addressed to. */
export const TEST_ORIGIN = "http://localhost";

/**
 * Creates a {@link TestApp} on a fresh `:memory:` store; `model` enables the live
 * recording API (tests of other routes need not load it).
 */
export async function createTestApp(
  overrides: Partial<Config> = {},
  { model = null }: { model?: EmotionModel | null } = {},
): Promise<TestApp> {
  const clock = { nowMs: Date.UTC(2026, 0, 15, 12) };
  const db = new Db(await Deno.openKv(":memory:"), { nowMs: () => clock.nowMs });
  const app = createApp({ db, config: testConfig(overrides), model });
  const request = (path: string, init: RequestInit & { address?: string } = {}) => {
    const { address, ...rest } = init;
    const url = path.startsWith("http") ? path : TEST_ORIGIN + path;
    return Promise.resolve(
      app.request(url, rest, {
        remoteAddr: { transport: "tcp", hostname: address ?? "127.0.0.1", port: 40000 },
      }),
    );
  };
  const postForm: TestApp["postForm"] = (path, fields, init = {}) => {
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
    };
    if (init.cookie) headers.cookie = init.cookie;
    if (init.origin) headers.origin = init.origin;
    return request(path, {
      method: "POST",
      headers,
      body: new URLSearchParams(fields).toString(),
      redirect: "manual",
      address: init.address,
    });
  };
  return {
    app,
    db,
    clock,
    request,
    postForm,
    async signUp(username, password = TEST_PASSWORD) {
      const res = await postForm("/signup", { username, password });
      await res.body?.cancel();
      if (res.status !== 303) throw new Error(`sign-up of ${username} gave ${res.status}`);
      return sessionCookie(res);
    },
    async allKeys() {
      const keys: Deno.KvKey[] = [];
      for await (const row of db.kv.list({ prefix: [] })) keys.push(row.key);
      return keys;
    },
    close: () => db.close(),
  };
}

/** The `name=value` of the session cookie a response sets (throws when none is set). */
export function sessionCookie(res: Response): string {
  const header = res.headers.getSetCookie().find((c) => c.startsWith("moodline_session="));
  if (!header) throw new Error("no session cookie was set");
  return header.split(";")[0];
}
