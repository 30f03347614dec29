/**
 * Shared fft.js instances. Building an FFT's twiddle table costs more than a transform, so
 * each size is built once; the output buffer is reused, which is safe because every caller
 * consumes it before the next transform (JavaScript runs one call at a time).
 */

import FFT from "fft.js";

const fftCache = new Map<number, { fft: FFT; out: number[] }>();

/** A cached fft.js instance and output buffer for one size; not part of the public API. */
export function fftFor(size: number): { fft: FFT; out: number[] } {
  let entry = fftCache.get(size);
  if (!entry) {
    const fft = new FFT(size);
    entry = { fft, out: fft.createComplexArray() };
    fftCache.set(size, entry);
  }
  return entry;
}
