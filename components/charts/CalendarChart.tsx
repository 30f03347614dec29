/**
 * A calendar of days as SVG: one column per week (Monday at the top), each day a square
 * filled with the colour of its dominant emotion, days without entries only outlined, and a
 * legend of the emotions shown. Each square carries a `<title>` naming the day, so pointing at
 * it (or reading it with a screen reader) tells the date and the emotion.
 */
import { EMOTION_COLOURS, emotionColour, emotionName } from "../../islands/audio/emotions.ts";
import { addDays, formatDay, monthOf } from "../../lib/journal/history.ts";
import { ChartFrame } from "./ChartFrame.tsx";

/** One day of the calendar. */
export interface CalendarDay {
  /** `YYYY-MM-DD` (a local calendar date). */
  day: string;
  /** The day's dominant emotion, or null when nothing was heard. */
  dominant: string | null;
  entries: number;
}

/** Props of {@link CalendarChart}. */
export interface CalendarChartProps {
  title: string;
  description: string;
  /** Consecutive days, oldest first. */
  days: CalendarDay[];
  /**
   * Side of one day square in px; by default 12, smaller (down to 8) when that keeps the
   * calendar within {@link CALENDAR_MAX_WIDTH}.
   */
  cell?: number;
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Fill of a day that had entries but no speech (mid-grey, readable on both schemes). */
export const NO_SPEECH_COLOUR = "#9ca3af";

/** The text of a day's tooltip, e.g. "Thu 15 Jan 2026: Happy (2 entries)". */
export function calendarDayText(d: CalendarDay): string {
  const date = formatDay(d.day, "long");
  if (d.entries === 0) return `${date}: no entries`;
  const count = `${d.entries} ${d.entries === 1 ? "entry" : "entries"}`;
  return `${date}: ${d.dominant ? emotionName(d.dominant) : "no speech heard"} (${count})`;
}

/** The width the default cell size aims to stay within (a page card's width). */
export const CALENDAR_MAX_WIDTH = 680;

/** An estimate (on the generous side) of a month label's width at the calendar's 10 px font. */
function labelWidth(text: string): number {
  return text.length * 5.5;
}

/** Renders the calendar; weeks run left to right, Monday to Sunday top to bottom. */
export function CalendarChart({ title, description, days, cell }: CalendarChartProps) {
  const gap = 2;
  const margin = { top: 20, left: 32, right: 8 };
  const firstMs = days.length ? Date.parse(days[0].day + "T00:00:00Z") : 0;
  const firstWeekday = (new Date(firstMs).getUTCDay() + 6) % 7;
  const position = (i: number) => {
    const offset = firstWeekday + i;
    return { col: Math.floor(offset / 7), row: offset % 7 };
  };
  const weeks = days.length ? position(days.length - 1).col + 1 : 0;
  cell ??= Math.max(
    8,
    Math.min(12, Math.floor((CALENDAR_MAX_WIDTH - margin.left - margin.right) / weeks) - gap),
  );
  const step = cell + gap;
  const gridBottom = margin.top + 7 * step;

  const present = new Set<string>();
  let noSpeech = false;
  for (const d of days) {
    if (d.dominant) present.add(d.dominant);
    else if (d.entries > 0) noSpeech = true;
  }
  const known = Object.keys(EMOTION_COLOURS).filter((l) => present.has(l));
  const legend: { label: string; fill: string | null }[] = [
    ...known,
    ...[...present].filter((l) => !known.includes(l)).sort(),
  ].map((label) => ({ label: emotionName(label), fill: emotionColour(label) }));
  if (noSpeech) legend.push({ label: "No speech heard", fill: NO_SPEECH_COLOUR });
  legend.push({ label: "No entries", fill: null });

  // A month is labelled above the first column holding its days, with the year on the first
  // label and on January. A label that would run into the one before it is left out (the
  // first month's, when the first month is short), so labels never overlap.
  const starts: { col: number; month: string; year: string }[] = [];
  for (let col = 0; col < weeks; col++) {
    const day = addDays(days[0].day, Math.max(0, col * 7 - firstWeekday));
    const month = monthOf(day);
    if (month !== starts.at(-1)?.month) starts.push({ col, month, year: day.slice(0, 4) });
  }
  const width = Math.max(margin.left + weeks * step + margin.right, 360);
  const months: { x: number; text: string }[] = [];
  for (const start of starts) {
    const x = margin.left + start.col * step;
    const previous = months.at(-1);
    if (previous && x < previous.x + labelWidth(previous.text) + 6) {
      if (months.length > 1) continue;
      months.pop(); // a short first month gives way to the next, which then shows the year
    }
    const withYear = months.length === 0 || start.month === "Jan";
    // Near the right edge a label drops its year, or itself, rather than run off the chart.
    const text = [withYear ? `${start.month} ${start.year}` : "", start.month]
      .find((t) => t && x + labelWidth(t) <= width);
    if (text) months.push({ x, text });
  }
  const itemWidth = 112;
  const perRow = Math.max(1, Math.floor((width - margin.left) / itemWidth));
  const legendTop = gridBottom + 12;
  const height = legendTop + Math.ceil(legend.length / perRow) * 18 + 4;

  return (
    <ChartFrame title={title} description={description} width={width} height={height} fontSize={10}>
      {months.map((m) => <text key={m.x} x={m.x} y={12} fill="currentColor">{m.text}</text>)}
      {[0, 2, 4, 6].map((row) => (
        <text
          key={row}
          x={margin.left - 4}
          y={margin.top + row * step + cell / 2}
          text-anchor="end"
          dominant-baseline="middle"
          fill="currentColor"
        >
          {WEEKDAYS[row]}
        </text>
      ))}
      {days.map((d, i) => {
        const { col, row } = position(i);
        const x = margin.left + col * step;
        const y = margin.top + row * step;
        if (d.entries === 0) {
          return (
            <rect
              key={d.day}
              data-day={d.day}
              x={x + 0.5}
              y={y + 0.5}
              width={cell - 1}
              height={cell - 1}
              rx="2"
              fill="none"
              stroke="currentColor"
              stroke-opacity="0.35"
            >
              <title>{calendarDayText(d)}</title>
            </rect>
          );
        }
        return (
          <rect
            key={d.day}
            data-day={d.day}
            data-emotion={d.dominant ?? ""}
            x={x}
            y={y}
            width={cell}
            height={cell}
            rx="2"
            fill={d.dominant ? emotionColour(d.dominant) : NO_SPEECH_COLOUR}
          >
            <title>{calendarDayText(d)}</title>
          </rect>
        );
      })}
      {legend.map((item, i) => (
        <g
          key={item.label}
          transform={`translate(${margin.left + (i % perRow) * itemWidth} ${
            legendTop + Math.floor(i / perRow) * 18
          })`}
        >
          {item.fill ? <rect width="10" height="10" rx="2" fill={item.fill} /> : (
            <rect
              x="0.5"
              y="0.5"
              width="9"
              height="9"
              rx="2"
              fill="none"
              stroke="currentColor"
              stroke-opacity="0.35"
            />
          )}
          <text x="15" y="5" dominant-baseline="middle" fill="currentColor">{item.label}</text>
        </g>
      ))}
    </ChartFrame>
  );
}
