/**
 * Reference tests against librosa 0.11.0 (fixtures in `shared/fixtures/golden/librosa`, made
 * by independent Python code; see its README for conventions and tolerances). Every file in
 * that folder is checked; an unknown file fails the test so new fixtures cannot be skipped.
 */

import assert from "node:assert/strict";
import { assertAllClose, compareAllClose } from "../testing/all_close.ts";
import { HOP_LENGTH, N_FFT } from "./constants.ts";
import {
  extractFeatures,
  matrixColumn,
  melFilterbank,
  melSpectrogram,
  mfcc,
  powerToDb,
  rms,
  stftPower,
  zeroCrossingRate,
} from "./features.ts";
import { trimBounds } from "./preprocess.ts";
import { resample } from "./resample.ts";
import { decodeAudio, decodeAudioChannels } from "./wav.ts";

const GOLDEN = new URL("../../../shared/fixtures/golden/", import.meta.url);
const LIBROSA = new URL("librosa/", GOLDEN);

interface Matrix {
  shape: number[];
  values: number[][];
}

interface LoadStats {
  n_samples: number;
  sum: number;
  rms: number;
  max_abs: number;
  first_16: number[] | number[][];
}

/** Largest error seen per quantity, printed once so the achieved precision is on record. */
const worst: Record<string, number> = {};

function record(quantity: string, value: number): void {
  worst[quantity] = Math.max(worst[quantity] ?? 0, value);
}

/** librosa's `[row][frame]` matrix → our frame-major layout. */
function frameMajor(values: number[][]): Float64Array {
  const rows = values.length;
  const frames = values[0].length;
  const out = new Float64Array(rows * frames);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < frames; t++) out[t * rows + r] = values[r][t];
  }
  return out;
}

function maxOf(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  return max;
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function readJson(name: string) {
  return JSON.parse(Deno.readTextFileSync(new URL(name, LIBROSA)));
}

/** Checks the decoded signal against the fixture's sha256 and `load` statistics first. */
async function decodeVerified(
  fixture: { file: string; sha256: string; load: LoadStats },
): Promise<{ bytes: Uint8Array<ArrayBuffer>; channels: Float32Array[]; sampleRateHz: number }> {
  const bytes = Deno.readFileSync(new URL(fixture.file, GOLDEN));
  assert.equal(await sha256Hex(bytes), fixture.sha256, `${fixture.file}: sha256`);
  const decoded = decodeAudioChannels(bytes);
  const { load } = fixture;
  const label = fixture.file;
  for (const channel of decoded.channels) assert.equal(channel.length, load.n_samples, label);
  let sum = 0;
  let squares = 0;
  let maxAbs = 0;
  let count = 0;
  for (const channel of decoded.channels) {
    for (const x of channel) {
      sum += x;
      squares += x * x;
      maxAbs = Math.max(maxAbs, Math.abs(x));
      count++;
    }
  }
  assertAllClose([sum, Math.sqrt(squares / count), maxAbs], [load.sum, load.rms, load.max_abs], {
    rtol: 1e-6,
    atol: 1e-9,
    label: `${label}: load sum/rms/max_abs`,
  });
  const firsts = Array.isArray(load.first_16[0])
    ? (load.first_16 as number[][])
    : [load.first_16 as number[]];
  firsts.forEach((expected, c) => {
    assertAllClose(decoded.channels[c].subarray(0, 16), expected, {
      rtol: 1e-6,
      label: `${label}: first_16 of channel ${c}`,
    });
  });
  return { bytes, channels: decoded.channels, sampleRateHz: decoded.sampleRateHz };
}

async function checkFeatureFixture(name: string): Promise<void> {
  const fx = readJson(name);
  const { channels, sampleRateHz } = await decodeVerified(fx);
  assert.equal(channels.length, 1);
  assert.equal(sampleRateHz, fx.sr);
  const y = channels[0];
  const frames = fx.expected_n_frames;
  const label = (q: string) => `${name}: ${q}`;

  const rmsValues = rms(y);
  assert.equal(rmsValues.length, frames);
  assertAllClose(rmsValues, fx.rms.values[0], { atol: 1e-6, label: label("rms") });
  record("rms abs", compareAllClose(rmsValues, fx.rms.values[0]).maxAbsDiff);

  const zcrValues = zeroCrossingRate(y);
  assertAllClose(zcrValues, fx.zcr.values[0], { atol: 1e-6, label: label("zcr") });
  record("zcr abs", compareAllClose(zcrValues, fx.zcr.values[0]).maxAbsDiff);

  for (const padMode of ["constant", "reflect"] as const) {
    const spectrogram = stftPower(y, { padMode });
    assert.equal(spectrogram.frames, frames);
    const mel = melSpectrogram(spectrogram);
    const expectedMel = frameMajor((fx[`melspectrogram_${padMode}`] as Matrix).values);
    const melMax = maxOf(expectedMel);
    // Pointwise relative, plus a floor for float32 rounding of near-zero bins in librosa.
    assertAllClose(mel, expectedMel, {
      rtol: 1e-5,
      atol: 1e-6 * melMax,
      label: label(`mel ${padMode}`),
    });
    record(
      "mel abs / max(mel)",
      compareAllClose(mel, expectedMel).maxAbsDiff / melMax,
    );

    const db = powerToDb(mel);
    const expectedDb = frameMajor((fx[`power_to_db_${padMode}`] as Matrix).values);
    assertAllClose(db, expectedDb, { atol: 1e-4, label: label(`power_to_db ${padMode}`) });
    record("dB abs", compareAllClose(db, expectedDb).maxAbsDiff);

    const key = padMode === "constant" ? "mfcc" : "mfcc_reflect";
    const coefficients = mfcc(y, { padMode });
    assert.equal(coefficients.frames, frames);
    const expectedMfcc = frameMajor((fx[key] as Matrix).values);
    assertAllClose(coefficients.values, expectedMfcc, { atol: 1e-3, label: label(key) });
    record("mfcc abs", compareAllClose(coefficients.values, expectedMfcc).maxAbsDiff);
  }

  // The model's matrix carries exactly these columns.
  const features = extractFeatures(y);
  assert.equal(features.frames, frames);
  assertAllClose(matrixColumn(features.data, 15, 0), fx.rms.values[0], {
    atol: 1e-6,
    label: label("matrix rms"),
  });
  assertAllClose(matrixColumn(features.data, 15, 1), fx.zcr.values[0], {
    atol: 1e-6,
    label: label("matrix zcr"),
  });
  for (let k = 0; k < 13; k++) {
    assertAllClose(matrixColumn(features.data, 15, 2 + k), fx.mfcc.values[k], {
      atol: 1e-3,
      label: label(`matrix mfcc${k}`),
    });
  }

  const trims = [
    { top_db: 60, start: fx.trim.start, end: fx.trim.end },
    ...fx.trim_other_top_db
      .results,
  ];
  for (const t of trims) {
    assert.deepEqual(
      trimBounds(y, { topDb: t.top_db, frameLength: N_FFT, hopLength: HOP_LENGTH }),
      { start: t.start, end: t.end },
      label(`trim top_db ${t.top_db}`),
    );
  }
}

async function checkResampleFixture(name: string): Promise<void> {
  const fx = readJson(name);
  const { channels, sampleRateHz } = await decodeVerified(fx);
  assert.equal(channels.length, fx.channels);
  assert.equal(sampleRateHz, fx.sr);
  const bytes = Deno.readFileSync(new URL(fx.file, GOLDEN));
  const mono = decodeAudio(bytes).samples;
  if (fx.to_mono) {
    assert.equal(mono.length, fx.to_mono.length);
    assertAllClose(mono.subarray(0, 200), fx.to_mono.first_200, {
      atol: 1e-9,
      rtol: 1e-6,
      label: `${name}: to_mono first_200`,
    });
    const mid = fx.to_mono.mid_start;
    assertAllClose(mono.subarray(mid, mid + 200), fx.to_mono.mid_200, {
      atol: 1e-9,
      rtol: 1e-6,
      label: `${name}: to_mono mid_200`,
    });
  }
  const expected = fx.resample_kaiser_best;
  const y = resample(mono, sampleRateHz, 16000);
  assert.equal(y.length, expected.length, `${name}: resampled length`);
  const mid = expected.mid_start;
  assertAllClose(y.subarray(0, 200), expected.first_200, {
    atol: 1e-5,
    label: `${name}: kaiser_best first_200`,
  });
  assertAllClose(y.subarray(mid, mid + 200), expected.mid_200, {
    atol: 1e-5,
    label: `${name}: kaiser_best mid_200`,
  });
  record("resample abs", compareAllClose(y.subarray(0, 200), expected.first_200).maxAbsDiff);
  record(
    "resample abs",
    compareAllClose(y.subarray(mid, mid + 200), expected.mid_200).maxAbsDiff,
  );
  let squares = 0;
  for (const v of y) squares += v * v;
  assertAllClose([Math.sqrt(squares / y.length)], [expected.rms], {
    rtol: 1e-5,
    label: `${name}: kaiser_best rms`,
  });
}

function checkMelFilters(name: string): void {
  const fx = readJson(name);
  for (const nMels of [128, 40]) {
    const expected = fx[`n_mels_${nMels}`];
    const fb = melFilterbank({ sampleRateHz: 16000, nFft: 2048, nMels });
    assert.deepEqual([fb.nMels, fb.bins], expected.shape);
    assertAllClose(fb.edgesHz, expected.mel_center_frequencies_hz.values, {
      rtol: 1e-6,
      label: `mel ${nMels} edges`,
    });
    const dense = new Float64Array(nMels * fb.bins);
    for (const row of expected.all_rows_sparse.rows) {
      dense.set(row.values, row.row * fb.bins + row.start);
    }
    assertAllClose(fb.weights, dense, { atol: 1e-6, label: `mel ${nMels} weights` });
    record("mel filter abs", compareAllClose(fb.weights, dense).maxAbsDiff);
    for (const [row, values] of Object.entries(expected.dense_rows)) {
      const r = Number(row);
      assertAllClose(fb.weights.subarray(r * fb.bins, (r + 1) * fb.bins), values as number[], {
        atol: 1e-6,
        label: `mel ${nMels} dense row ${r}`,
      });
    }
    const rowSums = Array.from({ length: nMels }, (_, m) => {
      let sum = 0;
      for (let k = 0; k < fb.bins; k++) sum += fb.weights[m * fb.bins + k];
      return sum;
    });
    assertAllClose(rowSums, expected.row_sums, { rtol: 1e-5, label: `mel ${nMels} row sums` });
  }
}

function checkCrosscheck(name: string): void {
  // librosa's trim indices for every file and top_db, recorded next to the numpy ones.
  const fx = readJson(name);
  for (const [file, result] of Object.entries<Record<string, unknown>>(fx.files)) {
    const y = decodeAudio(Deno.readFileSync(new URL(`audio/${file}`, GOLDEN))).samples;
    assert.equal(y.length, result.n_samples);
    for (const topDb of [20, 30, 40, 60]) {
      const [start, end] = result[`trim_top_db_${topDb}_librosa`] as number[];
      assert.deepEqual(trimBounds(y, { topDb }), { start, end }, `${file}: trim ${topDb}`);
    }
  }
}

Deno.test("golden: every librosa fixture matches", async (t) => {
  const names = [...Deno.readDirSync(LIBROSA)].map((e) => e.name).filter((n) => n.endsWith(".json"))
    .sort();
  assert.ok(names.length >= 11, `expected the librosa fixtures, found ${names.length}`);
  for (const name of names) {
    await t.step(name, async () => {
      if (name === "mel_filters.json") checkMelFilters(name);
      else if (name === "numpy_crosscheck.json") checkCrosscheck(name);
      else if (name.startsWith("resample_")) await checkResampleFixture(name);
      else if (readJson(name).mfcc) await checkFeatureFixture(name);
      else assert.fail(`unhandled golden fixture ${name}`);
    });
  }
  const summary = Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ");
  console.log(`max errors vs librosa: ${summary}`);
});
