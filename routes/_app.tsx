/**
 * The HTML shell around every page: head, skip link, navigation (which depends on
 * whether someone is logged in), main content and footer.
 */
import type { ComponentChildren } from "preact";
import type { PublicUser } from "../lib/web/types.ts";

/** Props of the shell. */
export interface AppProps {
  title: string;
  user: PublicUser | null;
  url: URL;
  children: ComponentChildren;
}

function NavLink({ href, url, children }: { href: string; url: URL; children: ComponentChildren }) {
  const current = url.pathname === href || url.pathname.startsWith(href + "/");
  return (
    <a
      href={href}
      aria-current={current ? "page" : undefined}
      class={`px-2 py-1 rounded hover:bg-gray-100 dark:hover:bg-gray-800 ${
        current ? "font-semibold underline" : ""
      }`}
    >
      {children}
    </a>
  );
}

/** The document shell. */
export default function App({ title, user, url, children }: AppProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <link rel="icon" href="/static/icon.svg" type="image/svg+xml" />
        <title>{title === "Moodline" ? title : `${title} · Moodline`}</title>
      </head>
      <body class="min-h-screen bg-gray-50 text-gray-900 dark:bg-gray-900 dark:text-gray-100 flex flex-col">
        <a href="#main" class="sr-only focus:not-sr-only focus:p-2">Skip to content</a>
        <header class="border-b border-gray-200 dark:border-gray-700 bg-white dark:bg-gray-800">
          <nav
            aria-label="Main"
            class="max-w-3xl mx-auto px-4 py-3 flex flex-wrap items-center gap-2 justify-between"
          >
            <a
              href={user ? "/dashboard" : "/"}
              class="text-xl font-bold text-indigo-600 dark:text-indigo-400"
            >
              Moodline
            </a>
            {user
              ? (
                <div class="flex flex-wrap items-center gap-1">
                  <NavLink href="/dashboard" url={url}>Dashboard</NavLink>
                  <NavLink href="/entries" url={url}>Journal</NavLink>
                  <NavLink href="/history" url={url}>History</NavLink>
                  <NavLink href="/account" url={url}>Account</NavLink>
                  <form method="post" action="/logout">
                    <button
                      type="submit"
                      class="px-2 py-1 rounded hover:bg-gray-100 dark:hover:bg-gray-800"
                    >
                      Log out
                    </button>
                  </form>
                </div>
              )
              : (
                <div class="flex items-center gap-1">
                  <NavLink href="/login" url={url}>Log in</NavLink>
                  <NavLink href="/signup" url={url}>Sign up</NavLink>
                </div>
              )}
          </nav>
        </header>
        <main id="main" class="flex-1 w-full max-w-3xl mx-auto px-4 py-8 flex flex-col gap-6">
          {children}
        </main>
        <footer class="text-sm text-gray-600 dark:text-gray-400 text-center py-6">
          Moodline keeps your recordings private: audio is analysed on our server and not kept.
        </footer>
      </body>
    </html>
  );
}
