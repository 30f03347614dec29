import type { PageProps } from "../lib/web/types.ts";

/** What the error page shows. */
export interface ErrorData {
  status: number;
  message: string;
}

const HEADINGS: Record<number, string> = {
  404: "Page not found",
  500: "Something went wrong",
};

/** The page for 404s and unexpected errors. */
export default function ErrorPage({ data }: PageProps<ErrorData>) {
  return (
    <section class="flex flex-col gap-3 py-10 text-center items-center">
      <p class="text-5xl font-bold text-indigo-600">{data.status}</p>
      <h1 class="text-2xl font-semibold">{HEADINGS[data.status] ?? "Request refused"}</h1>
      <p class="text-gray-700 dark:text-gray-300">{data.message}</p>
      <a href="/" class="underline">Back to the start</a>
    </section>
  );
}
