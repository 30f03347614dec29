/** Store failures become StoreUnavailableError; conflicts and caller mistakes do not. */
import assert from "node:assert/strict";
import { guardKv, StoreUnavailableError } from "./kv_guard.ts";
import { type Faults, faultyKv, InjectedStoreFault } from "./testing/faulty_kv.ts";

async function setUp() {
  const store = await Deno.openKv(":memory:");
  const faults: Faults = {};
  return { store, faults, kv: guardKv(faultyKv(store, faults)) };
}

async function assertUnavailable(call: () => Promise<unknown>) {
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof StoreUnavailableError, String(err));
    assert.ok(err.cause instanceof InjectedStoreFault);
    return true;
  });
}

Deno.test("reads, lists, writes and commits that fail become StoreUnavailableError", async () => {
  const { store, faults, kv } = await setUp();
  try {
    await kv.set(["a"], 1);
    faults.failReads = true;
    await assertUnavailable(() => kv.get(["a"]));
    await assertUnavailable(() => kv.getMany([["a"]]));
    await assertUnavailable(async () => {
      for await (const _ of kv.list({ prefix: [] })) { /* reading fails */ }
    });
    faults.failReads = false;
    faults.failCommits = true;
    await assertUnavailable(() => kv.set(["b"], 2));
    await assertUnavailable(() => kv.delete(["a"]));
    await assertUnavailable(() => kv.atomic().set(["b"], 2).commit());
    faults.failCommits = false;
    assert.equal(faults.injected, 6);
    assert.deepEqual((await kv.get(["a"])).value, 1);
    assert.equal((await kv.get(["b"])).versionstamp, null, "nothing of the failed writes");
  } finally {
    store.close();
  }
});

Deno.test("a failed check stays a conflict and caller mistakes stay TypeErrors", async () => {
  const { store, kv } = await setUp();
  try {
    await kv.set(["a"], 1);
    const res = await kv.atomic().check({ key: ["a"], versionstamp: null }).set(["a"], 2).commit();
    assert.equal(res.ok, false);
    await assert.rejects(() => kv.set(["big"], new Uint8Array(70_000)), TypeError);
    await assert.rejects(async () => {
      for await (const _ of kv.list({ prefix: [] }, { cursor: "damaged" })) { /* */ }
    }, TypeError);
  } finally {
    store.close();
  }
});

Deno.test("guarded lists keep their cursor and atomic builders chain", async () => {
  const { store, kv } = await setUp();
  try {
    const op = kv.atomic();
    assert.equal(op.set(["k", 1], 1).set(["k", 2], 2), op);
    assert.equal((await op.commit()).ok, true);
    const iter = kv.list({ prefix: ["k"] }, { limit: 1 });
    const rows = [];
    for await (const row of iter) rows.push(row.key);
    assert.deepEqual(rows, [["k", 1]]);
    assert.ok(iter.cursor.length > 0);
    assert.equal(guardKv(kv), kv, "guarding twice changes nothing");
  } finally {
    store.close();
  }
});

Deno.test("a closed store is unavailable too", async () => {
  const store = await Deno.openKv(":memory:");
  const kv = guardKv(store);
  kv.close();
  await assert.rejects(() => kv.get(["a"]), StoreUnavailableError);
});
