/**
 * Whether a finished entry holds everything a recorder sent: its duration equals the audio
 * sent, its segments are in order inside it, every segment a chunk answer reported is in it,
 * and every clip sent whole overlaps a segment (speech in it was heard).
 */

/** A segment as the API reports it (only the fields checked). */
export interface SegmentLike {
  startS: number;
  endS: number;
  label: string;
}

/** What is known about one recorder's recording. */
export interface SentRecording {
  /** Seconds of audio sent (one per chunk). */
  seconds: number;
  /** Segments the chunk answers reported. */
  answered: readonly SegmentLike[];
  /** Clips sent whole, in seconds from the start of the recording. */
  clips: readonly { startS: number; endS: number }[];
}

/** The verdict on one entry. */
export interface EntryCheck {
  complete: boolean;
  /** Chunks sent whose audio the entry does not hold (negative: more than was sent). */
  lostChunks: number;
  /** Clips sent whole that no segment overlaps. */
  unheardClips: number;
  /** What is wrong, one line each; empty when complete. */
  problems: string[];
}

const EPSILON_S = 1e-6;

/** Checks `entry` (the finish answer) against what was `sent`. */
export function checkEntry(
  entry: { durationS: number; segments: readonly SegmentLike[] },
  sent: SentRecording,
): EntryCheck {
  const problems: string[] = [];
  const lostChunks = Math.round(sent.seconds - entry.durationS);
  if (Math.abs(entry.durationS - sent.seconds) > EPSILON_S) {
    problems.push(`duration ${entry.durationS} s, but ${sent.seconds} s were sent`);
  }
  let previousEnd = 0;
  for (const [i, s] of entry.segments.entries()) {
    if (!(s.startS >= previousEnd - EPSILON_S && s.endS > s.startS)) {
      problems.push(`segment ${i} (${s.startS}–${s.endS} s) is out of order`);
    }
    if (s.endS > entry.durationS + EPSILON_S) {
      problems.push(`segment ${i} ends at ${s.endS} s, after the entry's end`);
    }
    previousEnd = s.endS;
  }
  const key = (s: SegmentLike) => `${s.startS}/${s.endS}/${s.label}`;
  const kept = new Set(entry.segments.map(key));
  const missing = sent.answered.filter((s) => !kept.has(key(s)));
  if (missing.length > 0) {
    problems.push(`${missing.length} segment(s) reported by chunk answers are not in the entry`);
  }
  const unheardClips =
    sent.clips.filter((c) => !entry.segments.some((s) => s.startS < c.endS && s.endS > c.startS))
      .length;
  if (unheardClips > 0) problems.push(`${unheardClips} clip(s) sent overlap no segment`);
  return { complete: problems.length === 0, lostChunks, unheardClips, problems };
}
