/**
 * `/api/entries/:id`: read one entry with its segments (GET), change its note and self-ratings
 * (PATCH, JSON `{ note?, mood?, energy? }`), or delete it (DELETE → 204). Another user's id
 * answers 404, exactly like an id that never existed.
 */
import { EntryPatchError, parseEntryPatch } from "../../../lib/journal/entry_patch.ts";
import { HttpError } from "../../../lib/web/errors.ts";
import { readJsonObject } from "../../../lib/web/json.ts";
import type { Handlers } from "../../../lib/web/types.ts";
import { entrySummaryJson } from "./index.ts";

const NOT_FOUND = "No such entry.";

export const handlers: Handlers = {
  async GET(c) {
    const entry = await c.get("db").getEntry(c.get("user")!.id, c.req.param("id") ?? "");
    if (!entry) throw new HttpError(404, NOT_FOUND);
    const { userId: _userId, ...json } = entry;
    return c.json(json);
  },
  async PATCH(c) {
    const db = c.get("db");
    const userId = c.get("user")!.id;
    const id = c.req.param("id") ?? "";
    // An unknown id is 404 even when the body is bad, so ids cannot be probed by errors.
    if (!(await db.getEntrySummary(userId, id))) throw new HttpError(404, NOT_FOUND);
    let patch;
    try {
      patch = parseEntryPatch(await readJsonObject(c));
    } catch (err) {
      if (err instanceof EntryPatchError) throw new HttpError(400, err.message);
      throw err;
    }
    const saved = await db.updateEntry(userId, id, patch);
    if (!saved) throw new HttpError(404, NOT_FOUND);
    return c.json(entrySummaryJson(saved));
  },
  async DELETE(c) {
    const deleted = await c.get("db").deleteEntry(c.get("user")!.id, c.req.param("id") ?? "");
    if (!deleted) throw new HttpError(404, NOT_FOUND);
    return c.body(null, 204);
  },
};
