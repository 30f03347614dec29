/**
 * Static files from `static/`, with a content hash in every URL the pages write.
 *
 * `assetPath("islands.js")` returns `/static/islands.js?v=<hash>`; a request whose `v`
 * matches the file's current hash is cacheable for a year (`immutable`), any other is
 * served with `no-cache`, so a deploy never leaves a browser on a stale bundle.
 */
import { encodeHex } from "../encoding.ts";

const STATIC_DIR = new URL("../../static/", import.meta.url);
const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  json: "application/json",
  webmanifest: "application/manifest+json",
  txt: "text/plain; charset=utf-8",
};

interface Asset {
  body: Uint8Array;
  hash: string;
  type: string;
}

const assets = new Map<string, Promise<Asset | null>>();

/** Only plain file names directly in `static/`: no folders, no dot-files, no traversal. */
function isSafeName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && !name.includes("..");
}

async function loadAsset(name: string): Promise<Asset | null> {
  const ext = name.slice(name.lastIndexOf(".") + 1);
  const type = TYPES[ext];
  if (!type || !isSafeName(name)) return null;
  try {
    const body = await Deno.readFile(new URL(name, STATIC_DIR));
    const digest = await crypto.subtle.digest("SHA-256", body);
    return { body, hash: encodeHex(new Uint8Array(digest)).slice(0, 16), type };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** The file, read once per process (files in `static/` change only with a deploy or build). */
export function getAsset(name: string): Promise<Asset | null> {
  let asset = assets.get(name);
  if (!asset) {
    asset = loadAsset(name);
    assets.set(name, asset);
  }
  return asset;
}

/** Forgets cached files (the build script and tests call this after writing `static/`). */
export function clearAssetCache(): void {
  assets.clear();
}

/** The URL of a static file with its content hash, e.g. `/static/islands.js?v=3f2a…`. */
export async function assetPath(name: string): Promise<string> {
  const asset = await getAsset(name);
  if (!asset) throw new Error(`static/${name} is missing: run "deno task build"`);
  return `/static/${name}?v=${asset.hash}`;
}

/** Serves `static/<name>`; null when there is no such file. */
export async function serveAsset(name: string, version: string | undefined) {
  const asset = await getAsset(name);
  if (!asset) return null;
  const cacheControl = version === asset.hash ? "public, max-age=31536000, immutable" : "no-cache";
  return new Response(asset.body as BodyInit, {
    headers: {
      "content-type": asset.type,
      "cache-control": cacheControl,
      etag: `"${asset.hash}"`,
    },
  });
}
