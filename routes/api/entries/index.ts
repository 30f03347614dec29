import type { EntrySummary } from "../../../lib/db.ts";
import { HttpError } from "../../../lib/web/errors.ts";
import type { Handlers } from "../../../lib/web/types.ts";

/** The API shape of an entry in a list (no owner id, no segments). */
export function entrySummaryJson({ userId: _userId, ...rest }: EntrySummary) {
  return rest;
}

export const handlers: Handlers = {
  async GET(c) {
    const limitText = c.req.query("limit") ?? "20";
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new HttpError(400, `Expected limit between 1 and 100, but got "${limitText}"`);
    }
    const page = await c.get("db").listEntries(c.get("user")!.id, {
      reverse: true,
      limit,
      cursor: c.req.query("cursor"),
    });
    return c.json({ entries: page.items.map(entrySummaryJson), cursor: page.cursor });
  },
};
