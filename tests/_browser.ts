/**
 * How the browser tests start Debian's Chromium: the package's path, and flags that keep it
 * from reaching for the network or a sandbox that root does not get.
 */

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags for every test browser. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
