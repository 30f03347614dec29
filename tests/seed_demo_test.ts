/** `deno task seed-demo` as a subprocess: fills a store, refuses to overwrite, resets. */
import assert from "node:assert/strict";
import { Db } from "../lib/db.ts";

const SCRIPT = new URL("../scripts/seed_demo.ts", import.meta.url).pathname;

async function seed(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("seed-demo: 60 days of entries for a demo account, then --reset replaces them", async () => {
  const dir = await Deno.makeTempDir();
  const kv = `${dir}/demo.kv`;
  try {
    const first = await seed(["--kv", kv, "--time-zone", "Europe/Berlin", "--seed", "5"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /entries over 60 days for "demo"/);
    const db = new Db(await Deno.openKv(kv));
    const user = await db.getUserByUsername("demo");
    assert.equal(user?.timeZone, "Europe/Berlin");
    const all = await db.listEntries(user!.id, { limit: 1000 });
    assert.ok(all.items.length >= 45, `${all.items.length} entries`);
    const spanDays =
      (Date.parse(all.items.at(-1)!.startedAt) - Date.parse(all.items[0].startedAt)) /
      86400_000;
    assert.ok(spanDays > 50 && spanDays < 60, `entries span ${spanDays} days`);
    db.close();

    const again = await seed(["--kv", kv]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^seed-demo: An account "demo" exists already; pass --reset/);
    assert.equal(again.stderr.split("\n").length, 1);

    const reset = await seed(["--kv", kv, "--reset", "--days", "7", "--time-zone", "UTC"]);
    assert.equal(reset.code, 0, reset.stderr);
    const db2 = new Db(await Deno.openKv(kv));
    const user2 = await db2.getUserByUsername("demo");
    assert.notEqual(user2!.id, user!.id);
    const after = await db2.listEntries(user2!.id, { limit: 1000 });
    assert.ok(after.items.length > 0 && after.items.length < 20, `${after.items.length}`);
    let orphans = 0;
    for await (const row of db2.kv.list({ prefix: ["entries", user!.id] })) orphans += row ? 1 : 0;
    assert.equal(orphans, 0);
    db2.close();

    const bad = await seed(["--kv", kv, "--days", "zero"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^seed-demo: Expected --days to be a whole number/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
