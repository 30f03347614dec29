import assert from "node:assert/strict";
import { assertAllClose } from "../../lib/testing/all_close.ts";
import { downsample, Downsampler } from "./downsample.ts";

/** Rates browsers use for an AudioContext, plus one that needs the interpolated table. */
const RATES = [48000, 44100, 96000, 22050, 44056];

function tone(frequencyHz: number, rateHz: number, seconds: number, amplitude = 1): Float32Array {
  const out = new Float32Array(Math.round(rateHz * seconds));
  for (let i = 0; i < out.length; i++) {
    out[i] = amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz);
  }
  return out;
}

/** RMS of the middle of `x`, away from the filter's start and end transients. */
function middleRms(x: Float32Array): number {
  const from = Math.floor(x.length * 0.2);
  const to = Math.floor(x.length * 0.8);
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / (to - from));
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

Deno.test("a 1 kHz tone keeps its amplitude and phase at 16 kHz", () => {
  for (const rate of RATES) {
    const out = downsample(tone(1000, rate, 1, 0.5), rate);
    const expected = tone(1000, 16000, 1, 0.5);
    assertAllClose(out.subarray(1600, 14400), expected.subarray(1600, 14400), {
      atol: 5e-4,
      label: `1 kHz from ${rate} Hz`,
    });
  }
});

Deno.test("the passband is flat up to 7 kHz", () => {
  for (const rate of RATES) {
    for (const frequencyHz of [100, 3000, 6000, 7000]) {
      const rms = middleRms(downsample(tone(frequencyHz, rate, 0.5), rate));
      const gainDb = 20 * Math.log10(rms * Math.SQRT2);
      assert.ok(Math.abs(gainDb) < 0.01, `${frequencyHz} Hz from ${rate} Hz: ${gainDb} dB`);
    }
  }
});

Deno.test("tones at and above 7.9 kHz are attenuated by at least 40 dB instead of folding back", () => {
  // 8.1 kHz would alias to 7.9 kHz, 12 kHz to 4 kHz, 20 kHz to 4 kHz (from 48 kHz). Above
  // 8 kHz the design gives 80 dB; 7.9 kHz is at the end of the transition band.
  for (const rate of RATES) {
    for (const frequencyHz of [7900, 8000, 8100, 8500, 9000, 12000, 15000, 20000]) {
      if (frequencyHz >= rate / 2) continue;
      const rms = middleRms(downsample(tone(frequencyHz, rate, 0.5), rate));
      const gainDb = 20 * Math.log10(rms * Math.SQRT2);
      const limitDb = frequencyHz > 8000 ? -75 : -40;
      assert.ok(gainDb <= limitDb, `${frequencyHz} Hz from ${rate} Hz: ${gainDb.toFixed(1)} dB`);
    }
  }
});

Deno.test("a constant stays constant (unit gain at DC on every phase)", () => {
  for (const rate of RATES) {
    const out = downsample(new Float32Array(rate).fill(0.25), rate);
    assertAllClose(out.subarray(800, 15200), new Float32Array(14400).fill(0.25), {
      atol: 1e-6,
      label: `DC from ${rate} Hz`,
    });
  }
});

Deno.test("output length is ceil(input · 16000 / rate), whatever the pieces", () => {
  const next = random(7);
  for (const rate of [...RATES, 16000, 8000, 11025]) {
    for (const inputLength of [0, 1, 2, 127, 128, 1000, rate - 1, rate, rate + 1, 3 * rate + 17]) {
      const downsampler = new Downsampler({ inputRateHz: rate });
      let produced = 0;
      let pushed = 0;
      while (pushed < inputLength) {
        const size = Math.min(inputLength - pushed, Math.floor(next() * 3000));
        produced += downsampler.push(new Float32Array(size)).length;
        pushed += size;
        // Everything whose filter window is complete has come out, nothing more.
        const complete = Math.max(0, Math.ceil(((pushed - downsampler.halfWidth) * 16000) / rate));
        assert.equal(produced, complete, `${rate} Hz after ${pushed} samples`);
        assert.equal(downsampler.outputLength, produced);
      }
      produced += downsampler.flush().length;
      assert.equal(produced, Math.ceil((inputLength * 16000) / rate), `${rate} Hz, ${inputLength}`);
      assert.equal(downsampler.flush().length, 0, "a second flush adds nothing");
    }
  }
});

Deno.test("streaming in pieces equals converting in one go, bit for bit", () => {
  const next = random(11);
  for (const rate of [...RATES, 16000, 8000]) {
    const input = new Float32Array(Math.round(rate * 1.3));
    for (let i = 0; i < input.length; i++) input[i] = next() * 2 - 1;
    const oneShot = downsample(input, rate);
    for (const pieceSizes of [[1], [128], [0, 128, 1, 4096], [rate], [997, 3, 5000]]) {
      const downsampler = new Downsampler({ inputRateHz: rate });
      const parts: Float32Array[] = [];
      let offset = 0;
      for (let k = 0; offset < input.length; k++) {
        const size = pieceSizes[k % pieceSizes.length];
        parts.push(downsampler.push(input.subarray(offset, offset + size)));
        offset += size;
      }
      parts.push(downsampler.flush());
      assert.deepEqual(concat(parts), oneShot, `${rate} Hz in pieces of ${pieceSizes}`);
    }
  }
});

Deno.test("equal rates pass samples through unchanged", () => {
  const input = tone(440, 16000, 0.1);
  const downsampler = new Downsampler({ inputRateHz: 16000 });
  assert.equal(downsampler.halfWidth, 0);
  assert.deepEqual(concat([downsampler.push(input), downsampler.flush()]), input);
});

Deno.test("bad parameters are refused at construction", () => {
  assert.throws(() => new Downsampler({ inputRateHz: 0 }), RangeError);
  assert.throws(() => new Downsampler({ inputRateHz: 44100.5 }), RangeError);
  assert.throws(() => new Downsampler({ inputRateHz: NaN }), RangeError);
  assert.throws(() => new Downsampler({ inputRateHz: 48000, passbandEdge: 1 }), RangeError);
  assert.throws(
    () => new Downsampler({ inputRateHz: 48000, stopbandAttenuationDb: 10 }),
    /Expected stopbandAttenuationDb from 21 to 200, but got 10/,
  );
  const downsampler = new Downsampler({ inputRateHz: 48000 });
  downsampler.flush();
  assert.throws(() => downsampler.push(new Float32Array(1)), /after flush/);
});
