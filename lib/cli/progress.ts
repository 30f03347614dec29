/**
 * A one-line progress bar for long CLI work: done/total, a bar, rate, ETA and any extra
 * figures (loss, accuracy). Redraws in place on a terminal; elsewhere (CI logs, pipes) it
 * prints at most one line per `logEveryMs` so logs stay short.
 */

/** Where the bar writes; `isTerminal` decides between redraw and log lines. */
export interface ProgressSink {
  write(text: string): void;
  isTerminal: boolean;
}

/** Options of {@link ProgressBar}. */
export interface ProgressOptions {
  label: string;
  total: number;
  sink?: ProgressSink;
  nowMs?: () => number;
  logEveryMs?: number;
  width?: number;
}

const stderrSink: ProgressSink = {
  write: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
  isTerminal: Deno.stderr.isTerminal(),
};

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** A progress bar; call `tick` as work completes and `done` at the end. */
export class ProgressBar {
  readonly #o: Required<Omit<ProgressOptions, "sink">> & { sink: ProgressSink };
  readonly #startMs: number;
  #count = 0;
  #lastLogMs = -Infinity;

  constructor(options: ProgressOptions) {
    this.#o = {
      sink: options.sink ?? stderrSink,
      nowMs: options.nowMs ?? (() => performance.now()),
      logEveryMs: options.logEveryMs ?? 10_000,
      width: options.width ?? 24,
      ...options,
    } as Required<Omit<ProgressOptions, "sink">> & { sink: ProgressSink };
    this.#startMs = this.#o.nowMs();
  }

  /** The line as it would be drawn now. */
  render(extra: Record<string, string | number> = {}): string {
    const { label, total, width } = this.#o;
    const fraction = total > 0 ? Math.min(1, this.#count / total) : 1;
    const filled = Math.round(fraction * width);
    const elapsedS = (this.#o.nowMs() - this.#startMs) / 1000;
    const eta = this.#count > 0 ? elapsedS * (total - this.#count) / this.#count : NaN;
    const extras = Object.entries(extra).map(([k, v]) =>
      `${k} ${typeof v === "number" ? v.toFixed(4) : v}`
    );
    return [
      `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}]`,
      `${this.#count}/${total}`,
      ...extras,
      `ETA ${formatEta(eta)}`,
    ].join("  ");
  }

  /** Advances by `n` and redraws (or logs, when due). */
  tick(n = 1, extra: Record<string, string | number> = {}): void {
    this.#count += n;
    const now = this.#o.nowMs();
    if (this.#o.sink.isTerminal) {
      this.#o.sink.write(`\r\x1b[2K${this.render(extra)}`);
    } else if (now - this.#lastLogMs >= this.#o.logEveryMs || this.#count >= this.#o.total) {
      this.#lastLogMs = now;
      this.#o.sink.write(this.render(extra) + "\n");
    }
  }

  /** Ends the line on a terminal. */
  done(): void {
    if (this.#o.sink.isTerminal) this.#o.sink.write("\n");
  }
}
