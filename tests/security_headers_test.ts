/**
 * Every answer of the app carries the security headers: each page (logged out and in),
 * the error pages, API answers (success and error) and static files. Pages allow no inline
 * script, and admit by hash exactly their one inline `<style>` and the `style="…"`
 * attributes they render.
 */
import assert from "node:assert/strict";
import { PERMISSIONS_POLICY } from "../lib/web/security.ts";
import { routes } from "../routes/_manifest.ts";
import { createTestApp, TEST_ORIGIN } from "./_helpers.ts";

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

function assertSecure(res: Response, what: string): string {
  const csp = res.headers.get("content-security-policy");
  assert.ok(csp, `${what}: no Content-Security-Policy`);
  assert.match(csp, /(^|; )script-src 'self'(;|$)/, `${what}: script-src`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, what);
  assert.match(csp, /(^|; )object-src 'none'(;|$)/, what);
  assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, what);
  assert.equal(res.headers.get("permissions-policy"), PERMISSIONS_POLICY, what);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", what);
  assert.equal(res.headers.get("referrer-policy"), "same-origin", what);
  assert.equal(res.headers.get("x-frame-options"), "DENY", what);
  return csp;
}

async function assertPage(res: Response, what: string): Promise<void> {
  const csp = assertSecure(res, what);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/, what);
  const html = await res.text();
  const styles = [...html.matchAll(/<style[^>]*>(.*?)<\/style>/gs)].map((m) => m[1]);
  assert.equal(styles.length, 1, `${what}: twind's style is inlined`);
  const styleSrc = csp.match(/(?:^|; )style-src ([^;]*)/)![1].split(" ");
  assert.ok(styleSrc.includes(`'sha256-${await sha256(styles[0])}'`), `${what}: style hash`);
  const attributes = [...html.matchAll(/\sstyle="([^"]*)"/g)].map((m) => m[1]);
  for (const value of attributes) {
    assert.ok(styleSrc.includes(`'sha256-${await sha256(value)}'`), `${what}: ${value}`);
  }
  assert.equal(styleSrc.length, 2 + new Set(attributes).size + (attributes.length ? 1 : 0), what);
  assert.equal(csp.includes("'unsafe-hashes'"), attributes.length > 0, what);
  for (const tag of html.match(/<script[^>]*>/g) ?? []) {
    assert.ok(
      /^<script type="module" src="\/static\/islands\.js\?v=[0-9a-f]+">$/.test(tag) ||
        tag === `<script type="application/json" id="__island_props">`,
      `${what}: unexpected script ${tag}`,
    );
  }
  assert.doesNotMatch(html, /\son[a-z]+=/i, `${what}: inline event handlers would be refused`);
}

Deno.test("every page, error page, API answer and static file carries the headers", async () => {
  const t = await createTestApp();
  try {
    for (const path of ["/", "/login", "/signup", "/nowhere"]) {
      await assertPage(await t.request(path), `logged out ${path}`);
    }
    const cookie = await t.signUp("hedda");
    const user = await t.db.getUserByUsername("hedda");
    const entry = await t.db.createEntry(user!.id, {
      startedAt: "2026-01-15T09:00:00.000Z",
      durationS: 3,
      dominant: "calm",
      distribution: { calm: 1 },
      segments: [{
        startS: 0,
        endS: 3,
        label: "calm",
        confidence: 0.9,
        probabilities: { calm: 0.9 },
      }],
    });
    // Every page route of the manifest (those with a component), ids filled in; a redirect
    // (a logged-in visit to /login, say) carries the headers too.
    const pages = routes.filter(([path, module]) => module.default && !path.startsWith("/api"))
      .map(([path]) => path.replace(":id", entry.id));
    assert.ok(pages.includes("/dashboard") && pages.includes(`/entries/${entry.id}`));
    let rendered = 0;
    for (const path of [...pages, "/entries/0"]) {
      const res = await t.request(path, { headers: { cookie }, redirect: "manual" });
      if (res.status === 303) {
        assertSecure(res, `redirect from ${path}`);
        await res.body?.cancel();
      } else {
        await assertPage(res, `logged in ${path}`);
        rendered++;
      }
    }
    assert.ok(rendered >= pages.length - 2, "logged in, most pages render");

    const api = [
      ["/api/me", 200],
      ["/api/entries", 200],
      [`/api/entries/${entry.id}`, 200],
      ["/api/entries/nope", 404],
    ] as const;
    for (const [path, status] of api) {
      const res = await t.request(path, { headers: { cookie } });
      assert.equal(res.status, status, path);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/, path);
      assertSecure(res, `API ${path}`);
      await res.body?.cancel();
    }
    const refused = await t.request("/api/me");
    assert.equal(refused.status, 401);
    assertSecure(refused, "API without login");
    await refused.body?.cancel();
    const posted = await t.request("/api/sessions", {
      method: "POST",
      headers: { cookie, origin: TEST_ORIGIN },
    });
    assertSecure(posted, "API POST without a model");
    await posted.body?.cancel();

    const asset = await t.request("/static/islands.js");
    assert.equal(asset.status, 200);
    assertSecure(asset, "static file");
    await asset.body?.cancel();
  } finally {
    t.close();
  }
});
