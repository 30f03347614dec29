/**
 * SVG pieces the line and area charts share: a horizontal grid line with its axis label, and
 * a legend row of line series. Text uses `currentColor`, so both follow the page's light
 * or dark scheme.
 */
import type { ComponentChildren } from "preact";

/** A grid line across the plot at height `y`, labelled left of `x1`. */
export function GridLine(
  { x1, x2, y, opacity = 0.15, children }: {
    x1: number;
    x2: number;
    y: number;
    opacity?: number;
    children: ComponentChildren;
  },
) {
  return (
    <g>
      <line x1={x1} x2={x2} y1={y} y2={y} stroke="currentColor" stroke-opacity={opacity} />
      <text x={x1 - 6} y={y} text-anchor="end" dominant-baseline="middle" fill="currentColor">
        {children}
      </text>
    </g>
  );
}

/** A legend item for a line series: a short stroke in its style, then its name. */
export function LegendLine(
  { x, y, colour, dashed = false, length = 20, children }: {
    x: number;
    y: number;
    colour: string;
    dashed?: boolean;
    length?: number;
    children: ComponentChildren;
  },
) {
  return (
    <g transform={`translate(${x} ${y})`}>
      <line
        x1="0"
        x2={length}
        y1="-4"
        y2="-4"
        stroke={colour}
        stroke-width="2"
        stroke-dasharray={dashed ? "6 4" : undefined}
      />
      <text x={length + 6} y="0" fill="currentColor">{children}</text>
    </g>
  );
}

/** One line series as a legend shows it. */
export interface LegendItem {
  name: string;
  colour: string;
  dashed?: boolean;
}

/** A row of {@link LegendLine}s from `x`, one every `spacing` px, on baseline `y`. */
export function LegendRow(
  { items, x, y, spacing, length }: {
    items: readonly LegendItem[];
    x: number;
    y: number;
    spacing: number;
    length?: number;
  },
) {
  return (
    <g>
      {items.map((item, i) => (
        <LegendLine
          key={item.name}
          x={x + i * spacing}
          y={y}
          colour={item.colour}
          dashed={item.dashed}
          length={length}
        >
          {item.name}
        </LegendLine>
      ))}
    </g>
  );
}
