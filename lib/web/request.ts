/**
 * Facts about the incoming request that depend on how the service is deployed: the
 * client's address (for rate limits) and whether the page was served over https (for
 * `Secure` cookies). Forwarded headers count only with `TRUST_PROXY=1`.
 */
import type { RouteContext } from "./types.ts";

/** The client's IP address, or "unknown" when the runtime gave none (in-process tests). */
export function clientAddress(c: RouteContext): string {
  if (c.get("config").trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  const addr = c.env?.remoteAddr;
  return addr && "hostname" in addr ? addr.hostname : "unknown";
}

/** True when the browser reached us over https. */
export function isHttps(c: RouteContext): boolean {
  if (c.get("config").trustProxy) {
    const proto = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim();
    if (proto) return proto === "https";
  }
  return new URL(c.req.url).protocol === "https:";
}

/** The origin the browser sees this service at, e.g. `https://moodline.example`. */
export function publicOrigin(c: RouteContext): string {
  const url = new URL(c.req.url);
  if (c.get("config").trustProxy) {
    const host = c.req.header("x-forwarded-host")?.split(",")[0]?.trim();
    if (host) return `${isHttps(c) ? "https" : "http"}://${host}`;
  }
  return url.origin;
}
