/**
 * Tells a failing store apart from everything else. {@link guardKv} wraps a `Deno.Kv` so
 * that an error thrown by the store itself (a read, a list, a write or an atomic commit
 * that could not reach or use the database) becomes a {@link StoreUnavailableError}, which
 * the app answers with 503 and `Retry-After`. Two outcomes stay as they are:
 *
 * - a commit whose checks failed resolves `{ ok: false }` (a conflict, not a failure);
 * - a `TypeError` is the caller's mistake (a key or value too large, too many mutations,
 *   a damaged cursor), which retrying cannot fix.
 *
 * `lib/db.ts` applies the guard to every store it is given.
 */

/** The store could not serve a request right now; trying again shortly may succeed. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`The store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "StoreUnavailableError";
  }
}

/** The error a guarded call throws in place of `err`. */
export function toStoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || err instanceof TypeError) return err;
  return new StoreUnavailableError(err);
}

const guarded = new WeakSet<object>();

async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toStoreError(err);
  }
}

/** Reads a member of `target` for a proxy: methods stay bound to the real object. */
function member(target: object, prop: string | symbol): unknown {
  const value = Reflect.get(target, prop, target);
  return typeof value === "function" ? value.bind(target) : value;
}

function guardIterator<T>(iter: Deno.KvListIterator<T>): Deno.KvListIterator<T> {
  const proxy: Deno.KvListIterator<T> = new Proxy(iter, {
    get(target, prop) {
      if (prop === "next") return () => guard(() => target.next());
      if (prop === Symbol.asyncIterator) return () => proxy;
      return member(target, prop);
    },
  });
  return proxy;
}

function guardAtomic(op: Deno.AtomicOperation): Deno.AtomicOperation {
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, prop) {
      if (prop === "commit") return () => guard(() => target.commit());
      const value = member(target, prop);
      if (typeof value !== "function") return value;
      // Builder methods return the operation itself: hand back the guarded one.
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown)(...args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}

const ASYNC_METHODS = new Set<string | symbol>(["get", "getMany", "set", "delete", "enqueue"]);

/**
 * `kv` with store failures turned into {@link StoreUnavailableError} (see the module
 * comment). Guarding a guarded store returns it unchanged.
 */
export function guardKv(kv: Deno.Kv): Deno.Kv {
  if (guarded.has(kv)) return kv;
  const proxy = new Proxy(kv, {
    get(target, prop) {
      const value = member(target, prop);
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (ASYNC_METHODS.has(prop)) {
        return (...args: unknown[]) => guard(() => fn(...args) as Promise<unknown>);
      }
      if (prop === "list") {
        return (...args: unknown[]) => {
          try {
            return guardIterator(fn(...args) as Deno.KvListIterator<unknown>);
          } catch (err) {
            throw toStoreError(err);
          }
        };
      }
      if (prop === "atomic") return () => guardAtomic(fn() as Deno.AtomicOperation);
      return fn;
    },
  });
  guarded.add(proxy);
  return proxy;
}
