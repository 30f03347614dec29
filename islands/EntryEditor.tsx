/**
 * Editing one journal entry in the browser: the note, the self-rated mood and energy (1 … 5
 * or not rated), saved with `PATCH /api/entries/:id`, and deleting the entry with
 * `DELETE /api/entries/:id` after an in-page confirmation, which then goes back to the
 * journal. Messages from the API (`{ "error": … }`) are shown as they come.
 *
 * Every element is rendered on the server too, shown or hidden by state (`hidden`,
 * `empty:hidden`), because the page's CSS holds only the classes of the server's HTML.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ENERGY_WORDS, MOOD_WORDS, RATINGS } from "./ratings.ts";

/** Props of {@link EntryEditor}; all serialisable. */
export interface EntryEditorProps {
  /** The entry's id. */
  id: string;
  note: string;
  mood: number | null;
  energy: number | null;
  /** Longest note the API accepts. */
  maxNoteChars: number;
}

/** Where the save or delete stands, with the message shown. */
type Status =
  | { kind: "idle" }
  | { kind: "busy"; text: string }
  | { kind: "saved" }
  | { kind: "error"; text: string };

/** The API's error message from a failed response, or a fallback naming the status. */
export async function errorMessage(res: Response): Promise<string> {
  try {
    const body = await res.json();
    if (body && typeof body.error === "string" && body.error) return body.error;
  } catch {
    // Not JSON: fall through to the generic message.
  }
  return `The server answered ${res.status}; please try again.`;
}

const fieldClass =
  "border border-gray-300 dark:border-gray-600 rounded px-3 py-2 bg-white dark:bg-gray-700";

function RatingGroup(
  { name, legend, words, value, onChange }: {
    name: string;
    legend: string;
    words: readonly string[];
    value: number | null;
    onChange: (v: number | null) => void;
  },
) {
  const options: [number | null, string][] = [
    [null, "Not rated"],
    ...RATINGS.map((r): [number, string] => [r, `${r} ${words[r - 1]}`]),
  ];
  return (
    <fieldset class="flex flex-col gap-1">
      <legend class="font-medium">{legend}</legend>
      <div class="flex flex-wrap gap-x-4 gap-y-1">
        {options.map(([v, text]) => (
          <label key={text} class="inline-flex items-center gap-1">
            <input
              type="radio"
              name={name}
              value={v === null ? "" : String(v)}
              checked={value === v}
              onChange={() => onChange(v)}
            />
            {text}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** The note and ratings form with Save, and Delete with its confirmation. */
export default function EntryEditor({ id, note, mood, energy, maxNoteChars }: EntryEditorProps) {
  const [text, setText] = useState(note);
  const [moodValue, setMood] = useState(mood);
  const [energyValue, setEnergy] = useState(energy);
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const [confirming, setConfirming] = useState(false);
  // Set once the island runs in the browser; until then the buttons cannot work.
  const [live, setLive] = useState(false);
  useEffect(() => setLive(true), []);
  // The confirmation replaces the Delete button; move focus into it (to the safe choice).
  const keepRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) keepRef.current?.focus();
  }, [confirming]);
  const url = `/api/entries/${encodeURIComponent(id)}`;
  const busy = status.kind === "busy";

  const edited = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    if (status.kind !== "busy") setStatus({ kind: "idle" });
  };

  async function save() {
    setStatus({ kind: "busy", text: "Saving…" });
    try {
      const res = await fetch(url, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ note: text, mood: moodValue, energy: energyValue }),
      });
      if (!res.ok) return setStatus({ kind: "error", text: await errorMessage(res) });
      await res.body?.cancel();
      setStatus({ kind: "saved" });
    } catch {
      setStatus({ kind: "error", text: "Could not reach the server; your changes are not saved." });
    }
  }

  async function remove() {
    setStatus({ kind: "busy", text: "Deleting…" });
    try {
      const res = await fetch(url, { method: "DELETE" });
      if (!res.ok && res.status !== 404) {
        setConfirming(false);
        return setStatus({ kind: "error", text: await errorMessage(res) });
      }
      location.assign("/entries");
    } catch {
      setConfirming(false);
      setStatus({ kind: "error", text: "Could not reach the server; the entry is not deleted." });
    }
  }

  return (
    <div
      class="flex flex-col gap-4"
      data-testid="entry-editor"
      data-live={live ? "true" : undefined}
    >
      <div class="flex flex-col gap-1">
        <label for={`note-${id}`} class="font-medium">Note</label>
        <textarea
          id={`note-${id}`}
          name="note"
          rows={4}
          maxLength={maxNoteChars}
          value={text}
          onInput={(e) => edited(setText)((e.target as HTMLTextAreaElement).value)}
          class={fieldClass}
        />
        <p class="text-sm text-gray-600 dark:text-gray-400">
          {text.length} of {maxNoteChars} characters
        </p>
      </div>
      <RatingGroup
        name="mood"
        legend="Mood"
        words={MOOD_WORDS}
        value={moodValue}
        onChange={edited(setMood)}
      />
      <RatingGroup
        name="energy"
        legend="Energy"
        words={ENERGY_WORDS}
        value={energyValue}
        onChange={edited(setEnergy)}
      />
      <div class="flex flex-wrap items-center gap-3">
        <button
          type="button"
          disabled={busy || !live}
          onClick={save}
          class="bg-indigo-600 hover:bg-indigo-700 text-white font-medium rounded px-4 py-2 disabled:opacity-50"
        >
          Save
        </button>
        <p role="status" aria-live="polite" class="text-sm" data-testid="editor-status">
          {status.kind === "busy" && status.text}
          {status.kind === "saved" && "Saved"}
        </p>
      </div>
      <p
        role="alert"
        class="empty:hidden text-sm text-red-700 dark:text-red-300"
        data-testid="editor-error"
      >
        {status.kind === "error" ? status.text : ""}
      </p>
      <div class="border-t border-gray-200 dark:border-gray-700 pt-4">
        <div hidden={confirming}>
          <button
            type="button"
            disabled={!live}
            onClick={() => setConfirming(true)}
            class="text-red-700 dark:text-red-300 underline disabled:opacity-50"
          >
            Delete entry
          </button>
        </div>
        <div hidden={!confirming}>
          <div role="group" aria-label="Confirm deletion" class="flex flex-wrap items-center gap-3">
            <p>Delete this entry for good? This cannot be undone.</p>
            <button
              type="button"
              disabled={busy || !live}
              onClick={remove}
              class="bg-red-600 hover:bg-red-700 text-white font-medium rounded px-4 py-2 disabled:opacity-50"
            >
              Yes, delete
            </button>
            <button
              type="button"
              ref={keepRef}
              disabled={busy || !live}
              onClick={() => setConfirming(false)}
              class="bg-gray-100 hover:bg-gray-200 text-gray-900 dark:bg-gray-700 dark:hover:bg-gray-600 dark:text-gray-100 font-medium rounded px-4 py-2 disabled:opacity-50"
            >
              Keep it
            </button>
          </div>
        </div>
      </div>
    </div>
  );
}
