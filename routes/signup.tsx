import { Button, Card, Field, Notice } from "../components/ui.tsx";
import TimeZoneSelect from "../islands/TimeZoneSelect.tsx";
import { isValidTimeZone, signUp } from "../lib/accounts.ts";
import { MIN_PASSWORD_LENGTH, ValidationError } from "../lib/auth.ts";
import { readForm } from "../lib/web/form.ts";
import { Island } from "../lib/web/island.tsx";
import { render } from "../lib/web/render.tsx";
import { startSession } from "../lib/web/session.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";

export const isPublic = true;
export const title = "Sign up";

interface Data {
  username?: string;
  error?: string;
}

export const handlers: Handlers = {
  GET(c) {
    if (c.get("user")) return c.redirect("/dashboard", 303);
    return render<Data>(c, {});
  },
  async POST(c) {
    const form = await readForm(c);
    try {
      // The zone comes from the browser (the picker preselects it); it is optional, since
      // without JavaScript the picker shows UTC, and can be changed on the account page.
      const zone = form.time_zone || null;
      if (zone !== null && !isValidTimeZone(zone)) {
        throw new ValidationError("Choose a time zone from the list.");
      }
      const user = await signUp(c.get("db"), form.username, form.password, zone);
      await startSession(c, user.id);
      return c.redirect("/dashboard", 303);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return render<Data>(c, { username: form.username, error: err.message }, { status: 400 });
    }
  },
};

/** Sign-up form. */
export default function SignUp({ data }: PageProps<Data>) {
  return (
    <Card title="Create your journal">
      {data.error && <Notice kind="error">{data.error}</Notice>}
      <form method="post" action="/signup" class="flex flex-col gap-4">
        <Field
          name="username"
          label="Username"
          value={data.username}
          autocomplete="username"
          hint="3 to 32 characters: letters, digits, dot, dash or underscore."
        />
        <Field
          name="password"
          label="Password"
          type="password"
          autocomplete="new-password"
          minLength={MIN_PASSWORD_LENGTH}
          hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
        />
        <Island of={TimeZoneSelect} props={{ name: "time_zone", value: null }} />
        <div>
          <Button>Sign up</Button>
        </div>
      </form>
      <p class="text-sm">
        Already have an account? <a href="/login" class="underline">Log in</a>.
      </p>
    </Card>
  );
}
