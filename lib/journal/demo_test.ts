import assert from "node:assert/strict";
import { EMOTION_LABELS } from "../data/labels.ts";
import { demoEntries } from "./demo.ts";
import { localDay } from "./history.ts";

const NOW = Date.UTC(2026, 10, 25, 15);

Deno.test("demo journal: reproducible, within the days asked, before now, well-formed", () => {
  const a = demoEntries({ days: 60, nowMs: NOW, timeZone: "Europe/Berlin", seed: 3 });
  const b = demoEntries({ days: 60, nowMs: NOW, timeZone: "Europe/Berlin", seed: 3 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, demoEntries({ days: 60, nowMs: NOW, timeZone: "Europe/Berlin", seed: 4 }));
  assert.ok(a.length >= 45 && a.length <= 100, `${a.length} entries`);
  const days = new Set(a.map((e) => localDay(Date.parse(e.startedAt), "Europe/Berlin")));
  assert.ok(days.size >= 35, `${days.size} days with entries`);
  assert.ok([...days].every((d) => d >= "2026-09-27" && d <= "2026-11-25"), [...days].join());
  for (const e of a) {
    assert.ok(Date.parse(e.startedAt) < NOW);
    assert.ok(e.segments.length > 0);
    for (const s of e.segments) {
      assert.ok(s.startS >= 0 && s.endS > s.startS && s.endS <= e.durationS + 1e-9);
      const total = Object.values(s.probabilities).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(total - 1) < 1e-9);
      assert.ok(EMOTION_LABELS.includes(s.label as typeof EMOTION_LABELS[number]));
      assert.equal(s.confidence, Math.max(...Object.values(s.probabilities)));
    }
    for (const r of [e.mood, e.energy]) assert.ok(r === null || (r! >= 1 && r! <= 5));
  }
});

Deno.test("demo journal: ratings follow the emotions heard", () => {
  const entries = demoEntries({ days: 365, nowMs: NOW, timeZone: "UTC", seed: 1 });
  const pleasant = (e: typeof entries[number]) =>
    (e.distribution.happy ?? 0) + (e.distribution.calm ?? 0) + (e.distribution.surprised ?? 0);
  const rated = entries.filter((e) => e.mood !== null);
  const high = rated.filter((e) => e.mood! >= 4).map(pleasant);
  const low = rated.filter((e) => e.mood! <= 2).map(pleasant);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(mean(high) > mean(low) + 0.1, `${mean(high)} vs ${mean(low)}`);
});
