"""Tables from the results of `research/sweep.py` (numpy only).

Usage: python3 research/summarise.py [--base RECIPE] [--mix RECIPE] [--folds K,L,...] RESULTS.json
       [MORE.json ...]

Prints, per recipe, pooled over the five folds (every RAVDESS actor a test voice once, 1 200
clips a network): the mean validation accuracy, each seed's test accuracy, the ensemble of the
recipe's seeds, and the difference from the recipe's raw inputs (or from `--base RECIPE`) on the
same clips (seeds averaged per clip, with a 95 % bootstrap interval over clips). Then the accuracy
of an ensemble of each recipe with three or more seeds against its number of networks, over every
subset of its seeds (500 subsets drawn at random where there are more). For networks that also
scored each test clip's augmented copies (plan `tta`), the accuracy of ensembles with and
without averaging over the copies.
`--mix RECIPE` adds ensembles of three and four networks that mix RECIPE's networks with the base
recipe's.
`--folds K,L,...` pools only those folds (0 is actors 17-20, 1-4 actors 1-4 … 13-16, as
`sweep.py`'s FOLDS), for recipes run on fewer than five.
"""

import itertools
import json
import math
import sys

import numpy as np

# The folds pooled (all five unless `--folds` names fewer).
FOLDS = [0, 1, 2, 3, 4]


def recipe(r):
    """A readable name for a slot's recipe."""
    name = r["input"]
    if r.get("bidirectional"):
        name += ", BiLSTM"
    if r.get("pool", "last") != "last":
        name += f", {r['pool']} pooling"
    if r.get("smooth"):
        name += f", label smoothing {r['smooth']}"
    if r.get("adversary"):
        name += f", speaker adversary {r['adversary']}"
    if r.get("hidden", 128 if r["group"] == "wide" else 64) != 64:
        name += f", {r.get('hidden', 128)} units"
    if r.get("augmentation"):
        name += f", copies by {r['augmentation']}"
    if r.get("actors"):
        name += f", {r['actors']} RAVDESS training actors"
    if r.get("train_val"):
        name += ", validation actors trained on"
    if r.get("select") == "last":
        name += ", last epoch"
    return name


def load(paths):
    """The results of every file, on the folds pooled (probabilities as arrays)."""
    results = []
    for p in paths:
        results.extend(r for r in json.load(open(p))["results"] if r["fold"] in FOLDS)
    for r in results:
        for key in ("test_probs", "test_copies_probs"):
            if key in r:
                r[key] = np.array(r[key])
    return results


def subsets(items, k, rng, limit=500):
    """Every k-subset of `items`, or `limit` of them drawn at random where there are more."""
    n = math.comb(len(items), k)
    if n <= limit:
        return list(itertools.combinations(items, k))
    return [
        tuple(items[i] for i in sorted(rng.choice(len(items), k, replace=False)))
        for _ in range(limit)
    ]


def correct(rs):
    """Per test clip of all folds: the share of the recipe's seeds that got it right."""
    out = []
    for f in FOLDS:
        fr = [r for r in rs if r["fold"] == f]
        if not fr:
            return None
        out.append(
            np.mean(
                [np.argmax(r["test_probs"], 1) == np.array(r["test_labels"]) for r in fr], 0
            )
        )
    return np.concatenate(out)


def probs_of(r, tta=False):
    """A network's test probabilities; with `tta`, the mean over each clip and its six
    augmented copies (`sweep.py`'s plan `tta`)."""
    p = np.asarray(r["test_probs"])
    if not tta:
        return p
    return (p + 6 * np.asarray(r["test_copies_probs"])) / 7


def ensemble_correct(rs, tta=False):
    """Per test clip of all folds: whether the ensemble of `rs` (mean probabilities) is right."""
    out = []
    for f in FOLDS:
        fr = [r for r in rs if r["fold"] == f]
        p = np.mean([probs_of(r, tta) for r in fr], 0)
        out.append(p.argmax(1) == np.array(fr[0]["test_labels"]))
    return np.concatenate(out)


def ensemble_accuracy(rs):
    """Pooled test accuracy of the ensemble of `rs` over the five folds."""
    return ensemble_correct(rs).mean()


def pct(v):
    return f"{100 * v:.1f}"


def table(results, out=print, base_name="raw"):
    by = {}
    for r in results:
        by.setdefault(recipe(r), []).append(r)
    base = correct(by[base_name]) if base_name in by else None
    rng = np.random.default_rng(0)
    out(
        f"| recipe | networks | mean val | test per seed (pooled) | ensemble of its seeds "
        f"| vs {base_name} (95 %) |"
    )
    out("|---|---|---|---|---|---|")
    for name, rs in by.items():
        seeds = sorted({r["seed"] for r in rs})
        if not set(FOLDS) <= {r["fold"] for r in rs}:
            continue
        per_seed = []
        for s in seeds:
            c = correct([r for r in rs if r["seed"] == s])
            per_seed.append(c.mean())
        diff = "—"
        if base is not None and name != base_name:
            d = correct(rs) - base
            boot = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(2000)]
            lo, hi = np.percentile(boot, [2.5, 97.5])
            diff = f"{100 * d.mean():+.1f} ({100 * lo:+.1f} to {100 * hi:+.1f})"
        out(
            f"| {name} | {len(rs)} | {pct(np.mean([r['val'] for r in rs]))} | "
            f"{', '.join(pct(v) for v in per_seed)} (mean {pct(np.mean(per_seed))}) | "
            f"{pct(ensemble_accuracy(rs)) + f' ({len(seeds)})' if len(seeds) > 1 else '—'} | {diff} |"
        )


def ensemble_curve(results, name, out=print):
    """Pooled test accuracy of ensembles of `name`'s networks against their number."""
    rs = [r for r in results if recipe(r) == name]
    seeds = sorted({r["seed"] for r in rs})
    rng = np.random.default_rng(0)
    out(f"ensembles of {name} (seeds {seeds}), pooled test accuracy over five folds:")
    out("| networks | mean | lowest | highest | subsets |")
    out("|---|---|---|---|---|")
    for k in range(1, len(seeds) + 1):
        accs = [
            ensemble_accuracy([r for r in rs if r["seed"] in subset])
            for subset in subsets(seeds, k, rng)
        ]
        out(f"| {k} | {pct(np.mean(accs))} | {pct(min(accs))} | {pct(max(accs))} | {len(accs)} |")


def mixed(results, base, other, sizes=(3, 4), out=print):
    """Ensembles of `base`'s and `other`'s networks together: for each size, the mean pooled
    test accuracy over every subset with j of `other`'s networks and the rest of `base`'s, and
    the difference from `base`'s networks alone on the same clips (subsets averaged per clip,
    95 % bootstrap interval over clips; it leaves out the spread between seeds)."""
    nets = {}
    for r in results:
        if recipe(r) in (base, other):
            nets.setdefault((recipe(r), r["seed"]), []).append(r)
    a = [k for k in nets if k[0] == base and len(nets[k]) == len(FOLDS)]
    b = [k for k in nets if k[0] == other and len(nets[k]) == len(FOLDS)]
    rng = np.random.default_rng(0)
    out(
        f"ensembles of {base} ({len(a)} seeds) with {other} ({len(b)} seeds), "
        "pooled test accuracy:"
    )
    out(f"| networks | of {other} | mean | against none of it (95 %) | subsets |")
    out("|---|---|---|---|---|")
    for n in sizes:
        alone = None
        for j in range(0, min(n, len(b)) + 1):
            if n - j > len(a):
                continue
            right = [
                ensemble_correct([r for k in sa + sb for r in nets[k]])
                for sa in itertools.combinations(a, n - j)
                for sb in itertools.combinations(b, j)
            ]
            per_clip = np.mean(right, 0)
            diff = "—"
            if alone is None:
                alone = per_clip
            else:
                d = per_clip - alone
                boot = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(2000)]
                lo, hi = np.percentile(boot, [2.5, 97.5])
                diff = f"{100 * d.mean():+.1f} ({100 * lo:+.1f} to {100 * hi:+.1f})"
            out(f"| {n} | {j} | {pct(per_clip.mean())} | {diff} | {len(right)} |")


def test_time_augmentation(results, sizes=(1, 2, 3, 5, 8), out=print):
    """Networks that also scored each test clip's augmented copies (plan `tta`): pooled test
    accuracy of ensembles of each size from the clip alone and from the mean over the clip and
    its six copies, and the difference on the same clips (subsets averaged per clip, 95 %
    bootstrap interval over clips)."""
    nets = {}
    for r in results:
        if "test_copies_probs" in r:
            nets.setdefault((recipe(r), r["seed"]), []).append(r)
    keys = [k for k in nets if len(nets[k]) == len(FOLDS)]
    if not keys:
        return
    rng = np.random.default_rng(0)
    out(f"test-time augmentation, {len(keys)} networks on every fold, pooled test accuracy:")
    out("| networks | clip alone | clip and its 6 copies | difference (95 %) | subsets |")
    out("|---|---|---|---|---|")
    for n in sizes:
        if n > len(keys):
            continue
        chosen = subsets(keys, n, rng, limit=200)
        plain = np.mean([ensemble_correct([r for k in c for r in nets[k]]) for c in chosen], 0)
        tta = np.mean([ensemble_correct([r for k in c for r in nets[k]], True) for c in chosen], 0)
        d = tta - plain
        boot = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(2000)]
        lo, hi = np.percentile(boot, [2.5, 97.5])
        out(
            f"| {n} | {pct(plain.mean())} | {pct(tta.mean())} | "
            f"{100 * d.mean():+.1f} ({100 * lo:+.1f} to {100 * hi:+.1f}) | {len(chosen)} |"
        )


def curves(results, out=print):
    """An ensemble curve for every recipe with three or more seeds on every fold."""
    names = []
    for r in results:
        if recipe(r) not in names:
            names.append(recipe(r))
    for name in names:
        rs = [r for r in results if recipe(r) == name]
        seeds = {r["seed"] for r in rs}
        if len(seeds) >= 3 and all(
            sum(1 for r in rs if r["fold"] == f) == len(seeds) for f in FOLDS
        ):
            out("")
            ensemble_curve(results, name, out)


if __name__ == "__main__":
    args = sys.argv[1:]
    base_name, mix = "raw", None
    while args[:1] in (["--base"], ["--mix"], ["--folds"]):
        if len(args) < 2:
            print(f"summarise: {args[0]} needs a value", file=sys.stderr)
            sys.exit(2)
        if args[0] == "--base":
            base_name = args[1]
        elif args[0] == "--mix":
            mix = args[1]
        else:
            try:
                folds = sorted({int(v) for v in args[1].split(",")})
            except ValueError:
                folds = []
            if not folds or not set(folds) <= set(FOLDS):
                print(f"summarise: --folds takes fold numbers 0-4, got {args[1]!r}", file=sys.stderr)
                sys.exit(2)
            FOLDS[:] = folds
        args = args[2:]
    if not args:
        print("summarise: give one or more results files of research/sweep.py", file=sys.stderr)
        sys.exit(2)
    everything = load(args)
    names = {recipe(r) for r in everything}
    for wanted in (base_name, mix):
        if wanted is not None and wanted not in names:
            print(f"summarise: no recipe named {wanted!r} in these results", file=sys.stderr)
            sys.exit(2)
    table(everything, base_name=base_name)
    curves(everything)
    if any("test_copies_probs" in r for r in everything):
        print("")
        test_time_augmentation(everything)
    if mix is not None:
        print("")
        mixed(everything, base_name, mix)
