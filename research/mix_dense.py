"""
The product's dense member mixed with the recipe's LSTMs, on the five folds.

`deno task train-functionals --folds` trains the dense member (one hidden layer over the
utterance functionals of `lib/audio/functionals.ts`, three seeds) on each of `sweep.py`'s five
folds and writes each fold's test clips with the seed ensemble's probabilities. This script
averages those with the sweep's recipe LSTMs of the same folds (`summarise.py`'s "raw",
seeds 1-3, as `functionals.py` mixes its scikit-learn MLP) and reports the pooled accuracy of
each part and of the mix, with the mix's gain over the LSTMs (95 % paired bootstrap):

    deno task train-functionals --ravdess DIR --tess DIR --folds \
        --report reports/functionals/dense-folds.json
    python3 research/mix_dense.py --ravdess DIR --tess DIR \
        --dense reports/functionals/dense-folds.json --out reports/functionals/dense-mix.json

numpy only. The mix weights both parts equally, as the product does; other weights are listed
for information, not chosen from these test clips.

`--tta reports/sweep/tta.json` mixes with three recipe networks scored with test-time augmentation
(seeds 9-11 of the sweep's `tta` plan) instead. `--recipe NAME` mixes with another recipe of the
sweep results, e.g. the networks that trained on their fold's validation actors too, for a dense
report of `train-functionals --folds --train-val`:

    python3 research/mix_dense.py ... --dense reports/functionals/voice-folds-tv.json \
        --sweep reports/sweep/main.json reports/sweep/voices.json \
        --recipe "raw, validation actors trained on, last epoch"

`--mix geometric` mixes the log-probabilities instead (the voice member's `mix` in the product);
with `--lstm-reference`, each draw is also compared with the arithmetic mix of the same draw. When
the dense report lists each clip's history (`train-functionals --folds --voice` does), one more row
references the LSTMs by those very clips, as the product pairs the two.

`--lstm-reference ALPHA` (the product's `lstmReference`) also references the LSTMs:
each clip's log-probabilities minus ALPHA times their mean over `--history K` other clips of its
speaker (of `--history-moods M` emotions only, if given), in four seeded draws, each compared with
the plain mix on the same clips.

For the voice-referenced member (`train-functionals --folds --voice`), `--plain REPORT` names the
plain member's fold report too, and a three-way mix (LSTMs, plain and voice members in thirds)
is listed for information.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from functionals import clips, paired_gain, pooled, recipe_ensemble  # noqa: E402
from sweep import FOLDS  # noqa: E402

WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--ravdess", required=True)
    ap.add_argument("--tess", required=True)
    ap.add_argument("--dense", required=True, help="report of train-functionals --folds")
    ap.add_argument("--out", required=True)
    ap.add_argument("--plain", help="a plain member's report, for the three-way mix")
    ap.add_argument("--tta", metavar="SWEEP",
                    help="mix with the recipe networks of seeds 9-11 of this `--plan tta` sweep, "
                         "each clip's probabilities the mean over it and its six copies")
    ap.add_argument("--sweep", nargs="*",
                    default=["reports/sweep/main.json", "reports/sweep/seeds.json"])
    ap.add_argument("--recipe", default="raw",
                    help="the sweep recipe to mix with, as summarise.py names it (default raw)")
    ap.add_argument("--lstm-reference", type=float, metavar="ALPHA",
                    help="also reference the LSTMs: each clip's log-probabilities minus ALPHA times "
                         "their mean over --history other clips of its speaker (four draws)")
    ap.add_argument("--mix", choices=("arithmetic", "geometric"), default="arithmetic",
                    help="how the parts are mixed: the weighted mean of their probabilities "
                         "(default) or of their log-probabilities, normalised")
    ap.add_argument("--history", type=int, default=20)
    ap.add_argument("--history-moods", type=int, metavar="M",
                    help="draw those clips from M of the speaker's emotions only")
    args = ap.parse_args()
    items = clips(args.ravdess, args.tess)
    y = np.array([lab for _, lab, _ in items])
    actor = np.array([int(s.split("_")[-1]) if s.startswith("ravdess") else 0 for _, _, s in items])
    paths = np.array([os.path.realpath(p) for p, _, _ in items])
    dense_report = json.load(open(args.dense))
    dense = fold_probs(dense_report, paths, actor, y)
    if args.tta and args.recipe != "raw":
        raise SystemExit("mix_dense: --tta mixes with the raw recipe only")
    lstm = (tta_ensemble(args.tta, y, actor) if args.tta
            else recipe_ensemble(args.sweep, y, actor, args.recipe))
    lstm_name = ("recipe LSTMs (3 seeds, sweep, with copies)" if args.tta
                 else "recipe LSTMs (3 seeds, sweep)" if args.recipe == "raw"
                 else f"recipe LSTMs (3 seeds, sweep, {args.recipe})")
    rows = {
        "dense (3 seeds)": pooled(dense, y, actor),
        lstm_name: pooled(lstm, y, actor),
    }
    rule = f", {args.mix}" if args.mix != "arithmetic" else ""
    for w in WEIGHTS:
        mixed = [mixed_probs(a, b, w, args.mix) for a, b in zip(lstm, dense)]
        rows[f"mix{rule}, dense weight {w}"] = {**pooled(mixed, y, actor),
                                          "gain_over_lstm": paired_gain(lstm, mixed, y, actor)}
    if args.lstm_reference is not None:
        base = [mixed_probs(a, b, 0.5, args.mix) for a, b in zip(lstm, dense)]

        def referenced_row(shifted):
            """The mix with the LSTMs' probabilities `shifted`, against the plain mix and, for
            another rule, against the arithmetic mix of the same draw (what the rule adds)."""
            mixed = [mixed_probs(a, b, 0.5, args.mix) for a, b in zip(shifted, dense)]
            row = {**pooled(mixed, y, actor), "gain_over_mix": paired_gain(base, mixed, y, actor)}
            if args.mix != "arithmetic":
                arithmetic = [mixed_probs(a, b, 0.5, "arithmetic") for a, b in zip(shifted, dense)]
                row["gain_over_arithmetic"] = paired_gain(arithmetic, mixed, y, actor)
            return row

        for draw in range(LSTM_REFERENCE_DRAWS):
            rng = np.random.default_rng(100 + draw)
            shifted = [lstm_referenced(p, y[np.isin(actor, test)], actor[np.isin(actor, test)],
                                       args.lstm_reference, args.history, args.history_moods, rng)
                       for p, (test, _) in zip(lstm, FOLDS)]
            rows[f"mix{rule}, LSTMs referenced (alpha {args.lstm_reference}), draw {draw}"] = \
                referenced_row(shifted)
        histories = fold_histories(dense_report, paths, actor)
        if histories is not None:
            # As the product pairs them: the LSTMs' leaning over the very clips whose mean
            # referenced the voice member's input.
            rows[f"mix{rule}, LSTMs referenced by the voice member's history"] = referenced_row(
                [lstm_referenced_by(p, picks, args.lstm_reference)
                 for p, picks in zip(lstm, histories)])
    if args.plain:
        plain = fold_probs(json.load(open(args.plain)), paths, actor, y)
        rows["plain dense (3 seeds)"] = pooled(plain, y, actor)
        thirds = [(a + b + c) / 3 for a, b, c in zip(lstm, plain, dense)]
        rows["mix of LSTMs, plain and this dense, thirds"] = {
            **pooled(thirds, y, actor), "gain_over_lstm": paired_gain(lstm, thirds, y, actor)}
    for name, r in rows.items():
        gain = r.get("gain_over_lstm") or r.get("gain_over_mix")
        extra = f"  {100 * gain[0]:+.1f} ({100 * gain[1]:+.1f} to {100 * gain[2]:+.1f})" if gain else ""
        if "gain_over_arithmetic" in r:
            g = r["gain_over_arithmetic"]
            extra += f", over arithmetic {100 * g[0]:+.1f} ({100 * g[1]:+.1f} to {100 * g[2]:+.1f})"
        print(f"{name:42s} {100 * r['accuracy']:.1f} %{extra}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"dense_epochs": dense_report["chosenEpochs"], "rows": rows}, f, indent=1)


def mixed_probs(lstm, dense, weight, rule):
    """`(1 - weight) * lstm + weight * dense`, or with `rule` "geometric" the same mean of their
    log-probabilities (floored at 1e-9), softmaxed: `functionals_model.ts`' `mixRule`."""
    if rule == "arithmetic":
        return (1 - weight) * lstm + weight * dense
    z = ((1 - weight) * np.log(np.clip(lstm, 1e-9, 1)) + weight * np.log(np.clip(dense, 1e-9, 1)))
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


TTA_SEEDS = (9, 10, 11)
LSTM_REFERENCE_DRAWS = 4


def lstm_referenced(probs, labels, speakers, alpha, history, moods, rng):
    """Each clip's LSTM probabilities with its log-probabilities minus `alpha` times their mean
    over `history` other clips of its speaker (of `moods` emotions only, if given), softmaxed
    again: the person's usual leaning divided out."""
    logp = np.log(np.clip(probs, 1e-9, 1))
    out = np.empty_like(logp)
    for i in range(len(logp)):
        pool = np.nonzero((speakers == speakers[i]) & (np.arange(len(logp)) != i))[0]
        if moods:
            pool = pool[np.isin(labels[pool], rng.choice(8, size=moods, replace=False))]
        pick = rng.choice(pool, size=min(history, len(pool)), replace=False)
        out[i] = logp[i] - alpha * logp[pick].mean(0)
    e = np.exp(out - out.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def lstm_referenced_by(probs, picks, alpha):
    """`lstm_referenced` with each clip's history given: `picks[i]`, rows of `probs`."""
    logp = np.log(np.clip(probs, 1e-9, 1))
    out = np.array([logp[i] - alpha * logp[picks[i]].mean(0) for i in range(len(logp))])
    e = np.exp(out - out.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def fold_histories(dense_report, paths, actor):
    """Each fold's test clips' history in a `train-functionals --folds --voice` report (the rows,
    in this script's order of the fold's clips, whose mean referenced each clip), or None when
    the report lists none (reports written before it did)."""
    out = []
    for (test, _), fold in zip(FOLDS, dense_report["folds"]):
        if any("history" not in c for c in fold["clips"]):
            return None
        want = list(paths[np.isin(actor, test)])
        at = {p: i for i, p in enumerate(want)}
        order = [at[os.path.realpath(c["path"])] for c in fold["clips"]]
        picks = [None] * len(want)
        for c, i in zip(fold["clips"], order):
            picks[i] = np.array([order[h] for h in c["history"]])
        out.append(picks)
    return out


def tta_ensemble(path, y, actor):
    """Test probabilities per fold of a `tta` sweep's recipe networks of `TTA_SEEDS`: each
    network's mean over the clip and its six copies (`summarise.py`'s weighting), averaged."""
    runs = json.load(open(path))["results"]
    out = []
    for f, (test, _) in enumerate(FOLDS):
        fold = [r for r in runs if int(r["fold"]) == f and int(r["seed"]) in TTA_SEEDS
                and r["input"] == "raw" and "test_copies_probs" in r]
        if len(fold) != len(TTA_SEEDS) or any(
                r["test_labels"] != y[np.isin(actor, test)].tolist() for r in fold):
            raise SystemExit(f"mix_dense: {path} lacks seeds {TTA_SEEDS} with copies for fold {f}")
        out.append(np.mean([(np.asarray(r["test_probs"]) + 6 * np.asarray(r["test_copies_probs"]))
                            / 7 for r in fold], 0))
    return out


def fold_probs(dense_report, paths, actor, y):
    """Each fold's test probabilities of a `train-functionals --folds` report, in the order of
    the fold's clips here; exits when its folds, clips or labels differ."""
    dense = []
    for (test, _), fold in zip(FOLDS, dense_report["folds"]):
        if [int(a) for a in fold["test"]] != list(test):
            raise SystemExit(f"mix_dense: the dense report's folds differ from sweep.FOLDS ({fold['test']})")
        want = paths[np.isin(actor, test)]
        by_path = {os.path.realpath(c["path"]): c for c in fold["clips"]}
        if sorted(by_path) != sorted(want):
            raise SystemExit(f"mix_dense: fold {fold['test']}: the dense report's clips differ")
        dense.append(np.array([by_path[p]["probs"] for p in want]))
        if [by_path[p]["label"] for p in want] != y[np.isin(actor, test)].tolist():
            raise SystemExit("mix_dense: labels differ")
    return dense


if __name__ == "__main__":
    main()
