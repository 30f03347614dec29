/**
 * What the dashboard ships to browsers stays small and browser-only: every script it loads
 * (the island bundle) plus the recorder's AudioWorklet module, gzip-compressed, must stay
 * under 60 KB, and none of it may carry server code (Deno APIs, tfjs).
 */
import assert from "node:assert/strict";
import { createTestApp } from "./_helpers.ts";

/** Budget for the dashboard's JavaScript, gzip-compressed. */
const DASHBOARD_JS_GZIP_LIMIT_BYTES = 60_000;

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const compressed = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return (await new Response(compressed).arrayBuffer()).byteLength;
}

/** The file in `static/` a `/static/…?v=…` URL points at. */
function staticFile(url: string): URL {
  const name = new URL(url, "http://x").pathname.replace(/^\/static\//, "");
  return new URL(`../static/${name}`, import.meta.url);
}

Deno.test("the dashboard's JavaScript is under 60 KB gzip and holds no server code", async () => {
  const t = await createTestApp();
  try {
    const cookie = await t.signUp("size.check");
    const res = await t.request("/dashboard", { headers: { cookie } });
    assert.equal(res.status, 200);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]);
    const props = JSON.parse(
      html.match(/<script type="application\/json" id="__island_props">(.*?)<\/script>/s)![1],
    ) as { workletUrl?: string }[];
    const worklets = props.flatMap((p) => p.workletUrl ? [p.workletUrl] : []);
    assert.equal(scripts.length, 1, "one module script: the island bundle");
    assert.equal(worklets.length, 1, "the recorder's worklet");

    let total = 0;
    const sizes: string[] = [];
    for (const url of [...scripts, ...worklets]) {
      const bytes = await Deno.readFile(staticFile(url));
      const text = new TextDecoder().decode(bytes);
      assert.doesNotMatch(text, /\bDeno\.|tensorflow|tfjs|openKv/, `${url} holds server code`);
      const gzip = await gzipSize(bytes);
      sizes.push(`${url}: ${bytes.length} B, ${gzip} B gzip`);
      total += gzip;
    }
    assert.ok(
      total < DASHBOARD_JS_GZIP_LIMIT_BYTES,
      `dashboard JS is ${total} B gzip (limit ${DASHBOARD_JS_GZIP_LIMIT_BYTES}):\n${
        sizes.join("\n")
      }`,
    );
  } finally {
    t.close();
  }
});
