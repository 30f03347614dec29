/**
 * `POST /api/sessions/:id/finish`: ends a live recording and answers with the saved journal
 * entry; a repeated finish answers with the same entry.
 */
import { finishRecordingEntry } from "../../../../lib/streaming/sessions.ts";
import type { Handlers } from "../../../../lib/web/types.ts";
import { requireLiveModel } from "../../../../lib/web/live_model.ts";

export const handlers: Handlers = {
  async POST(c) {
    const live = requireLiveModel(c);
    const userId = c.get("user")!.id;
    const entry = await finishRecordingEntry(c.get("db"), live, userId, c.req.param("id") ?? "");
    return c.json(entry);
  },
};
