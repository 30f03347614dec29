"""
Reference values for `lib/audio/functionals.ts` from librosa 0.11, on a synthetic clip made here.

The recipe's features have golden values in `shared/fixtures/golden`; the utterance functionals
use other librosa functions (frame 512 / hop 160 spectrogram, 40 mel bands, 20 MFCCs and their
`delta`, spectral centroid, bandwidth, flatness, roll-off and contrast, `yin` with a 1024-sample
frame), so this script writes their references to `lib/audio/testdata/functionals_golden.json`:

    pip install librosa
    python3 research/golden_functionals.py

The clip (1.6 s at 16 kHz, float32, stored in the file as base64) is a glottal-like pulse train
whose pitch glides from 140 to 220 Hz through two formant resonances, with a noise burst and
quiet lead-in and tail for the trim, from a seeded generator. The features are computed in
float64 from those float32 samples with the same steps as `functionals.py`'s `rich_features`
(mean removed, peak-normalised, trimmed at 60 dB) by `functionals.py`'s `descriptors` and
`clip_functionals`; the per-frame series and the 378 functionals are written rounded to 9
significant digits.
"""

import base64
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from functionals import clip_functionals, descriptors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib", "audio", "testdata",
                   "functionals_golden.json")


def clip(sr=16000):
    rng = np.random.default_rng(7)
    n = int(1.6 * sr)
    t = np.arange(n) / sr
    f0 = 140 + 80 * t / t[-1] + 6 * np.sin(2 * np.pi * 5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    source = sum(np.cos(k * phase) / k for k in range(1, 30))
    y = np.zeros(n)
    # Two resonances as second-order filters (formants near 700 and 1 800 Hz).
    for fc, bw, gain in ((700, 90, 1.0), (1800, 140, 0.5)):
        r = np.exp(-np.pi * bw / sr)
        a1, a2 = 2 * r * np.cos(2 * np.pi * fc / sr), -r * r
        out = np.zeros(n)
        for i in range(n):
            out[i] = source[i] + a1 * (out[i - 1] if i else 0) + a2 * (out[i - 2] if i > 1 else 0)
        y += gain * out / np.abs(out).max()
    envelope = np.clip(np.minimum(t - 0.25, 1.35 - t) / 0.05, 0, 1)
    y = y * envelope * (0.7 + 0.3 * np.sin(2 * np.pi * 3 * t))
    burst = (t > 0.8) & (t < 0.86)
    y[burst] += 0.3 * rng.standard_normal(burst.sum())
    y -= envelope * y.sum() / envelope.sum()  # zero mean, so removing it keeps the quiet parts
    y += 1e-6 * rng.standard_normal(n)
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def sig(a):
    return [float(f"{v:.9g}") for v in np.ravel(a)]


def main():
    import librosa

    sr = 16000
    raw = clip(sr)
    y = raw.astype(np.float64)
    y = y - y.mean()
    y = y / np.abs(y).max()
    y, (start, end) = librosa.effects.trim(y, top_db=60)
    d = descriptors(y)
    vector = clip_functionals(d, len(y) / sr)
    spectral = d["spectral"]
    golden = {
        "librosa": librosa.__version__,
        "sampleRateHz": sr,
        "samplesFloat32Base64": base64.b64encode(raw.tobytes()).decode(),
        "trim": [int(start), int(end)],
        "frames": int(d["mfcc"].shape[1]),
        "melDb": sig(d["mel"].T),
        "mfcc": sig(d["mfcc"].T),
        "delta": sig(d["delta"].T),
        "rmsDb": sig(spectral[0]),
        "centroid": sig(spectral[1]),
        "bandwidth": sig(spectral[2]),
        "flatness": sig(spectral[3]),
        "rolloff": sig(spectral[4]),
        "zcr": sig(spectral[5]),
        "contrast": sig(d["contrast"].T),
        "f0": sig(d["f0"]),
        "voiced": [bool(v) for v in d["voiced"]],
        "functionals": sig(vector),
    }
    with open(OUT, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"{OUT}: {d['mfcc'].shape[1]} frames, {len(vector)} functionals, "
          f"{int(d['voiced'].sum())} voiced")


if __name__ == "__main__":
    main()
