import { LinkButton, Notice } from "../components/ui.tsx";
import type { PageProps } from "../lib/web/types.ts";

export const isPublic = true;
export const title = "Moodline";

function Step({ n, title, children }: { n: number; title: string; children: string }) {
  return (
    <li class="flex gap-3">
      <span
        aria-hidden="true"
        class="flex-none w-8 h-8 rounded-full bg-indigo-100 text-indigo-700 dark:bg-indigo-900 dark:text-indigo-200 flex items-center justify-center font-semibold"
      >
        {n}
      </span>
      <div>
        <h3 class="font-semibold">{title}</h3>
        <p class="text-gray-700 dark:text-gray-300">{children}</p>
      </div>
    </li>
  );
}

/** Landing page: what Moodline does and what it promises about privacy. */
export default function Landing({ user, url }: PageProps<undefined>) {
  return (
    <>
      {url.searchParams.has("deleted") && !user && (
        <Notice kind="success">Your account and all its data were deleted.</Notice>
      )}
      <section class="flex flex-col gap-4 py-6">
        <h1 class="text-3xl sm:text-4xl font-bold">Hear how your days feel.</h1>
        <p class="text-lg text-gray-700 dark:text-gray-300">
          Moodline is a voice mood journal. Talk for a minute about your day and watch, live, which
          emotion your voice carries. Every recording becomes a journal entry, and your history
          shows how your mood moves over the weeks.
        </p>
        <div class="flex flex-wrap gap-3">
          {user ? <LinkButton href="/dashboard">Go to your dashboard</LinkButton> : (
            <>
              <LinkButton href="/signup">Create your journal</LinkButton>
              <a href="/login" class="px-4 py-2 underline">I have an account</a>
            </>
          )}
        </div>
      </section>
      <section aria-labelledby="how" class="flex flex-col gap-4">
        <h2 id="how" class="text-2xl font-semibold">How it works</h2>
        <ol class="flex flex-col gap-4">
          <Step n={1} title="Talk">
            Open your dashboard and speak about your day, in your own words, for about a minute.
          </Step>
          <Step n={2} title="See">
            A speech-emotion model listens to how you say it, not what you say, and shows the
            emotion it hears as you talk.
          </Step>
          <Step n={3} title="Look back">
            Entries add up to a journal with charts of your mood over weeks and months.
          </Step>
        </ol>
      </section>
      <section aria-labelledby="privacy" class="flex flex-col gap-2">
        <h2 id="privacy" class="text-2xl font-semibold">Your voice stays yours</h2>
        <p class="text-gray-700 dark:text-gray-300">
          Audio is analysed on our server and then discarded; only the emotions found in it are
          saved, with a summary of how your voice sounded (pitch, loudness and timbre averages, and
          how Moodline usually hears it; never the words) that tunes Moodline to your voice. No
          advertising, no sharing. You can delete any entry, or your account and all its data, at
          any time.
        </p>
        <p class="text-sm text-gray-600 dark:text-gray-400">
          Moodline is a journal, not a medical device: it reads acted-emotion patterns in a voice
          and can be wrong.
        </p>
      </section>
    </>
  );
}
