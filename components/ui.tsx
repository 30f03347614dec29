/**
 * Small server-only building blocks shared by pages: form fields, buttons, notices and
 * cards. Classes are Tailwind's, compiled at render time by twind; `dark:` variants follow
 * the person's colour scheme.
 */
import type { ComponentChildren } from "preact";

/** A labelled input; `error` is announced with the field. */
export function Field(
  { name, label, type = "text", value, autocomplete, hint, error, required = true, minLength }: {
    name: string;
    label: string;
    type?: string;
    value?: string;
    autocomplete?: string;
    hint?: string;
    error?: string;
    required?: boolean;
    minLength?: number;
  },
) {
  const hintId = hint ? `${name}-hint` : undefined;
  return (
    <div class="flex flex-col gap-1">
      <label for={name} class="font-medium">{label}</label>
      <input
        id={name}
        name={name}
        type={type}
        value={value}
        autocomplete={autocomplete}
        required={required}
        minLength={minLength}
        aria-describedby={hintId}
        aria-invalid={error ? "true" : undefined}
        class="border border-gray-300 dark:border-gray-600 rounded px-3 py-2 bg-white dark:bg-gray-700 focus:outline-none focus:ring-2 focus:ring-indigo-500"
      />
      {hint && <p id={hintId} class="text-sm text-gray-600 dark:text-gray-400">{hint}</p>}
    </div>
  );
}

/** The primary action of a form. */
export function Button(
  { children, variant = "primary" }: {
    children: ComponentChildren;
    variant?: "primary" | "secondary" | "danger";
  },
) {
  const colours = {
    primary: "bg-indigo-600 hover:bg-indigo-700 text-white",
    secondary:
      "bg-gray-100 hover:bg-gray-200 text-gray-900 dark:bg-gray-700 dark:hover:bg-gray-600 dark:text-gray-100",
    danger: "bg-red-600 hover:bg-red-700 text-white",
  }[variant];
  return (
    <button
      type="submit"
      class={`${colours} font-medium rounded px-4 py-2 focus:outline-none focus:ring-2 focus:ring-indigo-500`}
    >
      {children}
    </button>
  );
}

/** A message about the last action; errors are announced to screen readers at once. */
export function Notice(
  { kind, children }: { kind: "error" | "success"; children: ComponentChildren },
) {
  const colours = kind === "error"
    ? "bg-red-50 text-red-800 border-red-200 dark:bg-red-900 dark:text-red-200 dark:border-red-800"
    : "bg-green-50 text-green-800 border-green-200 dark:bg-green-900 dark:text-green-200 dark:border-green-800";
  return (
    <div role={kind === "error" ? "alert" : "status"} class={`border rounded px-4 py-3 ${colours}`}>
      {children}
    </div>
  );
}

/** A titled panel. */
export function Card({ title, children }: { title?: string; children: ComponentChildren }) {
  return (
    <section class="border border-gray-200 dark:border-gray-700 rounded-lg p-5 flex flex-col gap-4 bg-white dark:bg-gray-800">
      {title && <h2 class="text-lg font-semibold">{title}</h2>}
      {children}
    </section>
  );
}

/** A link styled as a button. */
export function LinkButton({ href, children }: { href: string; children: ComponentChildren }) {
  return (
    <a
      href={href}
      class="inline-block bg-indigo-600 hover:bg-indigo-700 text-white font-medium rounded px-4 py-2"
    >
      {children}
    </a>
  );
}
