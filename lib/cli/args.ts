/**
 * Command-line parsing for the scripts: `node:util`'s `parseArgs` (strict), with a usage
 * error that the scripts turn into one line on stderr and exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A wrong command line; the message says what was wrong. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses `args` by `options`; throws {@link UsageError} for unknown or malformed flags. */
export function parseCli<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A whole-number (0 or more) flag value, or `fallback` when absent. */
export function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`Expected --${name} to be a whole number, but got "${value}"`);
  }
  return n;
}

/**
 * A flag value read by `parse`, or `fallback` when absent; what `parse` throws becomes a
 * {@link UsageError} that names the flag.
 */
export function parsedFlag<T>(
  name: string,
  value: string | undefined,
  parse: (text: string) => T,
  fallback: T,
): T {
  if (value === undefined) return fallback;
  try {
    return parse(value);
  } catch (err) {
    throw new UsageError(`--${name}: ${(err as Error).message}`);
  }
}

/** Prints a one-line reason and exits non-zero (2 for usage errors, 1 otherwise). */
export function failAndExit(script: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`${script}: ${message.split("\n")[0]}`);
  Deno.exit(err instanceof UsageError ? 2 : 1);
}
