/**
 * A list of journal entries: date in the person's time zone, length and dominant emotion.
 */
import type { EntrySummary } from "../lib/db.ts";

/** Formats a timestamp as a readable local date and time in `timeZone` (UTC if null). */
export function formatDateTime(iso: string, timeZone: string | null): string {
  return new Intl.DateTimeFormat("en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: timeZone ?? "UTC",
  }).format(new Date(iso));
}

/** Formats seconds as `m:ss`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The entries as a list of links to their pages. */
export function EntryList(
  { entries, timeZone }: { entries: EntrySummary[]; timeZone: string | null },
) {
  return (
    <ul class="flex flex-col divide-y divide-gray-200 dark:divide-gray-800">
      {entries.map((e) => (
        <li key={e.id} class="py-3 flex flex-wrap justify-between gap-2">
          <a href={`/entries/${e.id}`} class="underline">
            {formatDateTime(e.startedAt, timeZone)}
          </a>
          <span class="text-gray-700 dark:text-gray-300">
            {formatDuration(e.durationS)} · {e.dominant ?? "no speech"}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** What someone sees before their first recording. */
export function NoEntries() {
  return (
    <div class="text-center py-10 flex flex-col gap-3 items-center" data-testid="empty-state">
      <p class="text-lg">No entries yet — record your first.</p>
      <p class="text-gray-600 dark:text-gray-400">
        Talk for about a minute about your day; the recording becomes your first journal entry.
      </p>
    </div>
  );
}
