/**
 * `deno task loadtest [--users N] [--seconds S] [--url U [--pid P]] [--seed K] [--out FILE]`:
 * simulated recorders send live speech to the server on loopback (started here from
 * `main.ts` unless `--url` is given) and the figures are printed: a readable summary on
 * stderr, the JSON report on stdout (and in `--out`). Exits 1 when a chunk was lost or an
 * entry is incomplete, 2 on bad arguments (one line saying why); `--help` prints the usage.
 * See `lib/loadtest/run.ts`.
 */
import { parseLoadtestArgs, USAGE, UsageError } from "../lib/loadtest/options.ts";
import { formatSummary, runLoadtest } from "../lib/loadtest/run.ts";

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(USAGE);
  Deno.exit(0);
}
let options;
try {
  options = parseLoadtestArgs(Deno.args);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`loadtest: ${err.message} (see --help)`);
  Deno.exit(2);
}
try {
  const report = await runLoadtest(options, (line) => console.error(line));
  const json = JSON.stringify(report, null, 2);
  if (options.out) await Deno.writeTextFile(options.out, json + "\n");
  console.error(formatSummary(report));
  console.log(json);
  const ok = report.chunks.lost === 0 && report.entries.complete === report.users;
  Deno.exit(ok ? 0 : 1);
} catch (err) {
  console.error(`loadtest: ${(err as Error).message}`);
  Deno.exit(1);
}
