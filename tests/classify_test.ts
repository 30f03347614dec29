/**
 * `deno task classify` end to end with the shipped model: one JSON line per readable file,
 * segments for long recordings, a one-line reason and exit code 1 for unreadable files
 * while the others are still classified.
 */
import assert from "node:assert/strict";
import { decodeAudio } from "../lib/audio/wav.ts";
import { encodeWav } from "../lib/audio/encode.ts";
import { EMOTION_LABELS } from "../lib/data/labels.ts";

const AUDIO = new URL("../../shared/fixtures/golden/audio/", import.meta.url);
const root = new URL("..", import.meta.url);

async function classify(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "classify", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    lines: new TextDecoder().decode(out.stdout).trim().split("\n").filter(Boolean),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("classify --json: one line per file, segments for long files, errors per file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const speech = decodeAudio(await Deno.readFile(new URL("speech_a_16k.wav", AUDIO)));
    const long = new Float32Array(speech.samples.length * 4);
    for (let i = 0; i < 4; i++) long.set(speech.samples, i * speech.samples.length);
    await Deno.writeFile(`${dir}/long.wav`, encodeWav(long, 16000));
    await Deno.writeFile(`${dir}/broken.wav`, new TextEncoder().encode("RIFF....not audio"));
    const files = [
      new URL("speech_a_16k.wav", AUDIO).pathname,
      `${dir}/broken.wav`,
      new URL("speech_c_48k_stereo.wav", AUDIO).pathname,
      `${dir}/long.wav`,
    ];
    const { code, lines, stderr } = await classify(["--json", ...files]);
    assert.equal(code, 1, "an unreadable file makes the exit code non-zero");
    assert.equal(lines.length, 3, "the readable files are still classified");
    assert.match(stderr, /^classify: .*broken\.wav: .+$/m);
    assert.equal(stderr.trim().split("\n").length, 1, "one line for the one bad file");
    const results = lines.map((l) => JSON.parse(l));
    assert.deepEqual(results.map((r) => r.file), [files[0], files[2], files[3]]);
    for (const r of results) {
      assert.ok((EMOTION_LABELS as readonly string[]).includes(r.label));
      assert.deepEqual(Object.keys(r.probabilities), [...EMOTION_LABELS]);
      const sum = Object.values(r.probabilities as Record<string, number>).reduce((a, b) => a + b);
      assert.ok(Math.abs(sum - 1) < 1e-4);
      assert.equal(r.confidence, r.probabilities[r.label]);
    }
    assert.equal(results[0].segments, undefined, "a short clip has no segments");
    const segments = results[2].segments;
    assert.ok(Array.isArray(segments) && segments.length >= 2, "long file is segmented");
    assert.equal(segments[0].startS, 0);
    assert.ok(segments.every((s: { endS: number; startS: number }) => s.endS > s.startS));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("classify without files is a usage error", async () => {
  const { code, stderr } = await classify(["--json"]);
  assert.equal(code, 2);
  assert.match(stderr, /^classify: Give one or more audio files$/m);
});
