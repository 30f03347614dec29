/**
 * How the journal's "uncertain" thresholds (`models/default/uncertainty.json`) do on RAVDESS
 * clips classified by `deno task classify --json`, with or without test-time augmentation: for
 * each file of such lines, the thresholds the calibration rule (`lib/journal/calibration.ts`)
 * would choose on those clips, and what the shipped pair names and gets right.
 *
 * ```sh
 * deno task classify --json --tta 6 ~/.cache/ser-data/ravdess/Actor_1[56]/*.wav > val-tta6.jsonl
 * deno run --allow-read research/thresholds.ts val-tta6.jsonl
 * ```
 *
 * The emotion of a clip comes from its RAVDESS file name (third field).
 */
import { failAndExit } from "../lib/cli/args.ts";
import { EMOTION_LABELS } from "../lib/data/labels.ts";
import { acceptanceStats, chooseThresholds, type ScoredClip } from "../lib/journal/calibration.ts";
import { THRESHOLDS } from "../lib/journal/uncertainty.ts";

/** The clips of one `classify --json` output, labelled from their RAVDESS file names. */
export function scoredClips(text: string): ScoredClip[] {
  return text.trim().split("\n").filter((l) => l.trim()).map((line, i) => {
    const row = JSON.parse(line) as { file?: string; probabilities?: Record<string, number> };
    const name = row.file?.split("/").pop() ?? "";
    const code = Number(name.split("-")[2]);
    if (!row.probabilities || !Number.isInteger(code) || code < 1 || code > 8) {
      throw new RangeError(`Expected a RAVDESS clip with probabilities on line ${i + 1}`);
    }
    return { probabilities: row.probabilities, label: EMOTION_LABELS[code - 1] };
  });
}

if (import.meta.main) {
  try {
    if (Deno.args.length === 0) throw new RangeError("Expected classify --json output files");
    for (const path of Deno.args) {
      const clips = scoredClips(await Deno.readTextFile(path));
      const chosen = chooseThresholds(clips);
      const shipped = acceptanceStats(clips, THRESHOLDS);
      console.log(JSON.stringify({ file: path, chosen, shipped: { ...THRESHOLDS, ...shipped } }));
    }
  } catch (err) {
    failAndExit("research/thresholds.ts", err);
  }
}
