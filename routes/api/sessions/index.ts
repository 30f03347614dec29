/** `POST /api/sessions`: starts a live recording for the logged-in user → 201 `{ id }`. */
import { startRecording } from "../../../lib/streaming/sessions.ts";
import type { Handlers } from "../../../lib/web/types.ts";
import { requireLiveModel } from "../../../lib/web/live_model.ts";

export const handlers: Handlers = {
  async POST(c) {
    const live = requireLiveModel(c);
    const id = await startRecording(c.get("db"), c.get("user")!.id, live);
    return c.json({ id }, 201);
  },
};
