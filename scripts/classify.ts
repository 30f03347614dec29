/**
 * Classifies audio files with the full pipeline and a trained model (default: the shipped
 * one). One line per file; with `--json` exactly one JSON line per file:
 * `{ "file", "label", "confidence", "probabilities", "segments"? }`. Unreadable files get
 * a one-line reason on stderr, the others are still classified, and the exit code is 1.
 *
 * Usage: deno task classify [--json] [--model models/NAME] [--tta K] FILE...
 *
 * `--tta K` classifies each window also from K augmented copies (test-time augmentation,
 * `lib/model/tta.ts`; 0–6, default the model's own setting).
 */
import * as tf from "@tensorflow/tfjs";
import { decodeAudio } from "../lib/audio/wav.ts";
import { failAndExit, parseCli, parsedFlag, UsageError } from "../lib/cli/args.ts";
import { classifyRecording, loadEmotionModel } from "../lib/model/emotion_model.ts";
import { parseTtaCopies } from "../lib/model/tta.ts";

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    json: { type: "boolean", default: false },
    model: { type: "string" },
    tta: { type: "string" },
  }, true);
  if (positionals.length === 0) throw new UsageError("Give one or more audio files");
  const ttaCopies = values.tta === undefined
    ? undefined
    : parsedFlag("tta", values.tta, parseTtaCopies, 0);
  const model = await loadEmotionModel(values.model, { ttaCopies });
  let failures = 0;
  for (const file of positionals) {
    try {
      const { samples, sampleRateHz } = decodeAudio(await Deno.readFile(file));
      const result = classifyRecording(model, samples, sampleRateHz);
      if (values.json) {
        console.log(JSON.stringify({ file, ...result }));
      } else {
        const extra = result.segments ? `  (${result.segments.length} segments)` : "";
        console.log(`${file}  ${result.label}  ${(result.confidence * 100).toFixed(1)} %${extra}`);
      }
    } catch (err) {
      failures++;
      console.error(`classify: ${file}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return failures > 0 ? 1 : 0;
}

if (import.meta.main) {
  tf.enableProdMode();
  const code = await main(Deno.args).catch((err) => failAndExit("classify", err));
  Deno.exit(code);
}
