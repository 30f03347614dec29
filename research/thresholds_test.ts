import assert from "node:assert/strict";
import { scoredClips } from "./thresholds.ts";

Deno.test("scoredClips labels classify --json lines from their RAVDESS file names", () => {
  const p = { neutral: 0.1, calm: 0.9 };
  const text = [
    JSON.stringify({
      file: "/d/Actor_15/03-01-02-01-01-01-15.wav",
      label: "calm",
      probabilities: p,
    }),
    JSON.stringify({ file: "03-01-08-02-02-02-16.wav", label: "calm", probabilities: p }),
    "",
  ].join("\n");
  assert.deepEqual(scoredClips(text), [
    { probabilities: p, label: "calm" },
    { probabilities: p, label: "surprised" },
  ]);
});

Deno.test("scoredClips names the line that is not a RAVDESS clip with probabilities", () => {
  const good = JSON.stringify({ file: "03-01-02-01-01-01-15.wav", probabilities: { calm: 1 } });
  const bad = JSON.stringify({ file: "speech.wav", probabilities: { calm: 1 } });
  assert.throws(() => scoredClips(`${good}\n${bad}`), /RAVDESS clip with probabilities on line 2/);
  const noProbs = JSON.stringify({ file: "03-01-02-01-01-01-15.wav" });
  assert.throws(() => scoredClips(noProbs), /on line 1/);
});
