/**
 * Bundles the islands (`islands/_boot.ts` and everything it imports) into
 * `static/islands.js` for browsers, with `deno bundle`.
 *
 * `static/islands.meta.json` records a hash of the bundle's module graph (local files,
 * npm packages with versions, compiler options); `--if-stale` rebuilds only when
 * that hash changed or the bundle is missing (the `start` task uses it).
 *
 * Usage: deno task build [--if-stale]
 */
import { encodeHex } from "../lib/encoding.ts";

const root = new URL("../", import.meta.url);
const entry = new URL("islands/_boot.ts", root);
const bundlePath = new URL("static/islands.js", root);
const metaPath = new URL("static/islands.meta.json", root);

/** Contents of `static/islands.meta.json`. */
export interface BundleMeta {
  sourceHash: string;
  bytes: number;
}

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Hash over what the bundle is made of: the local files of its module graph, the npm
 * packages (with versions) it pulls in, and the compiler options that shape JSX output.
 */
export async function islandSourceHash(): Promise<string> {
  const info = JSON.parse(await run(["info", "--json", entry.pathname])) as {
    modules: { specifier: string }[];
  };
  const specifiers = info.modules.map((m) => m.specifier).sort();
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const specifier of specifiers) {
    if (specifier.startsWith("file://")) {
      parts.push(encoder.encode(new URL(specifier).pathname.slice(root.pathname.length) + "\0"));
      parts.push(await Deno.readFile(new URL(specifier)));
    } else {
      parts.push(encoder.encode(specifier + "\0"));
    }
  }
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  parts.push(encoder.encode(JSON.stringify(config.compilerOptions)));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.byteLength;
  }
  return encodeHex(new Uint8Array(await crypto.subtle.digest("SHA-256", all)));
}

/** The recorded meta, or null when the bundle or its meta is missing. */
export async function readBundleMeta(): Promise<BundleMeta | null> {
  try {
    await Deno.stat(bundlePath);
    return JSON.parse(await Deno.readTextFile(metaPath));
  } catch {
    return null;
  }
}

/** Builds the bundle unless `ifStale` and it is current; returns whether it built. */
export async function build({ ifStale = false } = {}): Promise<boolean> {
  const sourceHash = await islandSourceHash();
  if (ifStale && (await readBundleMeta())?.sourceHash === sourceHash) return false;
  await run([
    "bundle",
    "--platform",
    "browser",
    "--minify",
    "--output",
    bundlePath.pathname,
    entry.pathname,
  ]);
  const bytes = (await Deno.stat(bundlePath)).size;
  const meta: BundleMeta = { sourceHash, bytes };
  await Deno.writeTextFile(metaPath, JSON.stringify(meta, null, 2) + "\n");
  return true;
}

if (import.meta.main) {
  try {
    const built = await build({ ifStale: Deno.args.includes("--if-stale") });
    console.log(built ? "static/islands.js built" : "static/islands.js is up to date");
  } catch (err) {
    console.error(`build: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
