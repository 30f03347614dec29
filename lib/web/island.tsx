/**
 * Server half of the islands architecture. {@link Island} renders a component's HTML
 * inside a marker element and records its props; `render.tsx` then writes the props as
 * one JSON data block plus the bundled boot module (`islands/_boot.ts`). Pages that use
 * no island get no script at all.
 */
import { createContext, h } from "preact";
import type { ComponentType } from "preact";
import { useContext } from "preact/hooks";
import { islands } from "../../islands/mod.ts";

/** One island occurrence on a page. */
export interface IslandUse {
  name: string;
  props: unknown;
}

/** Collects island uses during one render. */
export const IslandCollector = createContext<IslandUse[] | null>(null);

const namesByComponent = new Map<unknown, string>(
  Object.entries(islands).map(([name, component]) => [component, name]),
);

/**
 * Renders `of` with `props` as a hydratable island. `of` must be listed in
 * `islands/mod.ts` and `props` must survive JSON (plain objects, arrays, strings,
 * finite numbers, booleans, null).
 */
export function Island<P>({ of, props }: { of: ComponentType<P>; props: P }) {
  const uses = useContext(IslandCollector);
  const name = namesByComponent.get(of);
  if (!name) throw new Error("Island component is not registered in islands/mod.ts");
  if (!uses) throw new Error("Island rendered outside renderPage");
  const id = uses.push({ name, props }) - 1;
  return (
    <div data-island={name} data-island-id={String(id)} class="contents">
      {h(of as ComponentType<Record<string, unknown>>, props as Record<string, unknown>)}
    </div>
  );
}

/**
 * JSON for a `<script type="application/json">` block: `<`, U+2028 and U+2029 are
 * escaped so no prop value can close the script element or break older parsers.
 */
export function serialiseIslandProps(uses: IslandUse[]): string {
  return JSON.stringify(uses.map((u) => u.props))
    .replaceAll("<", "\\u003c")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}
