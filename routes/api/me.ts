import { publicUser } from "../../lib/web/render.tsx";
import type { Handlers } from "../../lib/web/types.ts";

export const handlers: Handlers = {
  GET(c) {
    return c.json(publicUser(c.get("user")));
  },
};
