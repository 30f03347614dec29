/**
 * Lines over days with gaps and two labelled y axes, as SVG: series on the left axis and
 * series on the right axis share the plot height, each axis with its own domain and ticks.
 * Missing values (days without a reading) break the line; a value with no neighbour is drawn
 * as a dot. Used for valence and arousal (−1 … +1, left) beside self-rated mood (1 … 5, right).
 */
import { LegendRow } from "./parts.tsx";
import { ChartFrame } from "./ChartFrame.tsx";
import { line, scaleLinear } from "./scales.ts";

/** One line: its legend name, colour, axis and a value (or null) per x position. */
export interface TrendSeries {
  name: string;
  colour: string;
  values: (number | null)[];
  axis: "left" | "right";
  dashed?: boolean;
}

/** One y axis: its label, domain and tick values. */
export interface TrendAxis {
  label: string;
  domain: [number, number];
  ticks: number[];
  format?: (v: number) => string;
}

/** Props of {@link TrendChart}. */
export interface TrendChartProps {
  title: string;
  description: string;
  /** Label of each x position (e.g. dates); a few are shown under the axis. */
  xLabels: string[];
  series: TrendSeries[];
  left: TrendAxis;
  /** The second axis; omit when every series uses the left one. */
  right?: TrendAxis;
  width?: number;
  height?: number;
}

/** Renders the chart with both axes labelled and a legend under it. */
export function TrendChart(
  { title, description, xLabels, series, left, right, width = 640, height = 300 }: TrendChartProps,
) {
  const margin = { top: 12, right: right ? 52 : 16, bottom: 56, left: 52 };
  const n = Math.max(1, xLabels.length);
  const x = scaleLinear().domain(n === 1 ? [-1, 1] : [0, n - 1])
    .range([margin.left + 4, width - margin.right - 4]);
  const plotBottom = height - margin.bottom;
  const yLeft = scaleLinear().domain(left.domain).range([plotBottom, margin.top]);
  const yRight = scaleLinear().domain(right?.domain ?? left.domain).range([plotBottom, margin.top]);
  const scaleOf = (s: TrendSeries) => s.axis === "right" && right ? yRight : yLeft;
  const every = Math.max(1, Math.ceil(n / 7));
  const formatLeft = left.format ?? String;
  const formatRight = right?.format ?? String;
  return (
    <ChartFrame title={title} description={description} width={width} height={height}>
      {left.ticks.map((t) => (
        <g key={`l${t}`}>
          <line
            x1={margin.left}
            x2={width - margin.right}
            y1={yLeft(t)}
            y2={yLeft(t)}
            stroke="currentColor"
            stroke-opacity={t === 0 ? "0.4" : "0.15"}
          />
          <text
            x={margin.left - 6}
            y={yLeft(t)}
            text-anchor="end"
            dominant-baseline="middle"
            fill="currentColor"
          >
            {formatLeft(t)}
          </text>
        </g>
      ))}
      {right?.ticks.map((t) => (
        <text
          key={`r${t}`}
          x={width - margin.right + 6}
          y={yRight(t)}
          dominant-baseline="middle"
          fill="currentColor"
        >
          {formatRight(t)}
        </text>
      ))}
      <text
        transform={`translate(12 ${(margin.top + plotBottom) / 2}) rotate(-90)`}
        text-anchor="middle"
        fill="currentColor"
      >
        {left.label}
      </text>
      {right && (
        <text
          transform={`translate(${width - 10} ${(margin.top + plotBottom) / 2}) rotate(90)`}
          text-anchor="middle"
          fill="currentColor"
        >
          {right.label}
        </text>
      )}
      {xLabels.map((label, i) =>
        i % every === 0 && (
          <text key={i} x={x(i)} y={plotBottom + 16} text-anchor="middle" fill="currentColor">
            {label}
          </text>
        )
      )}
      {series.map((s) => {
        const y = scaleOf(s);
        const path = line<number | null>()
          .defined((v) => v !== null)
          .x((_, i) => round(x(i)))
          .y((v) => round(y(v!)));
        const isolated = s.values.flatMap((v, i) =>
          v !== null && (s.values[i - 1] ?? null) === null && (s.values[i + 1] ?? null) === null
            ? [i]
            : []
        );
        return (
          <g key={s.name} data-series={s.name}>
            <path
              d={path(s.values) ?? ""}
              fill="none"
              stroke={s.colour}
              stroke-width="2"
              stroke-dasharray={s.dashed ? "6 4" : undefined}
            />
            {isolated.map((i) => (
              <circle
                key={i}
                cx={round(x(i))}
                cy={round(y(s.values[i]!))}
                r="2.5"
                fill={s.colour}
              />
            ))}
          </g>
        );
      })}
      <LegendRow items={series} x={margin.left} y={height - 12} spacing={170} />
    </ChartFrame>
  );
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
