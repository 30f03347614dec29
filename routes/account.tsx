import { Button, Card, Field, Notice } from "../components/ui.tsx";
import TimeZoneSelect from "../islands/TimeZoneSelect.tsx";
import { changePassword, deleteAccount, setTimeZone } from "../lib/accounts.ts";
import { MIN_PASSWORD_LENGTH, ValidationError } from "../lib/auth.ts";
import { readForm } from "../lib/web/form.ts";
import { Island } from "../lib/web/island.tsx";
import { render } from "../lib/web/render.tsx";
import { endSession } from "../lib/web/session.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";

export const title = "Account";

const DONE_MESSAGES: Record<string, string> = {
  password: "Your password was changed.",
  timezone: "Your time zone was saved.",
};

interface Data {
  createdAt: string;
  sessionCount: number;
  done?: string;
  error?: { action: string; message: string };
}

async function pageData(c: Parameters<NonNullable<Handlers["GET"]>>[0]): Promise<Data> {
  const user = c.get("user")!;
  return {
    createdAt: new Date(user.createdAtMs).toISOString().slice(0, 10),
    sessionCount: await c.get("db").countUserSessions(user.id),
    done: DONE_MESSAGES[c.req.query("done") ?? ""],
  };
}

export const handlers: Handlers = {
  async GET(c) {
    return render<Data>(c, await pageData(c));
  },
  async POST(c) {
    const db = c.get("db");
    const user = c.get("user")!;
    const form = await readForm(c);
    try {
      switch (form.action) {
        case "password":
          await changePassword(db, user, form.current_password, form.new_password);
          await db.deleteUserSessions(user.id, c.get("sessionHash") ?? undefined);
          return c.redirect("/account?done=password", 303);
        case "timezone":
          await setTimeZone(db, user, form.time_zone);
          return c.redirect("/account?done=timezone", 303);
        case "logout-everywhere":
          await db.deleteUserSessions(user.id);
          await endSession(c);
          return c.redirect("/login", 303);
        case "delete":
          await deleteAccount(db, user, form.password);
          await endSession(c);
          return c.redirect("/?deleted=1", 303);
        default:
          throw new ValidationError("Unknown action.");
      }
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const data = await pageData(c);
      data.error = { action: form.action ?? "", message: err.message };
      return render<Data>(c, data, { status: 400 });
    }
  },
};

function ActionError({ data, action }: { data: Data; action: string }) {
  return data.error?.action === action ? <Notice kind="error">{data.error.message}</Notice> : null;
}

/** Account settings: time zone, password, sessions, deletion. */
export default function Account({ data, user }: PageProps<Data>) {
  return (
    <>
      <h1 class="text-2xl font-bold">Account</h1>
      {data.done && <Notice kind="success">{data.done}</Notice>}
      <p>
        Logged in as <strong>{user!.username}</strong>, member since {data.createdAt}.
      </p>
      <Card title="Time zone">
        <ActionError data={data} action="timezone" />
        <p class="text-gray-700 dark:text-gray-300">
          Your journal groups entries by day in this time zone.
        </p>
        <form method="post" action="/account" class="flex flex-col gap-4">
          <input type="hidden" name="action" value="timezone" />
          <Island of={TimeZoneSelect} props={{ name: "time_zone", value: user!.timeZone }} />
          <div>
            <Button>Save time zone</Button>
          </div>
        </form>
      </Card>
      <Card title="Change password">
        <ActionError data={data} action="password" />
        <form method="post" action="/account" class="flex flex-col gap-4">
          <input type="hidden" name="action" value="password" />
          <Field
            name="current_password"
            label="Current password"
            type="password"
            autocomplete="current-password"
          />
          <Field
            name="new_password"
            label="New password"
            type="password"
            autocomplete="new-password"
            minLength={MIN_PASSWORD_LENGTH}
            hint={`At least ${MIN_PASSWORD_LENGTH} characters. Other devices will be logged out.`}
          />
          <div>
            <Button>Change password</Button>
          </div>
        </form>
      </Card>
      <Card title="Sessions">
        <p>
          You are logged in on {data.sessionCount} device{data.sessionCount === 1 ? "" : "s"}.
        </p>
        <form method="post" action="/account">
          <input type="hidden" name="action" value="logout-everywhere" />
          <Button variant="secondary">Log out everywhere</Button>
        </form>
      </Card>
      <Card title="Export your journal">
        <p class="text-gray-700 dark:text-gray-300">
          Download everything Moodline keeps for you: every entry with its segments, emotions, notes
          and ratings.
        </p>
        <div class="flex flex-wrap gap-3">
          <a
            href="/api/export?format=json"
            download
            class="underline font-medium"
            data-testid="export-json"
          >
            Download as JSON
          </a>
          <a
            href="/api/export?format=csv"
            download
            class="underline font-medium"
            data-testid="export-csv"
          >
            Download as CSV (one row per segment)
          </a>
        </div>
      </Card>
      <Card title="Delete account">
        <ActionError data={data} action="delete" />
        <p class="text-gray-700 dark:text-gray-300">
          This deletes your account and every journal entry, at once and for good.
        </p>
        <form method="post" action="/account" class="flex flex-col gap-4">
          <input type="hidden" name="action" value="delete" />
          <Field
            name="password"
            label="Your password, to confirm"
            type="password"
            autocomplete="current-password"
          />
          <div>
            <Button variant="danger">Delete my account and all data</Button>
          </div>
        </form>
      </Card>
    </>
  );
}
