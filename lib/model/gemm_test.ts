import assert from "node:assert/strict";
import { assertAllClose } from "../testing/all_close.ts";
import { dense, gemmNT, prepareRight, scalarGemmNT, transpose } from "./gemm.ts";
import { packRight, simdAvailable, simdGemmNT } from "./simd_gemm.ts";
import { randomArray, seededUniform } from "./testing.ts";

// Reference values from the definition, in doubles, independent of both kernels.
function naive(rows: number, cols: number, depth: number, a: Float32Array, bt: Float32Array) {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let p = 0; p < depth; p++) s += a[i * depth + p] * bt[j * depth + p];
      out[i * cols + j] = s;
    }
  }
  return out;
}

const SHAPES = [[1, 1, 1], [2, 4, 4], [3, 5, 7], [1, 256, 64], [23, 64, 256], [9, 13, 301]];

Deno.test("the scalar and SIMD kernels agree with the definition on ragged shapes", () => {
  assert.ok(simdAvailable, "this runtime should have WebAssembly SIMD");
  const random = seededUniform(1);
  for (const [rows, cols, depth] of SHAPES) {
    const a = randomArray(rows * depth, random), bt = randomArray(cols * depth, random);
    const start = randomArray(rows * cols, random);
    const want = naive(rows, cols, depth, a, bt).map((v, i) => v + start[i]);
    const atol = 1e-6 * Math.sqrt(depth) * 4;
    for (const kernel of [scalarGemmNT, simdGemmNT, gemmNT]) {
      const c = Float32Array.from(start);
      kernel(rows, cols, depth, dense(a, depth), dense(bt, depth), dense(c, cols), true);
      assertAllClose(c, want, { atol, label: `${kernel.name} ${rows}×${cols}×${depth} +=` });
      kernel(rows, cols, depth, dense(a, depth), dense(bt, depth), dense(c, cols), false);
      assertAllClose(c, want.map((v, i) => v - start[i]), { atol, label: `${kernel.name} =` });
    }
  }
});

Deno.test("strided views: products of one time step out of [batch, time, features]", () => {
  const random = seededUniform(2);
  const batch = 3, time = 5, width = 6, cols = 8, step = 2;
  const x = randomArray(batch * time * width, random), bt = randomArray(cols * width, random);
  const out = new Float32Array(batch * time * cols);
  const right = prepareRight(dense(bt, width), cols, width);
  right.multiply(
    batch,
    { data: x, offset: step * width, rowStride: time * width },
    { data: out, offset: step * cols, rowStride: time * cols },
    false,
  );
  right.release();
  for (let b = 0; b < batch; b++) {
    const row = x.subarray((b * time + step) * width, (b * time + step + 1) * width);
    const want = naive(1, cols, width, row, bt);
    const got = out.subarray((b * time + step) * cols, (b * time + step + 1) * cols);
    assertAllClose(got, want, { atol: 1e-6 });
    // Other time steps are untouched.
    assert.ok(out.subarray(b * time * cols, (b * time + step) * cols).every((v) => v === 0));
  }
  assert.deepEqual(
    Array.from(transpose(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3)),
    [1, 4, 2, 5, 3, 6],
  );
});

Deno.test("packed operands must be released last-in first-out", () => {
  const first = packRight(dense(new Float32Array(16), 4), 4, 4);
  const second = packRight(dense(new Float32Array(16), 4), 4, 4);
  assert.throws(() => first.release(), /reverse order/);
  second.release();
  first.release();
});
