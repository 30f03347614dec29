/**
 * A user's whole journal as a download: JSON (one document with the account's public fields
 * and every entry with its segments, note and ratings) or CSV (one row per segment, with the
 * entry's fields repeated; an entry without segments still gets one row, so no note or rating
 * is left out). Both are produced entry by entry as a stream, so memory stays flat however
 * long the journal is.
 */
import type { Db, Entry, UserRecord } from "../db.ts";
import { EMOTION_LABELS } from "../data/labels.ts";

/** The formats `GET /api/export` offers. */
export const EXPORT_FORMATS = ["json", "csv"] as const;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = typeof EXPORT_FORMATS[number];

/** The CSV columns, in order. */
export const CSV_COLUMNS = [
  "entry_id",
  "started_at",
  "duration_s",
  "dominant",
  "valence",
  "arousal",
  "mood",
  "energy",
  "note",
  "segment_index",
  "segment_start_s",
  "segment_end_s",
  "segment_label",
  "segment_confidence",
  ...EMOTION_LABELS.map((label) => `p_${label}`),
] as const;

/**
 * One CSV field: quoted when it holds a comma, quote or line break. Text that a spreadsheet
 * would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) is
 * prefixed with `'`, so opening one's own export cannot execute anything.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "number" ? String(value) : value;
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRows(entry: Entry): string[] {
  const head = [
    entry.id,
    entry.startedAt,
    entry.durationS,
    entry.dominant,
    entry.affect?.valence ?? null,
    entry.affect?.arousal ?? null,
    entry.mood,
    entry.energy,
    entry.note,
  ];
  if (entry.segments.length === 0) {
    return [[...head, ...new Array(5 + EMOTION_LABELS.length).fill(null)].map(csvField).join(",")];
  }
  return entry.segments.map((s, i) =>
    [
      ...head,
      i,
      s.startS,
      s.endS,
      s.label,
      s.confidence,
      ...EMOTION_LABELS.map((label) => s.probabilities[label] ?? null),
    ].map(csvField).join(",")
  );
}

function entryJson({ userId: _userId, ...rest }: Entry) {
  return rest;
}

/** The export as text pieces, in order (joined, they are the whole file). */
export async function* exportPieces(
  db: Db,
  user: UserRecord,
  format: ExportFormat,
  exportedAt: Date,
): AsyncGenerator<string> {
  if (format === "csv") {
    yield CSV_COLUMNS.join(",") + "\r\n";
    for await (const entry of db.allEntries(user.id)) yield csvRows(entry).join("\r\n") + "\r\n";
    return;
  }
  const account = {
    username: user.username,
    timeZone: user.timeZone,
    createdAt: new Date(user.createdAtMs).toISOString(),
  };
  yield `{"format":"moodline-export","version":1,"exportedAt":${
    JSON.stringify(exportedAt.toISOString())
  },"account":${JSON.stringify(account)},"entries":[`;
  let first = true;
  for await (const entry of db.allEntries(user.id)) {
    yield (first ? "\n" : ",\n") + JSON.stringify(entryJson(entry));
    first = false;
  }
  yield "\n]}\n";
}

/** {@link exportPieces} as a byte stream for a response body. */
export function exportStream(
  db: Db,
  user: UserRecord,
  format: ExportFormat,
  exportedAt: Date,
): ReadableStream<Uint8Array> {
  const pieces = exportPieces(db, user, format, exportedAt);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await pieces.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await pieces.return(undefined);
    },
  });
}
