/**
 * Valence and arousal over one recording, as SVG: x is the time in the recording, y runs
 * from −1 to +1, and each segment contributes one point per line at its middle (hollow when
 * the segment is uncertain; the description says so too). A segment's
 * point is `affectOf` of its probabilities (`lib/journal/affect.ts`): the probability-weighted
 * mean of fixed circumplex points per emotion. Points of uncertain segments are hollow.
 */
import { type Affect, affectOf } from "../../lib/journal/affect.ts";
import { isUncertain } from "../../lib/journal/uncertainty.ts";
import { GridLine, LegendRow } from "./parts.tsx";
import { ChartFrame } from "./ChartFrame.tsx";
import { ChartTable } from "./ChartTable.tsx";
import { clock, signed } from "./format.ts";
import { line, scaleLinear } from "./scales.ts";
import type { TimelineSegment } from "./EmotionTimeline.tsx";

/** Line colours: distinct from each other in hue and dash, readable on light and dark. */
export const AFFECT_COLOURS = { valence: "#10b981", arousal: "#f43f5e" } as const;

/** Gridlines of the y axis with their labels (true minus signs). */
const Y_TICKS: [number, string][] = [
  [-1, "\u22121"],
  [-0.5, "\u22120.5"],
  [0, "0"],
  [0.5, "+0.5"],
  [1, "+1"],
];

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Props of {@link AffectChart}. */
export interface AffectChartProps {
  title: string;
  segments: readonly TimelineSegment[];
  durationS: number;
  width?: number;
  height?: number;
}

/** One plotted segment. */
export interface AffectPoint extends Affect {
  startS: number;
  endS: number;
  midS: number;
  uncertain: boolean;
}

/** The affect point of every segment that has one, in time order. */
export function affectPoints(segments: readonly TimelineSegment[]): AffectPoint[] {
  return segments.flatMap((s) => {
    const a = affectOf(s.probabilities);
    if (!a) return [];
    return [{
      ...a,
      startS: s.startS,
      endS: s.endS,
      midS: (s.startS + s.endS) / 2,
      uncertain: isUncertain(s.probabilities),
    }];
  }).sort((a, b) => a.midS - b.midS);
}

/** The sentence that says how the values are made (also the chart's description). */
export const AFFECT_MAPPING_TEXT =
  "Valence runs from unpleasant (−1) to pleasant (+1), arousal from deactivated (−1) to " +
  "activated (+1). Each segment's point is the model's probabilities weighted over a fixed " +
  "point per emotion on Russell's circumplex of affect (for example happy at valence +0.8, " +
  "arousal +0.5; sad at −0.7, −0.5; neutral at 0, 0).";

/** Renders the two lines with gridlines, a legend and a table of the points. */
export function AffectChart(
  { title, segments, durationS, width = 640, height = 240 }: AffectChartProps,
) {
  const margin = { top: 12, right: 16, bottom: 48, left: 44 };
  const points = affectPoints(segments);
  const end = Math.max(1, durationS, ...segments.map((s) => s.endS));
  const x = scaleLinear().domain([0, end]).range([margin.left, width - margin.right]);
  const y = scaleLinear().domain([-1, 1]).range([height - margin.bottom, margin.top]);
  const series = (["valence", "arousal"] as const).map((key) => ({
    key,
    colour: AFFECT_COLOURS[key],
    dashed: key === "arousal",
    path: line<AffectPoint>().x((p) => round2(x(p.midS))).y((p) => round2(y(p[key])))(points) ??
      "",
  }));
  const mean = (key: "valence" | "arousal") =>
    points.reduce((sum, p) => sum + p[key], 0) / Math.max(1, points.length);
  const unsure = points.filter((p) => p.uncertain).length;
  const counted = `${points.length} segment${points.length === 1 ? "" : "s"}`;
  const description = points.length === 0
    ? `No speech was heard, so there is no valence or arousal. ${AFFECT_MAPPING_TEXT}`
    : `Valence and arousal of ${counted} over ${clock(end)} (${unsure} uncertain, drawn ` +
      `hollow); mean valence ${signed(mean("valence"))}, mean arousal ${
        signed(mean("arousal"))
      }. ${AFFECT_MAPPING_TEXT}`;
  const ticks = x.ticks(Math.min(8, Math.max(2, Math.floor(end / 5))))
    .filter((t) => Number.isInteger(t));
  return (
    <figure class="flex flex-col gap-2" data-testid="affect-chart">
      <div class="overflow-x-auto">
        <ChartFrame title={title} description={description} width={width} height={height}>
          {Y_TICKS.map(([t, label]) => (
            <GridLine
              key={t}
              x1={margin.left}
              x2={width - margin.right}
              y={y(t)}
              opacity={t === 0 ? 0.45 : 0.15}
            >
              {label}
            </GridLine>
          ))}
          {ticks.map((t) => (
            <text
              key={t}
              x={x(t)}
              y={height - margin.bottom + 16}
              text-anchor="middle"
              fill="currentColor"
            >
              {clock(t)}
            </text>
          ))}
          {series.map((s) => (
            <path
              key={s.key}
              d={s.path}
              fill="none"
              stroke={s.colour}
              stroke-width="2"
              stroke-dasharray={s.dashed ? "6 4" : undefined}
              data-series={s.key}
            />
          ))}
          {series.map((s) =>
            points.map((p, i) => (
              <circle
                key={`${s.key}${i}`}
                cx={round2(x(p.midS))}
                cy={round2(y(p[s.key]))}
                r="3.5"
                fill={p.uncertain ? "none" : s.colour}
                stroke={s.colour}
                stroke-width="1.5"
              />
            ))
          )}
          <LegendRow
            items={series.map((s) => ({
              name: s.key === "valence" ? "Valence" : "Arousal",
              colour: s.colour,
              dashed: s.dashed,
            }))}
            x={margin.left}
            y={height - 10}
            spacing={130}
            length={22}
          />
          {points.some((p) => p.uncertain) && width >= margin.left + 460 && (
            <text x={margin.left + 260} y={height - 10} fill="currentColor" fill-opacity="0.75">
              hollow points: uncertain segments
            </text>
          )}
        </ChartFrame>
      </div>
      <ChartTable
        caption="Valence and arousal of each segment"
        head={["From", "To", "Valence", "Arousal", "Uncertain"]}
        rows={points.map((p) => [
          clock(p.startS),
          clock(p.endS),
          signed(p.valence),
          signed(p.arousal),
          p.uncertain ? "yes" : "no",
        ])}
      />
    </figure>
  );
}
