/**
 * Reads an HTML form post. Only `application/x-www-form-urlencoded` and
 * `multipart/form-data` are forms; anything else is 415. Fields come back as strings
 * (a repeated field keeps its first value; files are ignored).
 */
import { HttpError } from "./errors.ts";
import type { RouteContext } from "./types.ts";

/** The posted fields as strings. */
export async function readForm(c: RouteContext): Promise<Record<string, string>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") {
    throw new HttpError(415, "Expected a form (application/x-www-form-urlencoded).");
  }
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch (err) {
    // The body-limit stream aborts with a 413 that must not turn into a 400.
    const cause = err instanceof HttpError ? err : (err as Error)?.cause;
    if (cause instanceof HttpError) throw cause;
    throw new HttpError(400, "The form could not be read.");
  }
  const fields: Record<string, string> = {};
  for (const [key, value] of form) {
    if (typeof value === "string" && !(key in fields)) fields[key] = value;
  }
  return fields;
}

/** `next` if it is a path on this site, else `fallback` (no open redirects). */
export function safeNextPath(next: string | null | undefined, fallback = "/dashboard"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return fallback;
  }
  return next;
}
