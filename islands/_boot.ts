/**
 * Browser entry point: hydrates each server-rendered island with its serialised props.
 * The server writes `<div data-island="Name" data-island-id="N">` around each island's
 * HTML and one `<script type="application/json" id="__island_props">` holding the props
 * array; nothing else on the page is touched.
 */
import { h, hydrate } from "preact";
import { islands } from "./mod.ts";

const propsElement = document.getElementById("__island_props");
const allProps = propsElement ? JSON.parse(propsElement.textContent ?? "[]") : [];
for (const el of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const name = el.dataset.island as keyof typeof islands;
  const component = islands[name];
  const props = allProps[Number(el.dataset.islandId)];
  if (!component || props === undefined) {
    console.error(`Cannot hydrate island "${name}"`);
    continue;
  }
  // deno-lint-ignore no-explicit-any
  hydrate(h(component as any, props), el);
}
