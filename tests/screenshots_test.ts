/**
 * Screenshots of the history page and an entry page of a seeded demo journal, in real
 * Chromium at phone (390 px) and desktop (1280 px) widths, in the light and the dark colour
 * scheme. The checks: nothing wider than the screen (no sideways scrolling), every chart drawn
 * with a size, no console error (a CSP violation included). The PNGs go to `SCREENSHOT_DIR`
 * when it is set (to look at them), else to a temporary folder that is removed.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { createApp } from "../app.ts";
import { signUp } from "../lib/accounts.ts";
import { testConfig } from "../lib/config.ts";
import { Db } from "../lib/db.ts";
import { demoEntries } from "../lib/journal/demo.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./_browser.ts";

const PASSWORD = "correct horse battery";
const WIDTHS = { phone: 390, desktop: 1280 } as const;

Deno.test({
  name: "screenshots: history and an entry page fit phone and desktop, light and dark",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const db = new Db(await Deno.openKv(":memory:"));
    const user = await signUp(db, "demo", PASSWORD, "Europe/Berlin");
    const entries = demoEntries({ days: 60, nowMs: Date.now(), timeZone: "Europe/Berlin" });
    let last = null;
    for (const e of entries) last = await db.createEntry(user.id, e);
    const app = createApp({ db, config: testConfig() });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const keep = Deno.env.get("SCREENSHOT_DIR");
    const dir = keep ?? await Deno.makeTempDir();
    await Deno.mkdir(dir, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      for (const scheme of ["light", "dark"] as const) {
        for (const [device, width] of Object.entries(WIDTHS)) {
          const context = await browser.newContext({
            viewport: { width, height: 900 },
            colorScheme: scheme,
            timezoneId: "Europe/Berlin",
          });
          const page = await context.newPage();
          const errors: string[] = [];
          page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
          page.on("pageerror", (e) => errors.push(String(e)));
          await page.goto(`${base}/login`);
          await page.getByLabel("Username").fill("demo");
          await page.getByLabel("Password").fill(PASSWORD);
          await page.getByRole("button", { name: "Log in" }).click();
          await page.waitForURL(`${base}/dashboard`);
          for (
            const [name, path] of [["history", "/history?range=90"], [
              "entry",
              `/entries/${last!.id}`,
            ]]
          ) {
            const res = await page.goto(`${base}${path}`);
            assert.equal(res?.status(), 200, path);
            await page.waitForLoadState("networkidle");
            const layout = await page.evaluate(() => ({
              scrollWidth: document.documentElement.scrollWidth,
              innerWidth: globalThis.innerWidth,
              charts: [...document.querySelectorAll("svg[role=img]")].map((svg) => {
                const r = svg.getBoundingClientRect();
                return {
                  title: svg.querySelector("title")?.textContent ?? "",
                  w: r.width,
                  h: r.height,
                  right: r.right,
                };
              }),
            }));
            const where = `${name} at ${width} px, ${scheme}`;
            assert.ok(
              layout.scrollWidth <= layout.innerWidth,
              `${where}: page is ${layout.scrollWidth} px wide`,
            );
            assert.ok(
              layout.charts.length >= 3,
              `${where}: ${layout.charts.length} charts`,
            );
            for (const chart of layout.charts) {
              assert.ok(
                chart.w > 50 && chart.h > 20,
                `${where}: "${chart.title}" is ${chart.w}×${chart.h}`,
              );
              assert.ok(
                chart.right <= layout.innerWidth + 0.5,
                `${where}: "${chart.title}" overflows`,
              );
            }
            await page.screenshot({
              path: `${dir}/${name}-${device}-${scheme}.png`,
              fullPage: true,
            });
          }
          assert.deepEqual(errors, [], `${device} ${scheme}`);
          await context.close();
        }
      }
    } finally {
      await browser.close();
      await server.shutdown();
      db.close();
      if (!keep) await Deno.remove(dir, { recursive: true });
    }
  },
});
