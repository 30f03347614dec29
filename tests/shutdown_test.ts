/**
 * Graceful shutdown of the real server process: a chunk upload is in flight (its headers
 * and half its body sent) when SIGTERM arrives; requests that arrive meanwhile are answered
 * 503 with Retry-After, the upload is still answered 200 once the rest of its body
 * arrives, the process exits with status 0, and no connection is accepted afterwards.
 */
import assert from "node:assert/strict";
import { freePort, waitForServer } from "../lib/loadtest/server.ts";

async function refused(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return false;
  } catch (err) {
    if (err instanceof Deno.errors.ConnectionRefused) return true;
    throw err;
  }
}

async function readAll(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const buffer = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return text;
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
    // The answer is small JSON with a Content-Length: stop once it is complete.
    const [head, body] = text.split("\r\n\r\n");
    const length = Number(head.match(/content-length: (\d+)/i)?.[1] ?? NaN);
    if (body !== undefined && body.length >= length) return text;
  }
}

Deno.test({
  name: "SIGTERM lets the upload in flight finish, turns new requests away and exits 0",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "main.ts"],
      cwd: new URL("..", import.meta.url),
      env: { PORT: String(port), DENO_KV_PATH: `${dir}/moodline.sqlite` },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    try {
      await waitForServer(base, child);
      const signup = await fetch(base + "/signup", {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
        body: "username=leaving&password=correct+horse+battery",
      });
      assert.equal(signup.status, 303);
      const cookie = signup.headers.getSetCookie()[0].split(";")[0];
      const started = await fetch(base + "/api/sessions", {
        method: "POST",
        headers: { cookie, origin: base },
      });
      assert.equal(started.status, 201);
      const { id } = await started.json();

      // One second of silence as raw Float32, sent by hand so that it stops half-way.
      const body = new Uint8Array(16000 * 4);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const head = `POST /api/sessions/${id}/chunks?seq=0 HTTP/1.1\r\n` +
        `host: 127.0.0.1:${port}\r\norigin: ${base}\r\ncookie: ${cookie}\r\n` +
        `content-type: application/octet-stream\r\ncontent-length: ${body.length}\r\n\r\n`;
      await conn.write(new TextEncoder().encode(head));
      await conn.write(body.subarray(0, body.length / 2));
      await new Promise((r) => setTimeout(r, 500));

      child.kill("SIGTERM");
      let exited = false;
      child.status.then(() => exited = true);
      const lateAt = Date.now() + 5_000;
      for (;;) {
        const late = await fetch(base + "/api/me", { headers: { cookie } });
        await late.body?.cancel();
        if (late.status === 503) {
          assert.equal(late.headers.get("retry-after"), "5");
          break;
        }
        assert.ok(Date.now() < lateAt, "requests are still served after SIGTERM");
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(exited, false, "the process waits for the upload in flight");

      await conn.write(body.subarray(body.length / 2));
      const answer = await readAll(conn);
      conn.close();
      assert.match(
        answer,
        /^HTTP\/1\.1 200 /,
        answer + new TextDecoder().decode((await output).stderr),
      );
      assert.deepEqual(JSON.parse(answer.split("\r\n\r\n")[1]).seq, 0);

      const { code, stdout } = await output;
      assert.equal(code, 0, new TextDecoder().decode(stdout));
      assert.match(
        new TextDecoder().decode(stdout),
        /SIGTERM: finishing [1-9]\d* request\(s\) in flight/,
      );
      assert.ok(await refused(port), "nothing listens after the exit");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await output;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
