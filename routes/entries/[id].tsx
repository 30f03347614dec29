/**
 * One journal entry: when and how long, the emotion heard longest, and three server-rendered
 * charts — emotions over time, the share of each emotion, and valence/arousal over the
 * recording — each with a table of its numbers. Stretches where the model was unsure show as
 * "uncertain". Below, the entry editor island edits the note and ratings or deletes the entry.
 * Another person's entry, like a missing one, is a 404.
 */
import { AFFECT_MAPPING_TEXT, AffectChart } from "../../components/charts/AffectChart.tsx";
import { DistributionChart } from "../../components/charts/DistributionChart.tsx";
import { EmotionTimeline } from "../../components/charts/EmotionTimeline.tsx";
import { percent, signed } from "../../components/charts/format.ts";
import { formatDateTime, formatDuration } from "../../components/EntryList.tsx";
import { Card } from "../../components/ui.tsx";
import EntryEditor from "../../islands/EntryEditor.tsx";
import { type Entry, MAX_NOTE_CHARS } from "../../lib/db.ts";
import { CIRCUMPLEX } from "../../lib/journal/affect.ts";
import { readingOf, UNCERTAIN, VALIDATION } from "../../lib/journal/uncertainty.ts";
import { HttpError } from "../../lib/web/errors.ts";
import { Island } from "../../lib/web/island.tsx";
import { render } from "../../lib/web/render.tsx";
import type { Handlers, PageProps } from "../../lib/web/types.ts";

export const title = "Entry";

export const handlers: Handlers = {
  async GET(c) {
    const entry = await c.get("db").getEntry(c.get("user")!.id, c.req.param("id") ?? "");
    if (!entry) throw new HttpError(404, "There is no such entry in your journal.");
    return render<Entry>(c, entry);
  },
};

function Headline({ label }: { label: string | null }) {
  if (label === null) return <>no speech was heard</>;
  if (label === UNCERTAIN) {
    return (
      <>
        mostly{" "}
        <strong>uncertain</strong>: the model was unsure for longer than it heard any one emotion
      </>
    );
  }
  return (
    <>
      mostly <strong>{label}</strong>
    </>
  );
}

/** The entry page. */
export default function EntryPage({ data, user }: PageProps<Entry>) {
  const reading = readingOf(data.segments);
  const speechS = data.segments.reduce((sum, s) => sum + Math.max(0, s.endS - s.startS), 0);
  return (
    <>
      <h1 class="text-2xl font-bold">
        <time dateTime={data.startedAt}>{formatDateTime(data.startedAt, user!.timeZone)}</time>
      </h1>
      <p>
        {formatDuration(data.durationS)} recorded · <Headline label={reading.headline} />
      </p>
      {reading.uncertainShare > 0 && (
        <p class="text-sm text-gray-700 dark:text-gray-300" data-testid="uncertain-note">
          The model was unsure for {percent(reading.uncertainShare)}{" "}
          of the speech; those stretches are shown as uncertain rather than as a guess.
        </p>
      )}
      <Card title="Emotions over time">
        <EmotionTimeline
          title="Emotion timeline"
          segments={data.segments}
          durationS={data.durationS}
        />
      </Card>
      <Card title="Share of each emotion">
        <DistributionChart
          title="Share of speech time"
          distribution={reading.distribution}
          speechS={speechS}
        />
      </Card>
      <Card title="Valence and arousal">
        <AffectChart
          title="Valence and arousal over the recording"
          segments={data.segments}
          durationS={data.durationS}
        />
        <details class="text-sm" data-testid="affect-mapping">
          <summary class="cursor-pointer text-gray-700 dark:text-gray-300">
            How these values are worked out
          </summary>
          <div class="flex flex-col gap-2 mt-2">
            <p>{AFFECT_MAPPING_TEXT} They read the model's output, not you.</p>
            <table class="text-left tabular-nums">
              <caption class="sr-only">Circumplex point of each emotion</caption>
              <thead>
                <tr>
                  <th scope="col" class="pr-3">Emotion</th>
                  <th scope="col" class="pr-3">Valence</th>
                  <th scope="col">Arousal</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(CIRCUMPLEX).map(([label, point]) => (
                  <tr key={label}>
                    <td class="pr-3">{label}</td>
                    <td class="pr-3">{signed(point.valence)}</td>
                    <td>{signed(point.arousal)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </Card>
      <Card title="Your note and ratings">
        <Island
          of={EntryEditor}
          props={{
            id: data.id,
            note: data.note ?? "",
            mood: data.mood ?? null,
            energy: data.energy ?? null,
            maxNoteChars: MAX_NOTE_CHARS,
          }}
        />
      </Card>
      <p class="text-sm text-gray-600 dark:text-gray-400">
        About the readings: on voices it had never heard in training (tested with those voices held
        out), the model was sure enough to name an emotion for {percent(VALIDATION.acceptedShare)}
        {" "}
        of held-out clips and was right for {percent(VALIDATION.acceptedAccuracy)}{" "}
        of those; the rest show as uncertain.
      </p>
      <a href="/entries" class="underline">Back to the journal</a>
    </>
  );
}
