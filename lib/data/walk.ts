/** Directory walking for the corpus loaders. */

import { join } from "node:path";
import type { DatasetListing, NameParse } from "./types.ts";

/**
 * File extensions the loaders list (lower case). FLAC is listed so the shared FLAC tree can be
 * inventoried; only WAV and AIFF are decoded (see `lib/audio/wav.ts`).
 */
export const AUDIO_EXTENSIONS: readonly string[] = Object.freeze([
  ".wav",
  ".flac",
  ".aif",
  ".aiff",
]);

/** True when `name` ends in one of {@link AUDIO_EXTENSIONS}, in any letter case. */
export function isAudioFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return AUDIO_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** `name` without its last extension. */
export function stripExtension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(0, dot) : name;
}

/**
 * Every audio file under `root`, recursively, as paths joined onto `root`, sorted so listings
 * (and therefore splits made from them) are the same on every machine. Hidden entries
 * (starting with ".") are skipped; symbolic links are not followed.
 */
export async function listAudioFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string) => {
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(dir)) entries.push(entry);
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory) await visit(path);
      else if (entry.isFile && isAudioFileName(entry.name)) found.push(path);
    }
  };
  await visit(root);
  return found.sort();
}

/**
 * Lists every audio file under `root` and labels it with `parse`; names that do not parse
 * are returned as problems with the parser's reason, never guessed.
 */
export async function listByName(
  root: string,
  corpus: string,
  parse: (path: string) => NameParse,
): Promise<DatasetListing> {
  const listing: DatasetListing = { items: [], problems: [] };
  for (const path of await listAudioFiles(root)) {
    const parsed = parse(path);
    if (parsed.ok) {
      listing.items.push({ path, label: parsed.label, speaker: parsed.speaker, corpus });
    } else {
      listing.problems.push({ path, reason: parsed.reason });
    }
  }
  return listing;
}
