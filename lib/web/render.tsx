/**
 * Server-side rendering of a page: the route's component inside the `_app` shell,
 * Tailwind classes compiled by twind into one inlined `<style>`, and, only when the page
 * used an island, the islands' props and the boot module. The `<style>` and any
 * style attributes are hashed into the response's policy (`lib/web/security.ts`), so the
 * policy needs no `'unsafe-inline'`.
 */
import { renderToString } from "preact-render-to-string";
import { inline, twind, virtual } from "@twind/core";
import presetTailwind from "@twind/preset-tailwind";
import App from "../../routes/_app.tsx";
import { IslandCollector, type IslandUse, serialiseIslandProps } from "./island.tsx";
import { admitInlineStyles, currentCsp } from "./security.ts";
import { assetPath } from "./static.ts";
import type { PageProps, PublicUser, RouteContext } from "./types.ts";
import type { ComponentType } from "preact";
import type { UserRecord } from "../db.ts";

// Unhashed class names: the browser re-renders islands with the same names, so the
// server's CSS keeps applying after hydration.
const tw = twind({ presets: [presetTailwind()], hash: false }, virtual());

/** What a page may set besides its data. */
export interface RenderOptions {
  status?: number;
  title?: string;
  headers?: Record<string, string>;
}

/** Public fields of a user record (never the password hash). */
export function publicUser(user: UserRecord | null): PublicUser | null {
  return user ? { id: user.id, username: user.username, timeZone: user.timeZone } : null;
}

/**
 * Renders `Page` with `data` as a full HTML document. Exposed for tests and the error
 * page; handlers use {@link render}.
 */
export async function renderDocument<Data>(
  Page: ComponentType<PageProps<Data>>,
  props: PageProps<Data>,
  title: string,
): Promise<string> {
  const uses: IslandUse[] = [];
  let html = "<!DOCTYPE html>" + renderToString(
    <IslandCollector.Provider value={uses}>
      <App title={title} user={props.user} url={props.url}>
        <Page {...props} />
      </App>
    </IslandCollector.Provider>,
  );
  if (uses.length > 0) {
    const scripts = `<script type="application/json" id="__island_props">${
      serialiseIslandProps(uses)
    }</script><script type="module" src="${await assetPath("islands.js")}"></script>`;
    html = html.replace("</body>", `${scripts}</body>`);
  }
  const document = inline(html, tw);
  await admitInlineStyles(document, currentCsp());
  return document;
}

/** Renders the current route's page component with `data`. */
export async function render<Data>(
  c: RouteContext,
  data: Data,
  options: RenderOptions = {},
): Promise<Response> {
  const Page = c.get("page") as ComponentType<PageProps<Data>> | null;
  if (!Page) throw new Error(`No page component for ${c.req.path}`);
  const html = await renderDocument(Page, {
    data,
    user: publicUser(c.get("user")),
    url: new URL(c.req.url),
  }, options.title ?? c.get("title"));
  return new Response(html, {
    status: options.status ?? 200,
    headers: { "content-type": "text/html; charset=utf-8", ...options.headers },
  });
}
