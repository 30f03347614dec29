import { Card } from "../../components/ui.tsx";
import { formatDateTime, formatDuration } from "../../components/EntryList.tsx";
import type { Entry } from "../../lib/db.ts";
import { HttpError } from "../../lib/web/errors.ts";
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

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

/** One journal entry: when, how long, and the emotions heard, segment by segment. */
export default function EntryPage({ data, user }: PageProps<Entry>) {
  const shares = Object.entries(data.distribution).sort((a, b) => b[1] - a[1]);
  return (
    <>
      <h1 class="text-2xl font-bold">{formatDateTime(data.startedAt, user!.timeZone)}</h1>
      <p>
        {formatDuration(data.durationS)} recorded · mostly{" "}
        <strong>{data.dominant ?? "no speech"}</strong>
      </p>
      <Card title="Emotions in this entry">
        <table class="w-full text-left">
          <caption class="sr-only">Share of speech time per emotion</caption>
          <thead>
            <tr>
              <th scope="col">Emotion</th>
              <th scope="col">Share</th>
            </tr>
          </thead>
          <tbody>
            {shares.map(([label, share]) => (
              <tr key={label}>
                <td>{label}</td>
                <td>{percent(share)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <Card title="Segments">
        <table class="w-full text-left">
          <caption class="sr-only">Each stretch of speech and the emotion heard in it</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Emotion</th>
              <th scope="col">Confidence</th>
            </tr>
          </thead>
          <tbody>
            {data.segments.map((s, i) => (
              <tr key={i}>
                <td>{formatDuration(s.startS)}</td>
                <td>{formatDuration(s.endS)}</td>
                <td>{s.label}</td>
                <td>{percent(s.confidence)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <a href="/entries" class="underline">Back to the journal</a>
    </>
  );
}
