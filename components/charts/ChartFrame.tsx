/**
 * The `<svg>` element every chart shares: size, a `<title>` and `<desc>` that name it for
 * screen readers (`role="img"`), and the font. Text inside uses `currentColor`, so charts
 * follow the page's light or dark scheme.
 */
import type { ComponentChildren } from "preact";

/** Props of {@link ChartFrame}. */
export interface ChartFrameProps {
  title: string;
  description: string;
  width: number;
  height: number;
  fontSize?: number;
  children: ComponentChildren;
}

/** A slug of the title, unique enough to link the title and description ids. */
export function chartId(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

/**
 * Wraps chart content in an accessible, scalable `<svg>`: drawn at its own size, and scaled
 * down (keeping its aspect ratio) where the page is narrower.
 */
export function ChartFrame(
  { title, description, width, height, fontSize = 12, children }: ChartFrameProps,
) {
  const id = chartId(title);
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      class="max-w-full h-auto"
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      font-family="system-ui, sans-serif"
      font-size={fontSize}
    >
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{description}</desc>
      {children}
    </svg>
  );
}
