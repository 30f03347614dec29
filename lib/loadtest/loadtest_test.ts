/** Tests of the load test's pure parts: arguments, percentiles, schedules, entry checks. */
import assert from "node:assert/strict";
import { checkEntry } from "./entry_check.ts";
import { recorderAudio, type SpeechLoop } from "./audio.ts";
import { DEFAULT_OPTIONS, parseLoadtestArgs, UsageError } from "./options.ts";
import { latencySummary, percentile } from "./stats.ts";
import { userSchedules } from "./schedule.ts";
import { seededRandom } from "../audio/synth.ts";

Deno.test("arguments: defaults, both spellings, and one-line refusals", () => {
  assert.deepEqual(parseLoadtestArgs([]), DEFAULT_OPTIONS);
  const o = parseLoadtestArgs([
    "--users",
    "200",
    "--seconds=60",
    "--url",
    "http://127.0.0.1:8000/x",
  ]);
  assert.equal(o.users, 200);
  assert.equal(o.seconds, 60);
  assert.equal(o.url, "http://127.0.0.1:8000");
  assert.equal(parseLoadtestArgs(["--url=http://h:1", "--pid", "42"]).pid, 42);
  for (
    const bad of [
      ["--users", "0"],
      ["--users", "-3"],
      ["--users", "1.5"],
      ["--seconds"],
      ["--seconds", "--users", "3"],
      ["--url", "ftp://x"],
      ["--url", "not a url"],
      ["--pid", "7"],
      ["--url", "http://h:1", "--server-entry", "x.ts"],
      ["--url", "http://h:1", "--cpu-prof", "/tmp/p"],
      ["--frobnicate", "1"],
      ["200"],
    ]
  ) {
    assert.throws(() => parseLoadtestArgs(bad), (err: unknown) => {
      assert.ok(err instanceof UsageError, bad.join(" "));
      assert.ok(!err.message.includes("\n"), "one line");
      return true;
    });
  }
});

Deno.test("percentile is nearest-rank", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 1), 7);
  assert.equal(percentile([1, 2, 3, 4], 90), 4);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 0), RangeError);
  assert.deepEqual(latencySummary([3, 1, 2]), { count: 3, p50: 2, p90: 3, p99: 3, max: 3 });
  assert.deepEqual(latencySummary([]), { count: 0, p50: null, p90: null, p99: null, max: null });
});

Deno.test("schedules start within the first second and send one chunk a second", () => {
  const schedules = userSchedules(500, 60, seededRandom(3));
  const offsets = new Set<number>();
  for (const s of schedules) {
    assert.ok(s.offsetMs >= 0 && s.offsetMs < 1000, `offset ${s.offsetMs}`);
    assert.equal(s.sendAtMs.length, 60);
    assert.equal(s.sendAtMs[0], s.offsetMs);
    assert.equal(s.sendAtMs[59], s.offsetMs + 59_000);
    for (let i = 1; i < 60; i++) assert.equal(s.sendAtMs[i] - s.sendAtMs[i - 1], 1000);
    offsets.add(s.offsetMs);
  }
  assert.ok(offsets.size > 300, "offsets are spread, not all the same");
  assert.equal(userSchedules(3, 5, () => 0.99999999)[0].offsetMs, 999);
  assert.throws(() => userSchedules(2, 1.5, Math.random), RangeError);
});

Deno.test("recorder audio wraps the loop and lists only clips sent whole", () => {
  const rate = 16000;
  const samples = new Float32Array(3 * rate).map((_, i) => i);
  const loop: SpeechLoop = {
    kind: "synthetic",
    description: "test",
    samples,
    clips: [{ start: 0, end: rate }, { start: rate, end: 3 * rate }],
  };
  const audio = recorderAudio(loop, rate, 4);
  assert.equal(audio.chunk(0)[0], rate);
  assert.equal(audio.chunk(2)[0], 0, "wraps around");
  // From stream 0: clip [0, 2 s), then the first clip again [2, 3 s), then [3, 5 s) cut off.
  assert.deepEqual(audio.clips, [{ start: 0, end: 2 * rate }, { start: 2 * rate, end: 3 * rate }]);
});

Deno.test("entry check finds lost chunks, missing segments and unheard clips", () => {
  const seg = (startS: number, endS: number, label = "calm") => ({ startS, endS, label });
  const sent = { seconds: 10, answered: [seg(1, 3)], clips: [{ startS: 0.5, endS: 4 }] };
  const good = checkEntry({ durationS: 10, segments: [seg(1, 3), seg(5, 7)] }, sent);
  assert.deepEqual(good, { complete: true, lostChunks: 0, unheardClips: 0, problems: [] });

  const short = checkEntry({ durationS: 8, segments: [seg(1, 3)] }, sent);
  assert.equal(short.complete, false);
  assert.equal(short.lostChunks, 2);

  const dropped = checkEntry({ durationS: 10, segments: [seg(1, 3, "sad")] }, sent);
  assert.equal(dropped.complete, false, "an answered segment changed label");

  const deaf = checkEntry({ durationS: 10, segments: [] }, { ...sent, answered: [] });
  assert.equal(deaf.unheardClips, 1);
  assert.equal(deaf.complete, false);

  const disorder = checkEntry({ durationS: 10, segments: [seg(5, 7), seg(1, 3)] }, {
    ...sent,
    answered: [],
  });
  assert.equal(disorder.complete, false);
  const overrun = checkEntry({ durationS: 10, segments: [seg(1, 3), seg(9, 11)] }, sent);
  assert.equal(overrun.complete, false);
});
