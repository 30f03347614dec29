import assert from "node:assert/strict";
import { assertAllClose, compareAllClose } from "./all_close.ts";

Deno.test("assertAllClose accepts values within atol + rtol·|expected|", () => {
  assertAllClose([1, 2, 3], [1, 2, 3]);
  assertAllClose(new Float32Array([1.0005, -2]), [1, -2], { atol: 1e-3 });
  assertAllClose([101], [100], { rtol: 0.01 });
  assertAllClose([100.5], [100], { atol: 0.25, rtol: 0.0025 });
  assertAllClose([NaN, Infinity], [NaN, Infinity]);
  assertAllClose([], []);
});

Deno.test("assertAllClose names index, values and max diff on failure", () => {
  assert.throws(
    () => assertAllClose([0, 1, 2.5, 3.01], [0, 1, 2, 3], { atol: 0.1, label: "mfcc" }),
    (error: unknown) => {
      assert.ok(error instanceof assert.AssertionError);
      const message = (error as Error).message;
      assert.match(message, /^mfcc: 1 of 4 elements differ/);
      assert.match(message, /first at index 2: actual 2\.5, expected 2/);
      assert.match(message, /max \|diff\| 0\.5 at index 2/);
      return true;
    },
  );
});

Deno.test("assertAllClose rejects length mismatch, NaN and wrong infinities", () => {
  assert.throws(() => assertAllClose([1, 2], [1]), /Expected length 1, but got 2/);
  assert.throws(() => assertAllClose([NaN], [0], { atol: 1 }), /first at index 0/);
  assert.throws(() => assertAllClose([0], [NaN], { atol: 1 }), /first at index 0/);
  assert.throws(() => assertAllClose([Infinity], [-Infinity]), /first at index 0/);
});

Deno.test("compareAllClose reports the worst absolute and relative differences", () => {
  const report = compareAllClose([1, 2.2, 0.5], [1, 2, 0], { atol: 0.3 });
  assert.equal(report.failures, 1);
  assert.equal(report.firstFailure, 2);
  assert.equal(report.maxAbsDiffIndex, 2);
  assert.ok(Math.abs(report.maxAbsDiff - 0.5) < 1e-12);
  assert.ok(Math.abs(report.maxRelDiff - 0.1) < 1e-12);
  assert.throws(() => compareAllClose([1], [1], { atol: -1 }), RangeError);
});
