/**
 * The emotions of one recording over time, as SVG: x is the time in the recording, each
 * segment of speech is a bar in its emotion's colour, paler the less confident the model was.
 * Segments the model was unsure of (`lib/journal/uncertainty.ts`) are grey, hatched and marked
 * "?". Silence between segments stays empty. A legend and a table of the segments follow.
 */
import { emotionName } from "../../islands/audio/emotions.ts";
import { shownLabel, UNCERTAIN, UNCERTAIN_COLOUR } from "../../lib/journal/uncertainty.ts";
import { ChartFrame, chartId } from "./ChartFrame.tsx";
import { ChartTable } from "./ChartTable.tsx";
import { clock, percent } from "./format.ts";
import { scaleLinear } from "./scales.ts";
import { labelColour } from "./ShareBar.tsx";

/** One segment as the timeline needs it. */
export interface TimelineSegment {
  startS: number;
  endS: number;
  label: string;
  confidence: number;
  probabilities: Readonly<Record<string, number>>;
}

/** Props of {@link EmotionTimeline}. */
export interface EmotionTimelineProps {
  title: string;
  segments: readonly TimelineSegment[];
  /** Length of the recording in seconds (the x axis runs from 0 to this). */
  durationS: number;
  width?: number;
}

/** Fill opacity for a confidence: 0.3 for none, 1 for full confidence. */
export function confidenceOpacity(confidence: number): number {
  const c = Math.min(1, Math.max(0, Number.isFinite(confidence) ? confidence : 0));
  return Math.round((0.3 + 0.7 * c) * 100) / 100;
}

function segmentText(s: TimelineSegment, shown: string): string {
  const span = `${clock(s.startS)}–${clock(s.endS)}`;
  return shown === UNCERTAIN
    ? `${span}: uncertain (the model's best guess, ${s.label}, at ${percent(s.confidence)})`
    : `${span}: ${s.label}, ${percent(s.confidence)} confident`;
}

/** Renders the timeline chart, its legend and its table. */
export function EmotionTimeline(
  { title, segments, durationS, width = 640 }: EmotionTimelineProps,
) {
  const id = chartId(title);
  const margin = { top: 8, right: 12, bottom: 28, left: 12 };
  const laneHeight = 48;
  const height = margin.top + laneHeight + margin.bottom;
  const end = Math.max(1, durationS, ...segments.map((s) => s.endS));
  const x = scaleLinear().domain([0, end]).range([margin.left, width - margin.right]);
  const shown = segments.map((s) => shownLabel(s));
  const unsure = shown.filter((l) => l === UNCERTAIN).length;
  const labels = [...new Set(shown)].sort((a, b) =>
    a === UNCERTAIN ? 1 : b === UNCERTAIN ? -1 : a.localeCompare(b)
  );
  const description = segments.length === 0
    ? `No speech was heard in this ${clock(end)} recording.`
    : `${segments.length} segments of speech over ${clock(end)}; ${unsure} of them uncertain. ` +
      `Bars are paler the less confident the model was. ` +
      segments.map((s, i) => segmentText(s, shown[i])).join("; ") + ".";
  const ticks = x.ticks(Math.min(8, Math.max(2, Math.floor(end / 5))))
    .filter((t) => Number.isInteger(t));
  return (
    <figure class="flex flex-col gap-2" data-testid="timeline-chart">
      <div class="overflow-x-auto">
        <ChartFrame title={title} description={description} width={width} height={height}>
          <defs>
            <pattern
              id={`${id}-hatch`}
              width="6"
              height="6"
              patternUnits="userSpaceOnUse"
              patternTransform="rotate(45)"
            >
              <rect width="6" height="6" fill={UNCERTAIN_COLOUR} fill-opacity="0.35" />
              <line x1="0" y1="0" x2="0" y2="6" stroke={UNCERTAIN_COLOUR} stroke-width="3" />
            </pattern>
          </defs>
          <rect
            x={margin.left}
            y={margin.top}
            width={width - margin.left - margin.right}
            height={laneHeight}
            fill="currentColor"
            fill-opacity="0.05"
          />
          {segments.map((s, i) => {
            const x0 = x(s.startS);
            const w = Math.max(1, x(s.endS) - x0);
            const uncertain = shown[i] === UNCERTAIN;
            return (
              <g key={i} data-label={shown[i]}>
                <rect
                  x={x0}
                  y={margin.top}
                  width={w}
                  height={laneHeight}
                  fill={uncertain ? `url(#${id}-hatch)` : labelColour(s.label)}
                  fill-opacity={uncertain ? undefined : confidenceOpacity(s.confidence)}
                  stroke={uncertain ? UNCERTAIN_COLOUR : undefined}
                  data-uncertain={uncertain ? "true" : undefined}
                >
                  <title>{segmentText(s, shown[i])}</title>
                </rect>
                {uncertain && w >= 10 && (
                  <text
                    x={x0 + w / 2}
                    y={margin.top + laneHeight / 2}
                    text-anchor="middle"
                    dominant-baseline="middle"
                    font-weight="700"
                    fill="currentColor"
                  >
                    ?
                  </text>
                )}
              </g>
            );
          })}
          <line
            x1={margin.left}
            x2={width - margin.right}
            y1={margin.top + laneHeight}
            y2={margin.top + laneHeight}
            stroke="currentColor"
            stroke-opacity="0.4"
          />
          {ticks.map((t) => (
            <g key={t}>
              <line
                x1={x(t)}
                x2={x(t)}
                y1={margin.top + laneHeight}
                y2={margin.top + laneHeight + 4}
                stroke="currentColor"
                stroke-opacity="0.4"
              />
              <text
                x={x(t)}
                y={margin.top + laneHeight + 16}
                text-anchor="middle"
                fill="currentColor"
              >
                {clock(t)}
              </text>
            </g>
          ))}
        </ChartFrame>
      </div>
      {labels.length > 0 && (
        <figcaption class="flex flex-wrap gap-x-4 gap-y-1 text-sm" aria-hidden="true">
          {labels.map((label) => (
            <span key={label} class="inline-flex items-center gap-1">
              <svg width="12" height="12" viewBox="0 0 12 12">
                <rect
                  width="12"
                  height="12"
                  fill={label === UNCERTAIN ? UNCERTAIN_COLOUR : labelColour(label)}
                  fill-opacity={label === UNCERTAIN ? 0.5 : 1}
                />
              </svg>
              {label === UNCERTAIN ? "Uncertain (hatched, ?)" : emotionName(label)}
            </span>
          ))}
          <span class="text-gray-600 dark:text-gray-400">Paler bars: less confident.</span>
        </figcaption>
      )}
      <ChartTable
        caption="Each stretch of speech and the emotion heard in it"
        head={["From", "To", "Shown", "Model's top guess", "Confidence"]}
        rows={segments.map((s, i) => [
          clock(s.startS),
          clock(s.endS),
          shown[i],
          s.label,
          percent(s.confidence),
        ])}
      />
    </figure>
  );
}
