/**
 * Starts Moodline: opens the store (a local KV file by default, the managed store on
 * Deno Deploy), loads the shipped emotion model and serves the app. Settings: see `lib/config.ts`.
 */
import { createApp } from "./app.ts";
import { readConfig } from "./lib/config.ts";
import { openDb } from "./lib/db.ts";
import { loadEmotionModel } from "./lib/model/emotion_model.ts";

const config = readConfig(Deno.env);
if (config.kvPath && config.kvPath !== ":memory:") {
  const dir = config.kvPath.replace(/[^/]*$/, "");
  if (dir) await Deno.mkdir(dir, { recursive: true });
}
const db = await openDb(config.kvPath);
const model = await loadEmotionModel();
const app = createApp({ db, config, model });
Deno.serve({ port: config.port }, app.fetch);
