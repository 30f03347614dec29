import assert from "node:assert/strict";
import TimeZoneSelect from "../../islands/TimeZoneSelect.tsx";
import { Island, serialiseIslandProps } from "./island.tsx";
import { renderDocument } from "./render.tsx";
import type { PageProps } from "./types.ts";

const url = new URL("http://localhost/test");

function readIslands(html: string) {
  const json = html.match(
    /<script type="application\/json" id="__island_props">(.*?)<\/script>/s,
  )?.[1];
  const markers = [...html.matchAll(/data-island="([^"]+)" data-island-id="(\d+)"/g)].map((
    m,
  ) => [m[1], Number(m[2])]);
  return { props: json === undefined ? undefined : JSON.parse(json), markers };
}

Deno.test("a page without islands has no script at all", async () => {
  const Plain = () => <p class="text-lg">Just text</p>;
  const html = await renderDocument(Plain, { data: undefined, user: null, url }, "Plain");
  assert.ok(!html.includes("<script"), html);
  assert.ok(html.includes("Just text"));
  assert.ok(html.includes(".text-lg{"), "twind compiled the class");
});

Deno.test("island props round-trip through the page, even hostile strings", async () => {
  const tricky = '</script><script>alert(1)</script>\u2028\u2029 ünï "quotes" & <b>';
  const Page = ({ data }: PageProps<string>) => (
    <div>
      <Island of={TimeZoneSelect} props={{ name: "tz", value: "Europe/Berlin" }} />
      <Island of={TimeZoneSelect} props={{ name: data, value: null }} />
    </div>
  );
  const html = await renderDocument(Page, { data: tricky, user: null, url }, "Islands");
  assert.equal(html.match(/<\/script>/g)?.length, 2, "only our two script elements close");
  const { props, markers } = readIslands(html);
  assert.deepEqual(markers, [["TimeZoneSelect", 0], ["TimeZoneSelect", 1]]);
  assert.deepEqual(props, [{ name: "tz", value: "Europe/Berlin" }, { name: tricky, value: null }]);
  assert.match(html, /<script type="module" src="\/static\/islands\.js\?v=[0-9a-f]{16}">/);
  assert.match(html, /<option selected value="Europe\/Berlin">/, "server-rendered HTML");
});

Deno.test("serialiseIslandProps escapes what could end a script element", () => {
  const text = serialiseIslandProps([{ name: "x", props: { s: "</script>\u2028" } }]);
  assert.ok(!text.includes("<"));
  assert.ok(!text.includes("\u2028"));
  assert.deepEqual(JSON.parse(text), [{ s: "</script>\u2028" }]);
});

Deno.test("Island refuses components that are not registered", async () => {
  const NotAnIsland = () => <p>nope</p>;
  const Page = () => <Island of={NotAnIsland} props={{}} />;
  await assert.rejects(
    renderDocument(Page, { data: undefined, user: null, url }, "x"),
    /not registered in islands\/mod\.ts/,
  );
});
