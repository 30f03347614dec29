/**
 * The whole product in real headless Chromium: the app with the shipped model, a fake
 * microphone playing an angry RAVDESS clip of actor 19 (decoded with the `flac`
 * program), sign up, record, see a live label soon after the speech starts, stop, and find
 * the saved entry with dominant emotion angry.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { createApp } from "../app.ts";
import { decodeAudio } from "../lib/audio/wav.ts";
import { testConfig } from "../lib/config.ts";
import { Db } from "../lib/db.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./_browser.ts";
import { flacToWav } from "./_speech.ts";

const CLIP = new URL(
  "../../shared/data/ravdess/Actor_19/03-01-05-02-02-02-19.flac",
  import.meta.url,
);

/** Seconds from the start of `wav` to its first 32 ms stretch louder than −35 dBFS. */
function speechOnsetS(wav: Uint8Array): number {
  const { samples, sampleRateHz } = decodeAudio(wav);
  const hop = Math.round(0.032 * sampleRateHz);
  for (let start = 0; start + hop <= samples.length; start += hop) {
    let sum = 0;
    for (let i = start; i < start + hop; i++) sum += samples[i] * samples[i];
    if (10 * Math.log10(sum / hop + 1e-20) > -35) return start / sampleRateHz;
  }
  throw new Error("the clip has no speech");
}

Deno.test({
  name: "browser: a live label shows within 1.5 s of speech and the entry is angry",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const wav = await flacToWav(CLIP.pathname);
    const wavPath = `${dir}/angry.wav`;
    await Deno.writeFile(wavPath, wav);
    const onsetS = speechOnsetS(wav);
    const db = new Db(await Deno.openKv(":memory:"));
    const app = createApp({ db, config: testConfig(), model: await loadEmotionModel() });
    const chunkArrivals = new Map<number, number>();
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req, info) => {
      const url = new URL(req.url);
      if (url.pathname.endsWith("/chunks")) {
        const seq = Number(url.searchParams.get("seq"));
        if (!chunkArrivals.has(seq)) chunkArrivals.set(seq, Date.now());
      }
      return app.fetch(req, info);
    });
    const base = `http://127.0.0.1:${server.addr.port}`;
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        ...CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${wavPath}`,
        "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
      ],
    });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      await page.goto(`${base}/signup`);
      await page.getByLabel("Username").fill("angry.voice");
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.waitForURL(`${base}/dashboard`);
      await page.waitForFunction(() =>
        !document.querySelector<HTMLButtonElement>("[data-testid=recorder] button")?.disabled
      );
      await page.evaluate(() => {
        const label = document.querySelector("[data-testid=current-label]")!;
        new MutationObserver((_, observer) => {
          if (label.getAttribute("data-waiting") === "false") {
            (globalThis as { labelShownAt?: number }).labelShownAt = Date.now();
            observer.disconnect();
          }
        }).observe(label, { attributes: true });
      });
      await page.getByRole("button", { name: "Start recording" }).click();
      await page.locator("[data-testid=current-label][data-waiting=false]").waitFor({
        timeout: 10_000,
      });
      const shownAt = await page.evaluate(() =>
        (globalThis as { labelShownAt?: number }).labelShownAt!
      );
      // Chunk 0 holds the first second of capture and is sent when that second is over.
      const captureStart = chunkArrivals.get(0)! - 1000;
      const afterSpeechMs = shownAt - (captureStart + onsetS * 1000);
      console.log(`live label ${Math.round(afterSpeechMs)} ms after the speech started`);
      assert.ok(afterSpeechMs < 1500, `label shown ${afterSpeechMs} ms after speech`);

      // One pass of the clip and a little more, then Stop.
      await page.waitForTimeout(4500);
      await page.getByRole("button", { name: "Stop" }).click();
      const link = page.getByRole("link", { name: "Open the entry" });
      await link.waitFor({ timeout: 10_000 });
      const user = (await db.getUserByUsername("angry.voice"))!;
      const { items } = await db.listEntries(user.id);
      assert.equal(items.length, 1);
      assert.equal(await link.getAttribute("href"), `/entries/${items[0].id}`);
      const entry = (await db.getEntry(user.id, items[0].id))!;
      assert.equal(entry.dominant, "angry", JSON.stringify(entry.distribution));
      assert.ok(entry.segments.length >= 1);
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
      await server.shutdown();
      db.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
