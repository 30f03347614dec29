/**
 * A confusion matrix as an SVG heat map: rows are true emotions, columns predictions,
 * each cell shaded by the row's share and labelled with its count.
 */
import { ChartFrame } from "./ChartFrame.tsx";
import { scaleBand } from "./scales.ts";

/** Props of {@link ConfusionMatrixChart}. */
export interface ConfusionMatrixChartProps {
  title: string;
  labels: readonly string[];
  /** `matrix[t][p]`: clips of true class t predicted as p. */
  matrix: number[][];
  size?: number;
}

/** Renders the heat map with a title and description for screen readers. */
export function ConfusionMatrixChart(
  { title, labels, matrix, size = 520 }: ConfusionMatrixChartProps,
) {
  const margin = { top: 24, right: 8, bottom: 8, left: 88 };
  const headerHeight = 80;
  const width = size;
  const height = size + headerHeight - 40;
  const x = scaleBand<number>().domain(labels.map((_, i) => i))
    .range([margin.left, width - margin.right]).padding(0.04);
  const y = scaleBand<number>().domain(labels.map((_, i) => i))
    .range([margin.top + headerHeight, height - margin.bottom]).padding(0.04);
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const right = matrix.reduce((a, row, i) => a + row[i], 0);
  return (
    <ChartFrame
      title={title}
      description={`Rows are true emotions, columns predicted ones; ${right} of ${total} clips on the diagonal.`}
      width={width}
      height={height}
      fontSize={11}
    >
      <text x={margin.left} y={14} font-size="13" font-weight="600" fill="currentColor">
        {title}
      </text>
      {labels.map((label, i) => (
        <text
          key={`c${label}`}
          transform={`translate(${x(i)! + x.bandwidth() / 2} ${
            margin.top + headerHeight - 6
          }) rotate(-50)`}
          fill="currentColor"
        >
          {label}
        </text>
      ))}
      {labels.map((label, t) => {
        const rowTotal = matrix[t].reduce((a, b) => a + b, 0);
        return (
          <g key={`r${label}`}>
            <text
              x={margin.left - 6}
              y={y(t)! + y.bandwidth() / 2}
              text-anchor="end"
              dominant-baseline="middle"
              fill="currentColor"
            >
              {label}
            </text>
            {matrix[t].map((count, p) => {
              const share = rowTotal === 0 ? 0 : count / rowTotal;
              return (
                <g key={p}>
                  <rect
                    x={x(p)}
                    y={y(t)}
                    width={x.bandwidth()}
                    height={y.bandwidth()}
                    fill={t === p ? "#4f46e5" : "#dc2626"}
                    fill-opacity={count === 0 ? 0.04 : 0.15 + 0.85 * share}
                  />
                  <text
                    x={x(p)! + x.bandwidth() / 2}
                    y={y(t)! + y.bandwidth() / 2}
                    text-anchor="middle"
                    dominant-baseline="middle"
                    fill={share > 0.5 ? "#ffffff" : "currentColor"}
                  >
                    {count}
                  </text>
                </g>
              );
            })}
          </g>
        );
      })}
    </ChartFrame>
  );
}
