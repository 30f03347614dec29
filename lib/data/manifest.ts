/**
 * Loader for any folder described by a CSV manifest with columns `path,label[,speaker]`
 * (header row optional). Paths are relative to the manifest's folder unless absolute; labels
 * must be one of {@link EMOTION_LABELS} (letter case and surrounding spaces are ignored).
 */

import { basename, dirname, isAbsolute, join } from "node:path";
import { EMOTION_LABELS, isEmotionLabel } from "./labels.ts";
import type { DatasetListing } from "./types.ts";
import { isAudioFileName } from "./walk.ts";

/** File name a folder's manifest must have to be found by {@link listCorpora}. */
export const MANIFEST_FILE_NAME = "manifest.csv";

/** One parsed manifest row before any file-system check. */
export interface ManifestRow {
  /** 1-based line number, for messages. */
  line: number;
  path: string;
  label: string;
  speaker: string | null;
}

/**
 * Splits CSV text into rows of fields (RFC 4180: commas, double-quoted fields with `""`
 * escapes and embedded commas or newlines, CRLF or LF line ends). Blank lines are dropped.
 */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let fieldStarted = false;
  const endRow = () => {
    if (fieldStarted || fields.length > 0 || field !== "") fields.push(field);
    if (fields.some((f) => f.trim() !== "")) rows.push({ line: rowLine, fields });
    fields = [];
    field = "";
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && field.trim() === "") {
      quoted = true;
      field = "";
      fieldStarted = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      fieldStarted = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += c;
    }
  }
  endRow();
  return rows;
}

/**
 * Rows of a `path,label[,speaker]` manifest. A first row whose first two fields read `path`
 * and `label` is a header and skipped. Rows with fewer than two fields become problems.
 */
export function parseManifest(
  text: string,
): { rows: ManifestRow[]; problems: Array<{ line: number; reason: string }> } {
  const rows: ManifestRow[] = [];
  const problems: Array<{ line: number; reason: string }> = [];
  const parsed = parseCsv(text.replace(/^\uFEFF/, ""));
  parsed.forEach(({ line, fields }, index) => {
    const cells = fields.map((f) => f.trim());
    if (
      index === 0 && cells[0]?.toLowerCase() === "path" && cells[1]?.toLowerCase() === "label"
    ) {
      return;
    }
    if (cells.length < 2 || cells[0] === "") {
      problems.push({
        line,
        reason: `expected "path,label[,speaker]", got ${cells.length} field(s)`,
      });
      return;
    }
    rows.push({ line, path: cells[0], label: cells[1], speaker: cells[2] ? cells[2] : null });
  });
  return { rows, problems };
}

/**
 * Lists the recordings of a manifest file. Each row's file must exist and have an audio
 * extension, and its label must be one of the eight; anything else is a problem naming the
 * manifest line. `corpus` defaults to the manifest's folder name.
 */
export async function listManifest(
  manifestPath: string,
  corpus: string = basename(dirname(manifestPath)),
): Promise<DatasetListing> {
  const listing: DatasetListing = { items: [], problems: [] };
  const text = await Deno.readTextFile(manifestPath);
  const { rows, problems } = parseManifest(text);
  for (const p of problems) {
    listing.problems.push({ path: `${manifestPath}:${p.line}`, reason: p.reason });
  }
  const base = dirname(manifestPath);
  for (const row of rows) {
    const path = isAbsolute(row.path) ? row.path : join(base, row.path);
    const where = `${manifestPath}:${row.line}`;
    const label = row.label.toLowerCase();
    if (!isEmotionLabel(label)) {
      listing.problems.push({
        path,
        reason: `${where}: unknown label "${row.label}" (expected ${EMOTION_LABELS.join(", ")})`,
      });
      continue;
    }
    if (!isAudioFileName(path)) {
      listing.problems.push({ path, reason: `${where}: not an audio file name` });
      continue;
    }
    try {
      const info = await Deno.stat(path);
      if (!info.isFile) throw new Error("not a file");
    } catch {
      listing.problems.push({ path, reason: `${where}: file not found` });
      continue;
    }
    listing.items.push({ path, label, speaker: row.speaker, corpus });
  }
  return listing;
}
