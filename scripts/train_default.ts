/**
 * Rebuilds the shipped model, `ens3-all` (`models/default`, `models/MODEL_CARD.md`), with one
 * command: its three networks trained by `train.ts` with the shipped recipe and seeds on every
 * voice (RAVDESS actors 1–20 and TESS, none held out, each network's last epoch kept), at most
 * `--jobs` at a time (longest first), then combined by `ensemble.ts`, with the wall time.
 * Last, the dense member over utterance functionals (`train_functionals.ts`, seeds 1–3, with the
 * same voices held out) goes to `<out>/functionals`, and the voice-referenced member
 * (`--voice`, `lib/model/voice_reference.ts`) to `<out>/functionals-voice`.
 * `--hold-out` trains the same recipe on the published speakers fold instead (actors 15–16
 * validation, 17–20 test, best-validation epochs; seed 1 ran 50 epochs there): `ens3-speakers`,
 * the ensemble whose accuracy on unseen voices the model card reports and whose validation
 * clips chose the "uncertain" thresholds.
 *
 * Usage:
 *   deno task train-default --ravdess DIR --tess DIR [--hold-out] [--out models/NAME]
 *     [--jobs N] [--epochs N]
 *
 * Each network goes to `models/<its name>` (next to `--out`; default `models/ens3-all`, with
 * `--hold-out` `models/ens3-speakers`), its `train.ts` output to
 * `.cache/train-logs/<its name>.log`. `--jobs` defaults to the number of cores (at most 3).
 * `--epochs N` trains every network N epochs instead of its own (for trials; the result is not
 * the shipped model). Runs are seeded, so on the same machine the ensemble's `weights.bin` is
 * the shipped one byte for byte. `--epochs` also sets the dense member's epochs. The last stdout line is JSON: the ensemble, each network's
 * minutes and best epoch, and the wall time. A network that fails stops the command (exit 1, its
 * log named) and no ensemble is written; networks already trained are kept.
 *
 * Features come from `.cache/features`; with a cold cache every network computes the ones it
 * misses, so a first run is faster with `--jobs 1` or after one `train.ts` run has filled it.
 */
import { VOICE_DIR } from "../lib/model/voice_reference.ts";
import { basename, dirname } from "node:path";
import { failAndExit, intFlag, parseCli, UsageError } from "../lib/cli/args.ts";
import { readModelConfig } from "../lib/model/model_files.ts";

/** The shipped recipe's `train.ts` flags, shared by the three networks. */
export const RECIPE_FLAGS: readonly string[] = [
  "--arch",
  "lstm",
  "--split",
  "speakers",
  "--augment",
  "6",
  "--augment-corpus",
  "ravdess",
  "--dropout",
  "0.3",
];

/** A network of an ensemble this command trains. */
export interface Member {
  name: string;
  seed: number;
  epochs: number;
}

/** One of the two ensembles: its networks (in its order, which `weights.bin` follows). */
export interface EnsembleRecipe {
  out: string;
  /** `train.ts` flags beyond {@link RECIPE_FLAGS}. */
  flags: readonly string[];
  members: readonly Member[];
}

/** The shipped ensemble: every voice trains, each network's last (30th) epoch is kept. */
export const DEFAULT_RECIPE: EnsembleRecipe = {
  out: "models/ens3-all",
  flags: ["--test-actors", "none", "--val-actors", "none"],
  members: [
    { name: "lstm-aug6-drop03-s3-all", seed: 3, epochs: 30 },
    { name: "lstm-aug6-drop03-s1-all", seed: 1, epochs: 30 },
    { name: "lstm-aug6-drop03-s5-all", seed: 5, epochs: 30 },
  ],
};

/** The same seeds on the published speakers fold, best-validation epochs (`--hold-out`). */
export const HELD_OUT_RECIPE: EnsembleRecipe = {
  out: "models/ens3-speakers",
  flags: [],
  members: [
    { name: "lstm-aug6-drop03-s3-speakers", seed: 3, epochs: 30 },
    { name: "lstm-aug6-drop03-speakers", seed: 1, epochs: 50 },
    { name: "lstm-aug6-drop03-s5-speakers", seed: 5, epochs: 30 },
  ],
};

const root = new URL("..", import.meta.url).pathname;
// What `deno task train` and `deno task ensemble` grant.
const CHILD_PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env", "--allow-sys"];
const minutes = (ms: number) => Math.round(ms / 600) / 100;

/** Runs `scripts/<script>` in a child Deno with its output written to `log` (or inherited). */
async function runScript(script: string, args: string[], log: string | null): Promise<void> {
  const file = log === null
    ? null
    : await Deno.open(log, { write: true, create: true, truncate: true });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...CHILD_PERMISSIONS,
        "--config",
        `${root}deno.json`,
        `${root}scripts/${script}`,
        ...args,
      ],
      stdin: "null",
      stdout: file === null ? "inherit" : "piped",
      stderr: file === null ? "inherit" : "piped",
    }).spawn();
    if (file !== null) {
      const pump = async (stream: ReadableStream<Uint8Array>) => {
        for await (let chunk of stream) {
          while (chunk.length > 0) chunk = chunk.subarray(await file.write(chunk));
        }
      };
      await Promise.all([pump(child.stdout), pump(child.stderr)]);
    }
    const status = await child.status;
    if (!status.success) {
      throw new Error(
        `${script} ${args.join(" ")} failed (exit ${status.code})${log ? `; see ${log}` : ""}`,
      );
    }
  } finally {
    file?.close();
  }
}

/** Runs `tasks` with at most `jobs` running at once, in the given order; the first error stops new starts. */
async function inParallel(tasks: (() => Promise<void>)[], jobs: number): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null && next < tasks.length) {
      const task = tasks[next++];
      try {
        await task();
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  if (failure !== null) throw failure;
}

async function main(argv: string[]) {
  const { values } = parseCli(argv, {
    ravdess: { type: "string" },
    tess: { type: "string" },
    out: { type: "string" },
    jobs: { type: "string" },
    epochs: { type: "string" },
    "hold-out": { type: "boolean", default: false },
  });
  const recipe = values["hold-out"] ? HELD_OUT_RECIPE : DEFAULT_RECIPE;
  if (!values.ravdess) throw new UsageError("Give --ravdess DIR (and --tess DIR)");
  for (const [flag, dir] of [["ravdess", values.ravdess], ["tess", values.tess]] as const) {
    if (dir === undefined) continue;
    const info = await Deno.stat(dir).catch(() => null);
    if (!info?.isDirectory) throw new UsageError(`--${flag} ${dir} is not a folder`);
  }
  const out = values.out ?? recipe.out;
  const jobs = intFlag("jobs", values.jobs, Math.min(3, navigator.hardwareConcurrency || 1));
  if (jobs < 1) throw new UsageError(`Expected --jobs to be at least 1, but got ${jobs}`);
  const epochsOverride = values.epochs === undefined ? null : intFlag("epochs", values.epochs, 0);
  if (epochsOverride === 0) throw new UsageError("Expected --epochs to be at least 1, but got 0");
  const modelsDir = dirname(out);
  const corpora = ["--ravdess", values.ravdess, ...(values.tess ? ["--tess", values.tess] : [])];
  await Deno.mkdir(".cache/train-logs", { recursive: true });

  const started = performance.now();
  const memberMs = new Map<string, number>();
  // Longest first, so the last network to start is a short one.
  const order = [...recipe.members].sort((a, b) => b.epochs - a.epochs);
  await inParallel(
    order.map((m) => async () => {
      const epochs = epochsOverride ?? m.epochs;
      const log = `.cache/train-logs/${m.name}.log`;
      console.error(`train-default: ${m.name} (seed ${m.seed}, ${epochs} epochs) → ${log}`);
      const t0 = performance.now();
      await runScript("train.ts", [
        ...corpora,
        ...RECIPE_FLAGS,
        ...recipe.flags,
        "--epochs",
        String(epochs),
        "--seed",
        String(m.seed),
        "--out",
        `${modelsDir}/${m.name}`,
      ], log);
      memberMs.set(m.name, performance.now() - t0);
      console.error(`train-default: ${m.name} done in ${minutes(performance.now() - t0)} min`);
    }),
    jobs,
  );
  await runScript(
    "ensemble.ts",
    ["--out", out, ...recipe.members.map((m) => `${modelsDir}/${m.name}`)],
    null,
  );
  // The dense member, with the same voices held out: the recipe's held-out flags mean the same
  // to `train_functionals.ts` (and their absence the same default fold).
  await runScript("train_functionals.ts", [
    ...corpora,
    ...recipe.flags,
    ...(epochsOverride === null ? [] : ["--epochs", String(epochsOverride)]),
    "--out",
    `${out}/functionals`,
  ], `.cache/train-logs/${basename(out)}-functionals.log`);
  // And the voice-referenced member, for people whose journal gives a voice reference.
  await runScript("train_functionals.ts", [
    ...corpora,
    ...recipe.flags,
    "--voice",
    ...(epochsOverride === null ? [] : ["--epochs", String(epochsOverride)]),
    "--out",
    `${out}/${VOICE_DIR}`,
  ], `.cache/train-logs/${basename(out)}-functionals-voice.log`);
  const wallMs = performance.now() - started;
  const members = [];
  for (const m of recipe.members) {
    const config = await readModelConfig(`${modelsDir}/${m.name}`);
    members.push({
      name: m.name,
      seed: config.seed,
      epochs: config.epochs,
      bestEpoch: config.bestEpoch,
      minutes: minutes(memberMs.get(m.name)!),
    });
  }
  console.log(JSON.stringify({ model: out, jobs, members, wallMinutes: minutes(wallMs) }));
}

if (import.meta.main) {
  await main(Deno.args).catch((err) => failAndExit("train-default", err));
}
