/**
 * One call that lists everything under a data root laid out like `shared/data` or its
 * `unpack` output: `ravdess/`, `tess/`, and any sub-folder holding a `manifest.csv`.
 */

import { join } from "node:path";
import { homedir } from "node:os";
import { listManifest, MANIFEST_FILE_NAME } from "./manifest.ts";
import { listRavdess } from "./ravdess.ts";
import { listTess } from "./tess.ts";
import type { DatasetListing } from "./types.ts";

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Lists `root/ravdess` (RAVDESS names), `root/tess` (TESS names) and every other direct
 * sub-folder of `root` that has a `manifest.csv`, in that order; a `manifest.csv` directly in
 * `root` counts too. Missing parts are simply absent from the result.
 *
 * @example
 * const { items, problems } = await listCorpora(unpackedDataDir());
 * for (const p of problems) console.warn(`${p.path}: ${p.reason}`);
 */
export async function listCorpora(root: string): Promise<DatasetListing> {
  const listing: DatasetListing = { items: [], problems: [] };
  const add = (part: DatasetListing) => {
    listing.items.push(...part.items);
    listing.problems.push(...part.problems);
  };
  if (await isFile(join(root, MANIFEST_FILE_NAME))) {
    add(await listManifest(join(root, MANIFEST_FILE_NAME)));
  }
  const names: string[] = [];
  for await (const entry of Deno.readDir(root)) if (entry.isDirectory) names.push(entry.name);
  names.sort();
  if (names.includes("ravdess")) add(await listRavdess(join(root, "ravdess")));
  if (names.includes("tess")) add(await listTess(join(root, "tess")));
  for (const name of names) {
    if (name === "ravdess" || name === "tess" || name.startsWith(".")) continue;
    const manifest = join(root, name, MANIFEST_FILE_NAME);
    if (await isDirectory(join(root, name)) && await isFile(manifest)) {
      add(await listManifest(manifest));
    }
  }
  return listing;
}

/**
 * Where `shared/data/unpack` writes its WAV tree by default: `$SER_DATA_DIR`, else
 * `~/.cache/ser-data`. Reading the environment needs `--allow-env`.
 */
export function unpackedDataDir(env: { get(name: string): string | undefined } = Deno.env): string {
  return env.get("SER_DATA_DIR") || join(homedir(), ".cache", "ser-data");
}
