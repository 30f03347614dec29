/**
 * Number formats shared by the journal's charts and tables: shares as whole percents,
 * seconds in the recording as `m:ss`, and signed affect values.
 */

/** A share in [0, 1] as a whole percent, e.g. `42 %`. */
export function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

/** Seconds as `m:ss` (rounded to whole seconds, never negative). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** A value in [−1, 1] with a sign and two decimals, e.g. `+0.25`, `−0.50` (true minus sign). */
export function signed(value: number): string {
  const text = Math.abs(value).toFixed(2);
  if (text === "0.00") return "0.00";
  return `${value < 0 ? "\u2212" : "+"}${text}`;
}
