/**
 * Validation of an entry edit from the API: only `note`, `mood` and `energy`, each with a
 * readable reason when it is wrong, so nothing half-valid is ever written.
 */
import { type EntryPatch, MAX_NOTE_CHARS } from "../db.ts";

/** An edit that cannot be applied; the message is safe to show. */
export class EntryPatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EntryPatchError";
  }
}

const FIELDS = new Set(["note", "mood", "energy"]);

function rating(name: string, value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 5) {
    throw new EntryPatchError(
      `Expected ${name} to be a whole number from 1 to 5 or null, but got ${
        JSON.stringify(value)?.slice(0, 40)
      }`,
    );
  }
  return value;
}

/** Checks a parsed JSON body and returns the edit it asks for. */
export function parseEntryPatch(body: Record<string, unknown>): EntryPatch {
  const unknown = Object.keys(body).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) {
    throw new EntryPatchError(
      `Unknown field "${unknown[0].slice(0, 40)}"; an entry's note, mood and energy can be changed`,
    );
  }
  if (Object.keys(body).length === 0) {
    throw new EntryPatchError("Expected at least one of note, mood and energy");
  }
  const patch: EntryPatch = {};
  if ("note" in body) {
    if (typeof body.note !== "string") {
      throw new EntryPatchError(`Expected note to be a string, but got ${typeof body.note}`);
    }
    if (body.note.length > MAX_NOTE_CHARS) {
      throw new EntryPatchError(
        `Expected a note of at most ${MAX_NOTE_CHARS} characters, but got ${body.note.length}`,
      );
    }
    patch.note = body.note;
  }
  if ("mood" in body) patch.mood = rating("mood", body.mood);
  if ("energy" in body) patch.energy = rating("energy", body.energy);
  return patch;
}
