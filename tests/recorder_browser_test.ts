/**
 * The recorder island in real headless Chromium with a fake microphone playing a WAV file
 * (a 440 Hz tone whose loudness swells and fades). The pages come from the app itself;
 * the recording API is a small fake mounted beside it that keeps every chunk it is sent
 * and answers as the API contract says, with made-up predictions.
 *
 * One run records, survives an outage (aborted requests, then 503 with Retry-After) and
 * saves; a second browser, with microphone permission denied, shows why it cannot record.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { type Browser, chromium, type Page } from "playwright-core";
import { createApp } from "../app.ts";
import { CONNECTION_LOST_MESSAGE, NEEDS_JAVASCRIPT_MESSAGE } from "../islands/Recorder.tsx";
import { EMOTIONS } from "../islands/audio/emotions.ts";
import { MICROPHONE_MESSAGES } from "../islands/audio/microphone.ts";
import { encodeWav } from "../lib/audio/encode.ts";
import { testConfig } from "../lib/config.ts";
import { Db, type Segment } from "../lib/db.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./_browser.ts";

const TONE_HZ = 440;
const WAV_RATE_HZ = 48000;

/** 4 s of a 440 Hz tone, loudness swelling 0.05 → 0.45 and back twice; loops seamlessly. */
function testSignalWav(): Uint8Array {
  const samples = new Float32Array(4 * WAV_RATE_HZ);
  for (let i = 0; i < samples.length; i++) {
    const t = i / WAV_RATE_HZ;
    const loudness = 0.25 - 0.2 * Math.cos(2 * Math.PI * 0.5 * t);
    samples[i] = loudness * Math.sin(2 * Math.PI * TONE_HZ * t);
  }
  return encodeWav(samples, WAV_RATE_HZ);
}

/** The fake answer's prediction for chunk `seq`: one emotion at 55 %, the rest shared. */
function prediction(seq: number) {
  const label = EMOTIONS[(seq + 2) % EMOTIONS.length];
  const probabilities = Object.fromEntries(
    EMOTIONS.map((e) => [e, e === label ? 0.55 : 0.45 / (EMOTIONS.length - 1)]),
  );
  return { label, confidence: 0.55, probabilities };
}

/** A chunk as the fake API accepted it. */
interface ReceivedChunk {
  seq: number;
  samples: Float32Array;
}

/**
 * The three session endpoints, faked: every accepted chunk is kept in arrival order;
 * `failNext` makes the next chunk requests fail with 503 and `Retry-After: 1`. Every two
 * chunks close a two-second segment. `finish` saves a real entry for `userId`.
 */
function fakeSessionsApi(db: Db) {
  const state = {
    userId: "",
    failNext: 0,
    refused: 0,
    chunks: [] as ReceivedChunk[],
    answerTimes: new Map<number, number>(),
    /** Every request in order, e.g. "chunk 3", "503 3", "finish". */
    log: [] as string[],
    answers: new Map<number, unknown>(),
  };
  const api = new Hono();
  api.use(async (c, next) => {
    assert.match(c.req.header("cookie") ?? "", /moodline_session=/, "sent with the session cookie");
    await next();
  });
  api.post("/api/sessions", (c) => {
    state.log.push("start");
    return c.json({ id: "rec-1" }, 201);
  });
  api.post("/api/sessions/:id/chunks", async (c) => {
    assert.equal(c.req.param("id"), "rec-1");
    assert.equal(c.req.header("content-type"), "application/octet-stream");
    const seq = Number(c.req.query("seq"));
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (state.failNext > 0) {
      state.failNext--;
      state.refused++;
      state.log.push(`503 ${seq}`);
      return c.json({ error: "Storage is briefly unavailable." }, 503, { "retry-after": "1" });
    }
    state.log.push(`chunk ${seq}`);
    const previous = state.answers.get(seq);
    if (previous) return c.json(previous);
    assert.equal(bytes.length % 4, 0);
    const view = new DataView(bytes.buffer);
    const samples = new Float32Array(bytes.length / 4);
    for (let i = 0; i < samples.length; i++) samples[i] = view.getFloat32(4 * i, true);
    state.chunks.push({ seq, samples });
    const closed = Math.floor((seq + 1) / 2);
    const segments: Segment[] = Array.from({ length: closed }, (_, k) => ({
      startS: 2 * k,
      endS: 2 * k + 2,
      ...prediction(2 * k),
    }));
    const answer = { seq, current: prediction(seq), segments };
    state.answers.set(seq, answer);
    state.answerTimes.set(seq, Date.now());
    return c.json(answer);
  });
  api.post("/api/sessions/:id/finish", async (c) => {
    state.log.push("finish");
    const durationS = state.chunks.reduce((s, chunk) => s + chunk.samples.length, 0) / 16000;
    const entry = await db.createEntry(state.userId, {
      startedAt: new Date().toISOString(),
      durationS,
      dominant: "happy",
      distribution: { happy: 1 },
      segments: [],
    });
    const { userId: _, ...saved } = entry;
    return c.json(saved);
  });
  return { api, state };
}

function rms(x: Float32Array): number {
  return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
}

/**
 * Frequency from the upward crossings through ±0.01: the mean period between them, leaving
 * out periods far from the median. The hysteresis ignores the filter's faint ringing in the
 * few milliseconds of silence the fake device plays when it starts or loops the file.
 */
function toneHz(x: Float32Array, rateHz: number): number {
  const crossings: number[] = [];
  let below = false;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < -0.01) below = true;
    else if (x[i] > 0.01 && below) {
      crossings.push(i);
      below = false;
    }
  }
  // Mean of the periods near the median: a crossing lost in a quiet stretch of the envelope
  // or a glitch when the fake device starts makes one long period, which is left out.
  const periods = crossings.slice(1).map((c, i) => c - crossings[i]);
  const median = [...periods].sort((a, b) => a - b)[Math.floor(periods.length / 2)];
  const kept = periods.filter((p) => Math.abs(p - median) <= 0.25 * median);
  return (kept.length * rateHz) / kept.reduce((a, b) => a + b, 0);
}

async function signUp(page: Page, base: string, username: string) {
  await page.goto(`${base}/signup`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(`${base}/dashboard`);
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test({
  name: "browser: record from a fake microphone, ride out an outage, save, and be told when denied",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const wavPath = `${dir}/tone.wav`;
    await Deno.writeFile(wavPath, testSignalWav());
    const db = new Db(await Deno.openKv(":memory:"));
    const app = createApp({ db, config: testConfig() });
    const { api, state } = fakeSessionsApi(db);
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req, info) =>
        new URL(req.url).pathname.startsWith("/api/sessions")
          ? api.fetch(req)
          : app.fetch(req, info),
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const fakeMicrophone = [
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${wavPath}`,
      "--autoplay-policy=no-user-gesture-required",
    ];
    const browsers: Browser[] = [];
    try {
      const browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS, ...fakeMicrophone, "--use-fake-ui-for-media-stream"],
      });
      browsers.push(browser);
      const context = await browser.newContext();
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      await signUp(page, base, "recorder.user");
      state.userId = (await db.getUserByUsername("recorder.user"))!.id;

      // Before hydration: a disabled Start button and a note.
      const html = await (await context.request.get(`${base}/dashboard`)).text();
      assert.match(html, /<button type="button" disabled[ >][^>]*>Start recording<\/button>/);
      assert.ok(html.includes(NEEDS_JAVASCRIPT_MESSAGE));
      assert.match(html, /recorder-worklet\.js\?v=[0-9a-f]{16}/, "the worklet URL is hashed");

      const start = page.getByRole("button", { name: "Start recording" });
      await start.waitFor();
      await page.waitForFunction(() =>
        !document.querySelector<HTMLButtonElement>("[data-testid=recorder] button")?.disabled
      );
      assert.equal(await page.getByTestId("recorder-needs-js").isVisible(), false);

      // The page notes when the first label appears; both clocks are this machine's.
      await page.evaluate(() => {
        const label = document.querySelector("[data-testid=current-label]")!;
        new MutationObserver((_, observer) => {
          if (label.textContent === "Happy") {
            (globalThis as { labelShownAt?: number }).labelShownAt = Date.now();
            observer.disconnect();
          }
        }).observe(label, { childList: true, characterData: true, subtree: true });
      });
      await start.click();
      await page.getByRole("button", { name: "Stop" }).waitFor();
      await page.getByText("listening…").waitFor();

      // The first answer shows up within 1.5 s.
      await page.getByTestId("current-label").filter({ hasText: "Happy" }).waitFor();
      const shownAt = await page.evaluate(() =>
        (globalThis as { labelShownAt?: number }).labelShownAt
      );
      const shownAfterMs = shownAt! - state.answerTimes.get(0)!;
      assert.ok(shownAfterMs < 1500, `label shown ${shownAfterMs} ms after the answer`);
      assert.equal(
        await page.locator("[data-emotion=happy] span").last().textContent(),
        "55%",
      );

      // The level meter follows the swelling tone.
      const levels = new Set<number>();
      for (let i = 0; i < 15; i++) {
        levels.add(Number(await page.getByRole("meter").getAttribute("aria-valuenow")));
        await page.waitForTimeout(60);
      }
      assert.ok(Math.max(...levels) > 30, `meter levels ${[...levels]}`);
      assert.ok(levels.size >= 3, `meter levels ${[...levels]}`);

      // Outage: two requests never reach the server, then two get 503.
      await waitUntil(() => state.chunks.length >= 2, "two chunks");
      let aborts = 2;
      await page.route("**/api/sessions/*/chunks*", (route) => {
        if (aborts > 0) {
          if (--aborts === 0) state.failNext = 2;
          return route.abort("connectionreset");
        }
        return route.fallback();
      });
      const connection = page.getByTestId("recorder-connection");
      await connection.filter({ hasText: CONNECTION_LOST_MESSAGE }).waitFor({ timeout: 5000 });
      await waitUntil(() => state.refused === 2, "the 503 answers");
      await page.unroute("**/api/sessions/*/chunks*");
      const chunksAtRecovery = state.chunks.length;
      await waitUntil(() => state.chunks.length > chunksAtRecovery, "recovery");
      await connection.filter({ hasText: CONNECTION_LOST_MESSAGE }).waitFor({ state: "detached" })
        .catch(() => {});
      assert.equal(await connection.textContent(), "", "the message goes once chunks flow");
      await waitUntil(() => state.chunks.length >= 7, "seven chunks", 15_000);

      await page.getByRole("button", { name: "Stop" }).click();
      const link = page.getByRole("link", { name: "Open the entry" });
      await link.waitFor({ timeout: 10_000 });
      const entries = await db.listEntries(state.userId);
      assert.equal(entries.items.length, 1);
      assert.equal(await link.getAttribute("href"), `/entries/${entries.items[0].id}`);

      // What the server received: every chunk once, in order, then finish.
      const seqs = state.chunks.map((c) => c.seq);
      assert.deepEqual(seqs, seqs.map((_, i) => i), `chunks in order: ${seqs}`);
      assert.equal(state.log.at(-1), "finish");
      assert.equal(state.log.filter((l) => l === "finish").length, 1);
      assert.equal(
        state.log.indexOf("finish"),
        state.log.length - 1,
        "finish after the last chunk",
      );
      const arrivals = state.log.filter((l) => l.startsWith("chunk "));
      assert.deepEqual(arrivals, seqs.map((seq) => `chunk ${seq}`), "each seq reached it once");
      assert.equal(state.log.filter((l) => l.startsWith("503 ")).length, 2);
      const last = state.chunks.at(-1)!;
      assert.ok(last.samples.length > 0 && last.samples.length <= 16000, "the flushed remainder");
      for (const chunk of state.chunks.slice(0, -1)) {
        assert.equal(chunk.samples.length, 16000, `chunk ${chunk.seq} is one second`);
        assert.ok(rms(chunk.samples) > 0.01, `chunk ${chunk.seq} rms ${rms(chunk.samples)}`);
        const hz = toneHz(chunk.samples, 16000);
        assert.ok(Math.abs(hz - TONE_HZ) < 5, `chunk ${chunk.seq}: ${hz} Hz, so 16 kHz`);
      }
      assert.ok(
        (await page.getByTestId("timeline").locator("[data-label]").count()) >= 3,
        "closed segments are drawn",
      );

      const [entryPage] = await Promise.all([
        page.waitForResponse(`${base}/entries/${entries.items[0].id}`),
        link.click(),
      ]);
      assert.equal(entryPage.status(), 200, "the link opens the saved entry");
      assert.deepEqual(pageErrors, []);

      // Permission denied: no fake UI to say yes, and the context grants nothing.
      const denyingBrowser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS, ...fakeMicrophone],
      });
      browsers.push(denyingBrowser);
      const denying = await denyingBrowser.newContext({
        permissions: [],
        storageState: await context.storageState(),
      });
      const denied = await denying.newPage();
      await denied.goto(`${base}/dashboard`);
      const startDenied = denied.getByRole("button", { name: "Start recording" });
      await denied.waitForFunction(() =>
        !document.querySelector<HTMLButtonElement>("[data-testid=recorder] button")?.disabled
      );
      const log = state.log.length;
      await startDenied.click();
      await denied.getByRole("alert").filter({ hasText: MICROPHONE_MESSAGES.denied }).waitFor({
        timeout: 10_000,
      });
      assert.equal(state.log.length, log, "no session is started without a microphone");
      await denied.getByRole("button", { name: "Try again" }).waitFor();
    } finally {
      for (const b of browsers) await b.close();
      await server.shutdown();
      db.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
