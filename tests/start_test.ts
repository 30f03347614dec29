/**
 * The README's start command, for real: `deno task start` with a temporary KV file serves
 * the public pages, signs a person up, shows their dashboard, and redirects strangers.
 */
import assert from "node:assert/strict";
import { freePort, waitForServer } from "../lib/loadtest/server.ts";

Deno.test({
  name: "deno task start serves the app with a local KV file",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "start"],
      cwd: new URL("..", import.meta.url),
      env: { PORT: String(port), DENO_KV_PATH: `${dir}/kv/moodline.sqlite` },
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitForServer(base, child);
      for (const path of ["/", "/signup", "/login"]) {
        const res = await fetch(base + path);
        assert.equal(res.status, 200, path);
        await res.body?.cancel();
      }
      const stranger = await fetch(base + "/dashboard", { redirect: "manual" });
      assert.equal(stranger.status, 303);
      assert.equal(stranger.headers.get("location"), "/login?next=%2Fdashboard");
      const signup = await fetch(base + "/signup", {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
        body: "username=starter&password=correct+horse+battery",
      });
      assert.equal(signup.status, 303);
      const cookie = signup.headers.getSetCookie()[0].split(";")[0];
      const dash = await fetch(base + "/dashboard", { headers: { cookie } });
      assert.equal(dash.status, 200);
      assert.match(await dash.text(), /Hello, starter/);
      const big = await fetch(base + "/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
        body: "x=" + "y".repeat(40_000),
      });
      assert.equal(big.status, 413, "a declared oversize body is refused");
      await big.body?.cancel();
      const stat = await Deno.stat(`${dir}/kv/moodline.sqlite`);
      assert.ok(stat.isFile, "the KV file is where DENO_KV_PATH says");
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
