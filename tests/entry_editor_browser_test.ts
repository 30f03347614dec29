/**
 * End-to-end in headless Chromium (Debian's `chromium`, driven by playwright-core): on an
 * entry page, the editor island saves a note and a mood through the API, shows the API's
 * error text when a save is refused, keeps the values across a reload, and deletes the entry
 * only after the in-page confirmation, landing on the journal without it.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { createApp } from "../app.ts";
import { testConfig } from "../lib/config.ts";
import { Db } from "../lib/db.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./_browser.ts";

Deno.test({
  name: "browser: edit an entry's note and mood, then delete it after confirming",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const db = new Db(await Deno.openKv(":memory:"));
    const app = createApp({ db, config: testConfig() });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(String(e)));

      await page.goto(`${base}/signup`);
      await page.getByLabel("Username").fill("Editor.User");
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.waitForURL(`${base}/dashboard`);
      const user = (await db.getUserByUsername("editor.user"))!;
      const entry = await db.createEntry(user.id, {
        startedAt: "2026-01-15T12:00:00.000Z",
        durationS: 12,
        dominant: "calm",
        distribution: { calm: 1 },
        segments: [{
          startS: 0,
          endS: 10,
          label: "calm",
          confidence: 0.99,
          probabilities: { calm: 0.99, neutral: 0.01 },
        }],
      });

      await page.goto(`${base}/entries/${entry.id}`);
      await page.locator('[data-testid="entry-editor"][data-live="true"]').waitFor();
      const mood = page.getByRole("group", { name: "Mood" });
      const energy = page.getByRole("group", { name: "Energy" });
      assert.equal(await mood.getByRole("radio", { name: "Not rated" }).isChecked(), true);

      // A refused save shows the API's own message and leaves the store alone.
      await page.route(`**/api/entries/${entry.id}`, (route) =>
        route.fulfill({
          status: 400,
          contentType: "application/json",
          body: JSON.stringify({ error: "Mood must be a whole number from 1 to 5." }),
        }), { times: 1 });
      await page.getByLabel("Note").fill("Felt lighter after the walk.\nRain later.");
      await mood.getByRole("radio", { name: "4 good" }).check();
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("alert").getByText("Mood must be a whole number from 1 to 5.").waitFor();
      assert.equal((await db.getEntrySummary(user.id, entry.id))!.note, "");

      await page.getByRole("button", { name: "Save" }).click();
      await page.getByTestId("editor-status").getByText("Saved").waitFor();
      assert.equal(await page.getByRole("alert").count(), 0, "the old error is gone");
      const saved = (await db.getEntrySummary(user.id, entry.id))!;
      assert.equal(saved.note, "Felt lighter after the walk.\nRain later.");
      assert.equal(saved.mood, 4);
      assert.equal(saved.energy, null);

      await page.reload();
      await page.locator('[data-testid="entry-editor"][data-live="true"]').waitFor();
      assert.equal(
        await page.getByLabel("Note").inputValue(),
        "Felt lighter after the walk.\nRain later.",
      );
      assert.equal(await mood.getByRole("radio", { name: "4 good" }).isChecked(), true);
      assert.equal(await energy.getByRole("radio", { name: "Not rated" }).isChecked(), true);

      // Delete asks first; "Keep it" keeps it.
      await page.getByRole("button", { name: "Delete entry" }).click();
      await page.getByRole("button", { name: "Keep it" }).click();
      await page.getByRole("button", { name: "Delete entry" }).waitFor();
      assert.ok(await db.getEntrySummary(user.id, entry.id), "still there after Keep it");

      await page.getByRole("button", { name: "Delete entry" }).click();
      const yes = page.getByRole("button", { name: "Yes, delete" });
      assert.equal(await page.getByRole("button", { name: "Delete entry" }).isHidden(), true);
      // Its classes reached the page's CSS (only server-rendered classes do): a red button.
      assert.equal(
        await yes.evaluate((el) => getComputedStyle(el).backgroundColor),
        "rgb(220, 38, 38)",
      );
      assert.equal(
        await page.evaluate(() => document.activeElement?.textContent),
        "Keep it",
        "focus moves to the safe choice",
      );
      await yes.click();
      await page.waitForURL(`${base}/entries`);
      await page.getByText("No entries yet — record your first.").waitFor();
      assert.equal(await db.getEntrySummary(user.id, entry.id), null);
      assert.equal(await page.locator(`a[href="/entries/${entry.id}"]`).count(), 0);
      assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
    } finally {
      await browser.close();
      await server.shutdown();
      db.close();
    }
  },
});
