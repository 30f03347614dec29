/**
 * Streaming sample-rate conversion to 16 kHz for the recorder, with a proper
 * anti-aliasing low-pass: a Kaiser-windowed sinc evaluated on a polyphase table.
 *
 * Output sample `n` sits at input time `n · inputRateHz / outputRateHz` and is the
 * filter's zero-phase response there, so a whole recording comes out time-aligned with
 * its input and exactly `ceil(inputLength · outputRateHz / inputRateHz)` samples long.
 * Feeding the input in pieces gives bit-for-bit the same output as feeding it at once.
 *
 * The filter passes up to `passbandEdge` of the output Nyquist frequency (7 kHz of 8 kHz
 * by default) and attenuates by `stopbandAttenuationDb` from the output Nyquist frequency
 * on, so nothing above 8 kHz folds back into the 16 kHz signal. At 48 kHz that is a
 * 242-tap filter, about 4 million multiply-adds per second of audio.
 *
 * @example
 * const downsampler = new Downsampler({ inputRateHz: audioContext.sampleRate });
 * const out = downsampler.push(frames); // Float32Array at 16 kHz, possibly empty
 * const tail = downsampler.flush();     // the rest, once the input has ended
 */

import { besselI0 } from "../../lib/audio/resample.ts";

/** Options of {@link Downsampler}. */
export interface DownsamplerOptions {
  /** Rate of the input (an integer in Hz, e.g. an `AudioContext`'s 44100 or 48000). */
  inputRateHz: number;
  /** Rate of the output; default 16000 Hz. */
  outputRateHz?: number;
  /** End of the passband as a fraction of the lower rate's Nyquist frequency; default 0.875. */
  passbandEdge?: number;
  /** Attenuation from the lower rate's Nyquist frequency on, in dB; default 80. */
  stopbandAttenuationDb?: number;
}

/** Most filter phases tabulated; rates needing more interpolate between neighbouring rows. */
const MAX_TABLE_PHASES = 1024;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Kaiser's β for a stopband attenuation in dB. */
function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) {
    return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  }
  return 0;
}

function expectRate(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1000 || value > 768000) {
    throw new RangeError(`Expected ${name} to be an integer from 1000 to 768000, but got ${value}`);
  }
}

/** A stateful converter: push input pieces, get output pieces, flush at the end. */
export class Downsampler {
  /** Input rate in Hz. */
  readonly inputRateHz: number;
  /** Output rate in Hz. */
  readonly outputRateHz: number;
  /**
   * Half the filter length in input samples: output `n` waits for input up to
   * `n · inputRateHz / outputRateHz + halfWidth`. Zero when the rates are equal.
   */
  readonly halfWidth: number;

  readonly #step: number; // input advance per output, numerator over #phases
  readonly #phases: number; // output positions repeat every #phases outputs
  readonly #tableRows: number;
  readonly #taps: number;
  readonly #table: Float64Array; // (#tableRows + 1) rows of #taps coefficients
  #buffer: Float32Array;
  #bufferStart: number; // input index of #buffer[0] (negative for the leading zeros)
  #bufferLength = 0;
  #inputCount = 0;
  #outputCount = 0;
  #base = 0; // floor(#outputCount · #step / #phases)
  #phase = 0; // (#outputCount · #step) mod #phases
  #flushed = false;

  constructor(options: DownsamplerOptions) {
    const {
      inputRateHz,
      outputRateHz = 16000,
      passbandEdge = 0.875,
      stopbandAttenuationDb = 80,
    } = options;
    expectRate("inputRateHz", inputRateHz);
    expectRate("outputRateHz", outputRateHz);
    if (!(passbandEdge > 0 && passbandEdge < 1)) {
      throw new RangeError(`Expected 0 < passbandEdge < 1, but got ${passbandEdge}`);
    }
    if (!(stopbandAttenuationDb >= 21 && stopbandAttenuationDb <= 200)) {
      throw new RangeError(
        `Expected stopbandAttenuationDb from 21 to 200, but got ${stopbandAttenuationDb}`,
      );
    }
    this.inputRateHz = inputRateHz;
    this.outputRateHz = outputRateHz;
    const divisor = gcd(inputRateHz, outputRateHz);
    this.#step = inputRateHz / divisor;
    this.#phases = outputRateHz / divisor;

    if (inputRateHz === outputRateHz) {
      this.halfWidth = 0;
      this.#tableRows = 0;
      this.#taps = 0;
      this.#table = new Float64Array(0);
      this.#buffer = new Float32Array(0);
      this.#bufferStart = 0;
      return;
    }

    // Frequencies in cycles per input sample.
    const nyquist = 0.5 * Math.min(1, outputRateHz / inputRateHz);
    const transition = (1 - passbandEdge) * nyquist;
    const cutoff = nyquist - transition / 2;
    const length = Math.ceil((stopbandAttenuationDb - 7.95) / (2.285 * 2 * Math.PI * transition));
    const halfWidth = Math.ceil(length / 2) + 1;
    this.halfWidth = halfWidth;
    this.#taps = 2 * halfWidth;
    this.#tableRows = Math.min(this.#phases, MAX_TABLE_PHASES);
    this.#table = new Float64Array((this.#tableRows + 1) * this.#taps);
    const beta = kaiserBeta(stopbandAttenuationDb);
    const windowScale = 1 / besselI0(beta);
    for (let row = 0; row <= this.#tableRows; row++) {
      const fraction = row / this.#tableRows;
      const offset = row * this.#taps;
      let sum = 0;
      for (let j = 0; j < this.#taps; j++) {
        // Tap j multiplies input (base − halfWidth + 1 + j), at distance x from the output time.
        const x = j - (halfWidth - 1) - fraction;
        const r = x / halfWidth;
        if (Math.abs(r) >= 1) continue;
        const u = 2 * cutoff * x;
        const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
        const value = 2 * cutoff * sinc * besselI0(beta * Math.sqrt(1 - r * r)) * windowScale;
        this.#table[offset + j] = value;
        sum += value;
      }
      for (let j = 0; j < this.#taps; j++) this.#table[offset + j] /= sum;
    }
    // Leading zeros stand for the silence before the first sample.
    this.#bufferStart = -(halfWidth - 1);
    this.#bufferLength = halfWidth - 1;
    this.#buffer = new Float32Array(Math.max(4096, 4 * this.#taps));
  }

  /** Input samples pushed so far. */
  get inputLength(): number {
    return this.#inputCount;
  }

  /** Output samples returned so far. */
  get outputLength(): number {
    return this.#outputCount;
  }

  /** Converts the next piece of input; returns every output sample that is now complete. */
  push(input: Float32Array): Float32Array {
    if (this.#flushed) throw new Error("Downsampler.push after flush");
    this.#inputCount += input.length;
    if (this.halfWidth === 0) {
      this.#outputCount += input.length;
      return input.slice();
    }
    this.#append(input);
    // Output n is complete once input base(n) + halfWidth has arrived.
    const lastBase = this.#inputCount - this.halfWidth - 1;
    const ready = lastBase < 0 ? 0 : Math.ceil(((lastBase + 1) * this.#phases) / this.#step);
    return this.#produce(ready - this.#outputCount);
  }

  /** Ends the input (as if silence followed) and returns the remaining output samples. */
  flush(): Float32Array {
    if (this.#flushed) return new Float32Array(0);
    this.#flushed = true;
    const total = Math.ceil((this.#inputCount * this.#phases) / this.#step);
    if (this.halfWidth === 0) return new Float32Array(0);
    this.#append(new Float32Array(this.halfWidth + 1));
    return this.#produce(total - this.#outputCount);
  }

  #append(input: Float32Array): void {
    const needed = this.#bufferLength + input.length;
    if (needed > this.#buffer.length) {
      // Drop what no future output reads, then grow if that is not enough.
      const keepFrom = this.#base - (this.halfWidth - 1) - this.#bufferStart;
      const kept = this.#bufferLength - keepFrom;
      const capacity = Math.max(this.#buffer.length, 2 * (kept + input.length));
      const target = capacity > this.#buffer.length ? new Float32Array(capacity) : this.#buffer;
      if (target === this.#buffer) target.copyWithin(0, keepFrom, this.#bufferLength);
      else target.set(this.#buffer.subarray(keepFrom, this.#bufferLength));
      this.#buffer = target;
      this.#bufferStart += keepFrom;
      this.#bufferLength = kept;
    }
    this.#buffer.set(input, this.#bufferLength);
    this.#bufferLength += input.length;
  }

  #produce(count: number): Float32Array {
    const out = new Float32Array(Math.max(0, count));
    const taps = this.#taps;
    const table = this.#table;
    const buffer = this.#buffer;
    const rows = this.#tableRows;
    const exact = rows === this.#phases;
    for (let i = 0; i < out.length; i++) {
      const start = this.#base - (this.halfWidth - 1) - this.#bufferStart;
      let acc = 0;
      if (exact || this.#phase === 0) {
        const offset = (exact ? this.#phase : 0) * taps;
        for (let j = 0; j < taps; j++) acc += table[offset + j] * buffer[start + j];
      } else {
        const position = (this.#phase * rows) / this.#phases;
        const row = Math.floor(position);
        const weight = position - row;
        const a = row * taps;
        const b = a + taps;
        for (let j = 0; j < taps; j++) {
          const coefficient = table[a + j] + weight * (table[b + j] - table[a + j]);
          acc += coefficient * buffer[start + j];
        }
      }
      out[i] = acc;
      this.#phase += this.#step;
      const carry = Math.floor(this.#phase / this.#phases);
      this.#base += carry;
      this.#phase -= carry * this.#phases;
    }
    this.#outputCount += out.length;
    return out;
  }
}

/** Converts a whole signal at once; the same as one {@link Downsampler} push and flush. */
export function downsample(
  input: Float32Array,
  inputRateHz: number,
  outputRateHz = 16000,
): Float32Array {
  const downsampler = new Downsampler({ inputRateHz, outputRateHz });
  const head = downsampler.push(input);
  const tail = downsampler.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
