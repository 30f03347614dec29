import { EntryList, NoEntries } from "../../components/EntryList.tsx";
import type { EntrySummary } from "../../lib/db.ts";
import { render } from "../../lib/web/render.tsx";
import type { Handlers, PageProps } from "../../lib/web/types.ts";

export const title = "Journal";

/** Entries per page of the journal list. */
const PAGE_SIZE = 20;

interface Data {
  entries: EntrySummary[];
  cursor: string;
}

export const handlers: Handlers = {
  async GET(c) {
    const user = c.get("user")!;
    const page = await c.get("db").listEntries(user.id, {
      reverse: true,
      limit: PAGE_SIZE,
      cursor: c.req.query("cursor"),
    });
    return render<Data>(c, { entries: page.items, cursor: page.cursor });
  },
};

/** The journal: every entry, newest first, a page at a time. */
export default function Journal({ data, user }: PageProps<Data>) {
  return (
    <>
      <h1 class="text-2xl font-bold">Journal</h1>
      {data.entries.length === 0 ? <NoEntries /> : (
        <>
          <EntryList entries={data.entries} timeZone={user!.timeZone} />
          {data.cursor && (
            <a href={`/entries?cursor=${encodeURIComponent(data.cursor)}`} class="underline">
              Older entries
            </a>
          )}
        </>
      )}
    </>
  );
}
