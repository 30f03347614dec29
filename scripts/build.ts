/**
 * Bundles the browser code with `deno bundle`: the islands (`islands/_boot.ts` and
 * everything it imports) into `static/islands.js`, and the recorder's AudioWorklet
 * (`islands/recorder_worklet.ts`, loaded on its own by `audioWorklet.addModule`) into
 * `static/recorder-worklet.js`.
 *
 * `static/islands.meta.json` records a hash of both bundles' module graphs (local files,
 * npm packages with versions, compiler options); `--if-stale` rebuilds only when
 * that hash changed or a bundle is missing (the `start` task uses it).
 *
 * Usage: deno task build [--if-stale]
 */
import { encodeHex } from "../lib/encoding.ts";

const root = new URL("../", import.meta.url);
/** Each bundle: its entry module and the file it is written to. */
const bundles = [
  { entry: new URL("islands/_boot.ts", root), output: new URL("static/islands.js", root) },
  {
    entry: new URL("islands/recorder_worklet.ts", root),
    output: new URL("static/recorder-worklet.js", root),
  },
];
const metaPath = new URL("static/islands.meta.json", root);

/** Contents of `static/islands.meta.json`. */
export interface BundleMeta {
  sourceHash: string;
  /** Size of `static/islands.js`. */
  bytes: number;
  /** Size of `static/recorder-worklet.js`. */
  workletBytes: number;
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
 * Hash over what the bundles are made of: the local files of their module graphs, the npm
 * packages (with versions) they pull in, and the compiler options that shape JSX output.
 */
export async function islandSourceHash(): Promise<string> {
  const all = new Set<string>();
  for (const { entry } of bundles) {
    const info = JSON.parse(await run(["info", "--json", entry.pathname])) as {
      modules: { specifier: string }[];
    };
    for (const m of info.modules) all.add(m.specifier);
  }
  const specifiers = [...all].sort();
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
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.byteLength;
  }
  return encodeHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** The recorded meta, or null when a bundle or the meta is missing. */
export async function readBundleMeta(): Promise<BundleMeta | null> {
  try {
    for (const { output } of bundles) await Deno.stat(output);
    return JSON.parse(await Deno.readTextFile(metaPath));
  } catch {
    return null;
  }
}

/** Builds the bundle unless `ifStale` and it is current; returns whether it built. */
export async function build({ ifStale = false } = {}): Promise<boolean> {
  const sourceHash = await islandSourceHash();
  if (ifStale && (await readBundleMeta())?.sourceHash === sourceHash) return false;
  for (const { entry, output } of bundles) {
    await run([
      "bundle",
      "--platform",
      "browser",
      "--minify",
      "--output",
      output.pathname,
      entry.pathname,
    ]);
  }
  const [bytes, workletBytes] = await Promise.all(
    bundles.map(async ({ output }) => (await Deno.stat(output)).size),
  );
  const meta: BundleMeta = { sourceHash, bytes, workletBytes };
  await Deno.writeTextFile(metaPath, JSON.stringify(meta, null, 2) + "\n");
  return true;
}

if (import.meta.main) {
  try {
    const built = await build({ ifStale: Deno.args.includes("--if-stale") });
    console.log(built ? "static/ bundles built" : "static/ bundles are up to date");
  } catch (err) {
    console.error(`build: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
