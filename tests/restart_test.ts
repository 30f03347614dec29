/**
 * A recording survives its server: half of it goes to one server process, which is killed
 * with SIGKILL, and the rest to a new process over the same KV file. The saved entry equals
 * the entry of the same audio recorded without interruption.
 */
import assert from "node:assert/strict";
import { freePort, waitForServer } from "../lib/loadtest/server.ts";
import { twoUtterances } from "./_speech.ts";

const RATE = 16000;

/** Starts `main.ts` on a free port over `kvPath`; resolves once it answers. */
async function serve(kvPath: string): Promise<{ base: string; child: Deno.ChildProcess }> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "main.ts"],
    cwd: new URL("..", import.meta.url),
    env: { PORT: String(port), DENO_KV_PATH: kvPath },
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForServer(base, child);
  } catch (err) {
    child.kill("SIGKILL");
    await child.status;
    throw err;
  }
  return { base, child };
}

function post(base: string, cookie: string, path: string, body?: Float32Array) {
  return fetch(base + path, {
    method: "POST",
    headers: {
      cookie,
      origin: base,
      ...(body ? { "content-type": "application/octet-stream" } : {}),
    },
    body: body ? new Uint8Array(body.slice().buffer) : undefined,
  });
}

async function json(res: Promise<Response>) {
  const r = await res;
  assert.equal(r.status < 300, true, `status ${r.status}`);
  return await r.json();
}

Deno.test({
  name: "a recording continues after its server is killed and restarted",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const kvPath = `${dir}/moodline.sqlite`;
    const audio = await twoUtterances();
    const chunks: Float32Array[] = [];
    for (let i = 0; i < audio.length; i += RATE) chunks.push(audio.subarray(i, i + RATE));
    const half = Math.floor(chunks.length / 2);
    let server = await serve(kvPath);
    try {
      const signup = await fetch(server.base + "/signup", {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: server.base },
        body: "username=restarter&password=correct+horse+battery",
      });
      assert.equal(signup.status, 303);
      const cookie = signup.headers.getSetCookie()[0].split(";")[0];

      const whole = (await json(post(server.base, cookie, "/api/sessions"))).id;
      for (const [seq, chunk] of chunks.entries()) {
        await json(post(server.base, cookie, `/api/sessions/${whole}/chunks?seq=${seq}`, chunk));
      }
      const expected = await json(post(server.base, cookie, `/api/sessions/${whole}/finish`));

      const id = (await json(post(server.base, cookie, "/api/sessions"))).id;
      for (let seq = 0; seq < half; seq++) {
        await json(post(server.base, cookie, `/api/sessions/${id}/chunks?seq=${seq}`, chunks[seq]));
      }
      server.child.kill("SIGKILL");
      await server.child.status;
      server = await serve(kvPath);
      // The chunk that was in flight is sent again, then the rest.
      for (let seq = half - 1; seq < chunks.length; seq++) {
        await json(post(server.base, cookie, `/api/sessions/${id}/chunks?seq=${seq}`, chunks[seq]));
      }
      const entry = await json(post(server.base, cookie, `/api/sessions/${id}/finish`));
      for (const key of ["durationS", "dominant", "distribution", "segments", "segmentCount"]) {
        assert.deepEqual(entry[key], expected[key], key);
      }
      assert.ok(entry.segments.length >= 2);
    } finally {
      server.child.kill("SIGKILL");
      await server.child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
