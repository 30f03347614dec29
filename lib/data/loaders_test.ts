import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeWav } from "../audio/encode.ts";
import { sine } from "../audio/synth.ts";
import { listCorpora, unpackedDataDir } from "./corpora.ts";
import { EMOTION_LABELS, isEmotionLabel, labelIndex } from "./labels.ts";
import { listManifest, parseCsv, parseManifest } from "./manifest.ts";
import { listRavdess, parseRavdessName } from "./ravdess.ts";
import { listTess, parseTessName } from "./tess.ts";
import type { DatasetItem } from "./types.ts";
import { isAudioFileName, listAudioFiles } from "./walk.ts";

const SHARED_DATA = new URL("../../../shared/data/", import.meta.url);

/** A tiny but valid WAV, so fixture folders look like the real thing. */
const TINY_WAV = encodeWav(sine(160, 440, 16000, 0.3), 16000);

async function makeTree(files: string[]): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "moodline_data_" });
  for (const file of files) {
    const path = join(root, file);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeFile(path, file.endsWith(".csv") ? new Uint8Array() : TINY_WAV);
  }
  return root;
}

function relative(root: string, items: Array<{ path: string }>): string[] {
  return items.map((i) => i.path.slice(root.length + 1));
}

Deno.test("the eight labels in fixed order", () => {
  assert.deepEqual([...EMOTION_LABELS], [
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "surprised",
  ]);
  assert.equal(labelIndex("surprised"), 7);
  assert.ok(isEmotionLabel("calm"));
  assert.ok(!isEmotionLabel("Calm"));
  assert.throws(() => labelIndex("bored"), /Expected one of neutral, .*but got "bored"/);
});

Deno.test("RAVDESS names: emotion is the 3rd field, actor the 7th", () => {
  assert.deepEqual(parseRavdessName("03-01-01-01-01-01-01.wav"), {
    ok: true,
    label: "neutral",
    speaker: "Actor_01",
  });
  assert.deepEqual(parseRavdessName("/x/Actor_12/03-01-06-02-01-02-12.flac"), {
    ok: true,
    label: "fearful",
    speaker: "Actor_12",
  });
  assert.deepEqual(parseRavdessName("03-01-08-01-01-01-24.wav"), {
    ok: true,
    label: "surprised",
    speaker: "Actor_24",
  });
  const unknown = parseRavdessName("03-01-09-01-01-01-01.wav");
  assert.equal(unknown.ok, false);
  assert.match((unknown as { reason: string }).reason, /unknown RAVDESS emotion code 09/);
  assert.equal(parseRavdessName("03-01-01-01-01-01.wav").ok, false);
  assert.equal(parseRavdessName("03-01-1-01-01-01-01.wav").ok, false);
  assert.equal(parseRavdessName("notes.wav").ok, false);
});

Deno.test("TESS names: label from the last part, speaker OAF/YAF, folder case ignored", () => {
  const cases: Array<[string, string, string]> = [
    ["tess/OAF_Fear/OAF_back_fear.wav", "fearful", "OAF"],
    ["tess/YAF_pleasant_surprised/YAF_dog_ps.wav", "surprised", "YAF"],
    ["tess/OAF_Pleasant_surprise/OAF_date_ps.flac", "surprised", "OAF"],
    ["tess/YAF_sad/YAF_chain_sad.wav", "sad", "YAF"],
    ["tess/OAF_neutral/OA_bite_neutral.wav", "neutral", "OAF"], // shortened prefix
    ["tess/YAF_happy/YAF_home_HAPPY.wav", "happy", "YAF"],
    // The folder says angry, the file says disgust: the file name wins.
    ["tess/OAF_angry/OAF_hall_disgust.wav", "disgust", "OAF"],
  ];
  for (const [path, label, speaker] of cases) {
    assert.deepEqual(parseTessName(path), { ok: true, label, speaker }, path);
  }
  const bored = parseTessName("tess/OAF_bored/OAF_back_bored.wav");
  assert.deepEqual(bored, { ok: false, reason: 'unknown TESS emotion "bored"' });
  assert.equal(parseTessName("tess/misc/XYZ_back_sad.wav").ok, false);
  assert.equal(parseTessName("tess/OAF_sad/sad.wav").ok, false);
});

Deno.test("listRavdess and listTess walk fixture folders and report what they cannot label", async () => {
  const root = await makeTree([
    "ravdess/Actor_01/03-01-01-01-01-01-01.wav",
    "ravdess/Actor_01/03-01-05-02-02-01-01.wav",
    "ravdess/Actor_02/03-01-03-01-01-02-02.flac",
    "ravdess/Actor_02/03-01-09-01-01-01-02.wav",
    "ravdess/Actor_02/readme.txt",
    "ravdess/Actor_02/.hidden.wav",
    "tess/OAF_Fear/OAF_back_fear.wav",
    "tess/YAF_pleasant_surprised/YAF_dog_ps.WAV",
    "tess/OAF_neutral/OA_bite_neutral.wav",
    "tess/YAF_bored/YAF_dog_bored.wav",
  ]);
  try {
    const ravdess = await listRavdess(join(root, "ravdess"));
    assert.deepEqual(relative(root, ravdess.items), [
      "ravdess/Actor_01/03-01-01-01-01-01-01.wav",
      "ravdess/Actor_01/03-01-05-02-02-01-01.wav",
      "ravdess/Actor_02/03-01-03-01-01-02-02.flac",
    ]);
    assert.deepEqual(ravdess.items.map((i) => [i.label, i.speaker, i.corpus]), [
      ["neutral", "Actor_01", "ravdess"],
      ["angry", "Actor_01", "ravdess"],
      ["happy", "Actor_02", "ravdess"],
    ]);
    assert.equal(ravdess.problems.length, 1);
    assert.match(ravdess.problems[0].path, /03-01-09-01-01-01-02\.wav$/);

    const tess = await listTess(join(root, "tess"));
    assert.deepEqual(tess.items.map((i) => [i.label, i.speaker, i.corpus]), [
      ["fearful", "OAF", "tess"],
      ["neutral", "OAF", "tess"],
      ["surprised", "YAF", "tess"],
    ]);
    assert.deepEqual(tess.problems.map((p) => p.reason), ['unknown TESS emotion "bored"']);

    const all = await listCorpora(root);
    assert.equal(all.items.length, 6);
    assert.equal(all.problems.length, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("CSV parsing: quotes, escaped quotes, CRLF, blank lines", () => {
  const rows = parseCsv('a,b\r\n"x, y","say ""hi"""\n\nlast,\n');
  assert.deepEqual(rows, [
    { line: 1, fields: ["a", "b"] },
    { line: 2, fields: ["x, y", 'say "hi"'] },
    { line: 4, fields: ["last", ""] },
  ]);
  assert.deepEqual(parseCsv('"multi\nline",z').map((r) => r.fields), [["multi\nline", "z"]]);
});

Deno.test("manifest rows: optional header and speaker, short rows reported", () => {
  const { rows, problems } = parseManifest(
    "\uFEFFpath,label,speaker\nclips/a.wav,Happy,s1\nb.wav, sad \nonly-one-field\n",
  );
  assert.deepEqual(rows, [
    { line: 2, path: "clips/a.wav", label: "Happy", speaker: "s1" },
    { line: 3, path: "b.wav", label: "sad", speaker: null },
  ]);
  assert.deepEqual(problems.map((p) => p.line), [4]);
  assert.equal(parseManifest("x.wav,calm\n").rows.length, 1, "no header");
});

Deno.test("listManifest: relative paths, unknown labels and missing files are reported", async () => {
  const root = await makeTree(["mine/clips/a.wav", "mine/b.wav", "mine/c.wav", "mine/d.txt"]);
  try {
    const manifest = join(root, "mine", "manifest.csv");
    await Deno.writeTextFile(
      manifest,
      [
        "path,label,speaker",
        "clips/a.wav,happy,anna",
        "b.wav,CALM",
        "c.wav,bored,anna",
        "missing.wav,sad",
        "d.txt,sad",
        `${join(root, "mine", "b.wav")},angry,ben`,
      ].join("\n"),
    );
    const listing = await listManifest(manifest);
    const items: Array<Omit<DatasetItem, "path">> = listing.items.map((i) => ({
      label: i.label,
      speaker: i.speaker,
      corpus: i.corpus,
    }));
    assert.deepEqual(items, [
      { label: "happy", speaker: "anna", corpus: "mine" },
      { label: "calm", speaker: null, corpus: "mine" },
      { label: "angry", speaker: "ben", corpus: "mine" },
    ]);
    assert.equal(listing.items[0].path, join(root, "mine", "clips", "a.wav"));
    const reasons = listing.problems.map((p) => p.reason.replace(/^.*manifest\.csv:/, ""));
    assert.deepEqual(reasons, [
      '4: unknown label "bored" (expected neutral, calm, happy, sad, angry, fearful, disgust, surprised)',
      "5: file not found",
      "6: not an audio file name",
    ]);
    // listCorpora finds the manifest folder next to the corpora.
    const all = await listCorpora(root);
    assert.equal(all.items.length, 3);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the shared FLAC tree lists completely: 1200 RAVDESS + 2800 TESS, nothing unlabelled", async () => {
  const root = fileURLToPath(SHARED_DATA);
  const listing = await listCorpora(root);
  assert.deepEqual(listing.problems, []);
  const byCorpus = (corpus: string) => listing.items.filter((i) => i.corpus === corpus);
  const ravdess = byCorpus("ravdess");
  const tess = byCorpus("tess");
  assert.equal(ravdess.length, 1200);
  assert.equal(tess.length, 2800);
  assert.ok(listing.items.every((i) => i.path.endsWith(".flac")));
  // 20 actors × (4 neutral + 8 of each other emotion).
  assert.equal(new Set(ravdess.map((i) => i.speaker)).size, 20);
  const count = (items: DatasetItem[], label: string) =>
    items.filter((i) => i.label === label).length;
  assert.equal(count(ravdess, "neutral"), 80);
  for (const label of EMOTION_LABELS.slice(1)) assert.equal(count(ravdess, label), 160, label);
  // TESS: 2 speakers × 200 words × 7 emotions (no calm).
  assert.deepEqual([...new Set(tess.map((i) => i.speaker))].sort(), ["OAF", "YAF"]);
  for (const label of EMOTION_LABELS) {
    assert.equal(count(tess, label), label === "calm" ? 0 : 400, label);
  }
  const bite = tess.find((i) => i.path.endsWith("OA_bite_neutral.flac"));
  assert.deepEqual([bite?.label, bite?.speaker], ["neutral", "OAF"]);
});

Deno.test("walk helpers", async () => {
  assert.ok(isAudioFileName("A.WAV") && isAudioFileName("b.flac") && isAudioFileName("c.aiff"));
  assert.ok(!isAudioFileName("notes.txt") && !isAudioFileName("wav"));
  const root = await makeTree(["b/2.wav", "a/1.wav", "a/z.txt"]);
  try {
    assert.deepEqual(relative(root, (await listAudioFiles(root)).map((path) => ({ path }))), [
      "a/1.wav",
      "b/2.wav",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  assert.equal(
    unpackedDataDir({ get: (n) => (n === "SER_DATA_DIR" ? "/data/x" : undefined) }),
    "/data/x",
  );
  assert.match(unpackedDataDir({ get: () => undefined }), /\.cache\/ser-data$/);
});
