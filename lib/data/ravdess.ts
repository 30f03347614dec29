/**
 * RAVDESS loader. File names are seven two-digit fields, `MM-VV-EE-II-SS-RR-AA`: modality,
 * vocal channel, emotion, intensity, statement, repetition, actor. The emotion code 01 … 08
 * maps onto {@link EMOTION_LABELS} in order; the actor (odd = male, even = female) is the
 * speaker.
 */

import { basename } from "node:path";
import { EMOTION_LABELS } from "./labels.ts";
import type { DatasetListing, NameParse } from "./types.ts";
import { listByName, stripExtension } from "./walk.ts";

/** Corpus name stored in {@link DatasetItem.corpus} for RAVDESS files. */
export const RAVDESS_CORPUS = "ravdess";

/**
 * Label and speaker from a RAVDESS file name (directories and extension are ignored), e.g.
 * `03-01-06-01-02-01-12.wav` → fearful, `Actor_12`. Anything that does not follow the
 * scheme, or an emotion code outside 01 … 08, is reported with the reason.
 */
export function parseRavdessName(path: string): NameParse {
  const name = stripExtension(basename(path));
  const fields = name.split("-");
  if (fields.length !== 7 || !fields.every((f) => /^\d\d$/.test(f))) {
    return { ok: false, reason: `"${name}" is not seven two-digit fields MM-VV-EE-II-SS-RR-AA` };
  }
  const emotionCode = Number(fields[2]);
  if (emotionCode < 1 || emotionCode > EMOTION_LABELS.length) {
    return { ok: false, reason: `unknown RAVDESS emotion code ${fields[2]} (expected 01 … 08)` };
  }
  const actor = Number(fields[6]);
  if (actor < 1) return { ok: false, reason: `invalid RAVDESS actor ${fields[6]}` };
  return { ok: true, label: EMOTION_LABELS[emotionCode - 1], speaker: `Actor_${fields[6]}` };
}

/**
 * Lists every audio file under `root` (the `Actor_XX` folders of RAVDESS speech, WAV or
 * FLAC) with its label and actor; names that do not parse are returned as problems.
 */
export function listRavdess(root: string): Promise<DatasetListing> {
  return listByName(root, RAVDESS_CORPUS, parseRavdessName);
}
