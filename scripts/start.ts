/**
 * Starts the service with the narrowest permissions it needs: builds the island bundle
 * if it is missing or stale, then runs `main.ts` allowed only to listen, read the app
 * folder and the KV folder, write the KV folder, and read its own settings' variables.
 *
 * Usage: deno task start    (or `deno task dev`: restarts on changes, rebuilds islands)
 */
import { build } from "./build.ts";
import { DEFAULT_KV_PATH } from "../lib/config.ts";

const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const dev = Deno.args.includes("--dev");
const ENV_NAMES = [
  "PORT",
  "DENO_KV_PATH",
  "TRUST_PROXY",
  "DENO_DEPLOYMENT_ID",
  "LIVE_WORKERS",
  "TTA_COPIES",
];

try {
  if (await build({ ifStale: true })) console.log("Built static/islands.js");
} catch (err) {
  console.error(`start: ${(err as Error).message}`);
  Deno.exit(1);
}

const kvPath = Deno.env.get("DENO_KV_PATH") || DEFAULT_KV_PATH;
const kvDir = kvPath === ":memory:" ? null : kvPath.replace(/[^/]*$/, "") || ".";
const absoluteKvDir = kvDir && (kvDir.startsWith("/") ? kvDir : `${root}/${kvDir}`);
const permissions = [
  "--allow-net",
  `--allow-env=${ENV_NAMES.join(",")}`,
  `--allow-read=${[root, absoluteKvDir].filter(Boolean).join(",")}`,
  ...(absoluteKvDir ? [`--allow-write=${absoluteKvDir}`] : []),
];
if (absoluteKvDir) await Deno.mkdir(absoluteKvDir, { recursive: true });

const children: Deno.ChildProcess[] = [];
if (dev) {
  children.push(
    new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--watch",
        "--minify",
        "--platform",
        "browser",
        "--output",
        `${root}/static/islands.js`,
        `${root}/islands/_boot.ts`,
      ],
      cwd: root,
    }).spawn(),
  );
}
const server = new Deno.Command(Deno.execPath(), {
  args: ["run", ...permissions, ...(dev ? ["--watch"] : []), `${root}/main.ts`],
  cwd: root,
}).spawn();
children.push(server);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    for (const child of children) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  });
}
const status = await server.status;
for (const child of children) {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
}
Deno.exit(status.code);
