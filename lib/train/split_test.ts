import assert from "node:assert/strict";
import { seededRandom, shuffled } from "./rng.ts";
import { parseActors, randomSplit, speakerSplit, splitBy } from "./split.ts";

function clips() {
  const items = [];
  for (let actor = 1; actor <= 20; actor++) {
    for (let i = 0; i < 60; i++) {
      items.push({
        id: `r${actor}-${i}`,
        corpus: "ravdess",
        speaker: `Actor_${String(actor).padStart(2, "0")}`,
      });
    }
  }
  for (const speaker of ["OAF", "YAF"]) {
    for (let i = 0; i < 1400; i++) items.push({ id: `t${speaker}-${i}`, corpus: "tess", speaker });
  }
  return items;
}

Deno.test("random split: 87.5 / 8.7 / 3.8 %, disjoint, complete, reproducible by seed", () => {
  const items = clips();
  const a = randomSplit(items, seededRandom(7));
  const b = randomSplit(items, seededRandom(7));
  const c = randomSplit(items, seededRandom(8));
  assert.equal(a.train.length, 3500);
  assert.equal(a.val.length, 348);
  assert.equal(a.test.length, 152);
  const ids = new Set([...a.train, ...a.val, ...a.test].map((x) => x.id));
  assert.equal(ids.size, items.length);
  assert.deepEqual(a.test.map((x) => x.id), b.test.map((x) => x.id));
  assert.notDeepEqual(a.test.map((x) => x.id), c.test.map((x) => x.id));
});

Deno.test("speaker split: actors 17–20 test, 15–16 validation, nobody on two sides", () => {
  const s = speakerSplit(clips(), seededRandom(1));
  const speakers = (xs: { corpus: string; speaker: string | null }[]) =>
    new Set(xs.map((x) => `${x.corpus}:${x.speaker}`));
  assert.deepEqual(
    [...speakers(s.test)].sort(),
    ["ravdess:Actor_17", "ravdess:Actor_18", "ravdess:Actor_19", "ravdess:Actor_20"],
  );
  assert.deepEqual([...speakers(s.val)].sort(), ["ravdess:Actor_15", "ravdess:Actor_16"]);
  const train = speakers(s.train);
  assert.equal(train.size, 16);
  for (const sp of [...speakers(s.test), ...speakers(s.val)]) assert.ok(!train.has(sp));
  assert.equal(s.train.length + s.val.length + s.test.length, clips().length);
});

Deno.test("seeded shuffles are permutations and repeat for the same seed", () => {
  const xs = Array.from({ length: 50 }, (_, i) => i);
  const a = shuffled(xs, seededRandom(3));
  assert.deepEqual([...a].sort((p, q) => p - q), xs);
  assert.deepEqual(shuffled(xs, seededRandom(3)), a);
  assert.notDeepEqual(a, xs);
});

Deno.test("parseActors reads numbers and ranges, and names what is wrong", () => {
  assert.deepEqual(parseActors("1-4"), ["1", "2", "3", "4"]);
  assert.deepEqual(parseActors("09, 5,1-2"), ["1", "2", "5", "9"]);
  assert.deepEqual(parseActors("none"), []);
  assert.throws(() => parseActors("a-b"), /actor numbers like "1-4", "5,6" or none, but got "a-b"/);
  assert.throws(() => parseActors("none,1"), /but got "none,1"/);
  assert.throws(() => parseActors("3-1"), /from 1 to 24 in increasing ranges, but got "3-1"/);
  assert.throws(() => parseActors("20-25"), /from 1 to 24/);
  assert.throws(() => parseActors("0"), /from 1 to 24/);
  assert.throws(() => parseActors("1-3,2"), /Actor 2 is named twice/);
});

Deno.test("splitBy holds out another fold's actors, and refuses an actor on both sides", () => {
  const s = splitBy("speakers", clips(), seededRandom(1), {
    test: ["1", "2", "3", "4"],
    val: ["5", "6"],
  });
  const actors = (xs: { speaker: string | null }[]) =>
    [...new Set(xs.map((x) => x.speaker))].sort();
  assert.deepEqual(actors(s.test), ["Actor_01", "Actor_02", "Actor_03", "Actor_04"]);
  assert.deepEqual(actors(s.val), ["Actor_05", "Actor_06"]);
  assert.equal(s.train.length, 14 * 60 + 2800);
  assert.ok(s.train.every((x) => !["Actor_01", "Actor_05"].includes(x.speaker!)));
  // The default fold is the published one.
  assert.deepEqual(
    actors(splitBy("speakers", clips(), seededRandom(1)).test),
    ["Actor_17", "Actor_18", "Actor_19", "Actor_20"],
  );
  assert.throws(
    () => splitBy("speakers", clips(), seededRandom(1), { test: ["1", "2"], val: ["2", "3"] }),
    /Expected test and validation actors apart, but both have 2/,
  );
});

Deno.test("splitBy with no held-out actors trains on every clip", () => {
  const items = clips();
  const s = splitBy("speakers", items, seededRandom(1), { test: [], val: [] });
  assert.equal(s.val.length, 0);
  assert.equal(s.test.length, 0);
  assert.equal(s.train.length, items.length);
  assert.deepEqual(s.train.map((x) => x.id).sort(), items.map((x) => x.id).sort());
});
