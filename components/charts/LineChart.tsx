/**
 * A multi-series line chart as plain SVG (no script): axes, gridlines, a legend, and a
 * `<title>`/`<desc>` for screen readers. Text and axes use `currentColor`, so the chart
 * follows the page's light or dark scheme.
 */
import { GridLine, LegendRow } from "./parts.tsx";
import { ChartFrame } from "./ChartFrame.tsx";
import { line, scaleLinear } from "./scales.ts";

/** One line: a name for the legend, a colour and y values at x = 1, 2, … */
export interface LineSeries {
  name: string;
  colour: string;
  values: number[];
  /** Draw dashed (e.g. validation beside training). */
  dashed?: boolean;
}

/** Props of {@link LineChart}. */
export interface LineChartProps {
  title: string;
  description: string;
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  /** Fixed y range; defaults to the data's range. */
  yDomain?: [number, number];
  width?: number;
  height?: number;
}

/** Renders the chart; an id derived from the title links the accessible name. */
export function LineChart(
  { title, description, series, xLabel, yLabel, yDomain, width = 640, height = 320 }:
    LineChartProps,
) {
  const margin = { top: 16, right: 16, bottom: 56, left: 56 };
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const domain = yDomain ?? [Math.min(0, ...all), Math.max(1e-9, ...all)];
  const x = scaleLinear().domain([1, Math.max(2, n)]).range([margin.left, width - margin.right]);
  const y = scaleLinear().domain(domain).nice().range([height - margin.bottom, margin.top]);
  const path = line<number>().x((_, i) => x(i + 1)).y((v) => y(v));
  return (
    <ChartFrame
      title={title}
      description={description}
      width={width}
      height={height}
      fontSize={12}
    >
      {y.ticks(5).map((t) => (
        <GridLine key={t} x1={margin.left} x2={width - margin.right} y={y(t)}>
          {Number(t.toFixed(3))}
        </GridLine>
      ))}
      {x.ticks(Math.min(10, n)).filter(Number.isInteger).map((t) => (
        <text
          key={t}
          x={x(t)}
          y={height - margin.bottom + 16}
          text-anchor="middle"
          fill="currentColor"
        >
          {t}
        </text>
      ))}
      <text
        x={(margin.left + width - margin.right) / 2}
        y={height - 24}
        text-anchor="middle"
        fill="currentColor"
      >
        {xLabel}
      </text>
      <text
        transform={`translate(14 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)`}
        text-anchor="middle"
        fill="currentColor"
      >
        {yLabel}
      </text>
      {series.map((s) => (
        <path
          key={s.name}
          d={path(s.values) ?? ""}
          fill="none"
          stroke={s.colour}
          stroke-width="2"
          stroke-dasharray={s.dashed ? "6 4" : undefined}
        />
      ))}
      <LegendRow items={series} x={margin.left} y={height - 8} spacing={150} />
    </ChartFrame>
  );
}
