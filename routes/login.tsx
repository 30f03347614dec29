import { Button, Card, Field, Notice } from "../components/ui.tsx";
import { logIn, LoginFailedError, RateLimitError } from "../lib/accounts.ts";
import { readForm, safeNextPath } from "../lib/web/form.ts";
import { render } from "../lib/web/render.tsx";
import { clientAddress } from "../lib/web/request.ts";
import { startSession } from "../lib/web/session.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";

export const isPublic = true;
export const title = "Log in";

interface Data {
  username?: string;
  next: string;
  error?: string;
}

export const handlers: Handlers = {
  GET(c) {
    const next = safeNextPath(c.req.query("next"));
    if (c.get("user")) return c.redirect(next, 303);
    return render<Data>(c, { next });
  },
  async POST(c) {
    const form = await readForm(c);
    const next = safeNextPath(form.next);
    try {
      const user = await logIn(c.get("db"), form.username, form.password, clientAddress(c));
      await startSession(c, user.id);
      return c.redirect(next, 303);
    } catch (err) {
      const data = { username: form.username, next, error: (err as Error).message };
      if (err instanceof RateLimitError) {
        return render<Data>(c, data, {
          status: 429,
          headers: { "retry-after": String(err.retryAfterS) },
        });
      }
      if (err instanceof LoginFailedError) return render<Data>(c, data, { status: 401 });
      throw err;
    }
  },
};

/** Log-in form. */
export default function LogIn({ data }: PageProps<Data>) {
  return (
    <Card title="Log in">
      {data.error && <Notice kind="error">{data.error}</Notice>}
      <form method="post" action="/login" class="flex flex-col gap-4">
        <input type="hidden" name="next" value={data.next} />
        <Field name="username" label="Username" value={data.username} autocomplete="username" />
        <Field
          name="password"
          label="Password"
          type="password"
          autocomplete="current-password"
        />
        <div>
          <Button>Log in</Button>
        </div>
      </form>
      <p class="text-sm">
        New here? <a href="/signup" class="underline">Create your journal</a>.
      </p>
    </Card>
  );
}
