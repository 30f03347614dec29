/**
 * Horizontal bars for one value per category (e.g. accuracy per emotion), as SVG with a
 * value label on each bar.
 */
import { ChartFrame } from "./ChartFrame.tsx";
import { scaleBand, scaleLinear } from "./scales.ts";

/** One bar. */
export interface Bar {
  label: string;
  value: number | null;
  colour?: string;
}

/** Props of {@link BarChart}. */
export interface BarChartProps {
  title: string;
  description: string;
  bars: Bar[];
  /** Upper end of the value axis (1 for shares). */
  max?: number;
  format?: (v: number) => string;
  width?: number;
}

/** Renders the bars; a null value shows "n/a". */
export function BarChart(
  { title, description, bars, max = 1, format = (v) => `${(v * 100).toFixed(1)} %`, width = 520 }:
    BarChartProps,
) {
  const margin = { top: 28, right: 64, bottom: 8, left: 88 };
  const height = margin.top + margin.bottom + bars.length * 26;
  const x = scaleLinear().domain([0, max]).range([margin.left, width - margin.right]);
  const y = scaleBand<number>().domain(bars.map((_, i) => i))
    .range([margin.top, height - margin.bottom]).padding(0.2);
  return (
    <ChartFrame
      title={title}
      description={description}
      width={width}
      height={height}
      fontSize={12}
    >
      <text x={margin.left} y={16} font-size="13" font-weight="600" fill="currentColor">
        {title}
      </text>
      {bars.map((b, i) => (
        <g key={b.label}>
          <text
            x={margin.left - 6}
            y={y(i)! + y.bandwidth() / 2}
            text-anchor="end"
            dominant-baseline="middle"
            fill="currentColor"
          >
            {b.label}
          </text>
          <rect
            x={margin.left}
            y={y(i)}
            width={Math.max(0, x(b.value ?? 0) - margin.left)}
            height={y.bandwidth()}
            fill={b.colour ?? "#4f46e5"}
          />
          <text
            x={x(b.value ?? 0) + 4}
            y={y(i)! + y.bandwidth() / 2}
            dominant-baseline="middle"
            fill="currentColor"
          >
            {b.value === null ? "n/a" : format(b.value)}
          </text>
        </g>
      ))}
    </ChartFrame>
  );
}
