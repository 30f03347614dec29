import assert from "node:assert/strict";
import { formatEta, ProgressBar } from "./progress.ts";

Deno.test("progress bar shows count, bar, extras and an ETA from the rate so far", () => {
  let now = 0;
  const out: string[] = [];
  const bar = new ProgressBar({
    label: "epoch 1",
    total: 4,
    width: 8,
    nowMs: () => now,
    logEveryMs: 0,
    sink: { write: (t) => out.push(t), isTerminal: false },
  });
  now = 2000;
  bar.tick(1, { loss: 1.23456 });
  assert.equal(out[0], "epoch 1 [##------]  1/4  loss 1.2346  ETA 6s\n");
});

Deno.test("off a terminal the bar logs at most once per interval, and at the end", () => {
  let now = 0;
  const out: string[] = [];
  const bar = new ProgressBar({
    label: "x",
    total: 100,
    nowMs: () => now,
    logEveryMs: 1000,
    sink: { write: (t) => out.push(t), isTerminal: false },
  });
  for (let i = 0; i < 100; i++) {
    now += 50;
    bar.tick();
  }
  assert.equal(out.length, 6); // at 50 ms, then every 1000 ms (5 more up to 5000 ms incl. end)
  assert.match(out.at(-1)!, /100\/100/);
});

Deno.test("ETA formats", () => {
  assert.equal(formatEta(5), "5s");
  assert.equal(formatEta(185), "3m05s");
  assert.equal(formatEta(3720), "1h02m");
  assert.equal(formatEta(NaN), "?");
});
