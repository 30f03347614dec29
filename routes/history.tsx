/**
 * The history page: how the person's days felt over a range (the last 7, 30, 90 or 365 days,
 * or a custom pair of dates), counted in their own time zone. Three server-rendered SVG charts
 * (no script): a calendar of each day's dominant emotion, the weekly share of each emotion,
 * and valence/arousal beside the self-rated mood; each has a table with the same figures.
 */
import { CalendarChart } from "../components/charts/CalendarChart.tsx";
import { percent, signed } from "../components/charts/format.ts";
import { StackedAreaChart } from "../components/charts/StackedAreaChart.tsx";
import { TrendChart } from "../components/charts/TrendChart.tsx";
import { Card, LinkButton } from "../components/ui.tsx";
import { emotionName } from "../islands/audio/emotions.ts";
import {
  aggregateHistory,
  formatDay,
  type History,
  historyRange,
  RANGE_PRESETS,
} from "../lib/journal/history.ts";
import { HttpError } from "../lib/web/errors.ts";
import { render } from "../lib/web/render.tsx";
import type { Handlers, PageProps } from "../lib/web/types.ts";

export const title = "History";

/** What the page shows. */
export interface HistoryData {
  history: History;
  /** True when the person has not chosen a zone and UTC is used. */
  zoneIsDefault: boolean;
}

/** Colours of the trend lines: mid-tones readable on light and dark backgrounds. */
const TREND_COLOURS = { valence: "#14b8a6", arousal: "#f59e0b", mood: "#8b5cf6" };

export const handlers: Handlers = {
  async GET(c) {
    const user = c.get("user")!;
    const db = c.get("db");
    const timeZone = user.timeZone ?? "UTC";
    let range;
    try {
      range = historyRange(
        { range: c.req.query("range"), from: c.req.query("from"), to: c.req.query("to") },
        db.nowMs(),
        timeZone,
      );
    } catch (err) {
      if (err instanceof RangeError) throw new HttpError(400, `${err.message}.`);
      throw err;
    }
    const entries = await db.listEntriesBetween(user.id, range.fromMs, range.toMs);
    return render<HistoryData>(c, {
      history: aggregateHistory(entries, range),
      zoneIsDefault: user.timeZone === null,
    });
  },
};

/** A signed reading with two decimals ("+0.25", "−0.50"), or a dash when missing. */
function signedOrDash(v: number | null): string {
  return v === null ? "–" : signed(v);
}

/** A 1–5 rating mean with one decimal, or a dash. */
function rating(v: number | null): string {
  return v === null ? "–" : v.toFixed(1);
}

/** A share as a whole percent, or a dash when there is none. */
function percentOrDash(v: number | undefined): string {
  return v ? percent(v) : "–";
}

function mean(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}

function plural(n: number, one: string, many = one + "s"): string {
  return `${n} ${n === 1 ? one : many}`;
}

function RangeFilter({ history }: { history: History }) {
  const { range } = history;
  return (
    <div class="flex flex-col gap-3">
      <nav aria-label="Range" class="flex flex-wrap gap-2">
        {RANGE_PRESETS.map((days) => {
          const current = range.preset === days;
          return (
            <a
              key={days}
              href={`/history?range=${days}`}
              aria-current={current ? "page" : undefined}
              class={`px-3 py-1 rounded border border-gray-300 dark:border-gray-600 ${
                current
                  ? "bg-indigo-600 text-white border-indigo-600"
                  : "hover:bg-gray-100 dark:hover:bg-gray-800"
              }`}
            >
              Last {days} days
            </a>
          );
        })}
      </nav>
      <form method="get" action="/history" class="flex flex-wrap items-end gap-3">
        <div class="flex flex-col gap-1">
          <label for="from" class="text-sm font-medium">From</label>
          <input
            id="from"
            name="from"
            type="date"
            value={range.from}
            required
            class="border border-gray-300 dark:border-gray-600 rounded px-2 py-1 bg-white dark:bg-gray-700"
          />
        </div>
        <div class="flex flex-col gap-1">
          <label for="to" class="text-sm font-medium">To</label>
          <input
            id="to"
            name="to"
            type="date"
            value={range.to}
            required
            class="border border-gray-300 dark:border-gray-600 rounded px-2 py-1 bg-white dark:bg-gray-700"
          />
        </div>
        <button
          type="submit"
          class="bg-indigo-600 hover:bg-indigo-700 text-white font-medium rounded px-4 py-1.5"
        >
          Show these days
        </button>
      </form>
    </div>
  );
}

/** A collapsed table with a chart's figures. */
function FigureTable(
  { summary, head, rows }: { summary: string; head: string[]; rows: string[][] },
) {
  return (
    <details>
      <summary class="cursor-pointer text-sm">{summary}</summary>
      <div class="overflow-x-auto mt-2">
        {
          /* Cell styles come from the table's selectors: a class on each of hundreds of cells
            would slow the CSS pass over the page. */
        }
        <table class="text-sm border-collapse [&_th]:text-left [&_th]:pr-4 [&_td]:pr-4 [&_thead_th]:py-1 [&_tbody_th]:font-normal">
          <thead>
            <tr>{head.map((h) => <th key={h} scope="col">{h}</th>)}</tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row[0]}>
                <th scope="row">{row[0]}</th>
                {row.slice(1).map((cell, i) => <td key={i}>{cell}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function CalendarCard({ history }: { history: History }) {
  const active = history.days.filter((d) => d.entries > 0);
  const counts = new Map<string, number>();
  for (const d of active) if (d.dominant) counts.set(d.dominant, (counts.get(d.dominant) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1])[0];
  const description = `One square per day from ${formatDay(history.range.from)} to ${
    formatDay(history.range.to)
  }, Monday at the top of each week, coloured by the emotion heard longest that day; ${
    plural(active.length, "day")
  } with entries${
    top ? `, most often ${emotionName(top[0])} (${plural(top[1], "day")})` : ""
  }. Days without entries are outlined.`;
  return (
    <Card title="Calendar">
      <div class="overflow-x-auto">
        <CalendarChart
          title="Dominant emotion per day"
          description={description}
          days={history.days}
        />
      </div>
      <FigureTable
        summary="Days with entries as a table"
        head={["Day", "Entries", "Dominant emotion", "Speech (s)"]}
        rows={active.map((d) => [
          formatDay(d.day, "long"),
          String(d.entries),
          d.dominant ? emotionName(d.dominant) : "no speech heard",
          String(Math.round(d.speechS)),
        ])}
      />
    </Card>
  );
}

function WeeksCard({ history }: { history: History }) {
  const keys = history.labels;
  const description = `Share of speech time per emotion in each of ${
    plural(history.weeks.length, "week")
  } (Monday to Sunday), stacked to 100 %; weeks without speech drop to zero.`;
  return (
    <Card title="Emotions by week">
      <div class="overflow-x-auto">
        <StackedAreaChart
          title="Weekly share of each emotion"
          description={description}
          keys={keys}
          points={history.weeks.map((w) => ({
            label: formatDay(w.week, "short"),
            shares: w.shares,
          }))}
        />
      </div>
      <FigureTable
        summary="Weekly shares as a table"
        head={["Week of", "Entries", ...keys.map(emotionName)]}
        rows={history.weeks.map((w) => [
          formatDay(w.week),
          String(w.entries),
          ...keys.map((k) => percentOrDash(w.shares[k])),
        ])}
      />
    </Card>
  );
}

/** Ranges longer than this show the trend per week rather than per day. */
const DAILY_TREND_MAX_DAYS = 92;

function TrendCard({ history }: { history: History }) {
  const weekly = history.range.days > DAILY_TREND_MAX_DAYS;
  const unit = weekly ? "week" : "day";
  const points = weekly
    ? history.weeks.map((w) => ({ ...w, key: w.week, short: formatDay(w.week, "short") }))
    : history.days.map((d) => ({ ...d, key: d.day, short: formatDay(d.day, "short") }));
  const active = points.filter((p) => p.entries > 0);
  const valence = mean(active.map((p) => p.valence));
  const arousal = mean(active.map((p) => p.arousal));
  const mood = mean(active.map((p) => p.mood));
  const description = `Valence and arousal heard in the recordings (−1 to +1, left axis) and ` +
    `the mood you rated (1 to 5, right axis), per ${unit}. Means over ${unit}s with entries: ` +
    `valence ${signedOrDash(valence)}, arousal ${signedOrDash(arousal)}, mood ${rating(mood)}.`;
  return (
    <Card title="Mood and affect">
      <p class="text-sm text-gray-700 dark:text-gray-300">
        Valence runs from unpleasant (−1) to pleasant (+1), arousal from calm (−1) to activated
        (+1); both are readings of the model, shown beside your own mood rating.{" "}
        {weekly ? "Each point is the mean of a week (Monday to Sunday)." : "Each point is a day."}
      </p>
      <div class="overflow-x-auto">
        <TrendChart
          title={`Valence, arousal and self-rated mood per ${unit}`}
          description={description}
          xLabels={points.map((p) => p.short)}
          left={{
            label: "Valence / arousal (−1 … +1)",
            domain: [-1, 1],
            ticks: [-1, -0.5, 0, 0.5, 1],
            format: (v) => (v > 0 ? "+" : v < 0 ? "−" : "") + Math.abs(v),
          }}
          right={{ label: "Self-rated mood (1–5)", domain: [1, 5], ticks: [1, 2, 3, 4, 5] }}
          series={[
            {
              name: "Valence",
              colour: TREND_COLOURS.valence,
              axis: "left",
              values: points.map((p) => p.valence),
            },
            {
              name: "Arousal",
              colour: TREND_COLOURS.arousal,
              axis: "left",
              values: points.map((p) => p.arousal),
            },
            {
              name: "Mood (right axis)",
              colour: TREND_COLOURS.mood,
              axis: "right",
              dashed: true,
              values: points.map((p) => p.mood),
            },
          ]}
        />
      </div>
      <FigureTable
        summary={`Readings and ratings per ${unit} as a table`}
        head={[weekly ? "Week of" : "Day", "Valence", "Arousal", "Mood", "Energy"]}
        rows={active.map((p) => [
          formatDay(p.key, weekly ? "medium" : "long"),
          signedOrDash(p.valence),
          signedOrDash(p.arousal),
          rating(p.mood),
          rating(p.energy),
        ])}
      />
    </Card>
  );
}

/** The history page: filters, then the charts or an empty state. */
export default function HistoryPage({ data }: PageProps<HistoryData>) {
  const { history, zoneIsDefault } = data;
  const { range } = history;
  return (
    <>
      <h1 class="text-2xl font-bold">History</h1>
      <p class="text-gray-700 dark:text-gray-300">
        {zoneIsDefault
          ? "You have not chosen a time zone yet, so days are counted in UTC. "
          : `Days are counted in your time zone, ${range.timeZone}. `}
        <a href="/account" class="underline">
          {zoneIsDefault ? "Choose your time zone" : "Change time zone"}
        </a>
      </p>
      <RangeFilter history={history} />
      <p>
        {plural(history.totalEntries, "entry", "entries")} from{" "}
        <strong>{formatDay(range.from)}</strong> to <strong>{formatDay(range.to)}</strong>{" "}
        ({plural(range.days, "day")}, {range.timeZone}).
      </p>
      {history.totalEntries === 0
        ? (
          <Card>
            <p>No entries in these days yet.</p>
            <div>
              <LinkButton href="/dashboard">Record an entry</LinkButton>
            </div>
          </Card>
        )
        : (
          <>
            <CalendarCard history={history} />
            <WeeksCard history={history} />
            <TrendCard history={history} />
          </>
        )}
    </>
  );
}
