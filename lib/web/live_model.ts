/**
 * The app's emotion model, prepared for live recordings, as the recording routes need it.
 */
import { type LiveModel, liveModelOf } from "../streaming/recording.ts";
import { HttpError } from "./errors.ts";
import type { RouteContext } from "./types.ts";

/** The app's model prepared for live use; 503 when the app was started without one. */
export function requireLiveModel(c: RouteContext): LiveModel {
  const model = c.get("model");
  if (!model) throw new HttpError(503, "Live recording is not available: no emotion model.");
  return liveModelOf(model);
}
