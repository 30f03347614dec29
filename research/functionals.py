"""
Are the recipe's inputs or its network the limit? Utterance-level classifiers on five folds.

Every network of the recipe reads the same 15 features a frame (RMS, ZCR, 13 MFCCs, frame 2048,
hop 512). This script asks what other inputs could give, without training a network: it
summarises each clip into fixed-length statistics ("functionals": mean, spread and 10th/90th
percentiles over the voiced frames) and classifies them with an RBF support-vector machine,
on the same five folds of RAVDESS actors as `sweep.py` (TESS always trains), for

- `recipe`: the functionals of the recipe's own 15 features and of their frame-to-frame changes
  (the model inputs `deno task export-features` wrote, original clips only), 90 numbers a clip:
  is a different classifier on the same inputs any better than the LSTM?
- `rich`: a wider set computed here with librosa from the clip (16 kHz, peak-normalised,
  trimmed at 60 dB): 40 log-mel bands, 20 MFCCs and their deltas, RMS in dB, spectral centroid,
  bandwidth, flatness, roll-off, ZCR, spectral contrast (frame 512, hop 160), and ten clip-wide
  numbers (log f0 level, range and movement from YIN, voiced and pitched shares, duration,
  loudness movement), 378 numbers a clip;

each as is and standardised per speaker (every feature centred and scaled with the mean and
spread of that speaker's clips; no labels used). For new voices the product could only take
those from a person's earlier recordings, so the script also standardises each test clip
with K other clips of its speaker drawn at random (three draws).

    pip install librosa scikit-learn soundfile joblib
    python3 research/functionals.py --ravdess ~/.cache/ser-data/ravdess \
        --tess ~/.cache/ser-data/tess --data .cache/sweep/data --out reports/functionals

`--data` is the folder of `deno task export-features` (for `recipe`). The rich features are
cached in `--cache` (default `.cache/functionals.npz`). Results go to `OUT/results.json` and a
table on stdout. Deterministic: the SVM and the draws are seeded.
"""

import argparse
import glob
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import summarise  # noqa: E402
from sweep import FOLDS, VOICED_RMS  # noqa: E402

LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
TESS_LABELS = {"neutral": 0, "happy": 2, "sad": 3, "angry": 4, "fear": 5, "disgust": 6, "ps": 7}
SR = 16000
N_FFT, HOP = 512, 160
SVM_C = 10.0
K_CLIPS = (10, 20, 40)
# Earlier clips of only a few emotions: (clips, emotions). Three emotions of a RAVDESS actor hold
# at least 19 other clips (neutral has 4, the others 8).
K_MOODS = ((16, None), (16, 3))
RANDOM_SPLITS = 10
MLP_UNITS, MLP_ALPHA, MLP_SEEDS = 256, 1e-2, (1, 2, 3)


def clips(ravdess, tess):
    """(path, label, speaker) of every clip; a speaker is "ravdess:Actor_NN" or "tess:OAF"/"YAF"."""
    out = []
    for p in sorted(glob.glob(f"{ravdess}/Actor_*/*.wav")):
        parts = os.path.basename(p)[:-4].split("-")
        out.append((p, int(parts[2]) - 1, f"ravdess:Actor_{int(parts[6]):02d}"))
    for p in sorted(glob.glob(f"{tess}/*/*.wav")):
        emotion = os.path.basename(p)[:-4].split("_")[-1].lower()
        out.append((p, TESS_LABELS[emotion], "tess:" + os.path.basename(os.path.dirname(p))[:3].upper()))
    if not out:
        raise SystemExit(f"functionals: no clips under {ravdess} and {tess}")
    return out


def stats(m):
    """Mean, spread, 10th and 90th percentile of each row of `m` (features × frames)."""
    return np.concatenate(
        [m.mean(1), m.std(1), np.percentile(m, 10, axis=1), np.percentile(m, 90, axis=1)]
    )


def descriptors(y):
    """The per-frame series of a prepared clip `y` (16 kHz, peak-normalised, trimmed), as
    `lib/audio/functionals.ts` computes them: 40-band log-mel, 20 MFCCs and their deltas, the
    spectral rows (RMS dB, centroid, bandwidth, flatness, roll-off, ZCR), spectral contrast, YIN
    f0, and which frames are voiced."""
    import librosa

    power = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP)) ** 2
    mag = np.sqrt(power)
    mel = librosa.power_to_db(
        librosa.feature.melspectrogram(S=power, sr=SR, n_mels=40), top_db=80
    )
    mfcc = librosa.feature.mfcc(S=mel, n_mfcc=20)
    d1 = librosa.feature.delta(mfcc)
    rms_db = 20 * np.log10(librosa.feature.rms(S=mag, frame_length=N_FFT)[0] + 1e-6)
    voiced = rms_db > rms_db.max() - 35
    if voiced.sum() < 3:
        voiced[:] = True
    spectral = np.vstack([
        rms_db,
        librosa.feature.spectral_centroid(S=mag, sr=SR)[0],
        librosa.feature.spectral_bandwidth(S=mag, sr=SR)[0],
        librosa.feature.spectral_flatness(S=mag)[0],
        librosa.feature.spectral_rolloff(S=mag, sr=SR)[0],
        librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP)[0][: len(rms_db)],
    ])
    contrast = librosa.feature.spectral_contrast(S=mag, sr=SR, n_bands=5, fmin=100)
    f0 = librosa.yin(y, fmin=60, fmax=500, sr=SR, frame_length=1024, hop_length=HOP)
    return {"mel": mel, "mfcc": mfcc, "delta": d1, "spectral": spectral, "contrast": contrast,
            "f0": f0, "voiced": voiced}


def clip_functionals(d, duration_s):
    """The 378 numbers of a clip from its `descriptors` (float64)."""
    voiced, f0, rms_db = d["voiced"], d["f0"], d["spectral"][0]
    n = min(len(f0), len(voiced))
    pitched = voiced[:n] & (f0[:n] > 61) & (f0[:n] < 499)
    lf0 = np.log2(f0[:n][pitched]) if pitched.sum() > 3 else np.zeros(4)
    df0 = np.diff(lf0)
    pitch = [
        lf0.mean(), lf0.std(), np.percentile(lf0, 5), np.percentile(lf0, 95),
        np.abs(df0).mean(), df0.std(), pitched.mean(), duration_s, voiced.mean(),
        np.abs(np.diff(rms_db[voiced])).mean() if voiced.sum() > 1 else 0.0,
    ]
    blocks = [stats(d[k][:, voiced]) for k in ("mel", "mfcc", "delta", "spectral", "contrast")]
    return np.nan_to_num(np.concatenate([np.ravel(b) for b in blocks + [pitch]]))


def rich_features(path):
    import librosa
    import soundfile as sf

    y, sr = sf.read(path, dtype="float32")
    if y.ndim > 1:
        y = y.mean(1)
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    y = y / (np.abs(y).max() + 1e-9)
    y, _ = librosa.effects.trim(y, top_db=60)
    return clip_functionals(descriptors(y), len(y) / SR).astype(np.float32)


def load_rich(items, cache):
    if os.path.exists(cache):
        data = np.load(cache)
        if list(data["paths"]) == [p for p, _, _ in items]:
            return data["x"]
    from joblib import Parallel, delayed

    started = time.time()
    x = np.array(Parallel(n_jobs=2)(delayed(rich_features)(p) for p, _, _ in items))
    os.makedirs(os.path.dirname(cache) or ".", exist_ok=True)
    np.savez(cache, x=x, paths=np.array([p for p, _, _ in items]))
    print(f"rich features of {len(items)} clips: {time.time() - started:.0f} s", file=sys.stderr)
    return x


def load_recipe(data_dir, items):
    """Functionals of the recipe's 15 features per original clip, in the order of `items`."""
    meta = json.load(open(f"{data_dir}/rows.json"))
    frames, width = meta["frames"], meta["width"]
    x = np.fromfile(f"{data_dir}/features.f16", dtype="<f2").astype(np.float32)
    x = x.reshape(-1, frames, width)
    rows = meta["rows"]
    keep = [i for i, r in enumerate(rows) if r["augment"] == 0]
    labels = [rows[i]["label"] for i in keep]
    speakers = [rows[i]["speaker"] for i in keep]
    if labels != [lab for _, lab, _ in items] or speakers != [s for _, _, s in items]:
        raise SystemExit("functionals: --data rows do not line up with the clips")
    out = []
    for i in keep:
        f = x[i][x[i][:, 0] > VOICED_RMS]
        if len(f) < 3:
            f = x[i]
        d = np.diff(f, axis=0)
        out.append(np.concatenate([stats(f.T), np.abs(d).mean(0), d.std(0)]))
    return np.array(out)


def per_speaker(x, speaker):
    z = np.empty_like(x)
    for s in np.unique(speaker):
        i = speaker == s
        z[i] = (x[i] - x[i].mean(0)) / (x[i].std(0) + 1e-6)
    return z


def svm():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return make_pipeline(StandardScaler(), SVC(C=SVM_C, random_state=0))


def folds_accuracy(x, y, actor):
    """Pooled test accuracy of the SVM over the five folds, and each fold's."""
    right = total = 0
    per_fold = []
    for test, val in FOLDS:
        tr = ~np.isin(actor, test + val)
        te = np.isin(actor, test)
        model = svm().fit(x[tr], y[tr])
        ok = int((model.predict(x[te]) == y[te]).sum())
        per_fold.append(round(ok / int(te.sum()), 4))
        right += ok
        total += int(te.sum())
    return {"accuracy": round(right / total, 4), "right": right, "clips": total, "folds": per_fold}


def mlp_probs(x, y, actor, seed):
    """Test probabilities of a one-hidden-layer network per fold (a tfjs Dense model could
    hold it), in fold order."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    out = []
    for test, val in FOLDS:
        tr = ~np.isin(actor, test + val)
        te = np.isin(actor, test)
        model = make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(MLP_UNITS,), alpha=MLP_ALPHA, max_iter=300, random_state=seed))
        out.append(model.fit(x[tr], y[tr]).predict_proba(x[te]))
    return out


def pooled(probs, y, actor):
    truth = np.concatenate([y[np.isin(actor, test)] for test, _ in FOLDS])
    pred = np.concatenate(probs).argmax(1)
    return {"accuracy": round(float((pred == truth).mean()), 4), "right": int((pred == truth).sum()),
            "clips": len(truth)}


def paired_gain(a, b, y, actor, draws=2000):
    """Accuracy of fold probabilities `b` minus `a` on the same clips, with a 95 % paired
    bootstrap interval over clips."""
    truth = np.concatenate([y[np.isin(actor, test)] for test, _ in FOLDS])
    ra = (np.concatenate(a).argmax(1) == truth).astype(float)
    rb = (np.concatenate(b).argmax(1) == truth).astype(float)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(truth), size=(draws, len(truth)))
    diffs = (rb[idx] - ra[idx]).mean(1)
    return [round(float(rb.mean() - ra.mean()), 4), round(float(np.percentile(diffs, 2.5)), 4),
            round(float(np.percentile(diffs, 97.5)), 4)]


def recipe_ensemble(paths, y, actor, name="raw"):
    """Test probabilities per fold of the sweep's recipe networks (`summarise.py`'s "raw", or
    the recipe `name`), seeds `MLP_SEEDS`, averaged: the LSTMs the MLPs are mixed with."""
    runs = [r for r in summarise.load(paths)
            if summarise.recipe(r) == name and r["seed"] in MLP_SEEDS]
    out = []
    for f, (test, _) in enumerate(FOLDS):
        fold = [r for r in runs if r["fold"] == f]
        if len(fold) != len(MLP_SEEDS):
            raise SystemExit(f"functionals: the sweep results hold {len(fold)} networks of "
                             f"recipe {name!r} of seeds {MLP_SEEDS} for fold {f}")
        if any(r["test_labels"] != y[np.isin(actor, test)].tolist() for r in fold):
            raise SystemExit("functionals: the sweep's test clips do not line up")
        out.append(np.mean([r["test_probs"] for r in fold], 0))
    return out


def mlp_rows(name, x, y, actor, lstm):
    """The MLP seeds' mean accuracy, their ensemble's, and that ensemble averaged with the
    recipe's LSTMs (`lstm`, from `recipe_ensemble`) with its gain over them."""
    seeds = [mlp_probs(x, y, actor, s) for s in MLP_SEEDS]
    ens = [np.mean([s[f] for s in seeds], 0) for f in range(len(FOLDS))]
    singles = [pooled(s, y, actor)["accuracy"] for s in seeds]
    mixed = [(a + b) / 2 for a, b in zip(lstm, ens)]
    return [
        (f"{name}, MLP ({len(seeds)} seeds, mean)",
         {"accuracy": round(float(np.mean(singles)), 4), "seeds": singles}),
        (f"{name}, MLP ensemble of {len(seeds)}", pooled(ens, y, actor)),
        (f"that and the {name} MLP ensemble, averaged",
         {**pooled(mixed, y, actor), "gain_over_lstm": paired_gain(lstm, mixed, y, actor)}),
    ]


def k_clip_accuracy(x, y, actor, speaker, k, draws=3, moods=None):
    """Test clips standardised with `k` other clips of their speaker (training: whole speakers);
    with `moods`, clips of only that many emotions, drawn at random for each test clip (a
    history that leans to a few moods)."""
    z = per_speaker(x, speaker)
    rng = np.random.default_rng(k if moods is None else 1000 * moods + k)
    right = total = 0
    for test, val in FOLDS:
        tr = ~np.isin(actor, test + val)
        model = svm().fit(z[tr], y[tr])
        for a in test:
            idx = np.nonzero(actor == a)[0]
            for _ in range(draws):
                rows = []
                for i in idx:
                    pool = idx[idx != i]
                    if moods is not None:
                        chosen = rng.choice(len(LABELS), size=moods, replace=False)
                        pool = pool[np.isin(y[pool], chosen)]
                    pick = rng.choice(pool, size=k, replace=False)
                    rows.append((x[i] - x[pick].mean(0)) / (x[pick].std(0) + 1e-6))
                right += int((model.predict(np.array(rows)) == y[idx]).sum())
                total += len(idx)
    return {"accuracy": round(right / total, 4), "right": right, "clips": total}


def random_split_accuracy(x, y, actor):
    """The published protocol: 87.5 / 8.7 / 3.8 % at random, over several draws."""
    accs, ravdess = [], []
    for seed in range(RANDOM_SPLITS):
        perm = np.random.default_rng(seed).permutation(len(y))
        te, tr = perm[: round(0.038 * len(y))], perm[round(0.125 * len(y)):]
        pred = svm().fit(x[tr], y[tr]).predict(x[te])
        accs.append(round(float((pred == y[te]).mean()), 4))
        r = actor[te] > 0
        ravdess.append(float((pred[r] == y[te][r]).mean()))
    return {"accuracy": round(float(np.mean(accs)), 4), "splits": accs,
            "ravdess": round(float(np.mean(ravdess)), 4), "test_clips": round(0.038 * len(y))}


def main():
    warnings.filterwarnings("ignore")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--ravdess", required=True)
    ap.add_argument("--tess", required=True)
    ap.add_argument("--data", required=True, help="folder of `deno task export-features`")
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache", default=".cache/functionals.npz")
    ap.add_argument("--sweep", nargs="*",
                    default=["reports/sweep/main.json", "reports/sweep/seeds.json"],
                    help="sweep results whose raw-recipe networks (seeds 1-3) the MLPs are mixed with")
    args = ap.parse_args()
    items = clips(args.ravdess, args.tess)
    y = np.array([lab for _, lab, _ in items])
    speaker = np.array([s for _, _, s in items])
    actor = np.array([int(s.split("_")[-1]) if s.startswith("ravdess") else 0 for s in speaker])
    inputs = {"recipe": load_recipe(args.data, items), "rich": load_rich(items, args.cache)}
    results = {"folds": [list(map(list, f)) for f in FOLDS], "svm_c": SVM_C, "rows": []}
    for name, x in inputs.items():
        rows = [
            (f"{name}", folds_accuracy(x, y, actor)),
            (f"{name}, per speaker", folds_accuracy(per_speaker(x, speaker), y, actor)),
        ]
        if name == "rich":
            lstm = recipe_ensemble(args.sweep, y, actor)
            plain = mlp_rows(name, x, y, actor, lstm)
            speaker_rows = mlp_rows(f"{name}, per speaker", per_speaker(x, speaker), y, actor, lstm)
            rows += plain[:2] + [
                (f"recipe LSTM ensemble of {len(MLP_SEEDS)} (sweep)", pooled(lstm, y, actor)),
                plain[2],
            ] + speaker_rows[1:]
            rows += [(f"{name}, per speaker from {k} clips", k_clip_accuracy(x, y, actor, speaker, k))
                     for k in K_CLIPS]
            rows += [(f"{name}, per speaker from {k} clips"
                      + (f" of {m} emotions" if m else " (any emotions)"),
                      k_clip_accuracy(x, y, actor, speaker, k, moods=m)) for k, m in K_MOODS]
        rows.append((f"{name}, random split", random_split_accuracy(x, y, actor)))
        for label, r in rows:
            results["rows"].append({"inputs": label, "width": int(x.shape[1]), **r})
            gain = r.get("gain_over_lstm")
            extra = f"{100 * gain[0]:+.1f} ({100 * gain[1]:+.1f} to {100 * gain[2]:+.1f})" if gain else ""
            print(f"| {label} | {x.shape[1]} | {100 * r['accuracy']:.1f} % | {extra} |", flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(f"{args.out}/results.json", "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
