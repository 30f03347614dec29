"""
Which voice reference helps a classifier on voices it never heard, and which hurts?

The voice-referenced dense member (`lib/model/voice_reference.ts`) reads a clip's utterance
functionals minus the speaker's mean. For a new person that mean can only come from their
earlier recordings: a few of them, perhaps all from a few moods. This script compares, with an
RBF SVM on the 378 functionals of `functionals.py` (cached in `.cache/functionals.npz`) over
`sweep.py`'s five folds (TESS always trains), how each test clip is referenced:

- `none`: no reference (the SVM's own standardisation only);
- `mean`: minus the mean of K other clips of its speaker (training clips: minus their
  speaker's mean over all of that speaker's clips);
- `mean+spread`: also divided by those clips' spread (training: each speaker's spread);
- `median`: minus the median of the K clips;
- `balanced`: minus the mean of the per-emotion means of the K clips, emotions as a
  speaker-independent SVM predicts them (an attempt to undo a history leaning to few moods);
- `mean, and the mean as input`: `mean`, with the reference itself as 378 more inputs (could
  the classifier read emotions differently for different voices?);

for histories of K clips drawn at random (`any`), 70 % of them from two emotions (`lean`), or
all from three emotions (`3 moods`), two draws per clip.

    python3 research/voice_reference.py --ravdess DIR --tess DIR --out reports/functionals

numpy, scikit-learn; about 10 minutes on two cores. Writes `OUT/voice-reference.json`.
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from functionals import clips, load_rich, svm  # noqa: E402
from sweep import FOLDS  # noqa: E402

DRAWS = 2
ROWS = [
    # (history, K, estimators)
    ("any", 5, ("mean",)),
    ("any", 10, ("mean",)),
    ("any", 20, ("mean", "mean+spread", "median", "mean, and the mean as input")),
    ("any", 40, ("mean",)),
    ("lean", 16, ("mean", "mean+spread", "median", "balanced")),
    ("3 moods", 16, ("mean", "mean+spread", "median", "balanced")),
]


def history(rng, y, idx, i, k, kind):
    """K clips of the speaker's clips `idx` other than `i`."""
    pool = idx[idx != i]
    if kind == "any":
        return rng.choice(pool, size=k, replace=False)
    if kind == "3 moods":
        chosen = rng.choice(8, size=3, replace=False)
        pool = pool[np.isin(y[pool], chosen)]
        return rng.choice(pool, size=k, replace=False)
    if kind == "lean":
        chosen = rng.choice(8, size=2, replace=False)
        a, b = pool[np.isin(y[pool], chosen)], pool[~np.isin(y[pool], chosen)]
        na = min(len(a), int(round(0.7 * k)))
        return np.concatenate([rng.choice(a, na, replace=False),
                               rng.choice(b, k - na, replace=False)])
    raise ValueError(kind)


def speaker_centred(x, speaker, spread):
    z = np.empty_like(x)
    for s in np.unique(speaker):
        i = speaker == s
        z[i] = x[i] - x[i].mean(0)
        if spread:
            z[i] /= x[i].std(0) + 1e-6
    return z


def none_accuracy(x, y, actor):
    right = total = 0
    for test, val in FOLDS:
        tr, te = ~np.isin(actor, test + val), np.isin(actor, test)
        right += int((svm().fit(x[tr], y[tr]).predict(x[te]) == y[te]).sum())
        total += int(te.sum())
    return right / total


def referenced_accuracy(x, y, actor, speaker, kind, k, estimator):
    rng = np.random.default_rng(7)
    spread = estimator == "mean+spread"
    with_ref = estimator == "mean, and the mean as input"
    z = speaker_centred(x, speaker, spread)
    if with_ref:
        z = np.concatenate([z, x - z], 1)
    right = total = 0
    for test, val in FOLDS:
        tr = ~np.isin(actor, test + val)
        model = svm().fit(z[tr], y[tr])
        plain = svm().fit(x[tr], y[tr]) if estimator == "balanced" else None
        for a in test:
            idx = np.nonzero(actor == a)[0]
            for _ in range(DRAWS):
                rows = []
                for i in idx:
                    xh = x[history(rng, y, idx, i, k, kind)]
                    if estimator == "median":
                        ref = np.median(xh, 0)
                    elif estimator == "balanced":
                        p = plain.predict(xh)
                        ref = np.mean([xh[p == c].mean(0) for c in np.unique(p)], 0)
                    else:
                        ref = xh.mean(0)
                    r = x[i] - ref
                    if with_ref:
                        r = np.concatenate([r, ref])
                    rows.append(r / (xh.std(0) + 1e-6) if spread else r)
                right += int((model.predict(np.array(rows)) == y[idx]).sum())
                total += len(idx)
    return right / total


def main():
    warnings.filterwarnings("ignore")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--ravdess", required=True)
    ap.add_argument("--tess", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache", default=".cache/functionals.npz")
    args = ap.parse_args()
    items = clips(args.ravdess, args.tess)
    x = load_rich(items, args.cache).astype(np.float64)
    y = np.array([lab for _, lab, _ in items])
    speaker = np.array([s for _, _, s in items])
    actor = np.array([int(s.split("_")[-1]) if s.startswith("ravdess") else 0 for s in speaker])
    started = time.time()
    rows = [{"history": "none", "clips": 0, "reference": "none",
             "accuracy": round(none_accuracy(x, y, actor), 4)}]
    print(f"| none | | none | {100 * rows[0]['accuracy']:.1f} % |", flush=True)
    for kind, k, estimators in ROWS:
        for est in estimators:
            acc = referenced_accuracy(x, y, actor, speaker, kind, k, est)
            rows.append({"history": kind, "clips": k, "reference": est, "accuracy": round(acc, 4)})
            print(f"| {kind} | {k} | {est} | {100 * acc:.1f} % | ({time.time() - started:.0f} s)",
                  flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(f"{args.out}/voice-reference.json", "w") as f:
        json.dump({"folds": [list(map(list, f)) for f in FOLDS], "draws": DRAWS, "rows": rows},
                  f, indent=1)


if __name__ == "__main__":
    main()
