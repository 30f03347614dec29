/**
 * The training and evaluation CLIs end to end on a tiny generated corpus in the RAVDESS
 * layout (20 actors × 8 emotions, tones whose pitch and loudness contour depend on the
 * emotion): outputs, seeded reproducibility, resuming, evaluation reports.
 */
import assert from "node:assert/strict";
import { encodeWav } from "../lib/audio/encode.ts";
import { seededRandom } from "../lib/audio/synth.ts";
import { loadEmotionModel } from "../lib/model/emotion_model.ts";
import { liveModelOf } from "../lib/streaming/recording.ts";

const root = new URL("..", import.meta.url).pathname;

async function makeCorpus(dir: string) {
  const random = seededRandom(5);
  for (let actor = 1; actor <= 20; actor++) {
    const folder = `${dir}/ravdess/Actor_${String(actor).padStart(2, "0")}`;
    await Deno.mkdir(folder, { recursive: true });
    for (let emotion = 1; emotion <= 8; emotion++) {
      const n = 12000;
      const f0 = 120 + 40 * emotion + 10 * (actor % 3);
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const envelope = Math.sin(Math.PI * i / n) ** (emotion % 3 + 1);
        x[i] = 0.5 * envelope * Math.sin(2 * Math.PI * f0 * i / 16000) +
          0.01 * (random() - 0.5);
      }
      const name = `03-01-${String(emotion).padStart(2, "0")}-01-01-01-${
        String(actor).padStart(2, "0")
      }.wav`;
      await Deno.writeFile(`${folder}/${name}`, encodeWav(x, 16000));
    }
  }
}

/** `script` run with `args` in `cwd`: its exit code, stdout and stderr. */
async function spawn(script: string, args: string[], cwd: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${root}deno.json`, `${root}scripts/${script}`, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function run(script: string, args: string[], cwd: string) {
  const { code, stdout, stderr } = await spawn(script, args, cwd);
  if (code !== 0) throw new Error(`${script} failed (${code}): ${stderr}`);
  return { stdout, stderr };
}

/** `script` run with `args` in `cwd`, expected to fail: its exit code and stderr. */
async function runFailing(script: string, args: string[], cwd: string) {
  const { code, stderr } = await spawn(script, args, cwd);
  return { code, stderr };
}

/** A test over a fresh generated corpus in a temporary folder (removed afterwards). */
function corpusTest(name: string, fn: (dir: string) => Promise<void>) {
  Deno.test({
    name,
    sanitizeResources: false,
    async fn() {
      const dir = await Deno.makeTempDir();
      try {
        await makeCorpus(dir);
        await fn(dir);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

/** `eval.ts --json` on a model of the corpus in `dir`: its last output line. */
async function evalReport(model: string, dir: string, extra: string[] = []) {
  const { stdout } = await run(
    "eval.ts",
    ["--model", model, "--ravdess", `${dir}/ravdess`, "--json", ...extra],
    dir,
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

corpusTest(
  "train: seeded runs repeat, a resumed run continues, eval writes its report",
  async (dir) => {
    const common = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--seed", "3"];
    await run("train.ts", [...common, "--epochs", "2", "--out", "models/a"], dir);
    await run("train.ts", [...common, "--epochs", "2", "--out", "models/b"], dir);
    const historyA = JSON.parse(await Deno.readTextFile(`${dir}/models/a/history.json`));
    const historyB = JSON.parse(await Deno.readTextFile(`${dir}/models/b/history.json`));
    assert.equal(historyA.length, 2);
    const figures = (h: { loss: number; valAccuracy: number }[]) =>
      h.map((r) => [r.loss, r.valAccuracy]);
    assert.deepEqual(figures(historyA), figures(historyB), "same seed, same run");
    for (const f of ["model.json", "weights.bin", "labels.json", "config.json", "split.json"]) {
      await Deno.stat(`${dir}/models/a/${f}`);
    }
    const split = JSON.parse(await Deno.readTextFile(`${dir}/models/a/split.json`));
    assert.equal(split.test.length, 4 * 8, "actors 17–20 are the test set");
    assert.ok(
      split.test.every((e: { speaker: string }) => /Actor_(17|18|19|20)/.test(e.speaker)),
    );

    const resumed = await run(
      "train.ts",
      [...common, "--epochs", "3", "--out", "models/a", "--resume"],
      dir,
    );
    assert.match(resumed.stderr, /resuming after epoch 2/);
    const history = JSON.parse(await Deno.readTextFile(`${dir}/models/a/history.json`));
    assert.deepEqual(history.map((r: { epoch: number }) => r.epoch), [1, 2, 3]);
    assert.deepEqual(figures(history.slice(0, 2)), figures(historyA));

    const report = await evalReport("models/a", dir);
    assert.ok(report.testAccuracy >= 0 && report.testAccuracy <= 1);
    assert.deepEqual(report.testByCorpus, {
      ravdess: { clips: 32, accuracy: report.testAccuracy },
    });
    const [lo, hi] = report.testAccuracyCi95;
    assert.ok(lo < report.testAccuracy + 1e-12 && report.testAccuracy < hi + 1e-12, `${lo} ${hi}`);
    assert.ok(hi - lo > 0.2, "32 clips leave a wide interval");
    for (
      const f of [
        "metrics.json",
        "loss.svg",
        "accuracy.svg",
        "confusion_val.svg",
        "confusion_test.svg",
        "per_emotion_test.svg",
      ]
    ) {
      await Deno.stat(`${dir}/reports/a/${f}`);
    }
    const metrics = JSON.parse(await Deno.readTextFile(`${dir}/reports/a/metrics.json`));
    const total = metrics.test.confusion.flat().reduce((a: number, b: number) => a + b, 0);
    assert.equal(total, 32);
  },
);

corpusTest(
  "train and eval with --normalise speaker: per-speaker statistics, refused for classifying",
  async (dir) => {
    const args = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--seed", "3"];
    const trained = await run(
      "train.ts",
      [...args, "--normalise", "speaker", "--epochs", "1", "--out", "models/s"],
      dir,
    );
    assert.match(trained.stderr, /speaker statistics: 14 training, 2 validation speakers/);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/models/s/config.json`));
    assert.equal(config.input.normalisation, "speaker");
    const report = await evalReport("models/s", dir);
    assert.ok(report.testAccuracy >= 0 && report.testAccuracy <= 1);
    assert.deepEqual(report.testByCorpus, {
      ravdess: { clips: 32, accuracy: report.testAccuracy },
    });
    const [lo, hi] = report.testAccuracyCi95;
    assert.ok(lo < report.testAccuracy + 1e-12 && report.testAccuracy < hi + 1e-12, `${lo} ${hi}`);
    assert.ok(hi - lo > 0.2, "32 clips leave a wide interval");
    await assert.rejects(
      run("classify.ts", [
        "--model",
        "models/s",
        `${dir}/ravdess/Actor_01/03-01-01-01-01-01-01.wav`,
      ], dir),
      /uses normalisation "speaker"/,
    );
  },
);

corpusTest(
  "ensemble: two seeds as one model that eval, classify and distillation use; mismatches refused",
  async (dir) => {
    const args = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--epochs", "1"];
    await run("train.ts", [...args, "--seed", "3", "--out", "models/e1"], dir);
    await run(
      "train.ts",
      [...args, "--seed", "4", "--dropout", "0.3", "--units", "8", "--out", "models/e2"],
      dir,
    );
    // A narrower member: its config and weights say 8 units, and the ensemble takes it.
    assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/models/e2/config.json`)).units, 8);
    const e2 = JSON.parse(await Deno.readTextFile(`${dir}/models/e2/model.json`));
    assert.deepEqual(
      e2.weightsManifest[0].weights.slice(0, 3).map((w: { shape: number[] }) => w.shape),
      [[15, 32], [8, 32], [32]],
    );
    const made = await run(
      "ensemble.ts",
      ["--out", "models/both", "models/e1", "models/e2"],
      dir,
    );
    assert.match(made.stdout, /"members":2/);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/models/both/config.json`));
    assert.deepEqual(config.members.map((m: { seed: number }) => m.seed), [3, 4]);
    assert.equal(
      await Deno.readTextFile(`${dir}/models/both/split.json`),
      await Deno.readTextFile(`${dir}/models/e1/split.json`),
    );

    const clip = `${dir}/ravdess/Actor_18/03-01-05-01-01-01-18.wav`;
    const probabilities = async (model: string, extra: string[] = []) => {
      const { stdout } = await run(
        "classify.ts",
        ["--json", "--model", model, ...extra, clip],
        dir,
      );
      return JSON.parse(stdout.trim()).probabilities as Record<string, number>;
    };
    const [p1, p2, both] = await Promise.all(
      ["models/e1", "models/e2", "models/both"].map((m) => probabilities(m)),
    );
    for (const label of Object.keys(both)) {
      assert.ok(Math.abs(both[label] - (p1[label] + p2[label]) / 2) < 1e-5, label);
    }

    const report = await evalReport("models/both", dir);
    assert.ok(report.testAccuracy >= 0 && report.testAccuracy <= 1);
    assert.deepEqual(report.testByCorpus, {
      ravdess: { clips: 32, accuracy: report.testAccuracy },
    });
    const [lo, hi] = report.testAccuracyCi95;
    assert.ok(lo < report.testAccuracy + 1e-12 && report.testAccuracy < hi + 1e-12, `${lo} ${hi}`);
    assert.ok(hi - lo > 0.2, "32 clips leave a wide interval");
    await Deno.stat(`${dir}/reports/both/confusion_test.svg`);
    const metrics = JSON.parse(await Deno.readTextFile(`${dir}/reports/both/metrics.json`));
    assert.deepEqual(metrics.members.map((m: { name: string }) => m.name), ["e1", "e2"]);
    assert.equal(metrics.bestEpoch, undefined);
    await assert.rejects(Deno.stat(`${dir}/reports/both/loss.svg`), Deno.errors.NotFound);

    // The ensemble as a teacher: a student trained on its soft targets.
    const student = await run(
      "train.ts",
      [...args, "--seed", "5", "--teacher", "models/both", "--out", "models/student"],
      dir,
    );
    assert.match(
      student.stderr,
      /teacher both: agrees with \d+ of 112 training labels, weight 0.5/,
    );
    const studentConfig = JSON.parse(
      await Deno.readTextFile(`${dir}/models/student/config.json`),
    );
    assert.deepEqual(studentConfig.teacher, { name: "both", weight: 0.5 });
    await assert.rejects(
      run(
        "train.ts",
        ["--ravdess", `${dir}/ravdess`, "--epochs", "1", "--teacher", "models/both"],
        dir,
      ),
      /train: Expected the teacher to hold out this run's val clips, but models\/both has other val clips/,
    );
    await assert.rejects(
      run("train.ts", [...args, "--teacher", "models/both", "--teacher-weight", "2"], dir),
      /Expected --teacher-weight in \[0, 1\], but got "2"/,
    );
    await assert.rejects(
      run("train.ts", [...args, "--teacher-weight", "0.5"], dir),
      /--teacher-weight needs --teacher models\/NAME/,
    );

    // A member evaluated on other clips cannot join: its test set may hold the others' training.
    await Deno.mkdir(`${dir}/models/e3`);
    for (const f of ["model.json", "weights.bin", "labels.json", "config.json", "split.json"]) {
      await Deno.copyFile(`${dir}/models/e2/${f}`, `${dir}/models/e3/${f}`);
    }
    const split = JSON.parse(await Deno.readTextFile(`${dir}/models/e3/split.json`));
    split.test.pop();
    await Deno.writeTextFile(`${dir}/models/e3/split.json`, JSON.stringify(split));
    await assert.rejects(
      run("ensemble.ts", ["--out", "models/bad", "models/e1", "models/e3"], dir),
      /ensemble: Expected every member to have the split.json of models\/e1, but models\/e3 differs/,
    );
    // An ensemble given as a member adds its members.
    const grown = await run(
      "ensemble.ts",
      ["--out", "models/grown", "models/both", "models/e1"],
      dir,
    );
    assert.match(grown.stdout, /"members":3/);
    const grownConfig = JSON.parse(await Deno.readTextFile(`${dir}/models/grown/config.json`));
    assert.deepEqual(grownConfig.members.map((m: { name: string }) => m.name), ["e1", "e2", "e1"]);
    const [q1, q2, q3] = await Promise.all(
      ["models/e1", "models/e2", "models/grown"].map((m) => probabilities(m)),
    );
    for (const label of Object.keys(q3)) {
      assert.ok(Math.abs(q3[label] - (2 * q1[label] + q2[label]) / 3) < 1e-5, label);
    }

    // Test-time augmentation: refused for networks trained without copies (it hurts them); with
    // copies in training, classify and eval also score augmented copies when asked.
    await assert.rejects(
      run("classify.ts", ["--model", "models/both", "--tta", "2", clip], dir),
      /classify: Expected a model trained on augmented copies for test-time augmentation/,
    );
    await run("train.ts", [...args, "--seed", "5", "--augment", "1", "--out", "models/aug"], dir);
    const [plain, copies] = await Promise.all([
      probabilities("models/aug", ["--tta", "0"]),
      probabilities("models/aug", ["--tta", "2"]),
    ]);
    assert.notDeepEqual(copies, plain);
    await assert.rejects(
      run("classify.ts", ["--model", "models/aug", "--tta", "9", clip], dir),
      /classify: --tta: Expected test-time augmentation copies to be a whole number from 0 to 6, but got 9/,
    );
    const ttaReport = await evalReport("models/aug", dir, ["--tta", "2"]);
    assert.equal(ttaReport.ttaCopies, 2);
    assert.equal(ttaReport.report, "reports/aug-tta2");
    assert.equal(report.ttaCopies, 0);
    await assert.rejects(
      run("ensemble.ts", ["--out", "models/bad", "models/e1"], dir),
      /at least 2 member model folders, but got 1/,
    );
  },
);

corpusTest(
  "train --average-from writes the mean of the last epochs' weights as NAME-avg",
  async (dir) => {
    const args = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--seed", "3"];
    const { stderr } = await run(
      "train.ts",
      [...args, "--epochs", "3", "--average-from", "2", "--out", "models/w"],
      dir,
    );
    assert.match(stderr, /weights averaged over 2 epochs: val_loss [\d.]+ {2}val_acc [\d.]+/);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/models/w-avg/config.json`));
    assert.equal(config.name, "w-avg");
    assert.equal(config.averagedFrom.epoch, 2);
    assert.equal(config.averagedFrom.epochs, 2);
    const weights = async (m: string) => await Deno.readFile(`${dir}/models/${m}/weights.bin`);
    const [best, averaged] = [await weights("w"), await weights("w-avg")];
    assert.equal(best.length, averaged.length);
    assert.notDeepEqual(best, averaged);
    const report = await evalReport("models/w-avg", dir);
    assert.ok(Math.abs(report.valAccuracy - config.averagedFrom.valAccuracy) < 1e-9);
    await assert.rejects(
      run("train.ts", [...args, "--average-from", "2", "--resume", "--out", "models/w"], dir),
      /--average-from cannot be resumed/,
    );
  },
);

corpusTest("train --mask masks features during training only", async (dir) => {
  const args = [
    "--ravdess",
    `${dir}/ravdess`,
    "--split",
    "speakers",
    "--seed",
    "3",
    "--epochs",
    "1",
  ];
  await run("train.ts", [...args, "--out", "models/plain"], dir);
  await run("train.ts", [...args, "--mask", "--out", "models/masked"], dir);
  const read = async (m: string, f: string) =>
    JSON.parse(await Deno.readTextFile(`${dir}/models/${m}/${f}`));
  const config = await read("masked", "config.json");
  assert.deepEqual(config.mask, { timeMasks: 2, maxFrames: 10, featureMasks: 1, maxFeatures: 2 });
  assert.equal((await read("plain", "config.json")).mask, undefined);
  const [plain] = await read("plain", "history.json");
  const [masked] = await read("masked", "history.json");
  assert.notEqual(masked.loss, plain.loss, "masked batches train differently");
});

corpusTest(
  "train --mixup --lr-schedule cosine: blended batches and a falling learning rate, recorded",
  async (dir) => {
    const args = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--seed", "3"];
    const flags = ["--mixup", "0.4", "--lr-schedule", "cosine"];
    await run("train.ts", [...args, "--epochs", "2", "--out", "models/plain"], dir);
    await run("train.ts", [...args, "--epochs", "2", ...flags, "--out", "models/mix"], dir);
    const read = async (m: string, f: string) =>
      JSON.parse(await Deno.readTextFile(`${dir}/models/${m}/${f}`));
    const config = await read("mix", "config.json");
    assert.equal(config.mixup, 0.4);
    assert.equal(config.learningRateSchedule, "cosine");
    const plainConfig = await read("plain", "config.json");
    assert.equal(plainConfig.mixup, undefined);
    assert.equal(plainConfig.learningRateSchedule, undefined);
    const history = await read("mix", "history.json");
    assert.deepEqual(history.map((r: { learningRate: number }) => r.learningRate), [0.001, 0.0005]);
    const plain = await read("plain", "history.json");
    assert.equal(plain[0].learningRate, undefined);
    assert.notEqual(history[0].loss, plain[0].loss, "blended batches train differently");
    // The model is an ordinary one for eval.
    const report = await evalReport("models/mix", dir);
    assert.equal(report.valAccuracy, history[config.bestEpoch - 1].valAccuracy);
    // A checkpoint made without mixup does not resume with it.
    await assert.rejects(
      run(
        "train.ts",
        [...args, "--epochs", "3", ...flags, "--out", "models/plain", "--resume"],
        dir,
      ),
      /made with other settings/,
    );
    for (
      const [bad, message] of [
        [["--mixup", "0"], /Expected --mixup in \(0, 10\], but got "0"/],
        [["--lr-schedule", "step"], /Expected --lr-schedule constant\|cosine, but got "step"/],
      ] as const
    ) {
      await assert.rejects(run("train.ts", [...args, "--epochs", "1", ...bad], dir), message);
    }
  },
);

corpusTest("train --test-actors --val-actors: another fold of unseen speakers", async (dir) => {
  const args = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--seed", "3"];
  const fold = ["--test-actors", "1-4", "--val-actors", "5,6"];
  await run("train.ts", [...args, "--epochs", "1", ...fold, "--out", "models/f"], dir);
  const read = async (f: string) => JSON.parse(await Deno.readTextFile(`${dir}/models/f/${f}`));
  const config = await read("config.json");
  assert.deepEqual(config.heldOutActors, { test: ["1", "2", "3", "4"], val: ["5", "6"] });
  const split = await read("split.json");
  const speakers = (xs: { speaker: string }[]) => [...new Set(xs.map((x) => x.speaker))].sort();
  assert.deepEqual(speakers(split.test), ["Actor_01", "Actor_02", "Actor_03", "Actor_04"]);
  assert.deepEqual(speakers(split.val), ["Actor_05", "Actor_06"]);
  const report = await evalReport("models/f", dir);
  assert.equal(report.testAccuracyCi95 !== undefined, true);
  assert.equal(
    JSON.parse(await Deno.readTextFile(`${dir}/reports/f/metrics.json`)).test.clips,
    32,
    "4 actors × 8 clips",
  );
  for (
    const [bad, message] of [
      [["--test-actors", "1-4"], /Give both --test-actors and --val-actors, or neither/],
      [[...fold, "--split", "random"], /--test-actors and --val-actors need --split speakers/],
      [["--test-actors", "1-4", "--val-actors", "4-5"], /apart, but both have 4/],
      [["--test-actors", "1-30", "--val-actors", "5"], /from 1 to 24 in increasing ranges/],
    ] as const
  ) {
    await assert.rejects(run("train.ts", [...args, "--epochs", "1", ...bad], dir), message);
  }
});

corpusTest(
  "train --test-actors none --val-actors none: every voice trains, the last epoch is kept",
  async (dir) => {
    const args = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--seed", "3"];
    const all = ["--test-actors", "none", "--val-actors", "none"];
    const first = await run(
      "train.ts",
      [...args, "--epochs", "1", ...all, "--out", "models/all"],
      dir,
    );
    assert.match(first.stderr, /160 clips: 160 train, 0 validation, 0 test/);
    assert.match(first.stderr, /epoch 1\/1 .* no validation clips .*\(saved\)/);
    await run(
      "train.ts",
      [...args, "--epochs", "2", ...all, "--out", "models/all", "--resume"],
      dir,
    );
    const read = async (f: string) => JSON.parse(await Deno.readTextFile(`${dir}/models/all/${f}`));
    const config = await read("config.json");
    assert.deepEqual(config.heldOutActors, { test: [], val: [] });
    assert.deepEqual(config.counts, { train: 160, val: 0, test: 0 });
    assert.equal(config.bestEpoch, 2, "the last epoch is kept");
    const history = await read("history.json");
    assert.deepEqual(history.map((r: { valAccuracy: number | null }) => r.valAccuracy), [
      null,
      null,
    ]);
    assert.deepEqual(await read("split.json"), { roots: ["ravdess"], val: [], test: [] });
    // The saved model is the last epoch's: the same weights as the checkpoint of epoch 2.
    const saved = await Deno.readFile(`${dir}/models/all/weights.bin`);
    const checkpoint = await Deno.readFile(`${dir}/.cache/checkpoints/all/weights.bin`);
    assert.deepEqual(saved, checkpoint);
    await assert.rejects(
      evalReport("models/all", dir),
      /holds out no test clips \(it trained on every voice\), so it cannot be evaluated/,
    );
    await assert.rejects(
      run("train.ts", [...args, "--epochs", "1", ...all, "--average-from", "1"], dir),
      /--average-from needs validation actors/,
    );
  },
);

/**
 * Trains one epoch with `flags` into `models/NAME` and checks that the model reads `columns`
 * features per frame and that eval and file classification take it; returns its config.
 */
async function trainWithFeatureSet(
  dir: string,
  flags: string[],
  name: string,
  columns: number,
): Promise<{ input: { mfcc?: number; pitch?: boolean } }> {
  const args = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--seed", "3"];
  await run("train.ts", [...args, "--epochs", "1", ...flags, "--out", `models/${name}`], dir);
  const topology = JSON.parse(await Deno.readTextFile(`${dir}/models/${name}/model.json`));
  const inputLayer = topology.modelTopology.config.layers[0];
  assert.deepEqual(inputLayer.config.batch_input_shape, [null, 94, columns]);
  const report = await evalReport(`models/${name}`, dir);
  assert.ok(report.testAccuracy >= 0 && report.testAccuracy <= 1);
  const clip = `${dir}/ravdess/Actor_01/03-01-05-01-01-01-01.wav`;
  const { stdout } = await run("classify.ts", ["--json", "--model", `models/${name}`, clip], dir);
  const line = JSON.parse(stdout.trim());
  assert.equal(Object.keys(line.probabilities).length, 8);
  return JSON.parse(await Deno.readTextFile(`${dir}/models/${name}/config.json`));
}

corpusTest(
  "train --mfcc 20: 22 columns per frame, for eval, file classification and live",
  async (dir) => {
    const config = await trainWithFeatureSet(dir, ["--mfcc", "20"], "m", 22);
    assert.equal(config.input.mfcc, 20);
    const model = await loadEmotionModel(`${dir}/models/m`);
    assert.equal(liveModelOf(model).nMfcc, 20);
    await assert.rejects(
      run("train.ts", ["--ravdess", `${dir}/ravdess`, "--epochs", "1", "--mfcc", "0"], dir),
      /Expected --mfcc from 1 to 128, but got 0/,
    );
  },
);

corpusTest(
  "train --speed --keep-tempo: voice-shifted copies, recorded in config.json",
  async (dir) => {
    const args = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--epochs", "1"];
    const wide = [...args, "--augment", "1", "--speed", "0.8-1.25", "--keep-tempo"];
    await run("train.ts", [...wide, "--out", "models/v"], dir);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/models/v/config.json`));
    assert.deepEqual(config.augmentSpeeds, { slow: 0.8, fast: 1.25 });
    assert.equal(config.augmentKeepTempo, true);
    assert.equal(config.augmentCopies, 1);
    // The checkpoint remembers the augmentation: resuming with other copies is refused.
    await assert.rejects(
      run("train.ts", [...args, "--augment", "1", "--resume", "--out", "models/v"], dir),
      /made with other settings/,
    );
  },
);

corpusTest("train --pitch: 17 columns per frame, for eval and file classification", async (dir) => {
  const config = await trainWithFeatureSet(dir, ["--pitch"], "p", 17);
  assert.equal(config.input.pitch, true);
});

corpusTest(
  "train --standardise: the saved model reads raw features and scores what training saw",
  async (dir) => {
    const args = ["--ravdess", `${dir}/ravdess`, "--split", "speakers", "--seed", "3"];
    await run("train.ts", [...args, "--epochs", "3", "--standardise", "--out", "models/s"], dir);
    const config = JSON.parse(await Deno.readTextFile(`${dir}/models/s/config.json`));
    assert.equal(config.input.normalisation, "none", "the model reads raw features");
    assert.equal(config.standardisedWith.mean.length, 15);
    assert.ok(config.standardisedWith.std.every((s: number) => s > 0));
    // The model on disk has the scaler folded in: evaluated on raw features it scores the
    // validation accuracy that training measured on standardised ones.
    const history = JSON.parse(await Deno.readTextFile(`${dir}/models/s/history.json`));
    const best = history.find((r: { epoch: number }) => r.epoch === config.bestEpoch);
    const report = await evalReport("models/s", dir);
    assert.equal(report.valAccuracy, best.valAccuracy);
    const resumed = await run(
      "train.ts",
      [...args, "--epochs", "4", "--standardise", "--out", "models/s", "--resume"],
      dir,
    );
    assert.match(resumed.stderr, /resuming after epoch 3/);
    await assert.rejects(
      run("train.ts", [...args, "--epochs", "1", "--standardise", "--normalise", "utterance"], dir),
      /--standardise works on raw features/,
    );
  },
);

/** `train` run with `args` from the project root: its exit code and stderr. */
async function trainFails(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}scripts/train.ts`, ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("train refuses a wrong command line with a one-line reason", async () => {
  const arch = await trainFails(["--ravdess", "/nowhere", "--arch", "gru"]);
  assert.equal(arch.code, 2);
  assert.match(arch.stderr, /^train: Expected --arch lstm\|bilstm\|lstm-pool, but got "gru"\n$/);
  const units = await trainFails(["--ravdess", "/nowhere", "--units", "0"]);
  assert.equal(units.code, 2);
  assert.match(units.stderr, /^train: Expected --units from 1 to 512, but got 0\n$/);
  const speed = await trainFails(["--ravdess", "/nowhere", "--augment", "2", "--speed", "2-3"]);
  assert.equal(speed.code, 2);
  assert.match(speed.stderr, /^train: --speed: Expected a slowest speed in .*2-3\n$/);
  const alone = await trainFails(["--ravdess", "/nowhere", "--keep-tempo"]);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /^train: --keep-tempo needs --augment K\n$/);
});

corpusTest(
  "train-default trains the shipped ensemble's three networks and combines them",
  async (dir) => {
    const { stdout } = await run(
      "train_default.ts",
      ["--ravdess", `${dir}/ravdess`, "--epochs", "1", "--jobs", "2", "--out", "models/ens"],
      dir,
    );
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.model, "models/ens");
    assert.equal(summary.jobs, 2);
    assert.deepEqual(
      summary.members.map((m: { name: string; seed: number; epochs: number }) => [
        m.name,
        m.seed,
        m.epochs,
      ]),
      [
        ["lstm-aug6-drop03-s3-all", 3, 1],
        ["lstm-aug6-drop03-s1-all", 1, 1],
        ["lstm-aug6-drop03-s5-all", 5, 1],
      ],
    );
    assert.ok(summary.wallMinutes > 0);
    for (const m of summary.members) {
      const config = JSON.parse(await Deno.readTextFile(`${dir}/models/${m.name}/config.json`));
      assert.equal(config.augmentCopies, 6);
      assert.equal(config.augmentCorpus, "ravdess");
      assert.equal(config.dropout, 0.3);
      assert.equal(config.protocol, "speakers");
      assert.deepEqual(config.heldOutActors, { test: [], val: [] }, "every voice trains");
      assert.deepEqual(config.counts, { train: 160, val: 0, test: 0 });
      assert.match(await Deno.readTextFile(`${dir}/.cache/train-logs/${m.name}.log`), /epoch/i);
    }
    const ensemble = JSON.parse(await Deno.readTextFile(`${dir}/models/ens/config.json`));
    assert.deepEqual(
      ensemble.members.map((m: { name: string }) => m.name),
      summary.members.map((m: { name: string }) => m.name),
    );
    // The ensemble's weights are its members' weights in that order.
    const parts = await Promise.all(
      summary.members.map((m: { name: string }) =>
        Deno.readFile(`${dir}/models/${m.name}/weights.bin`)
      ),
    );
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) joined.set(p, (at += p.length) - p.length);
    assert.deepEqual(await Deno.readFile(`${dir}/models/ens/weights.bin`), joined);
    // The dense member, on every voice too, loaded with the ensemble.
    const dense = JSON.parse(await Deno.readTextFile(`${dir}/models/ens/functionals/config.json`));
    assert.deepEqual(dense.heldOutActors, { test: [], val: [] });
    assert.deepEqual([dense.epochs, dense.seeds, dense.trainClips], [1, [1, 2, 3], 160]);
    assert.ok((await loadEmotionModel(`${dir}/models/ens`)).functionals);
    // And the voice-referenced member beside it.
    const voice = JSON.parse(
      await Deno.readTextFile(`${dir}/models/ens/functionals-voice/config.json`),
    );
    assert.equal(voice.reference, "speaker-mean");
    assert.equal(voice.lstmReference, 1, "the LSTMs' leaning is divided out");
    assert.equal(voice.mix, "geometric", "mixed by the geometric mean");
    assert.deepEqual([voice.epochs, voice.trainClips], [1, 160]);
    assert.ok((await loadEmotionModel(`${dir}/models/ens`)).voice);

    // --hold-out: the same seeds on the published fold, whose test voices stay unheard.
    const held = await run(
      "train_default.ts",
      ["--ravdess", `${dir}/ravdess`, "--epochs", "1", "--jobs", "3", "--hold-out"],
      dir,
    );
    const heldSummary = JSON.parse(held.stdout.trim().split("\n").at(-1)!);
    assert.equal(heldSummary.model, "models/ens3-speakers");
    assert.deepEqual(
      heldSummary.members.map((m: { name: string }) => m.name),
      ["lstm-aug6-drop03-s3-speakers", "lstm-aug6-drop03-speakers", "lstm-aug6-drop03-s5-speakers"],
    );
    const heldConfig = JSON.parse(
      await Deno.readTextFile(`${dir}/models/ens3-speakers/config.json`),
    );
    assert.deepEqual(heldConfig.counts, { train: 112, val: 16, test: 32 });
    const heldDense = JSON.parse(
      await Deno.readTextFile(`${dir}/models/ens3-speakers/functionals/config.json`),
    );
    assert.deepEqual(heldDense.heldOutActors, {
      test: ["17", "18", "19", "20"],
      val: ["15", "16"],
    });
    assert.equal(heldDense.trainClips, 112);
  },
);

corpusTest(
  "train-functionals: folds report, a dense member eval mixes in, mismatched voices refused",
  async (dir) => {
    const corpus = ["--ravdess", `${dir}/ravdess`];
    const folds = async (report: string, extra: string[] = []) => {
      await run("train_functionals.ts", [
        ...corpus,
        ...extra,
        "--folds",
        "--augment",
        "0",
        "--epochs",
        "20",
        "--units",
        "16",
        "--report",
        report,
      ], dir);
      return await Deno.readTextFile(`${dir}/${report}`);
    };
    const text = await folds("a.json");
    assert.equal(await folds("b.json"), text, "seeded: the same report twice");
    const report = JSON.parse(text);
    assert.equal(report.folds.length, 5);
    assert.equal(report.testClips, 5 * 4 * 8);
    assert.ok([10, 20].includes(report.chosenEpochs));
    // The chosen count is the one with the best mean validation accuracy (the first on ties).
    const meanVal: [string, number][] = Object.entries(report.meanValAccuracy);
    const best = Math.max(...meanVal.map(([, v]) => v));
    assert.equal(report.chosenEpochs, Number(meanVal.find(([, v]) => v === best)![0]));
    assert.equal(report.augment.copies, 0);
    assert.deepEqual(report.folds[1].test, ["1", "2", "3", "4"]);
    assert.equal(report.folds[1].clips.length, 32);
    assert.ok(
      report.folds[1].clips.every((c: { probs: number[] }) =>
        Math.abs(c.probs.reduce((a, b) => a + b, 0) - 1) < 1e-4
      ),
    );
    // The tones' pitch follows the emotion, so the functionals separate them well.
    assert.ok(report.pooledTestAccuracy > 0.5, `pooled ${report.pooledTestAccuracy}`);
    // --train-val: the validation actors train too, for exactly --epochs; the same test clips.
    const trainVal = JSON.parse(await folds("tv.json", ["--train-val"]));
    assert.equal(trainVal.trainVal, true);
    assert.equal(trainVal.chosenEpochs, 20);
    assert.equal(trainVal.meanValAccuracy, null);
    assert.deepEqual(
      trainVal.folds[1].clips.map((c: { path: string }) => c.path),
      report.folds[1].clips.map((c: { path: string }) => c.path),
    );
    assert.deepEqual(trainVal.folds[1].ensemble.map((e: { epoch: number }) => e.epoch), [20]);
    assert.notDeepEqual(
      trainVal.folds[1].clips.map((c: { probs: number[] }) => c.probs),
      report.folds[1].clips.map((c: { probs: number[] }) => c.probs),
      "sixteen voices train, not fourteen",
    );

    await run(
      "train.ts",
      [...corpus, "--split", "speakers", "--epochs", "1", "--out", "models/m"],
      dir,
    );
    const alone = await evalReport("models/m", dir);
    await run("train_functionals.ts", [
      ...corpus,
      "--epochs",
      "30",
      "--units",
      "16",
      "--out",
      "models/m/functionals",
    ], dir);
    const mixed = await evalReport("models/m", dir);
    assert.equal(mixed.testAccuracyWithoutFunctionals, alone.testAccuracy);
    assert.notEqual(mixed.testAccuracy, alone.testAccuracy);
    const metrics = JSON.parse(await Deno.readTextFile(`${dir}/${mixed.report}/metrics.json`));
    assert.deepEqual(metrics.functionals, { weight: 0.5, seeds: [1, 2, 3] });
    // By default 4 speed-changed copies of every RAVDESS training clip (14 actors) train too.
    const dense = JSON.parse(await Deno.readTextFile(`${dir}/models/m/functionals/config.json`));
    assert.deepEqual(dense.augment, { copies: 4, noise: false, keepTempo: false });
    assert.equal(dense.trainClips, 14 * 8);

    // --voice: the voice-referenced member; eval scores held-out voices referenced by others.
    const voiceFolds = JSON.parse(await folds("voice.json", ["--voice", "--history", "3"]));
    assert.deepEqual(voiceFolds.voice, { history: 3 });
    assert.ok(voiceFolds.pooledTestAccuracy > 0.5, `voice pooled ${voiceFolds.pooledTestAccuracy}`);
    // Each test clip lists its history: 3 other clips of its speaker, as rows of its fold.
    type FoldClip = { path: string; probs: number[]; history: number[] };
    const foldClips: FoldClip[] = voiceFolds.folds[1].clips;
    const actorOf = (path: string) => path.match(/-(\d+)\.wav$/)![1];
    foldClips.forEach((c, i) => {
      assert.equal(c.history.length, 3);
      assert.ok(!c.history.includes(i), "not itself");
      assert.ok(c.history.every((h) => actorOf(foldClips[h].path) === actorOf(c.path)));
    });
    // --history-seed draws other histories for the same clips.
    const redrawn = JSON.parse(
      await folds("voice-hs.json", ["--voice", "--history", "3", "--history-seed", "1"]),
    );
    assert.deepEqual(redrawn.voice, { history: 3, historySeed: 1 });
    const redrawnClips: FoldClip[] = redrawn.folds[1].clips;
    assert.deepEqual(redrawnClips.map((c) => c.path), foldClips.map((c) => c.path));
    assert.notDeepEqual(redrawnClips.map((c) => c.history), foldClips.map((c) => c.history));
    // --train-history: training clips referenced by 3 other clips too, not by all of them.
    const drawn = JSON.parse(
      await folds("voice-th.json", ["--voice", "--history", "3", "--train-history"]),
    );
    assert.deepEqual(drawn.voice, { history: 3, trainHistory: true });
    assert.deepEqual(
      drawn.folds[1].clips.map((c: { path: string }) => c.path),
      voiceFolds.folds[1].clips.map((c: { path: string }) => c.path),
    );
    assert.notDeepEqual(
      drawn.folds[1].clips.map((c: { probs: number[] }) => c.probs),
      voiceFolds.folds[1].clips.map((c: { probs: number[] }) => c.probs),
    );
    await run("train_functionals.ts", [
      ...corpus,
      "--voice",
      "--epochs",
      "30",
      "--units",
      "16",
      "--out",
      "models/m/functionals-voice",
    ], dir);
    const voiced = await evalReport("models/m", dir, ["--history", "5"]);
    assert.equal(voiced.testAccuracy, mixed.testAccuracy, "the plain mix is still the headline");
    assert.equal(voiced.history, 5);
    assert.ok(voiced.testAccuracyWithVoiceReference > 0, "scored with the voice member");
    const voicedMetrics = JSON.parse(
      await Deno.readTextFile(`${dir}/${voiced.report}/metrics.json`),
    );
    assert.equal(voicedMetrics.withVoiceReference.history, 5);
    assert.equal(voicedMetrics.withVoiceReference.lstmReference, 1, "the leaning divided out");
    assert.equal(voicedMetrics.withVoiceReference.mix, "geometric");
    assert.equal(
      voicedMetrics.withVoiceReference.test.accuracy,
      voiced.testAccuracyWithVoiceReference,
    );
    for (
      const [args, reason] of [
        [
          ["--history", "5"],
          "--history, --history-moods, --history-seed and --train-history need --voice",
        ],
        [
          ["--voice", "--history-moods", "0"],
          "Expected --history and --history-moods of at least 1",
        ],
        [["--train-val"], "--train-val needs --folds"],
        [
          ["--train-history"],
          "--history, --history-moods, --history-seed and --train-history need --voice",
        ],
        [
          ["--voice", "--train-history"],
          "--train-history is a study: use it with --folds or --random",
        ],
      ] as const
    ) {
      const out = await runFailing("train_functionals.ts", [...corpus, "--out", "x", ...args], dir);
      assert.equal(out.code, 2, reason);
      assert.equal(out.stderr, `train-functionals: ${reason}\n`);
    }

    // --random: the published random split, per draw.
    const randomRun = async (draws: number, report: string, extra: string[] = []) => {
      // Later flags win: `extra` may set --augment again.
      await run("train_functionals.ts", [
        ...corpus,
        "--random",
        String(draws),
        "--augment",
        "0",
        "--epochs",
        "10",
        "--units",
        "16",
        "--seeds",
        "1",
        "--report",
        report,
        ...extra,
      ], dir);
      return JSON.parse(await Deno.readTextFile(`${dir}/${report}`));
    };
    const random = await randomRun(2, "random.json");
    assert.equal(random.draws.length, 2);
    assert.equal(
      random.draws[0].testClips,
      160 - Math.round(160 * 0.875) - Math.round(160 * 0.087),
    );
    assert.notDeepEqual(random.draws[0], { ...random.draws[1], draw: 0 }, "draws differ");
    // --voice on the random protocol: test clips referenced by their speaker's other clips.
    const randomVoice = await randomRun(1, "random-voice.json", ["--voice", "--history", "3"]);
    assert.deepEqual(randomVoice.voice, { history: 3 });
    assert.equal(randomVoice.draws[0].testClips, random.draws[0].testClips, "the same split");
    // --split-after-augment: clips and their copies are split as rows, so copies of held-out
    // clips train (160 clips and one copy each: 320 rows).
    const clean = await randomRun(1, "random-clean.json", ["--augment", "1"]);
    assert.equal(clean.splitAfterAugment, undefined);
    assert.equal(clean.draws[0].trainRows, 2 * Math.round(160 * 0.875), "clips and copies");
    const rows = await randomRun(1, "random-rows.json", [
      "--augment",
      "1",
      "--split-after-augment",
    ]);
    assert.equal(rows.splitAfterAugment, true);
    assert.equal(rows.draws[0].testClips, 320 - Math.round(320 * 0.875) - Math.round(320 * 0.087));
    assert.equal(rows.draws[0].trainRows, Math.round(320 * 0.875));
    for (
      const [args, reason] of [
        [
          ["--random", "1", "--voice", "--split-after-augment"],
          "--split-after-augment is a study of the plain member on the random split: use it " +
          "with --random, without --voice",
        ],
        [
          ["--out", "x", "--split-after-augment"],
          "--split-after-augment is a study of the plain member on the random split: use it " +
          "with --random, without --voice",
        ],
        [
          ["--random", "1", "--augment", "0", "--split-after-augment"],
          "--split-after-augment needs copies: --augment of at least 1",
        ],
      ] as const
    ) {
      const out = await runFailing("train_functionals.ts", [...corpus, ...args], dir);
      assert.equal(out.code, 2, reason);
      assert.equal(out.stderr, `train-functionals: ${reason}\n`);
    }

    await run("train_functionals.ts", [
      ...corpus,
      "--epochs",
      "1",
      "--units",
      "16",
      "--test-actors",
      "none",
      "--val-actors",
      "none",
      "--out",
      "models/m/functionals",
    ], dir);
    const refused = await runFailing("eval.ts", [
      "--model",
      "models/m",
      "--ravdess",
      `${dir}/ravdess`,
    ], dir);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /^eval: models\/m: its dense member held out actors test none, validation none, but its LSTMs \(speakers split\) test 17,18,19,20, validation 15,16: the scores would include clips one of them trained on\n$/,
    );
  },
);

corpusTest(
  "train-functionals --split-of: a random-split model's dense member; eval checks the clips",
  async (dir) => {
    const corpus = ["--ravdess", `${dir}/ravdess`];
    const randomModel = async (out: string, seed: string) =>
      await run(
        "train.ts",
        [...corpus, "--split", "random", "--seed", seed, "--epochs", "1", "--out", out],
        dir,
      );
    await randomModel("models/r", "1");
    const alone = await evalReport("models/r", dir);
    const member = (model: string, out: string) =>
      run("train_functionals.ts", [
        ...corpus,
        "--split-of",
        model,
        "--augment",
        "0",
        "--epochs",
        "20",
        "--units",
        "16",
        "--out",
        out,
      ], dir);
    await member("models/r", "models/r/functionals");
    const split = JSON.parse(await Deno.readTextFile(`${dir}/models/r/split.json`));
    const own = JSON.parse(await Deno.readTextFile(`${dir}/models/r/functionals/split.json`));
    assert.deepEqual([own.val, own.test], [split.val, split.test], "its held-out clips");
    const config = JSON.parse(
      await Deno.readTextFile(`${dir}/models/r/functionals/config.json`),
    );
    assert.equal(config.splitOf, "models/r");
    assert.equal(config.trainClips, 160 - split.val.length - split.test.length);
    const mixed = await evalReport("models/r", dir);
    assert.equal(mixed.testAccuracyWithoutFunctionals, alone.testAccuracy);
    assert.ok(mixed.testAccuracy > alone.testAccuracy, "the tones' pitch helps the dense member");

    // Beside LSTMs of another random split, eval refuses the member.
    await randomModel("models/r2", "2");
    await member("models/r", "models/r2/functionals");
    const eval2 = await runFailing("eval.ts", ["--model", "models/r2", ...corpus], dir);
    assert.equal(eval2.code, 2);
    assert.match(
      eval2.stderr,
      /^eval: models\/r2: its dense member \(trained for models\/r\) held out other validation clips than its LSTMs: the scores would include clips one of them trained on\n$/,
    );
    for (
      const [args, reason] of [
        [
          ["--split-of", "models/r", "--folds"],
          "--split-of trains the plain member on a model folder's split: leave out --folds, " +
          "--random, --test-actors, --val-actors and --voice",
        ],
        [
          ["--split-of", "models/r", "--voice"],
          "--split-of trains the plain member on a model folder's split: leave out --folds, " +
          "--random, --test-actors, --val-actors and --voice",
        ],
      ] as const
    ) {
      const out = await runFailing("train_functionals.ts", [...corpus, "--out", "x", ...args], dir);
      assert.equal(out.code, 2, reason);
      assert.equal(out.stderr, `train-functionals: ${reason}\n`);
    }
    const missing = await runFailing("train_functionals.ts", [
      ...corpus,
      "--split-of",
      "models/none",
      "--out",
      "x",
    ], dir);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^train-functionals: --split-of models\/none: no split.json there\n$/,
    );
  },
);

Deno.test("train-default refuses a missing corpus with a one-line reason and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}scripts/train_default.ts`, "--ravdess", `${dir}/nowhere`],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2);
    assert.equal(
      new TextDecoder().decode(out.stderr),
      `train-default: --ravdess ${dir}/nowhere is not a folder\n`,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
