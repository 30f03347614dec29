/**
 * Prints the frame features of one audio file, computed on the file as it is: decoded,
 * downmixed and resampled to 16 kHz mono (librosa `kaiser_best`), with no normalisation,
 * trimming, padding or denoising, so the output can be compared with librosa on any
 * recording.
 *
 * Usage: deno task features [--json] FILE
 *
 * `--json` prints one line `{ "sampleRateHz": 16000, "frames": N, "rms": [...], "zcr": [...],
 * "mfcc": [[13 numbers] × N] }`; without it a short table for people. An unreadable or
 * undecodable file exits with status 1 and a one-line reason on stderr.
 */

import {
  AudioDecodeError,
  decodeAudio,
  type DecodedAudio,
  matrixColumn,
  mfcc,
  MODEL_SAMPLE_RATE_HZ,
  N_MFCC,
  resample,
  rms,
  zeroCrossingRate,
} from "../lib/audio/mod.ts";

/** The `--json` document. */
export interface FileFeatures {
  sampleRateHz: number;
  frames: number;
  rms: number[];
  zcr: number[];
  /** `frames` rows of 13 coefficients. */
  mfcc: number[][];
}

/** Significant digits printed: well inside the 2e-3 MFCC agreement with librosa. */
const DIGITS = 8;

function round(value: number): number {
  return Number(value.toPrecision(DIGITS));
}

/**
 * Features of already decoded audio at the model rate, librosa's conventions throughout
 * (see `lib/audio/features.ts`).
 */
export function fileFeatures(decoded: DecodedAudio): FileFeatures {
  const samples = resample(decoded.samples, decoded.sampleRateHz, MODEL_SAMPLE_RATE_HZ);
  const coefficients = mfcc(samples, { sampleRateHz: MODEL_SAMPLE_RATE_HZ });
  const rows: number[][] = [];
  for (let t = 0; t < coefficients.frames; t++) {
    rows.push(
      Array.from(coefficients.values.subarray(t * N_MFCC, (t + 1) * N_MFCC), round),
    );
  }
  return {
    sampleRateHz: MODEL_SAMPLE_RATE_HZ,
    frames: coefficients.frames,
    rms: Array.from(rms(samples), round),
    zcr: Array.from(zeroCrossingRate(samples), round),
    mfcc: rows,
  };
}

function summaryRow(name: string, values: ArrayLike<number>): string {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
    sum += values[i];
  }
  const cell = (v: number) => v.toPrecision(4).padStart(11);
  return `${name.padEnd(8)}${cell(sum / values.length)}${cell(min)}${cell(max)}`;
}

/** The human-readable table: what was decoded, then mean/min/max of every feature. */
export function formatTable(path: string, decoded: DecodedAudio, features: FileFeatures): string {
  const seconds = decoded.samples.length / decoded.sampleRateHz;
  const channels = `${decoded.channelCount} channel${decoded.channelCount === 1 ? "" : "s"}`;
  const lines = [
    `file      ${path}`,
    `decoded   ${decoded.container} ${decoded.encoding}, ${decoded.sampleRateHz} Hz, ${channels}, ` +
    `${seconds.toFixed(3)} s`,
    `features  ${features.frames} frames at ${features.sampleRateHz} Hz (n_fft 2048, hop 512)`,
    "",
    `${"".padEnd(8)}${"mean".padStart(11)}${"min".padStart(11)}${"max".padStart(11)}`,
    summaryRow("rms", features.rms),
    summaryRow("zcr", features.zcr),
  ];
  const flat = features.mfcc.flat();
  for (let k = 0; k < N_MFCC; k++) {
    lines.push(summaryRow(`mfcc${k}`, matrixColumn(flat, N_MFCC, k)));
  }
  return lines.join("\n");
}

function usage(): never {
  console.error("usage: deno task features [--json] FILE");
  Deno.exit(2);
}

async function main(args: string[]): Promise<void> {
  const json = args.includes("--json");
  const rest = args.filter((a) => a !== "--json");
  if (rest.length !== 1 || rest[0].startsWith("--")) usage();
  const path = rest[0];
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    console.error(`features: cannot read ${path}: ${(error as Error).message}`);
    Deno.exit(1);
  }
  let decoded: DecodedAudio;
  try {
    decoded = decodeAudio(bytes);
  } catch (error) {
    if (!(error instanceof AudioDecodeError)) throw error;
    console.error(`features: ${path} is not decodable audio (${error.code}): ${error.message}`);
    Deno.exit(1);
  }
  const features = fileFeatures(decoded);
  console.log(json ? JSON.stringify(features) : formatTable(path, decoded, features));
}

if (import.meta.main) await main(Deno.args);
