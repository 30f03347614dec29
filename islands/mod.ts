/**
 * Every island, by the name the server writes into the page and the browser looks up.
 * Islands are the only components shipped to browsers: keep their imports to Preact and
 * browser-safe modules.
 */
import EntryEditor from "./EntryEditor.tsx";
import Recorder from "./Recorder.tsx";
import TimeZoneSelect from "./TimeZoneSelect.tsx";

/** Island components by name. */
export const islands = { EntryEditor, Recorder, TimeZoneSelect } as const;

/** The name of an island. */
export type IslandName = keyof typeof islands;
