/**
 * `GET /api/export?format=json|csv`: everything the user has (entries, segments, notes,
 * ratings) as a streamed download; see `lib/journal/export.ts` for both layouts.
 */
import { EXPORT_FORMATS, type ExportFormat, exportStream } from "../../lib/journal/export.ts";
import { HttpError } from "../../lib/web/errors.ts";
import type { Handlers } from "../../lib/web/types.ts";

export const handlers: Handlers = {
  GET(c) {
    const format = c.req.query("format") ?? "json";
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new HttpError(
        400,
        `Expected format json or csv, but got "${format.slice(0, 40)}"`,
      );
    }
    const db = c.get("db");
    const now = new Date(db.nowMs());
    const day = now.toISOString().slice(0, 10);
    const type = format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
    return new Response(exportStream(db, c.get("user")!, format as ExportFormat, now), {
      headers: {
        "content-type": type,
        "content-disposition": `attachment; filename="moodline-${day}.${format}"`,
        "cache-control": "no-store",
      },
    });
  },
};
