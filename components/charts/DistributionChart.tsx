/**
 * How the speech time of one recording divides between emotions: a bar per emotion in its
 * colour (largest first, "uncertain" last in grey), with a table of shares and seconds.
 */
import { emotionName } from "../../islands/audio/emotions.ts";
import { orderedShares } from "../../lib/journal/uncertainty.ts";
import { BarChart } from "./BarChart.tsx";
import { ChartTable } from "./ChartTable.tsx";
import { percent } from "./format.ts";
import { labelColour, sharesText } from "./ShareBar.tsx";

/** Props of {@link DistributionChart}. */
export interface DistributionChartProps {
  title: string;
  /** Share of speech time per shown label (may include "uncertain"). */
  distribution: Readonly<Record<string, number>>;
  /** Seconds of speech in all, to show each share as time as well. */
  speechS: number;
  width?: number;
}

/** Renders the share chart and its table; with no speech, a sentence instead. */
export function DistributionChart(
  { title, distribution, speechS, width = 520 }: DistributionChartProps,
) {
  const shares = orderedShares(distribution);
  if (shares.length === 0) {
    return <p data-testid="distribution-chart">No speech was heard, so there are no shares.</p>;
  }
  return (
    <figure class="flex flex-col gap-2" data-testid="distribution-chart">
      <div class="overflow-x-auto">
        <BarChart
          title={title}
          description={`Share of speech time per emotion: ${sharesText(distribution)}. ` +
            `Stretches where the model was unsure count as uncertain.`}
          bars={shares.map(([label, share]) => ({
            label: emotionName(label),
            value: share,
            colour: labelColour(label),
          }))}
          format={percent}
          width={width}
        />
      </div>
      <ChartTable
        caption="Share of speech time per emotion"
        head={["Emotion", "Share", "Seconds"]}
        rows={shares.map(([label, share]) => [
          label,
          percent(share),
          (share * speechS).toFixed(1),
        ])}
      />
    </figure>
  );
}
