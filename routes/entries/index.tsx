/**
 * The journal: every entry of the logged-in person, newest first, a page at a time. Each
 * page links to the next older one with the store's cursor (`?cursor=`); a cursor this store
 * did not hand out answers 400.
 */
import { EntryList, NoEntries } from "../../components/EntryList.tsx";
import { type EntrySummary, InvalidCursorError } from "../../lib/db.ts";
import { type Reading, readingsFor } from "../../lib/journal/uncertainty.ts";
import { HttpError } from "../../lib/web/errors.ts";
import { render } from "../../lib/web/render.tsx";
import type { Handlers, PageProps } from "../../lib/web/types.ts";

export const title = "Journal";

/** Entries per page of the journal list. */
export const PAGE_SIZE = 20;

interface Data {
  entries: EntrySummary[];
  readings: Record<string, Reading>;
  /** Cursor of the next (older) page; empty on the last page. */
  cursor: string;
  /** Whether this is a later page (reached with a cursor). */
  paged: boolean;
}

export const handlers: Handlers = {
  async GET(c) {
    const user = c.get("user")!;
    const db = c.get("db");
    const cursor = c.req.query("cursor") || undefined;
    let page;
    try {
      page = await db.listEntries(user.id, { reverse: true, limit: PAGE_SIZE, cursor });
    } catch (err) {
      if (err instanceof InvalidCursorError) {
        throw new HttpError(400, "That page of the journal does not exist. Start from the top.");
      }
      throw err;
    }
    // The store hands out a cursor whenever a page is full; look one entry ahead so that a
    // journal of exactly 20 entries does not link to an empty page.
    const more = page.cursor !== "" &&
      (await db.listEntries(user.id, { reverse: true, limit: 1, cursor: page.cursor })).items
          .length > 0;
    const readings = await readingsFor(db, user.id, page.items.map((e) => e.id));
    return render<Data>(c, {
      entries: page.items,
      readings,
      cursor: more ? page.cursor : "",
      paged: cursor !== undefined,
    });
  },
};

/** The journal page: the list, a link to older entries, or the empty state. */
export default function Journal({ data, user }: PageProps<Data>) {
  return (
    <>
      <h1 class="text-2xl font-bold">Journal</h1>
      {data.entries.length === 0
        ? (data.paged ? <p>No older entries.</p> : <NoEntries />)
        : (
          <EntryList
            entries={data.entries}
            timeZone={user!.timeZone}
            readings={data.readings}
          />
        )}
      {(data.paged || data.cursor) && (
        <nav class="flex gap-4" aria-label="Journal pages">
          {data.paged && <a href="/entries" class="underline">Newest entries</a>}
          {data.cursor && (
            <a
              href={`/entries?cursor=${encodeURIComponent(data.cursor)}`}
              class="underline"
              rel="next"
            >
              Older entries
            </a>
          )}
        </nav>
      )}
    </>
  );
}
