/**
 * Security headers of every response, pages and API alike, and the per-response hashes
 * that let the one inline `<style>` twind writes pass the Content-Security-Policy.
 *
 * The policy allows no inline script at all: pages load only `/static/islands.js` as a
 * module, and the islands' props travel in a `<script type="application/json">` data
 * block, which the browser never executes. Styles come from that inline `<style>`, admitted
 * by the hash of its text, so `style-src` needs no `'unsafe-inline'` either. The few
 * `style="…"` attributes an island renders on the server (the recorder's level bar at 0 %)
 * are admitted by the hash of their exact value (`'unsafe-hashes'`), because Preact does
 * not re-apply styles while it hydrates: a refused attribute would stay missing until the
 * value changes. Styles islands set later go through the DOM, which the policy leaves alone.
 *
 * `app.ts` runs each request inside {@link withCsp} and sets {@link securityHeaders};
 * `lib/web/render.tsx` calls {@link admitInlineStyles} with {@link currentCsp}.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { encodeBase64 } from "../encoding.ts";

/**
 * What the policy of one response must admit: the SHA-256 (base64) of each inline
 * `<style>` element's text and of each server-rendered `style="…"` attribute value.
 */
export interface CspContext {
  styleHashes: Set<string>;
  styleAttributeHashes: Set<string>;
}

const contexts = new AsyncLocalStorage<CspContext>();

/** An empty context for one response. */
export function newCspContext(): CspContext {
  return { styleHashes: new Set(), styleAttributeHashes: new Set() };
}

/** Runs `fn` with `context` as the {@link currentCsp} of everything it awaits. */
export function withCsp<T>(context: CspContext, fn: () => T): T {
  return contexts.run(context, fn);
}

/** The context of the response being made, or null outside one (e.g. a test rendering directly). */
export function currentCsp(): CspContext | null {
  return contexts.getStore() ?? null;
}

/**
 * The Content-Security-Policy for a response: inline `<style>` elements whose text
 * `context` hashed are admitted, and so are exactly the `style="…"` attribute values it
 * hashed (`'unsafe-hashes'` lets hashes match attributes; it admits nothing else). Without
 * a context, no inline style at all.
 */
export function contentSecurityPolicy(context: CspContext | null): string {
  const style = ["'self'"];
  const quoted = (hashes: Set<string>) => [...hashes].map((h) => `'sha256-${h}'`);
  if (context) {
    style.push(...quoted(context.styleHashes));
    if (context.styleAttributeHashes.size > 0) {
      style.push("'unsafe-hashes'", ...quoted(context.styleAttributeHashes));
    }
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src ${style.join(" ")}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Which browser features pages may use: the microphone for recording, nothing else. */
export const PERMISSIONS_POLICY = "microphone=(self), camera=(), geolocation=()";

/** Every security header, by lower-case name, for a response made under `context`. */
export function securityHeaders(context: CspContext | null): Record<string, string> {
  return {
    "content-security-policy": contentSecurityPolicy(context),
    "permissions-policy": PERMISSIONS_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
  };
}

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&quot;": '"',
  "&#34;": '"',
  "&#39;": "'",
  "&lt;": "<",
  "&gt;": ">",
};

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return encodeBase64(new Uint8Array(digest));
}

/**
 * Records in `context` the hash of every inline `<style>` element's text and of every
 * double-quoted `style="…"` attribute value (as the browser reads it, entities decoded),
 * so that {@link contentSecurityPolicy} admits exactly these. `html` is the renderer's own
 * output, where text and attribute values are escaped, so these patterns meet only real
 * markup. Without a context nothing happens.
 */
export async function admitInlineStyles(html: string, context: CspContext | null): Promise<void> {
  if (!context) return;
  for (const match of html.matchAll(/<style(?:\s[^>]*)?>(.*?)<\/style>/gs)) {
    context.styleHashes.add(await sha256Base64(match[1]));
  }
  for (const match of html.matchAll(/<[a-zA-Z][^>]*?\sstyle="([^"]*)"/g)) {
    const value = match[1].replace(/&(?:amp|quot|#34|#39|lt|gt);/g, (e) => ENTITIES[e]);
    context.styleAttributeHashes.add(await sha256Base64(value));
  }
}
