/**
 * The journal as a list: one row per entry with its local date and time (the person's time
 * zone), length, the emotion heard longest ("uncertain" where the model was mostly unsure),
 * a small stacked bar of the emotions heard, the self-rated mood and energy, and the first
 * line of the note. Also the empty state that leads to the first recording.
 */
import { emotionName } from "../islands/audio/emotions.ts";
import { ENERGY_WORDS, MOOD_WORDS, ratingText } from "../islands/ratings.ts";
import type { EntrySummary } from "../lib/db.ts";
import type { Reading } from "../lib/journal/uncertainty.ts";
import { UNCERTAIN } from "../lib/journal/uncertainty.ts";
import { clock } from "./charts/format.ts";
import { ShareBar } from "./charts/ShareBar.tsx";

/** Longest note excerpt shown in a row, in characters. */
export const NOTE_EXCERPT_CHARS = 120;

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
  return clock(seconds);
}

/** The first non-empty line of a note, cut to {@link NOTE_EXCERPT_CHARS} with an ellipsis. */
export function noteExcerpt(note: string): string {
  const first = note.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? "";
  if (first.length <= NOTE_EXCERPT_CHARS) return first;
  return first.slice(0, NOTE_EXCERPT_CHARS - 1).trimEnd() + "…";
}

/** The label a row shows: the reading's headline when known, else the stored dominant. */
export function headlineOf(entry: EntrySummary, reading?: Reading): string | null {
  return reading ? reading.headline : entry.dominant;
}

/** Headline label as a word for people: "Happy", "Uncertain", or "No speech". */
export function headlineText(label: string | null): string {
  if (label === null) return "No speech";
  return label === UNCERTAIN ? "Uncertain" : emotionName(label);
}

/** Props of {@link EntryList}. */
export interface EntryListProps {
  entries: EntrySummary[];
  timeZone: string | null;
  /**
   * Readings (with unsure stretches set apart) by entry id, from `readingsFor`. Rows without
   * one show the stored distribution and dominant emotion as they are.
   */
  readings?: Record<string, Reading>;
}

/** The entries as a list of rows linking to their pages, in the order given. */
export function EntryList({ entries, timeZone, readings = {} }: EntryListProps) {
  return (
    <ul
      class="flex flex-col divide-y divide-gray-200 dark:divide-gray-700"
      data-testid="entry-list"
    >
      {entries.map((e) => {
        const reading = readings[e.id];
        const headline = headlineOf(e, reading);
        const excerpt = noteExcerpt(e.note ?? "");
        const mood = e.mood ?? null;
        const energy = e.energy ?? null;
        return (
          <li key={e.id} class="py-3 flex flex-col gap-1" data-entry-id={e.id}>
            <div class="flex flex-wrap items-center justify-between gap-2">
              <a href={`/entries/${e.id}`} class="underline font-medium">
                <time dateTime={e.startedAt}>{formatDateTime(e.startedAt, timeZone)}</time>
              </a>
              <span class="flex items-center gap-3 text-gray-700 dark:text-gray-300">
                <span>{formatDuration(e.durationS)}</span>
                <span data-testid="headline">{headlineText(headline)}</span>
                <ShareBar distribution={reading?.distribution ?? e.distribution} />
              </span>
            </div>
            {(mood !== null || energy !== null) && (
              <p class="text-sm text-gray-700 dark:text-gray-300" data-testid="ratings">
                {mood !== null && <span>Mood {ratingText(mood, MOOD_WORDS)}</span>}
                {mood !== null && energy !== null && " · "}
                {energy !== null && <span>Energy {ratingText(energy, ENERGY_WORDS)}</span>}
              </p>
            )}
            {excerpt && (
              <p class="text-sm text-gray-600 dark:text-gray-400 truncate" data-testid="note">
                {excerpt}
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** What someone sees before their first recording, with the way to make one. */
export function NoEntries() {
  return (
    <div class="text-center py-10 flex flex-col gap-3 items-center" data-testid="empty-state">
      <p class="text-lg">No entries yet — record your first.</p>
      <p class="text-gray-600 dark:text-gray-400">
        Talk for about a minute about your day; the recording becomes your first journal entry.
      </p>
      <a
        href="/dashboard"
        class="inline-block bg-indigo-600 hover:bg-indigo-700 text-white font-medium rounded px-4 py-2"
      >
        Record an entry
      </a>
    </div>
  );
}
