/**
 * TESS loader. Files are named `<speaker>_<word>_<emotion>` (e.g. `YAF_dog_ps.wav`) inside
 * folders whose names and letter case vary (`OAF_Fear`, `YAF_pleasant_surprised`), so the
 * label comes from the file name only: its last `_` part, with TESS's `fear` and `ps`
 * (pleasant surprise) mapped to `fearful` and `surprised`.
 */

import { basename, dirname } from "node:path";
import { isEmotionLabel } from "./labels.ts";
import type { DatasetListing, NameParse } from "./types.ts";
import { listByName, stripExtension } from "./walk.ts";

/** Corpus name stored in {@link DatasetItem.corpus} for TESS files. */
export const TESS_CORPUS = "tess";

/** The two TESS speakers: older and younger adult female. */
export const TESS_SPEAKERS: readonly string[] = Object.freeze(["OAF", "YAF"]);

/** TESS's own emotion names that differ from {@link EMOTION_LABELS}. */
export const TESS_LABEL_NAMES: Readonly<Record<string, string>> = Object.freeze({
  fear: "fearful",
  ps: "surprised",
});

function speakerPrefix(name: string): string | null {
  const prefix = name.split("_")[0].toUpperCase();
  return TESS_SPEAKERS.includes(prefix) ? prefix : null;
}

/**
 * Label and speaker from a TESS path. The speaker is the file name's prefix (`OAF`/`YAF`);
 * where the file's prefix is not one of those (the published `OA_bite_neutral`), the
 * folder's prefix decides. Unknown emotions and speakers are reported, not guessed.
 */
export function parseTessName(path: string): NameParse {
  const name = stripExtension(basename(path));
  const parts = name.split("_");
  if (parts.length < 2) return { ok: false, reason: `"${name}" has no "_"-separated emotion` };
  const raw = parts[parts.length - 1].toLowerCase();
  const label = TESS_LABEL_NAMES[raw] ?? raw;
  if (!isEmotionLabel(label)) return { ok: false, reason: `unknown TESS emotion "${raw}"` };
  const speaker = speakerPrefix(name) ?? speakerPrefix(basename(dirname(path)));
  if (!speaker) {
    return { ok: false, reason: `no TESS speaker (OAF/YAF) in "${name}" or its folder` };
  }
  return { ok: true, label, speaker };
}

/** Lists every audio file under `root` (the TESS folders, WAV or FLAC) with label and speaker. */
export function listTess(root: string): Promise<DatasetListing> {
  return listByName(root, TESS_CORPUS, parseTessName);
}
