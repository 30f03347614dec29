/**
 * End-to-end in real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * sign up through the forms, where the time-zone island preselects the browser's own zone
 * and sign-up stores it; then change it on the account page. Pages without islands
 * must run no script.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { createApp } from "../app.ts";
import { testConfig } from "../lib/config.ts";
import { Db } from "../lib/db.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./_browser.ts";

Deno.test({
  name: "browser: sign-up keeps the browser's time zone; the account page changes it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const db = new Db(await Deno.openKv(":memory:"));
    const app = createApp({ db, config: testConfig() });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      const context = await browser.newContext({ timezoneId: "America/Sao_Paulo" });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(String(e)));

      await page.goto(`${base}/`);
      assert.equal(await page.locator("script").count(), 0, "landing page runs no script");

      await page.goto(`${base}/signup`);
      await page.getByLabel("Username").fill("Browser.User");
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByTestId("tz-detected").waitFor({ timeout: 5000 });
      assert.equal(await page.getByLabel("Time zone").inputValue(), "America/Sao_Paulo");
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.waitForURL(`${base}/dashboard`);
      await page.getByText("No entries yet — record your first.").waitFor();
      const user = await db.getUserByUsername("browser.user");
      assert.equal(user?.timeZone, "America/Sao_Paulo", "sign-up keeps the browser's zone");

      await page.goto(`${base}/account`);
      await page.getByLabel("Time zone").waitFor();
      assert.equal(
        await page.getByLabel("Time zone").inputValue(),
        "America/Sao_Paulo",
        "a stored zone is shown as stored",
      );
      assert.equal(await page.getByTestId("tz-detected").count(), 0);
      await page.getByLabel("Time zone").selectOption("Europe/Lisbon");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await page.getByText("Your time zone was saved.").waitFor();
      assert.equal((await db.getUserByUsername("browser.user"))?.timeZone, "Europe/Lisbon");
      assert.equal(await page.getByLabel("Time zone").inputValue(), "Europe/Lisbon");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.shutdown();
      db.close();
    }
  },
});
