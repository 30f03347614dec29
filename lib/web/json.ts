/**
 * Reading JSON request bodies: a wrong content type is 415, a body that is not a JSON object
 * is 400, both with a message that says what was expected.
 */
import { HttpError } from "./errors.ts";
import type { RouteContext } from "./types.ts";

/** The request body as a JSON object (not an array, not a scalar). */
export async function readJsonObject(c: RouteContext): Promise<Record<string, unknown>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new HttpError(415, `Expected content type application/json, but got "${type}"`);
  }
  let text: string;
  try {
    text = await c.req.text();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, "The request body could not be read.");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "The request body is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "Expected a JSON object as the request body.");
  }
  return value as Record<string, unknown>;
}
