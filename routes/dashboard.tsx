import { Card } from "../components/ui.tsx";
import { EntryList, NoEntries } from "../components/EntryList.tsx";
import type { EntrySummary } from "../lib/db.ts";
import { type Reading, readingsFor } from "../lib/journal/uncertainty.ts";
import { Island } from "../lib/web/island.tsx";
import { render } from "../lib/web/render.tsx";
import { assetPath } from "../lib/web/static.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";
import Recorder, { type RecorderProps } from "../islands/Recorder.tsx";

export const title = "Dashboard";

interface Data {
  recent: EntrySummary[];
  readings: Record<string, Reading>;
  recorder: RecorderProps;
}

export const handlers: Handlers = {
  async GET(c) {
    const user = c.get("user")!;
    const db = c.get("db");
    const page = await db.listEntries(user.id, { reverse: true, limit: 5 });
    const readings = await readingsFor(db, user.id, page.items.map((e) => e.id));
    const recorder = {
      workletUrl: await assetPath("recorder-worklet.js"),
      sessionsUrl: "/api/sessions",
    };
    return render<Data>(c, { recent: page.items, readings, recorder });
  },
};

/** The home of a logged-in person: recorder and latest entries. */
export default function Dashboard({ data, user }: PageProps<Data>) {
  return (
    <>
      <h1 class="text-2xl font-bold">Hello, {user!.username}</h1>
      <Card title="How do you sound today?">
        <Island of={Recorder} props={data.recorder} />
      </Card>
      <Card title="Latest entries">
        {data.recent.length === 0 ? <NoEntries /> : (
          <>
            <EntryList
              entries={data.recent}
              timeZone={user!.timeZone}
              readings={data.readings}
            />
            <a href="/entries" class="underline">All entries</a>
          </>
        )}
      </Card>
    </>
  );
}
