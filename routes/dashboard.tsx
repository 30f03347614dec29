import { Card } from "../components/ui.tsx";
import { EntryList, NoEntries } from "../components/EntryList.tsx";
import type { EntrySummary } from "../lib/db.ts";
import { type Reading, readingsFor } from "../lib/journal/uncertainty.ts";
import { Island } from "../lib/web/island.tsx";
import { render } from "../lib/web/render.tsx";
import { assetPath } from "../lib/web/static.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";
import Recorder, { type RecorderProps } from "../islands/Recorder.tsx";
import { MIN_REFERENCE_ENTRIES, MIN_REFERENCE_WINDOWS } from "../lib/model/voice_reference.ts";

export const title = "Dashboard";

/**
 * Whether classification is tuned to this person's voice (`lib/model/voice_reference.ts`):
 * `tuned` with the entries it learned from, `learning` until enough are kept, null when the
 * model has no voice-referenced member.
 */
type VoiceTuning = { state: "tuned"; entries: number } | { state: "learning" } | null;

interface Data {
  recent: EntrySummary[];
  voice: VoiceTuning;
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
    const reference = c.get("model")?.voice ? await db.voiceReference(user.id) : undefined;
    const voice: VoiceTuning = reference === undefined
      ? null
      : reference
      ? { state: "tuned", entries: reference.entries }
      : { state: "learning" };
    return render<Data>(c, { recent: page.items, voice, readings, recorder });
  },
};

function VoiceNote({ voice }: { voice: VoiceTuning }) {
  if (!voice) return null;
  return (
    <p class="text-sm text-gray-600" data-voice={voice.state}>
      {voice.state === "tuned"
        ? `Tuned to your voice from your last ${voice.entries} recordings.`
        : `Moodline tunes itself to your voice once your journal holds ${MIN_REFERENCE_ENTRIES} ` +
          `recordings with ${MIN_REFERENCE_WINDOWS} or more stretches of speech between them.`}
    </p>
  );
}

/** The home of a logged-in person: recorder and latest entries. */
export default function Dashboard({ data, user }: PageProps<Data>) {
  return (
    <>
      <h1 class="text-2xl font-bold">Hello, {user!.username}</h1>
      <Card title="How do you sound today?">
        <Island of={Recorder} props={data.recorder} />
        <VoiceNote voice={data.voice} />
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
