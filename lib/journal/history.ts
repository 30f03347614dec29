/**
 * Aggregation behind the history page, done in the person's own IANA time zone.
 *
 * - {@link localDay} names the local calendar day (`YYYY-MM-DD`) of an instant and
 *   {@link startOfLocalDay} finds the instant a local day begins; both go through
 *   `Intl.DateTimeFormat` with the zone, so days stay right across daylight-saving changes
 *   (a local day may last 23 or 25 hours).
 * - {@link historyRange} turns a filter (the last 7, 30, 90 or 365 days, or an inclusive
 *   `from`/`to` pair of local dates) into UTC millisecond bounds for
 *   `Db.listEntriesBetween`; an unusable filter throws a `RangeError` whose message can be
 *   shown to the person as it is.
 * - {@link aggregateHistory} sums entries per local day (dominant emotion by speech time,
 *   entry count, duration-weighted valence/arousal, mean self-rated mood and energy) and per
 *   ISO week starting on Monday (share of speech time per emotion, and the same means).
 *
 * Speech time of an emotion in an entry is `durationS × distribution[label]`.
 */
import type { EntrySummary } from "../db.ts";
import { EMOTION_LABELS } from "../data/labels.ts";

/** The preset lengths of the history filter, in days ending today. */
export const RANGE_PRESETS = [7, 30, 90, 365] as const;

/** One of {@link RANGE_PRESETS}. */
export type RangePreset = typeof RANGE_PRESETS[number];

/** The preset used when the filter names none. */
export const DEFAULT_RANGE: RangePreset = 30;

/** The longest custom range, in days (three years, one of them a leap year). */
export const MAX_RANGE_DAYS = 3 * 365 + 1;

const DAY_MS = 24 * 3600 * 1000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A span of whole local days and the UTC instants bounding it. */
export interface HistoryRange {
  /** The IANA time zone the days are counted in. */
  timeZone: string;
  /** First local day, `YYYY-MM-DD`. */
  from: string;
  /** Last local day (inclusive), `YYYY-MM-DD`. */
  to: string;
  /** Number of local days from `from` to `to`, both included. */
  days: number;
  /** The preset this range came from, or null for a custom range. */
  preset: RangePreset | null;
  /** The instant `from` begins (ms since the epoch). */
  fromMs: number;
  /** The instant the day after `to` begins (exclusive upper bound). */
  toMs: number;
}

/** The filter as it arrives from the query string; empty strings count as absent. */
export interface HistoryFilter {
  range?: string | null;
  from?: string | null;
  to?: string | null;
}

/** Everything recorded on one local day. */
export interface DayStats {
  /** `YYYY-MM-DD` in the range's time zone. */
  day: string;
  entries: number;
  /** Seconds of speech heard that day (sum of `durationS × share` over labels). */
  speechS: number;
  /** The emotion with the most speech time, or null when no speech was heard. */
  dominant: string | null;
  /** Seconds of speech per emotion. */
  seconds: Record<string, number>;
  /** Duration-weighted mean valence of entries with a reading, or null. */
  valence: number | null;
  /** Duration-weighted mean arousal of entries with a reading, or null. */
  arousal: number | null;
  /** Mean self-rated mood (1–5) of rated entries, or null. */
  mood: number | null;
  /** Mean self-rated energy (1–5) of rated entries, or null. */
  energy: number | null;
}

/** One ISO week (Monday to Sunday, local) within the range. */
export interface WeekStats {
  /** The Monday that starts the week, `YYYY-MM-DD` (may lie before the range). */
  week: string;
  entries: number;
  speechS: number;
  /** Share of the week's speech time per emotion (sums to 1, or empty without speech). */
  shares: Record<string, number>;
  /** Duration-weighted mean valence of the week's entries with a reading, or null. */
  valence: number | null;
  /** Duration-weighted mean arousal of the week's entries with a reading, or null. */
  arousal: number | null;
  /** Mean self-rated mood of the week's rated entries, or null. */
  mood: number | null;
  /** Mean self-rated energy of the week's rated entries, or null. */
  energy: number | null;
}

/** The aggregated history of one range. */
export interface History {
  range: HistoryRange;
  /** Every day of the range in order, empty days included. */
  days: DayStats[];
  /** Every ISO week touching the range, in order. */
  weeks: WeekStats[];
  totalEntries: number;
  /** Emotions heard anywhere in the range: the model's order first, then any others. */
  labels: string[];
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

function dayFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      calendar: "gregory",
      numberingSystem: "latn",
    });
    dayFormats.set(timeZone, format);
  }
  return format;
}

/**
 * Throws a `RangeError` with a readable message when `timeZone` is not an IANA zone this
 * runtime knows; returns the zone otherwise.
 */
export function checkTimeZone(timeZone: string): string {
  zoneFormat(timeZone);
  return timeZone;
}

/** The cached day format of `timeZone`; a readable `RangeError` for an unknown zone. */
function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  try {
    return dayFormat(timeZone);
  } catch {
    throw new RangeError(
      `Expected an IANA time zone such as "Europe/Berlin", but got "${timeZone}"`,
    );
  }
}

const US_DATE = /^(\d{2})\/(\d{2})\/(\d{4})$/;

/** The local calendar day (`YYYY-MM-DD`) of the instant `ms` in `timeZone`. */
export function localDay(ms: number, timeZone: string): string {
  const format = zoneFormat(timeZone);
  // `format` is about three times faster than `formatToParts`; its "MM/DD/YYYY" is parsed
  // directly, and anything else (years before 1000, other ICU data) takes the slow path.
  const match = US_DATE.exec(format.format(ms));
  if (match) return `${match[3]}-${match[1]}-${match[2]}`;
  let year = "", month = "", day = "";
  for (const part of format.formatToParts(ms)) {
    if (part.type === "year") year = part.value;
    else if (part.type === "month") month = part.value;
    else if (part.type === "day") day = part.value;
  }
  return `${year.padStart(4, "0")}-${month}-${day}`;
}

/** Parses `YYYY-MM-DD` as a real calendar date; throws a readable `RangeError` otherwise. */
export function parseDay(text: string, what = "a date"): string {
  const match = DATE_PATTERN.exec(text);
  if (match) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const date = new Date(Date.UTC(year, month - 1, day));
    if (
      year >= 1970 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 &&
      date.getUTCDate() === day
    ) return text;
  }
  throw new RangeError(`Expected ${what} as YYYY-MM-DD (e.g. 2026-01-31), but got "${text}"`);
}

/** The day `n` days after `day` (before it when `n` is negative), `YYYY-MM-DD`. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(day + "T00:00:00Z") + n * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, `to` excluded (negative when `to` comes first). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to + "T00:00:00Z") - Date.parse(from + "T00:00:00Z")) / DAY_MS);
}

const WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTH_NAMES = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/**
 * A calendar date for people: `short` "15 Jan", `medium` "15 Jan 2026", `long`
 * "Thu 15 Jan 2026". The same in every runtime (no locale data involved).
 */
export function formatDay(day: string, style: "short" | "medium" | "long" = "medium"): string {
  // A page formats each of up to a thousand days several times; remember the names.
  let names = dayNames.get(day);
  if (!names) {
    const date = new Date(parseDay(day) + "T00:00:00Z");
    const short = `${date.getUTCDate()} ${MONTH_NAMES[date.getUTCMonth()]}`;
    const medium = `${short} ${date.getUTCFullYear()}`;
    names = [short, medium, `${WEEKDAY_NAMES[(date.getUTCDay() + 6) % 7]} ${medium}`];
    if (dayNames.size >= MAX_CACHED_DAY_NAMES) dayNames.clear();
    dayNames.set(day, names);
  }
  return names[style === "short" ? 0 : style === "medium" ? 1 : 2];
}

/** Names of recently formatted days (short, medium, long), so repeated days cost a lookup. */
const dayNames = new Map<string, [string, string, string]>();
const MAX_CACHED_DAY_NAMES = 10_000;

/** The month of `day` as a short name ("Jan"). */
export function monthOf(day: string): string {
  return MONTH_NAMES[Number(day.slice(5, 7)) - 1];
}

/** The Monday on or before `day` (the start of its ISO week). */
export function weekStart(day: string): string {
  const weekday = (new Date(day + "T00:00:00Z").getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(day, -weekday);
}

/**
 * The first instant (ms since the epoch) whose local day in `timeZone` is `day` or later,
 * i.e. when `day` begins there. Usually local midnight; where midnight is skipped by a clock
 * change, the moment of the change.
 */
export function startOfLocalDay(day: string, timeZone: string): number {
  parseDay(day);
  checkTimeZone(timeZone);
  // Every offset in use lies within ±15 h, so the start lies in this window; the local day
  // never goes backwards as time goes on, so a binary search finds it to the millisecond.
  const wall = Date.parse(day + "T00:00:00Z");
  let lo = wall - 15 * 3600 * 1000; // local day still before `day`
  let hi = wall + 15 * 3600 * 1000; // local day already `day` or later
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(mid, timeZone) < day) lo = mid;
    else hi = mid;
  }
  return hi;
}

function isPreset(value: number): value is RangePreset {
  return (RANGE_PRESETS as readonly number[]).includes(value);
}

/**
 * The range a filter asks for, as of `nowMs` in `timeZone`: `range` days ending today
 * (default {@link DEFAULT_RANGE}), or the custom inclusive `from`…`to` when either is given.
 * Throws a `RangeError` with a message fit to show for an unknown preset, a malformed or
 * impossible date, only one of `from`/`to`, `from` after `to`, or more than
 * {@link MAX_RANGE_DAYS} days.
 */
export function historyRange(filter: HistoryFilter, nowMs: number, timeZone: string): HistoryRange {
  checkTimeZone(timeZone);
  const from = filter.from?.trim() || "";
  const to = filter.to?.trim() || "";
  const rangeText = filter.range?.trim() || "";
  let first: string, last: string, preset: RangePreset | null = null;
  if (from || to) {
    if (!from || !to) {
      throw new RangeError("Expected both a start and an end date for a custom range");
    }
    first = parseDay(from, "the start date");
    last = parseDay(to, "the end date");
    if (first > last) {
      throw new RangeError(
        `Expected the start date ${first} to be on or before the end date ${last}`,
      );
    }
    const days = daysBetween(first, last) + 1;
    if (days > MAX_RANGE_DAYS) {
      throw new RangeError(
        `Expected a range of at most ${MAX_RANGE_DAYS} days (3 years), but got ${days} days`,
      );
    }
  } else {
    const length = rangeText ? Number(rangeText) : DEFAULT_RANGE;
    if (!/^\d+$/.test(rangeText || "0") || !isPreset(length)) {
      throw new RangeError(
        `Expected the range to be one of ${RANGE_PRESETS.join(", ")} days, but got "${rangeText}"`,
      );
    }
    preset = length;
    last = localDay(nowMs, timeZone);
    first = addDays(last, -(length - 1));
  }
  return {
    timeZone,
    from: first,
    to: last,
    days: daysBetween(first, last) + 1,
    preset,
    fromMs: startOfLocalDay(first, timeZone),
    toMs: startOfLocalDay(addDays(last, 1), timeZone),
  };
}

interface DayAccumulator {
  entries: number;
  seconds: Record<string, number>;
  affectWeight: number;
  valence: number;
  arousal: number;
  moodSum: number;
  moodCount: number;
  energySum: number;
  energyCount: number;
  dominantCounts: Record<string, number>;
}

function emptyAccumulator(): DayAccumulator {
  return {
    entries: 0,
    seconds: {},
    affectWeight: 0,
    valence: 0,
    arousal: 0,
    moodSum: 0,
    moodCount: 0,
    energySum: 0,
    energyCount: 0,
    dominantCounts: {},
  };
}

const LABEL_RANK = new Map<string, number>(EMOTION_LABELS.map((label, i) => [label, i]));

/** True when `a` comes before `b`: the model's order first, then unknown labels by name. */
function comesBefore(a: string, b: string): boolean {
  const rankA = LABEL_RANK.get(a) ?? Infinity, rankB = LABEL_RANK.get(b) ?? Infinity;
  return rankA !== rankB ? rankA < rankB : a < b;
}

/** Adds the sums of `from` into `into` (a day into its week). */
function addInto(into: DayAccumulator, from: DayAccumulator): void {
  into.entries += from.entries;
  for (const label in from.seconds) {
    into.seconds[label] = (into.seconds[label] ?? 0) + from.seconds[label];
  }
  into.affectWeight += from.affectWeight;
  into.valence += from.valence;
  into.arousal += from.arousal;
  into.moodSum += from.moodSum;
  into.moodCount += from.moodCount;
  into.energySum += from.energySum;
  into.energyCount += from.energyCount;
}

/** The mean readings and ratings of an accumulator (null where nothing was measured). */
function means(acc: DayAccumulator): Pick<DayStats, "valence" | "arousal" | "mood" | "energy"> {
  return {
    valence: acc.affectWeight > 0 ? acc.valence / acc.affectWeight : null,
    arousal: acc.affectWeight > 0 ? acc.arousal / acc.affectWeight : null,
    mood: acc.moodCount > 0 ? acc.moodSum / acc.moodCount : null,
    energy: acc.energyCount > 0 ? acc.energySum / acc.energyCount : null,
  };
}

/** The label with the largest positive value; ties go to the label that {@link comesBefore}. */
function largest(values: Record<string, number>): string | null {
  let best: string | null = null;
  for (const label in values) {
    const value = values[label];
    if (!(value > 0)) continue;
    if (
      best === null || value > values[best] || (value === values[best] && comesBefore(label, best))
    ) best = label;
  }
  return best;
}

/** `labels` in the model's order, then unknown ones alphabetically. */
export function orderLabels(labels: Iterable<string>): string[] {
  return [...new Set(labels)].sort((a, b) => comesBefore(a, b) ? -1 : comesBefore(b, a) ? 1 : 0);
}

function sum(values: Record<string, number>): number {
  let total = 0;
  for (const key in values) total += values[key];
  return total;
}

/**
 * Aggregates `entries` (any order) over the days and weeks of `range`; entries outside the
 * range are ignored. Days without entries appear with zero counts and null readings.
 */
export function aggregateHistory(entries: readonly EntrySummary[], range: HistoryRange): History {
  const byDay = new Map<string, DayAccumulator>();
  const labelSet = new Set<string>();
  let totalEntries = 0;
  for (const entry of entries) {
    const at = Date.parse(entry.startedAt);
    if (!(at >= range.fromMs && at < range.toMs)) continue;
    const day = localDay(at, range.timeZone);
    let acc = byDay.get(day);
    if (!acc) byDay.set(day, acc = emptyAccumulator());
    totalEntries++;
    acc.entries++;
    const duration = entry.durationS > 0 ? entry.durationS : 0;
    for (const label in entry.distribution) {
      const share = entry.distribution[label];
      if (!(share > 0) || duration === 0) continue;
      acc.seconds[label] = (acc.seconds[label] ?? 0) + duration * share;
      labelSet.add(label);
    }
    if (entry.dominant) {
      acc.dominantCounts[entry.dominant] = (acc.dominantCounts[entry.dominant] ?? 0) + 1;
    }
    if (entry.affect && duration > 0) {
      acc.affectWeight += duration;
      acc.valence += duration * entry.affect.valence;
      acc.arousal += duration * entry.affect.arousal;
    }
    if (entry.mood !== null && entry.mood !== undefined) {
      acc.moodSum += entry.mood;
      acc.moodCount++;
    }
    if (entry.energy !== null && entry.energy !== undefined) {
      acc.energySum += entry.energy;
      acc.energyCount++;
    }
  }

  const days: DayStats[] = [];
  const weeks: WeekStats[] = [];
  let weekDay = "";
  let week = emptyAccumulator();
  const closeWeek = () => {
    if (!weekDay) return;
    const speechS = sum(week.seconds);
    const shares: Record<string, number> = {};
    for (const label of orderLabels(Object.keys(week.seconds))) {
      shares[label] = week.seconds[label] / speechS;
    }
    weeks.push({ week: weekDay, entries: week.entries, speechS, shares, ...means(week) });
  };
  const firstMs = Date.parse(range.from + "T00:00:00Z");
  const cursor = new Date(firstMs);
  for (let i = 0; i < range.days; i++) {
    cursor.setTime(firstMs + i * DAY_MS);
    const day = cursor.toISOString().slice(0, 10);
    if (!weekDay || cursor.getUTCDay() === 1) {
      closeWeek();
      weekDay = weekStart(day);
      week = emptyAccumulator();
    }
    const acc = byDay.get(day) ?? emptyAccumulator();
    addInto(week, acc);
    days.push({
      day,
      entries: acc.entries,
      speechS: sum(acc.seconds),
      // Without any timed speech, fall back to the most frequent per-entry dominant label.
      dominant: largest(acc.seconds) ?? largest(acc.dominantCounts),
      seconds: acc.seconds,
      ...means(acc),
    });
  }
  closeWeek();
  for (const day of days) if (day.dominant) labelSet.add(day.dominant);
  return { range, days, weeks, totalEntries, labels: orderLabels(labelSet) };
}
