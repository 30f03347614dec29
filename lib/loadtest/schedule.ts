/**
 * When each simulated recorder sends its chunks: every second from a random offset within
 * the first second, so recorders do not all fire at once, for a bounded number of seconds.
 */

/** One recorder's send times, in milliseconds from the start of the run. */
export interface UserSchedule {
  /** Offset of the first chunk, in [0, 1000). */
  offsetMs: number;
  /** Time chunk `seq` is due: `offsetMs + 1000 · seq`. */
  sendAtMs: number[];
}

/**
 * Schedules `users` recorders sending `seconds` chunks each. `random` returns values in
 * [0, 1) (the run passes a seeded generator).
 */
export function userSchedules(
  users: number,
  seconds: number,
  random: () => number,
): UserSchedule[] {
  if (!Number.isInteger(users) || users < 0) {
    throw new RangeError(`Expected users to be a whole number, but got ${users}`);
  }
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new RangeError(`Expected seconds to be a whole number, but got ${seconds}`);
  }
  return Array.from({ length: users }, () => {
    const offsetMs = Math.min(999, Math.floor(random() * 1000));
    return {
      offsetMs,
      sendAtMs: Array.from({ length: seconds }, (_, seq) => offsetMs + 1000 * seq),
    };
  });
}
