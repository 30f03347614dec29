/**
 * `GET /api/health`: whether the service is up and has its model, plus live tfjs tensor counts
 * (this thread and each live-recording worker) so a load test or a monitor can see that they
 * stay constant. Public: it holds nothing about anyone.
 */
import { liveTensorCounts } from "../../lib/streaming/live_pool.ts";
import { liveModelOf } from "../../lib/streaming/recording.ts";
import type { Handlers } from "../../lib/web/types.ts";

export const isPublic = true;

export const handlers: Handlers = {
  async GET(c) {
    const model = c.get("model");
    const tensors = model ? await liveTensorCounts(liveModelOf(model)) : null;
    return c.json({ status: "ok", model: model !== null, tensors }, 200, {
      "cache-control": "no-store",
    });
  },
};
