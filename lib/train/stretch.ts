/**
 * Time-scale modification by WSOLA (waveform-similarity overlap-add, Verhelst & Roelands
 * 1993): changes a recording's tempo and keeps its pitch and spectral envelope. With
 * resampling before it, it moves a voice's pitch and formants and keeps its speaking rate
 * (`augmentClip`'s `keepTempo`).
 *
 * Output frames of `FRAME` samples, Hann-windowed, are laid every `FRAME / 2` samples. Frame
 * k is read from the input near `k · FRAME / 2 · rate`, shifted by up to `TOLERANCE` samples
 * to where it best continues the frame before it (the largest cross-correlation, over every
 * other sample, with the input that followed that frame), so overlapping frames add in phase.
 */

/** 32 ms at 16 kHz: a few pitch periods of any voice. */
const FRAME = 512;
const HOP = FRAME / 2;
/** How far (samples) a frame may move from its nominal place: 8 ms, more than one period. */
const TOLERANCE = 128;

/**
 * `samples` played `rate` times faster without changing pitch: about
 * `samples.length / rate` samples long (exactly `round(samples.length / rate)`).
 */
export function timeStretch(samples: Float32Array, rate: number): Float32Array {
  if (!(rate >= 0.5 && rate <= 2)) {
    throw new RangeError(`Expected a tempo rate between 0.5 and 2, but got ${rate}`);
  }
  const outLength = Math.round(samples.length / rate);
  const out = new Float32Array(outLength);
  if (samples.length < FRAME || outLength < FRAME) {
    // Too short for a frame: nothing to overlap, so keep the start (or pad with silence).
    out.set(samples.subarray(0, outLength));
    return out;
  }
  const window = new Float32Array(FRAME);
  for (let i = 0; i < FRAME; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FRAME);
  const weight = new Float32Array(outLength);
  const lastStart = samples.length - FRAME;
  let previous = 0; // where the previous frame was read from
  for (let k = 0; k * HOP < outLength; k++) {
    const nominal = Math.round(k * HOP * rate);
    let start = Math.min(Math.max(nominal, 0), lastStart);
    if (k > 0) {
      // The input that naturally followed the previous frame, HOP samples on.
      const follow = Math.min(previous + HOP, lastStart);
      let best = -Infinity;
      const from = Math.max(0, nominal - TOLERANCE);
      const to = Math.min(lastStart, nominal + TOLERANCE);
      for (let c = from; c <= to; c++) {
        let dot = 0;
        for (let i = 0; i < FRAME; i += 2) dot += samples[c + i] * samples[follow + i];
        if (dot > best) {
          best = dot;
          start = c;
        }
      }
    }
    const at = k * HOP;
    const n = Math.min(FRAME, outLength - at);
    for (let i = 0; i < n; i++) {
      out[at + i] += window[i] * samples[start + i];
      weight[at + i] += window[i];
    }
    previous = start;
  }
  // Divide by the summed windows (1 inside, less at the two ends).
  for (let i = 0; i < outLength; i++) if (weight[i] > 1e-3) out[i] /= weight[i];
  return out;
}
