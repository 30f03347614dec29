/**
 * Fault injection for tests: a `Deno.Kv` that fails the way an unreachable store does.
 *
 * @example
 * const faults = { failCommits: true };
 * const db = new Db(faultyKv(await Deno.openKv(":memory:"), faults));
 * // … every write now throws; later:
 * faults.failCommits = false;
 */

/** Which operations fail. The object is read on every call, so a test flips faults on and off. */
export interface Faults {
  /** Atomic commits and single `set`/`delete`/`enqueue` calls throw. */
  failCommits?: boolean;
  /** `get`, `getMany` and reading a `list` throw. */
  failReads?: boolean;
  /** Counts the failures injected so far (written by {@link faultyKv}). */
  injected?: number;
}

/** The error an injected fault throws: a plain `Error`, like a store that cannot be reached. */
export class InjectedStoreFault extends Error {
  constructor(operation: string) {
    super(`injected fault: ${operation} could not reach the store`);
    this.name = "InjectedStoreFault";
  }
}

/** Counts one injected failure and returns its error. */
function injected(faults: Faults, operation: string): InjectedStoreFault {
  faults.injected = (faults.injected ?? 0) + 1;
  return new InjectedStoreFault(operation);
}

function bound(target: object, prop: string | symbol): unknown {
  const value = Reflect.get(target, prop, target);
  return typeof value === "function" ? value.bind(target) : value;
}

/**
 * `kv` with the {@link Faults} in `faults` applied. A failed commit writes nothing (it
 * throws before the real commit runs), just as a store that never received it.
 */
export function faultyKv(kv: Deno.Kv, faults: Faults): Deno.Kv {
  return new Proxy(kv, {
    get(target, prop) {
      const value = bound(target, prop);
      switch (prop) {
        case "get":
        case "getMany":
          return (...args: unknown[]) =>
            faults.failReads
              ? Promise.reject(injected(faults, String(prop)))
              : (value as (...a: unknown[]) => unknown)(...args);
        case "set":
        case "delete":
        case "enqueue":
          return (...args: unknown[]) =>
            faults.failCommits
              ? Promise.reject(injected(faults, String(prop)))
              : (value as (...a: unknown[]) => unknown)(...args);
        case "list":
          return (...args: unknown[]) =>
            faultyIterator(
              (value as (...a: unknown[]) => Deno.KvListIterator<unknown>)(...args),
              faults,
            );
        case "atomic":
          return () => faultyAtomic(target.atomic(), faults);
        default:
          return value;
      }
    },
  });
}

function faultyIterator<T>(
  iter: Deno.KvListIterator<T>,
  faults: Faults,
): Deno.KvListIterator<T> {
  const proxy: Deno.KvListIterator<T> = new Proxy(iter, {
    get(target, prop) {
      if (prop === "next") {
        return () => faults.failReads ? Promise.reject(injected(faults, "list")) : target.next();
      }
      if (prop === Symbol.asyncIterator) return () => proxy;
      return bound(target, prop);
    },
  });
  return proxy;
}

function faultyAtomic(op: Deno.AtomicOperation, faults: Faults): Deno.AtomicOperation {
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, prop) {
      if (prop === "commit") {
        return () =>
          faults.failCommits ? Promise.reject(injected(faults, "commit")) : target.commit();
      }
      const value = bound(target, prop);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown)(...args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}
