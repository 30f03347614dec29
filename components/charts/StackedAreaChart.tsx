/**
 * Shares over time as stacked areas in SVG (d3-shape's `stack` and `area`): one band per key,
 * stacked to 100 % at every point, with a percentage axis, x labels and a legend. Used for the
 * weekly share of each emotion on the history page.
 */
// @ts-types="@types/d3-shape"
import { area, stack } from "d3-shape";
import { emotionColour, emotionName } from "../../islands/audio/emotions.ts";
import { GridLine } from "./parts.tsx";
import { ChartFrame } from "./ChartFrame.tsx";
import { scaleLinear } from "./scales.ts";

/** One point in time: its axis label and the share of each key (0 … 1). */
export interface SharePoint {
  label: string;
  shares: Readonly<Record<string, number>>;
}

/** Props of {@link StackedAreaChart}. */
export interface StackedAreaChartProps {
  title: string;
  description: string;
  points: SharePoint[];
  /** The bands, bottom first. */
  keys: string[];
  /** Colour of a key; default the emotion colours. */
  colour?: (key: string) => string;
  /** Legend text of a key; default the emotion name. */
  name?: (key: string) => string;
  width?: number;
  height?: number;
}

/**
 * Renders the stacked areas. A point whose shares are all zero (a week without entries) is a
 * gap, not a drop to 0 %, so empty weeks never look like a change of mood.
 */
export function StackedAreaChart(
  {
    title,
    description,
    points,
    keys,
    colour = emotionColour,
    name = emotionName,
    width = 640,
    height = 300,
  }: StackedAreaChartProps,
) {
  const margin = { top: 12, right: 16, bottom: 36, left: 44 };
  const legendRows = Math.ceil(keys.length / 5);
  const plotBottom = height - margin.bottom - legendRows * 18;
  // A single point is drawn as a band across the whole width.
  const data = points.length === 1 ? [points[0], points[0]] : points;
  const x = scaleLinear().domain([0, Math.max(1, data.length - 1)])
    .range([margin.left, width - margin.right]);
  const y = scaleLinear().domain([0, 1]).range([plotBottom, margin.top]);
  const series = stack<SharePoint, string>().keys(keys)
    .value((d, key) => d.shares[key] ?? 0)(data);
  const hasData = data.map((d) => keys.some((k) => (d.shares[k] ?? 0) > 0));
  const band = area<[number, number]>()
    .defined((_, i) => hasData[i])
    .x((_, i) => round(x(i)))
    .y0((d) => round(y(d[0])))
    .y1((d) => round(y(d[1])));
  const every = Math.max(1, Math.ceil(points.length / 8));
  const ticks = points.map((p, i) => ({ p, i })).filter(({ i }) => i % every === 0);
  return (
    <ChartFrame title={title} description={description} width={width} height={height}>
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <GridLine key={t} x1={margin.left} x2={width - margin.right} y={y(t)}>
          {`${t * 100} %`}
        </GridLine>
      ))}
      {series.map((s) => (
        <path
          key={s.key}
          data-key={s.key}
          d={band(s as unknown as [number, number][]) ?? ""}
          fill={colour(s.key)}
          fill-opacity="0.9"
        >
          <title>{name(s.key)}</title>
        </path>
      ))}
      {ticks.map(({ p, i }) => (
        <text
          key={i}
          x={points.length === 1 ? (margin.left + width - margin.right) / 2 : x(i)}
          y={plotBottom + 16}
          text-anchor={points.length === 1 ? "middle" : i === 0 ? "start" : "middle"}
          fill="currentColor"
        >
          {p.label}
        </text>
      ))}
      {keys.map((key, i) => (
        <g
          key={key}
          transform={`translate(${margin.left + (i % 5) * 116} ${
            height - 8 - (legendRows - 1 - Math.floor(i / 5)) * 18
          })`}
        >
          <rect y="-9" width="10" height="10" rx="2" fill={colour(key)} />
          <text x="15" y="0" fill="currentColor">{name(key)}</text>
        </g>
      ))}
    </ChartFrame>
  );
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
