import { endSession } from "../lib/web/session.ts";
import type { Handlers } from "../lib/web/types.ts";

export const isPublic = true;

export const handlers: Handlers = {
  async POST(c) {
    await endSession(c);
    return c.redirect("/", 303);
  },
};
