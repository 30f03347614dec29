/**
 * The Content-Security-Policy in real headless Chromium: sign up (the time-zone island
 * detects the zone), load the dashboard and the account page, then record two seconds on the dashboard from a fake microphone
 * (getUserMedia, the AudioWorklet module, chunk uploads) and open the saved entry; find every island hydrated and
 * not one CSP violation, neither as a `securitypolicyviolation` event nor on the console.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { createApp } from "../app.ts";
import { testConfig } from "../lib/config.ts";
import { Db } from "../lib/db.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./_browser.ts";

Deno.test({
  name: "browser: pages, islands and a recording run under the CSP without a violation",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const db = new Db(await Deno.openKv(":memory:"));
    const app = createApp({ db, config: testConfig(), model: await loadEmotionModel() });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        ...CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
      ],
    });
    try {
      const context = await browser.newContext({ timezoneId: "America/Sao_Paulo" });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || /Content.Security.Policy/i.test(m.text())) {
          problems.push(`console: ${m.text()}`);
        }
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e}`));
      // Every document reports violations into a list the test reads back.
      await page.addInitScript(() => {
        const seen: string[] = [];
        (globalThis as { cspViolations?: string[] }).cspViolations = seen;
        document.addEventListener("securitypolicyviolation", (e) => {
          seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
        });
      });
      const violations = () =>
        page.evaluate(() => (globalThis as { cspViolations?: string[] }).cspViolations ?? []);
      const checkPage = async (what: string) => {
        const rules = await page.evaluate(() => document.styleSheets[0]?.cssRules.length ?? 0);
        assert.ok(rules > 0, `${what}: the inline style applies`);
        assert.deepEqual(await violations(), [], `${what}: CSP violations`);
      };

      const landing = await page.goto(`${base}/signup`);
      assert.match(landing!.headers()["content-security-policy"], /script-src 'self'/);
      // The sign-up page's time-zone island hydrated: only its browser code detects the zone.
      await page.getByTestId("tz-detected").waitFor({ timeout: 5000 });
      await checkPage("sign-up page");
      await page.getByLabel("Username").fill("strict.page");
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.waitForURL(`${base}/dashboard`);
      await checkPage("dashboard");
      const user = (await db.getUserByUsername("strict.page"))!;
      assert.equal(user.timeZone, "America/Sao_Paulo", "the detected zone was sent");

      await page.goto(`${base}/account`);
      assert.equal(await page.getByLabel("Time zone").inputValue(), "America/Sao_Paulo");
      await checkPage("account page");
      await page.goto(`${base}/dashboard`);

      // The recorder island hydrated: its button is enabled only by the browser code.
      await page.waitForFunction(() =>
        !document.querySelector<HTMLButtonElement>("[data-testid=recorder] button")?.disabled
      );
      assert.equal(
        await page.evaluate(() =>
          getComputedStyle(document.querySelector("[data-testid=level-meter] > div")!).width
        ),
        "0px",
        "the level bar's server-rendered width applies before any sound",
      );
      await page.getByRole("button", { name: "Start recording" }).click();
      await page.waitForTimeout(2500);
      await page.getByRole("button", { name: "Stop" }).click();
      const link = page.getByRole("link", { name: "Open the entry" });
      await link.waitFor({ timeout: 15_000 });
      await checkPage("dashboard while recording");

      await link.click();
      await page.waitForURL(/\/entries\/[0-9A-Z]+$/);
      await checkPage("entry page");

      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.shutdown();
      db.close();
    }
  },
});
