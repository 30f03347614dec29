import assert from "node:assert/strict";
import { seededRandom } from "./synth.ts";
import { resample } from "./resample.ts";
import { resampleSimd } from "./resample_simd.ts";
import { simdAvailable } from "../model/simd_gemm.ts";

function noise(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => 2 * random() - 1);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

Deno.test("the SIMD resampler runs here (so the tests below test it, not the fallback)", () => {
  assert.ok(simdAvailable);
});

Deno.test("resampleSimd equals resample within 5e-7 at test-time augmentation's and common rates", () => {
  const rates: [number, number][] = [
    [14800, 16000],
    [17200, 16000],
    [14400, 16000],
    [17600, 16000],
    [15200, 16000],
    [16800, 16000],
    [44100, 16000],
    [48000, 16000],
    [8000, 16000],
  ];
  for (const [from, to] of rates) {
    for (const n of [0, 1, 7, 300, 20_011]) {
      const x = noise(n, n + from);
      const expected = resample(x, from, to);
      const got = resampleSimd(x, from, to);
      assert.equal(got.length, expected.length, `${from}→${to}, ${n} samples`);
      const d = maxDiff(got, expected);
      assert.ok(d <= 5e-7, `${from}→${to}, ${n} samples: differs by ${d}`);
    }
  }
});

Deno.test("resampleSimd covers inputs longer than one block of rows, tail zeros included", () => {
  // 2048 rows of 40 outputs each is 81 920 outputs; this needs three blocks.
  const x = noise(200_000, 9);
  const expected = resample(x, 14800, 16000);
  const got = resampleSimd(x, 14800, 16000);
  assert.equal(got.length, expected.length);
  assert.ok(maxDiff(got, expected) <= 5e-7);
});

Deno.test("resampleSimd falls back to resample for rates that are not whole numbers, and checks rates", () => {
  const x = noise(1000, 2);
  assert.deepEqual(resampleSimd(x, 16000 * 1.0123, 16000), resample(x, 16000 * 1.0123, 16000));
  assert.deepEqual(resampleSimd(x, 16000, 16000), x);
  // 256 kHz → 16 kHz: rows of about 1 600 samples, beyond what is laid out.
  assert.deepEqual(resampleSimd(x, 256000, 16000), resample(x, 256000, 16000));
  assert.throws(() => resampleSimd(x, 0, 16000), /Expected fromHz > 0, but got 0/);
});
