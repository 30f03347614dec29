/**
 * Typed HTTP errors. Handlers throw {@link HttpError}; `app.ts` maps it in one place to a
 * JSON `{ "error": … }` body for `/api/*` and to the error page elsewhere.
 */

/** An error with an HTTP status and a message that is safe to show the person. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.headers = headers;
  }
}

/** True for paths whose errors are answered as JSON. */
export function isApiPath(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}
