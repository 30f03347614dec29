/**
 * Deterministic test signals: sines and a speech-like signal (voiced syllables with moving
 * pitch and formants, fricative bursts, pauses, a low noise floor). They give benchmarks and
 * tests realistic spectra without shipping recordings.
 */

import { expectAtLeast, expectPositiveFinite } from "./errors.ts";

/**
 * A small seeded PRNG (mulberry32) returning floats in [0, 1); the same seed always gives the
 * same sequence, which keeps benchmark inputs and fuzz cases reproducible.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `amplitude · sin(2π · frequencyHz · n / sampleRateHz + phase)` for n = 0 … length−1. */
export function sine(
  length: number,
  frequencyHz: number,
  sampleRateHz: number,
  amplitude = 1,
  phase = 0,
): Float32Array {
  expectAtLeast("length", length, 0);
  expectPositiveFinite("sampleRateHz", sampleRateHz);
  const out = new Float32Array(length);
  const step = (2 * Math.PI * frequencyHz) / sampleRateHz;
  for (let i = 0; i < length; i++) out[i] = amplitude * Math.sin(step * i + phase);
  return out;
}

/** Options of {@link speechLikeSignal}. */
export interface SpeechLikeOptions {
  /** Length in seconds. */
  durationS: number;
  /** Sample rate in Hz; default 16000. */
  sampleRateHz?: number;
  /** PRNG seed; default 1. */
  seed?: number;
  /** Standard deviation of the background noise, linear; default 0.002 (about −50 dBFS). */
  noiseLevel?: number;
}

/** Second-order resonator (formant filter) state. */
interface Resonator {
  a1: number;
  a2: number;
  gain: number;
  y1: number;
  y2: number;
}

function tuneResonator(r: Resonator, centreHz: number, bandwidthHz: number, rate: number): void {
  const radius = Math.exp((-Math.PI * bandwidthHz) / rate);
  r.a1 = 2 * radius * Math.cos((2 * Math.PI * centreHz) / rate);
  r.a2 = -radius * radius;
  r.gain = 1 - radius;
}

/**
 * A deterministic speech-like signal: syllables of 120–320 ms, each a glottal pulse train with
 * a gliding pitch (90–240 Hz) through three formant resonators set to a random vowel, some
 * starting with a fricative noise burst, separated by short gaps and occasional pauses, over
 * a low Gaussian-ish noise floor. Peak level is about 0.5.
 */
export function speechLikeSignal(options: SpeechLikeOptions): Float32Array {
  const sampleRateHz = options.sampleRateHz ?? 16000;
  expectPositiveFinite("durationS", options.durationS);
  expectPositiveFinite("sampleRateHz", sampleRateHz);
  const noiseLevel = options.noiseLevel ?? 0.002;
  const random = seededRandom(options.seed ?? 1);
  const n = Math.round(options.durationS * sampleRateHz);
  const out = new Float32Array(n);
  const vowels = [
    [730, 1090, 2440],
    [270, 2290, 3010],
    [530, 1840, 2480],
    [570, 840, 2410],
    [300, 870, 2240],
    [660, 1720, 2410],
  ];
  const formants: Resonator[] = [0, 1, 2].map(() => ({ a1: 0, a2: 0, gain: 0, y1: 0, y2: 0 }));
  let i = Math.round(0.2 * sampleRateHz * random());
  let phase = 0;
  while (i < n) {
    const syllable = Math.round((0.12 + 0.2 * random()) * sampleRateHz);
    const vowel = vowels[Math.floor(random() * vowels.length)];
    const f0Start = 90 + 150 * random();
    const f0End = f0Start * (0.8 + 0.4 * random());
    const loudness = 0.25 + 0.75 * random();
    formants.forEach((r, k) =>
      tuneResonator(r, vowel[k] * (0.9 + 0.2 * random()), 60 + 60 * k, sampleRateHz)
    );
    const fricative = random() < 0.3 ? Math.round(0.06 * sampleRateHz) : 0;
    let previousNoise = 0;
    for (let j = 0; j < syllable + fricative && i + j < n; j++) {
      let x = 0;
      if (j < fricative) {
        // High-passed noise: first difference of white noise.
        const white = random() - 0.5;
        x = 0.15 * (white - previousNoise);
        previousNoise = white;
      } else {
        const v = j - fricative;
        const progress = v / syllable;
        const f0 = f0Start + (f0End - f0Start) * progress;
        phase += f0 / sampleRateHz;
        let pulse = 0;
        if (phase >= 1) {
          phase -= 1;
          pulse = 1;
        }
        let y = pulse;
        for (let k = 0; k < 3; k++) {
          const r = formants[k];
          const filtered = r.gain * y + r.a1 * r.y1 + r.a2 * r.y2;
          r.y2 = r.y1;
          r.y1 = filtered;
          y = k === 0 ? filtered : y;
          x += filtered * (k === 0 ? 1 : 0.6 / k);
        }
        x *= loudness * 8 * Math.sin(Math.PI * progress); // syllable envelope
      }
      out[i + j] += x;
    }
    i += syllable + fricative;
    i += Math.round(
      (random() < 0.15 ? 0.3 + 0.4 * random() : 0.03 + 0.07 * random()) * sampleRateHz,
    );
  }
  for (let j = 0; j < n; j++) {
    const gaussian = random() + random() + random() + random() - 2; // variance 1/3
    out[j] += noiseLevel * Math.sqrt(3) * gaussian;
  }
  let peak = 0;
  for (let j = 0; j < n; j++) peak = Math.max(peak, Math.abs(out[j]));
  if (peak > 0) { for (let j = 0; j < n; j++) out[j] *= 0.5 / peak; }
  return out;
}
