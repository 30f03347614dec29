import { HttpError } from "../../../lib/web/errors.ts";
import type { Handlers } from "../../../lib/web/types.ts";

export const handlers: Handlers = {
  async GET(c) {
    const entry = await c.get("db").getEntry(c.get("user")!.id, c.req.param("id") ?? "");
    if (!entry) throw new HttpError(404, "No such entry.");
    const { userId: _userId, ...json } = entry;
    return c.json(json);
  },
};
