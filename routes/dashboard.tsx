import { Card } from "../components/ui.tsx";
import { EntryList, NoEntries } from "../components/EntryList.tsx";
import type { EntrySummary } from "../lib/db.ts";
import { render } from "../lib/web/render.tsx";
import type { Handlers, PageProps } from "../lib/web/types.ts";

export const title = "Dashboard";

interface Data {
  recent: EntrySummary[];
}

export const handlers: Handlers = {
  async GET(c) {
    const user = c.get("user")!;
    const page = await c.get("db").listEntries(user.id, { reverse: true, limit: 5 });
    return render<Data>(c, { recent: page.items });
  },
};

/** The home of a logged-in person: recorder and latest entries. */
export default function Dashboard({ data, user }: PageProps<Data>) {
  return (
    <>
      <h1 class="text-2xl font-bold">Hello, {user!.username}</h1>
      <Card title="Latest entries">
        {data.recent.length === 0 ? <NoEntries /> : (
          <>
            <EntryList entries={data.recent} timeZone={user!.timeZone} />
            <a href="/entries" class="underline">All entries</a>
          </>
        )}
      </Card>
    </>
  );
}
