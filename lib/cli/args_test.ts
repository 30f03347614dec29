import assert from "node:assert/strict";
import { parsedFlag, UsageError } from "./args.ts";

Deno.test("parsedFlag reads a value, falls back when absent and names the flag on bad input", () => {
  const parse = (text: string) => {
    const n = Number(text);
    if (!(n > 0)) throw new RangeError(`Expected a positive number, but got "${text}"`);
    return n;
  };
  assert.equal(parsedFlag("rate", "2.5", parse, 1), 2.5);
  assert.equal(parsedFlag("rate", undefined, parse, 1), 1);
  assert.throws(
    () => parsedFlag("rate", "-3", parse, 1),
    (err) =>
      err instanceof UsageError &&
      err.message === `--rate: Expected a positive number, but got "-3"`,
  );
});
