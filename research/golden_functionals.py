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
(mean removed, peak-normalised, trimmed at 60 dB); the per-frame series and the 378 functionals
are written rounded to 9 significant digits.
"""

import base64
import json
import os

import numpy as np

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

    sr, n_fft, hop = 16000, 512, 160
    raw = clip(sr)
    y = raw.astype(np.float64)
    y = y - y.mean()
    y = y / np.abs(y).max()
    y, (start, end) = librosa.effects.trim(y, top_db=60)
    power = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop)) ** 2
    mag = np.sqrt(power)
    mel = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_mels=40), top_db=80)
    mfcc = librosa.feature.mfcc(S=mel, n_mfcc=20)
    d1 = librosa.feature.delta(mfcc)
    rms_db = 20 * np.log10(librosa.feature.rms(S=mag, frame_length=n_fft)[0] + 1e-6)
    voiced = rms_db > rms_db.max() - 35
    spectral = np.vstack([
        rms_db,
        librosa.feature.spectral_centroid(S=mag, sr=sr)[0],
        librosa.feature.spectral_bandwidth(S=mag, sr=sr)[0],
        librosa.feature.spectral_flatness(S=mag)[0],
        librosa.feature.spectral_rolloff(S=mag, sr=sr)[0],
        librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop)[0][: len(rms_db)],
    ])
    contrast = librosa.feature.spectral_contrast(S=mag, sr=sr, n_bands=5, fmin=100)
    f0 = librosa.yin(y, fmin=60, fmax=500, sr=sr, frame_length=1024, hop_length=hop)

    def stats(m):
        return np.concatenate([m.mean(1), m.std(1), np.percentile(m, 10, axis=1),
                               np.percentile(m, 90, axis=1)])

    n = min(len(f0), len(voiced))
    pitched = voiced[:n] & (f0[:n] > 61) & (f0[:n] < 499)
    lf0 = np.log2(f0[:n][pitched])
    df0 = np.diff(lf0)
    pitch = [lf0.mean(), lf0.std(), np.percentile(lf0, 5), np.percentile(lf0, 95),
             np.abs(df0).mean(), df0.std(), pitched.mean(), len(y) / sr, voiced.mean(),
             np.abs(np.diff(rms_db[voiced])).mean()]
    vector = np.concatenate([stats(mel[:, voiced]), stats(mfcc[:, voiced]), stats(d1[:, voiced]),
                             stats(spectral[:, voiced]), stats(contrast[:, voiced]), pitch])
    golden = {
        "librosa": librosa.__version__,
        "sampleRateHz": sr,
        "samplesFloat32Base64": base64.b64encode(raw.tobytes()).decode(),
        "trim": [int(start), int(end)],
        "frames": int(mfcc.shape[1]),
        "melDb": sig(mel.T),
        "mfcc": sig(mfcc.T),
        "delta": sig(d1.T),
        "rmsDb": sig(spectral[0]),
        "centroid": sig(spectral[1]),
        "bandwidth": sig(spectral[2]),
        "flatness": sig(spectral[3]),
        "rolloff": sig(spectral[4]),
        "zcr": sig(spectral[5]),
        "contrast": sig(contrast.T),
        "f0": sig(f0),
        "voiced": [bool(v) for v in voiced],
        "functionals": sig(vector),
    }
    with open(OUT, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"{OUT}: {mfcc.shape[1]} frames, {len(vector)} functionals, "
          f"{int(voiced.sum())} voiced, {int(pitched.sum())} pitched")


if __name__ == "__main__":
    main()
