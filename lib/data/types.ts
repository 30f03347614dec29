/** Shapes shared by the dataset loaders. */

import type { EmotionLabel } from "./labels.ts";

/** One labelled recording. */
export interface DatasetItem {
  /** Path of the audio file (as found: relative paths stay relative to the listing's root). */
  path: string;
  label: EmotionLabel;
  /** Speaker id (`Actor_07`, `OAF`, or the manifest's value); null when the source has none. */
  speaker: string | null;
  /** Which corpus or manifest it came from (`ravdess`, `tess`, or the manifest's folder name). */
  corpus: string;
}

/** A file that was found but could not be labelled, with the reason; never guessed around. */
export interface DatasetProblem {
  path: string;
  reason: string;
}

/** Result of listing a corpus: labelled items plus everything that could not be labelled. */
export interface DatasetListing {
  items: DatasetItem[];
  problems: DatasetProblem[];
}

/** Result of parsing one file name: a label and speaker, or the reason there is none. */
export type NameParse =
  | { ok: true; label: EmotionLabel; speaker: string }
  | { ok: false; reason: string };
