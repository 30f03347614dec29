/**
 * Fills a store with a demo account and a plausible journal (see `lib/journal/demo.ts`), so
 * the journal and history pages can be seen with data.
 *
 * Usage: deno task seed-demo [--kv PATH] [--username demo] [--password P] [--days 60]
 *                            [--time-zone ZONE] [--seed S] [--reset]
 *
 * The store is `--kv`, else `DENO_KV_PATH`, else the service's default file. An existing
 * account of that name is left alone (exit 1) unless `--reset` deletes it and all its data
 * first.
 */
import { isValidTimeZone, signUp } from "../lib/accounts.ts";
import { failAndExit, intFlag, parseCli, UsageError } from "../lib/cli/args.ts";
import { DEFAULT_KV_PATH } from "../lib/config.ts";
import { openDb } from "../lib/db.ts";
import { demoEntries } from "../lib/journal/demo.ts";

/** The demo password when none is given (printed, never used for real accounts). */
export const DEMO_PASSWORD = "demo journal 2026";

async function main(argv: string[]): Promise<void> {
  const { values } = parseCli(argv, {
    kv: { type: "string" },
    username: { type: "string", default: "demo" },
    password: { type: "string", default: DEMO_PASSWORD },
    days: { type: "string" },
    "time-zone": { type: "string" },
    seed: { type: "string" },
    reset: { type: "boolean", default: false },
  });
  const days = intFlag("days", values.days, 60);
  if (days < 1 || days > 3650) throw new UsageError(`Expected --days 1–3650, but got ${days}`);
  const timeZone = values["time-zone"] ?? Intl.DateTimeFormat().resolvedOptions().timeZone ??
    "UTC";
  if (!isValidTimeZone(timeZone)) throw new UsageError(`Unknown time zone "${timeZone}"`);
  const path = values.kv ?? Deno.env.get("DENO_KV_PATH") ?? DEFAULT_KV_PATH;
  if (path !== ":memory:") await Deno.mkdir(path.replace(/[^/]*$/, "") || ".", { recursive: true });
  const db = await openDb(path);
  try {
    const existing = await db.getUserByUsername(values.username.toLowerCase());
    if (existing) {
      if (!values.reset) {
        throw new Error(
          `An account "${existing.username}" exists already; pass --reset to replace it`,
        );
      }
      await db.deleteUser(existing.id);
    }
    const user = await signUp(db, values.username, values.password, timeZone);
    const entries = demoEntries({
      days,
      nowMs: db.nowMs(),
      timeZone,
      seed: intFlag("seed", values.seed, 7),
    });
    for (const entry of entries) await db.createEntry(user.id, entry);
    console.log(
      `seed-demo: ${entries.length} entries over ${days} days for "${user.username}" ` +
        `(password "${values.password}", time zone ${timeZone}) in ${path}`,
    );
  } finally {
    db.close();
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (err) {
    failAndExit("seed-demo", err);
  }
}
