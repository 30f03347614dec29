/**
 * A small stacked bar of shares (speech time per emotion) for list rows: one rectangle per
 * label in its colour, "uncertain" in grey at the end, and the same shares as text for screen
 * readers (`role="img"` with an `aria-label` and a `<title>`).
 */
import { emotionColour, emotionName } from "../../islands/audio/emotions.ts";
import { orderedShares, UNCERTAIN, UNCERTAIN_COLOUR } from "../../lib/journal/uncertainty.ts";
import { percent } from "./format.ts";

/** Props of {@link ShareBar}. */
export interface ShareBarProps {
  /** Share per label, summing to 1 (labels with no share are left out). */
  distribution: Readonly<Record<string, number>>;
  width?: number;
  height?: number;
}

/** The shares as one sentence, largest first, e.g. "Happy 60 %, Sad 40 %". */
export function sharesText(distribution: Readonly<Record<string, number>>): string {
  const parts = orderedShares(distribution).map(([label, share]) =>
    `${emotionName(label)} ${percent(share)}`
  );
  return parts.length > 0 ? parts.join(", ") : "No speech";
}

/** The colour a label is drawn in, with grey for {@link UNCERTAIN}. */
export function labelColour(label: string): string {
  return label === UNCERTAIN ? UNCERTAIN_COLOUR : emotionColour(label);
}

/** Renders the stacked bar; an empty distribution draws an empty outline. */
export function ShareBar({ distribution, width = 160, height = 10 }: ShareBarProps) {
  const text = `Emotions heard: ${sharesText(distribution)}`;
  let x = 0;
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label={text}
      data-testid="share-bar"
    >
      <title>{text}</title>
      <rect
        x="0.5"
        y="0.5"
        width={width - 1}
        height={height - 1}
        rx="2"
        fill="none"
        stroke="currentColor"
        stroke-opacity="0.25"
      />
      {orderedShares(distribution).map(([label, share]) => {
        const w = share * width;
        const rect = (
          <rect
            key={label}
            x={x}
            y="0"
            width={w}
            height={height}
            fill={labelColour(label)}
            data-label={label}
          />
        );
        x += w;
        return rect;
      })}
    </svg>
  );
}
