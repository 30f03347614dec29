/**
 * The table behind a chart, for people who cannot see it or want the exact numbers: a
 * collapsed `<details>` holding a captioned table with column headers.
 */

/** Props of {@link ChartTable}. */
export interface ChartTableProps {
  /** Names the table (shown to screen readers as the caption). */
  caption: string;
  /** Column headers. */
  head: string[];
  /** Cells, row by row, as text. */
  rows: string[][];
  /** Text of the disclosure (default "Show as a table"). */
  summary?: string;
}

/** Renders the numbers of a chart as a table inside a disclosure. */
export function ChartTable({ caption, head, rows, summary = "Show as a table" }: ChartTableProps) {
  return (
    <details class="text-sm">
      <summary class="cursor-pointer text-gray-700 dark:text-gray-300">{summary}</summary>
      <table class="w-full text-left mt-2 tabular-nums">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => <th key={h} scope="col" class="pr-3 font-semibold">{h}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => <td key={j} class="pr-3">{cell}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
