"""Speaker cross-validation of training recipes for the emotion model, many at once.

Ranks changes to the recipe on every fold of RAVDESS actors and several seeds, which the tfjs
training loop (25 minutes a network on two cores) cannot afford. A recipe that wins here is
then trained with `deno task train` like every shipped network; nothing from here ships.

Input: the folder written by `deno task export-features` (`features.f16`, `rows.json`).

Many variants ("slots": recipe x fold x seed) train together as one block-diagonal network:
the LSTM layers of M slots are one LSTM of M*64 units whose weights between slots are held at
zero (masked at start and after every backward pass; RMSProp then never moves them), so each
slot is exactly its own two-layer LSTM(64) -> Dense(8) network. All slots see the same batches;
each slot's loss counts only its own training rows (its fold's training actors, or a subset, or
with its validation actors too), averaged over them. The model is the recipe's: two LSTM(64)
(the second returning its last state), dropout after each, softmax over 8 emotions, RMSProp
(rho 0.9), the best-validation epoch kept (or the last, `select: "last"`).
cuDNN's LSTM gates use the logistic sigmoid where tfjs uses the hard sigmoid.

Usage: python3 research/sweep.py --data DIR --out FILE [--plan NAME] [--only GROUPS] [--tf32] [--check]
(`research/summarise.py FILE…` prints the tables of one or more results files.)
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from summarise import table

# (test actors, validation actors): the default fold, then folds 1-4, as `train --test-actors`.
FOLDS = [
    ((17, 18, 19, 20), (15, 16)),
    ((1, 2, 3, 4), (5, 6)),
    ((5, 6, 7, 8), (9, 10)),
    ((9, 10, 11, 12), (13, 14)),
    ((13, 14, 15, 16), (17, 18)),
]
VOICED_RMS = 5e-4
CLASSES = 8
RECIPE_AUGMENTATION = "speed 0.9-1.1"
DELTA_WIDTH = 9  # librosa.feature.delta's default
POOLS = ("last", "mean", "attention")


def load(data_dir):
    meta = json.load(open(f"{data_dir}/rows.json"))
    frames, width = meta["frames"], meta["width"]
    x = np.fromfile(f"{data_dir}/features.f16", dtype="<f2").astype(np.float32)
    x = x.reshape(-1, frames, width)
    rows = meta["rows"]
    speakers = sorted({r["speaker"] for r in rows})
    spk = np.array([speakers.index(r["speaker"]) for r in rows])
    actor = np.array(
        [int(r["speaker"].split("_")[-1]) if r["corpus"] == "ravdess" else 0 for r in rows]
    )
    label = np.array([r["label"] for r in rows])
    aug = np.array([r["augment"] for r in rows])
    return x, spk, actor, label, aug, speakers, augmentation(meta)


def augmentation(meta):
    """What the data's augmented copies are, as a slot's `augmentation` names it: "speed
    SLOW-FAST" (`export-features --speed`) or "voice shift SLOW-FAST" (with `--keep-tempo`).
    Folders exported before either could be chosen hold the recipe's "speed 0.9-1.1"."""
    if "augment" not in meta:
        return RECIPE_AUGMENTATION
    aug = meta["augment"]
    kind = "voice shift" if aug["keepTempo"] else "speed"
    return f"{kind} {aug['speeds']['slow']:g}-{aug['speeds']['fast']:g}"


def check_augmentation(plan, data_augmentation):
    """Every slot of the plan must have been planned for the data's augmentation
    (`augmentation`, default the recipe's), so that a results file never names another
    augmentation than the one its networks trained on."""
    for group in plan:
        for s in group["slots"]:
            wanted = s.get("augmentation", RECIPE_AUGMENTATION)
            if wanted != data_augmentation:
                raise SystemExit(
                    f"sweep: group {group['name']} wants copies made by {wanted}, "
                    f"but the data's copies are made by {data_augmentation}"
                )


def speaker_stats(x, spk, aug, n_spk):
    """Mean and spread of each speaker's voiced frames over its original clips (no labels)."""
    mean = np.zeros((n_spk, x.shape[2]), np.float64)
    std = np.ones((n_spk, x.shape[2]), np.float64)
    for s in range(n_spk):
        f = x[(spk == s) & (aug == 0)].reshape(-1, x.shape[2])
        f = f[f[:, 0] > VOICED_RMS]
        mean[s] = f.mean(0)
        std[s] = f.std(0)
    return mean.astype(np.float32), np.maximum(std, 1e-6).astype(np.float32)


class Inputs:
    """Each slot's input transform of a batch of raw features (on the device)."""

    def __init__(self, x, spk, actor, aug, n_spk, device):
        self.base = x.shape[2]
        mean, std = speaker_stats(x, spk, aug, n_spk)
        self.spk_mean = torch.tensor(mean, device=device)
        self.spk_std = torch.tensor(std, device=device)
        self.fold_scale = {}
        for f, (test, val) in enumerate(FOLDS):
            train = ~np.isin(actor, test + val)
            flat = x[train].reshape(-1, x.shape[2])
            self.fold_scale[f] = (
                torch.tensor(flat.mean(0), device=device),
                torch.tensor(np.maximum(flat.std(0), 1e-6), device=device),
            )

    @staticmethod
    def width(kind, base):
        if kind == "delta":
            return 3 * base
        return base + 1 if kind == "speaker+flag" else base

    def apply(self, kind, fold, xb, sb):
        """`xb` holds each row's raw features, or the raw features and their deltas (as
        `run_group` precomputes them for a block with "delta" slots)."""
        if kind == "delta":
            if xb.shape[2] != 3 * self.base:
                raise ValueError("delta slots read the deltas that run_group precomputes")
            return xb
        xb = xb[:, :, :self.base]
        if kind == "raw":
            return xb
        if kind == "standard":
            mean, std = self.fold_scale[fold]
            return (xb - mean) / std
        voiced = (xb[:, :, :1] > VOICED_RMS).float()
        z = (xb - self.spk_mean[sb][:, None, :]) / self.spk_std[sb][:, None, :]
        if kind == "speaker":
            return z * voiced
        if kind == "speaker+flag":
            return torch.cat([z * voiced, voiced], dim=2)
        raise ValueError(kind)


def delta_coefficients(order, width=DELTA_WIDTH):
    """The filter of `librosa.feature.delta(width=width, order=order)` away from the edges:
    the `order`-th derivative at the window's centre of the least-squares polynomial of degree
    `order` through the window (`scipy.signal.savgol_coeffs(width, order, deriv=order,
    use="dot")`), written out so that the check needs no scipy."""
    n = np.arange(width, dtype=np.float64) - width // 2
    basis = np.vander(n, order + 1, increasing=True)  # width x (order + 1)
    # Row `order` of the pseudo-inverse gives the fitted coefficient of n**order.
    coeff = np.linalg.pinv(basis)[order]
    return coeff * math.factorial(order)


def delta(xb, order, width=DELTA_WIDTH):
    """`librosa.feature.delta(x, width, order, axis=time, mode="interp")` of a batch of frames
    (batch x frames x features). With mode "interp" the edge frames get the derivative of the
    polynomial fitted to the first (last) `width` frames, which for these fits (degree =
    derivative order) is constant: the value of the first (last) full window."""
    b, t, f = xb.shape
    if t < width:
        raise ValueError(f"delta needs at least {width} frames, got {t}")
    k = torch.tensor(delta_coefficients(order, width), dtype=xb.dtype, device=xb.device)
    cols = xb.transpose(1, 2).reshape(b * f, 1, t)
    inner = F.conv1d(cols, k.view(1, 1, width)).view(b, f, t - width + 1)
    half = width // 2
    out = torch.cat(
        [inner[:, :, :1].expand(b, f, half), inner, inner[:, :, -1:].expand(b, f, half)], dim=2
    )
    return out.transpose(1, 2)


class GradReverse(torch.autograd.Function):
    """Identity forward; backward multiplies the gradient by -scale (one scale per column)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(scale)
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        (scale,) = ctx.saved_tensors
        return -scale * g, None


class BlockNet(nn.Module):
    """M independent LSTM(H) -> LSTM(H) -> Dense(8) networks as one block-diagonal network;
    with `bidirectional`, M BiLSTM(H) -> BiLSTM(H) -> Dense(8) networks (the recipe's variant,
    as tfjs's `bidirectional` wrapper with concatenated directions: the second layer returns
    the forward direction's last state and the backward direction's state after the whole
    sequence, at the first frame)."""

    def __init__(self, widths, hidden, n_spk, seeds, bidirectional=False, pool="last"):
        super().__init__()
        m = len(widths)
        self.m, self.h, self.widths = m, hidden, widths
        self.dirs = 2 if bidirectional else 1
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {pool}")
        if pool != "last" and bidirectional:
            raise ValueError("pooling over the sequence is only built for the LSTM")
        self.pool = pool
        # Attention pooling: each slot scores its own second-layer outputs with its own vector
        # (zero at start: the mean over frames), softmax over frames, weighted sum.
        self.att = nn.Parameter(torch.zeros(m, hidden)) if pool == "attention" else None
        self.offsets = np.concatenate([[0], np.cumsum(widths)])
        mh = m * hidden
        self.l1 = nn.LSTM(int(sum(widths)), mh, batch_first=True, bidirectional=bidirectional)
        self.l2 = nn.LSTM(self.dirs * mh, mh, batch_first=True, bidirectional=bidirectional)
        self.fc = nn.Linear(self.dirs * mh, m * CLASSES)
        self.adv = nn.Linear(self.dirs * mh, m * n_spk)
        self.n_spk = n_spk
        with torch.no_grad():
            for p in self.parameters():
                p.zero_()
            for i in range(m):
                g = torch.Generator().manual_seed(int(seeds[i]))
                inputs = torch.arange(int(self.offsets[i]), int(self.offsets[i + 1]))
                for suffix in self.suffixes():
                    self._lstm_block(self.l1, suffix, i, inputs, g)
                for suffix in self.suffixes():
                    self._lstm_block(self.l2, suffix, i, self.units(i), g)
                for lin, out in ((self.fc, CLASSES), (self.adv, n_spk)):
                    fan_in = self.dirs * hidden
                    lim = math.sqrt(6 / (fan_in + out))
                    w = (torch.rand(out, fan_in, generator=g) * 2 - 1) * lim
                    lin.weight[i * out:(i + 1) * out, self.units(i)] = w
        self._build_masks()

    def suffixes(self):
        """The parameter-name suffixes of the directions."""
        return ["", "_reverse"][:self.dirs]

    def units(self, i):
        """Slot `i`'s columns of a layer's output (both directions' units)."""
        h, mh = self.h, self.m * self.h
        return torch.cat([torch.arange(d * mh + i * h, d * mh + (i + 1) * h) for d in range(self.dirs)])

    def _lstm_block(self, lstm, suffix, i, cols, g):
        h, mh = self.h, self.m * self.h
        fan_in = len(cols)
        lim = math.sqrt(6 / (fan_in + 4 * h))
        w_ih = (torch.rand(4 * h, fan_in, generator=g) * 2 - 1) * lim
        a = torch.randn(4 * h, h, generator=g)
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))[None, :]
        ih, hh = getattr(lstm, "weight_ih_l0" + suffix), getattr(lstm, "weight_hh_l0" + suffix)
        for gate in range(4):
            rows = torch.arange(gate * mh + i * h, gate * mh + (i + 1) * h)
            ih[rows[:, None], cols[None, :]] = w_ih[gate * h:(gate + 1) * h]
            hh[rows, i * h:(i + 1) * h] = q[gate * h:(gate + 1) * h]

    def _build_masks(self):
        """Masks from the block structure (not from the values, which may be zero by chance)."""
        h, m, mh = self.h, self.m, self.m * self.h
        dev = self.l1.weight_ih_l0.device
        ih1 = torch.zeros(4 * mh, int(self.offsets[-1]))
        ih2 = torch.zeros(4 * mh, self.dirs * mh)
        hh = torch.zeros(4 * mh, mh)
        fc = torch.zeros(m * CLASSES, self.dirs * mh)
        adv = torch.zeros(m * self.n_spk, self.dirs * mh)
        for i in range(m):
            for gate in range(4):
                rows = slice(gate * mh + i * h, gate * mh + (i + 1) * h)
                ih1[rows, int(self.offsets[i]):int(self.offsets[i + 1])] = 1
                ih2[rows, self.units(i)] = 1
                hh[rows, i * h:(i + 1) * h] = 1
            fc[i * CLASSES:(i + 1) * CLASSES, self.units(i)] = 1
            adv[i * self.n_spk:(i + 1) * self.n_spk, self.units(i)] = 1
        self.masks = {"fc.weight": fc.to(dev), "adv.weight": adv.to(dev)}
        for suffix in self.suffixes():
            self.masks["l1.weight_ih_l0" + suffix] = ih1.to(dev)
            self.masks["l1.weight_hh_l0" + suffix] = hh.to(dev)
            self.masks["l2.weight_ih_l0" + suffix] = ih2.clone().to(dev)
            self.masks["l2.weight_hh_l0" + suffix] = hh.clone().to(dev)

    def to(self, *args, **kwargs):
        out = super().to(*args, **kwargs)
        self.masks = {k: v.to(*args, **kwargs) for k, v in self.masks.items()}
        return out

    def mask_grads(self):
        for name, p in self.named_parameters():
            if p.grad is not None and name in self.masks:
                p.grad.mul_(self.masks[name])

    def _pooled(self, out2):
        """Each slot's summary of its second layer's outputs (batch x M*H)."""
        mh = self.m * self.h
        if self.pool == "last":
            if self.dirs == 1:
                return out2[:, -1]
            return torch.cat([out2[:, -1, :mh], out2[:, 0, mh:]], 1)
        b, t, _ = out2.shape
        seq = out2.view(b, t, self.m, self.h)
        if self.pool == "mean":
            return seq.mean(1).reshape(b, mh)
        weights = torch.softmax(torch.einsum("btmh,mh->btm", seq, self.att), dim=1)
        return torch.einsum("btm,btmh->bmh", weights, seq).reshape(b, mh)

    def forward(self, x, dropout, adv_scale=None):
        out1, _ = self.l1(x)
        out1 = dropout_slots(out1, dropout, self.m, self.h, self.training)
        out2, _ = self.l2(out1)
        last = self._pooled(out2)
        last = dropout_slots(last, dropout, self.m, self.h, self.training)
        logits = self.fc(last).view(-1, self.m, CLASSES)
        adv = None
        if adv_scale is not None:
            rev = GradReverse.apply(last, adv_scale.repeat_interleave(self.h).repeat(self.dirs))
            adv = self.adv(rev).view(-1, self.m, self.n_spk)
        return logits, adv


def dropout_slots(x, rates, m, h, training):
    """Inverted dropout with each slot's own rate (a tensor of M rates); the last axis holds
    one or two directions of M slots' H units."""
    if not training:
        return x
    shape = x.shape[:-1] + (x.shape[-1] // (m * h), m, h)
    keep = 1 - rates.view(*([1] * (len(shape) - 2)), m, 1)
    mask = (torch.rand(shape, device=x.device) < keep).float() / keep
    return (x.view(shape) * mask).view(x.shape)


def run_group(data, inputs, group, device, log, on_epoch=None):
    """Trains every slot of `group` together on `inputs` (an `Inputs` of `data`); returns one
    result per slot. `on_epoch(results)`, if given, gets the results so far (each slot's best
    epoch yet) after every epoch."""
    x, spk, actor, label, aug, speakers, _ = data
    slots = group["slots"]
    hidden = group.get("hidden", 64)
    epochs = group.get("epochs", 30)
    lr = group.get("lr", 1e-3)
    augmented = group.get("augment", True)
    torch.manual_seed(group.get("seed", 0))
    rng = np.random.default_rng(group.get("seed", 0))
    widths = [Inputs.width(s["input"], x.shape[2]) for s in slots]
    bidirectional = {bool(s.get("bidirectional")) for s in slots}
    if len(bidirectional) > 1:
        raise ValueError("a block cannot mix LSTM and BiLSTM slots: give them their own groups")
    pools = {s.get("pool", "last") for s in slots}
    if len(pools) > 1:
        raise ValueError("a block cannot mix poolings: give them their own groups")
    seeds = [s["seed"] * 1000 + 7 for s in slots]
    net = BlockNet(
        widths, hidden, len(speakers), seeds, bidirectional.pop(), pools.pop()
    ).to(device)
    opt = torch.optim.RMSprop(net.parameters(), lr=lr, alpha=0.9, eps=1e-7)
    m = len(slots)
    rates = torch.tensor([s.get("dropout", 0.3) for s in slots], device=device)
    smooth = torch.tensor([s.get("smooth", 0.0) for s in slots], device=device)
    adv_w = torch.tensor([s.get("adversary", 0.0) for s in slots], device=device)
    use_adv = bool((adv_w > 0).any())

    xt = torch.tensor(x, device=device)
    if any(s["input"] == "delta" for s in slots):
        # Each row's deltas once, beside its raw features (the "delta" input reads all three,
        # the others the raw features only): per batch they cost more than the networks.
        xt = torch.cat(
            [torch.cat([c, delta(c, 1), delta(c, 2)], dim=2) for c in xt.split(1000)], dim=0
        )
    st = torch.tensor(spk, device=device)
    yt = torch.tensor(label, device=device)
    train_rows = np.zeros((len(x), m), bool)
    trained_actors = []
    for j, s in enumerate(slots):
        actors = training_actors(s)
        trained_actors.append(actors)
        ok = (actor == 0) | np.isin(actor, actors)
        if not augmented:
            ok &= aug == 0
        train_rows[:, j] = ok
    member = torch.tensor(train_rows, device=device, dtype=torch.float32)
    pool = np.nonzero(train_rows.any(1))[0]
    frac = train_rows[pool].mean()
    batch = max(1, round(group.get("batch", 32) / frac))
    eval_rows = np.nonzero((aug == 0) & (actor > 0))[0]
    eval_x = xt[eval_rows]
    eval_s = st[eval_rows]
    eval_y = label[eval_rows]
    eval_actor = actor[eval_rows]
    copies = None
    if group.get("tta"):
        rows, at = copy_rows(aug, actor, spk, label, eval_rows)
        copies = (xt[rows], st[rows], at)
    best = [{"val": -1.0} for _ in slots]
    history = [[] for _ in slots]
    started = time.time()
    for epoch in range(1, epochs + 1):
        net.train()
        order = rng.permutation(pool)
        total = torch.zeros(m, device=device)
        for b in range(0, len(order), batch):
            idx = torch.tensor(order[b:b + batch], device=device)
            xb, sb, yb, wb = xt[idx], st[idx], yt[idx], member[idx]
            xin = torch.cat(
                [inputs.apply(s["input"], s["fold"], xb, sb) for s in slots], dim=2
            )
            logits, adv = net(xin, rates, adv_w if use_adv else None)
            logp = F.log_softmax(logits, dim=2)
            nll = -logp.gather(2, yb[:, None, None].expand(-1, m, 1)).squeeze(2)
            loss_bm = (1 - smooth) * nll - smooth * logp.mean(2)
            if use_adv:
                alogp = F.log_softmax(adv, dim=2)
                anll = -alogp.gather(2, sb[:, None, None].expand(-1, m, 1)).squeeze(2)
                loss_bm = loss_bm + (adv_w > 0).float() * anll
            per_slot = (loss_bm * wb).sum(0) / wb.sum(0).clamp(min=1)
            opt.zero_grad(set_to_none=True)
            per_slot.sum().backward()
            net.mask_grads()
            opt.step()
            total += per_slot.detach()
        probs = predict(net, inputs, slots, eval_x, eval_s)
        improved = []
        for j, s in enumerate(slots):
            test, val = FOLDS[s["fold"]]
            vmask = np.isin(eval_actor, val)
            tmask = np.isin(eval_actor, test)
            pred = probs[j].argmax(1)
            vacc = float((pred[vmask] == eval_y[vmask]).mean())
            tacc = float((pred[tmask] == eval_y[tmask]).mean())
            history[j].append((round(vacc, 4), round(tacc, 4)))
            if vacc > best[j]["val"] or s.get("select") == "last":
                best[j] = {"val": vacc, "test": tacc, "epoch": epoch, "probs": probs[j][tmask]}
                improved.append((j, tmask))
        if copies is not None and improved:
            copy_x, copy_s, at = copies
            copy_probs = predict(net, inputs, slots, copy_x, copy_s)
            for j, tmask in improved:
                mean = np.zeros((len(eval_rows), CLASSES))
                np.add.at(mean, at, copy_probs[j])
                mean /= np.bincount(at, minlength=len(eval_rows)).clip(min=1)[:, None]
                best[j]["copies"] = mean[tmask]
        if on_epoch is not None:
            on_epoch(slot_results(group, slots, best, history, trained_actors, eval_y, eval_actor,
                                  copies is not None, hidden))
        if epoch == 1 or epoch % 10 == 0:
            log(
                f"  epoch {epoch}/{epochs}: {time.time() - started:.1f}s, "
                f"mean loss {float(total.mean()) / math.ceil(len(order) / batch):.3f}, "
                f"mean val {np.mean([h[-1][0] for h in history]):.3f}"
            )
    results = slot_results(group, slots, best, history, trained_actors, eval_y, eval_actor,
                           copies is not None, hidden)
    return results, time.time() - started


def slot_results(group, slots, best, history, trained_actors, eval_y, eval_actor, tta, hidden):
    """One result per slot, at its best epoch so far."""
    results = []
    for j, s in enumerate(slots):
        test, _ = FOLDS[s["fold"]]
        tmask = np.isin(eval_actor, test)
        results.append({
            **s,
            "group": group["name"],
            "hidden": hidden,
            "train_actors": trained_actors[j],
            "best_epoch": best[j]["epoch"],
            "val": best[j]["val"],
            "test": best[j]["test"],
            "test_labels": eval_y[tmask].tolist(),
            "test_probs": np.round(best[j]["probs"], 5).tolist(),
            "history": history[j],
            **(
                {"test_copies_probs": np.round(best[j]["copies"], 5).tolist()}
                if tta
                else {}
            ),
        })
    return results


def copy_rows(aug, actor, spk, label, eval_rows):
    """The augmented copies of the RAVDESS clips scored each epoch, for test-time augmentation:
    their rows, and for each the position in `eval_rows` of the clip it is a copy of. A copy
    follows its original (`export-features` writes a clip, then its copies); checked."""
    rows = np.nonzero((aug > 0) & (actor > 0))[0]
    origin = rows - aug[rows]
    same = (aug[origin] == 0) & (spk[origin] == spk[rows]) & (label[origin] == label[rows])
    if not same.all():
        raise SystemExit("sweep: augmented copies do not follow their clips in the data")
    at = np.searchsorted(eval_rows, origin)
    if not (eval_rows[at] == origin).all():
        raise SystemExit("sweep: a copy's clip is not among the scored clips")
    return rows, at


def training_actors(slot):
    """The RAVDESS actors a slot trains on (TESS always trains): every actor outside its fold's
    test actors and, unless `train_val`, its validation actors; with `actors: N`, N of them drawn
    at random for the fold, seed and N (a learning curve over the number of training voices)."""
    test, val = FOLDS[slot["fold"]]
    held = test if slot.get("train_val") else test + val
    pool = [a for a in range(1, 21) if a not in held]
    n = slot.get("actors")
    if n is None:
        return pool
    if n > len(pool):
        raise ValueError(f"slot asks for {n} training actors but its fold leaves {len(pool)}")
    rng = np.random.default_rng([slot["fold"], slot["seed"], n])
    return sorted(int(a) for a in rng.choice(pool, n, replace=False))


@torch.no_grad()
def predict(net, inputs, slots, xs, ss, chunk=600):
    net.eval()
    out = []
    for b in range(0, len(xs), chunk):
        xb, sb = xs[b:b + chunk], ss[b:b + chunk]
        xin = torch.cat([inputs.apply(s["input"], s["fold"], xb, sb) for s in slots], dim=2)
        logits, _ = net(xin, None)
        out.append(F.softmax(logits, dim=2).cpu().numpy())
    return np.concatenate(out, 0).transpose(1, 0, 2)


def check_blocks(device):
    """A slot of a block network equals a separate network with that slot's weights, for the
    LSTM and the BiLSTM; a pooled slot reads only its own inputs; the deltas are librosa's."""
    for bidirectional in (False, True):
        check_block(device, bidirectional)
    for pool in ("mean", "attention"):
        check_pooled(device, pool)
    check_delta(device)
    return True


def check_pooled(device, pool):
    """After a few training steps, changing one slot's inputs moves that slot's logits and
    no other slot's, and mean pooling is the mean of the outputs over frames."""
    torch.manual_seed(0)
    widths, h = [3, 4, 3], 5
    net = BlockNet(widths, h, 2, [1, 2, 3], pool=pool).to(device)
    x = torch.randn(4, 6, sum(widths), device=device)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-2, alpha=0.9, eps=1e-7)
    for _ in range(3):
        logits, _ = net(x, torch.full((3,), 0.2, device=device))
        loss = logits.logsumexp(2).sum()
        opt.zero_grad()
        loss.backward()
        net.mask_grads()
        opt.step()
    if pool == "attention":
        assert float(net.att.detach().abs().max()) > 0, "attention weights did not train"
    net.eval()
    with torch.no_grad():
        base, _ = net(x, None)
        for i in range(3):
            c0, c1 = int(net.offsets[i]), int(net.offsets[i + 1])
            moved = x.clone()
            moved[:, :, c0:c1] += torch.randn_like(moved[:, :, c0:c1])
            out, _ = net(moved, None)
            for j in range(3):
                change = float((out[:, j] - base[:, j]).abs().max())
                if j == i:
                    assert change > 1e-4, f"{pool} slot {i} ignores its own inputs"
                else:
                    assert change < 1e-6, f"{pool} slot {j} moved by {change} with slot {i}'s inputs"
        if pool == "mean":
            out2, _ = net.l2(net.l1(x)[0])
            want = net.fc(out2.mean(1)).view(-1, 3, CLASSES)
            err = float((want - base).abs().max())
            assert err < 1e-4, f"mean pooling differs from the mean over frames by {err}"


def check_delta(device):
    """`delta` against scipy's Savitzky-Golay filter, which `librosa.feature.delta` calls."""
    try:
        from scipy.signal import savgol_filter
    except ImportError:
        return
    x = np.random.default_rng(0).normal(size=(2, 30, 3)) * 50
    xt = torch.tensor(x, dtype=torch.float64, device=device)
    for order in (1, 2):
        ref = savgol_filter(x, DELTA_WIDTH, order, deriv=order, mode="interp", axis=1)
        err = float(np.abs(delta(xt, order).cpu().numpy() - ref).max())
        assert err < 1e-9, f"delta of order {order} differs from librosa's by {err}"


def check_block(device, bidirectional):
    torch.manual_seed(0)
    widths, h = [3, 4, 3], 5
    net = BlockNet(widths, h, 2, [1, 2, 3], bidirectional).to(device)
    x = torch.randn(4, 6, sum(widths), device=device)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-2, alpha=0.9, eps=1e-7)
    for _ in range(3):
        logits, adv = net(x, torch.full((3,), 0.2, device=device), torch.ones(3, device=device))
        loss = logits.logsumexp(2).sum() + adv.pow(2).sum()
        opt.zero_grad()
        loss.backward()
        net.mask_grads()
        opt.step()
    for name, p in net.named_parameters():
        if name in net.masks:
            leak = float((p.detach() * (1 - net.masks[name])).abs().max())
            assert leak == 0, f"{name} has weight {leak} between slots"
    net.eval()
    full, _ = net(x, None)
    mh = 3 * h
    for i in range(3):
        c0, c1 = int(net.offsets[i]), int(net.offsets[i + 1])
        units = net.units(i).to(device)
        l1 = nn.LSTM(c1 - c0, h, batch_first=True, bidirectional=bidirectional).to(device)
        l2 = nn.LSTM(net.dirs * h, h, batch_first=True, bidirectional=bidirectional).to(device)
        rows = torch.cat([torch.arange(g * mh + i * h, g * mh + (i + 1) * h) for g in range(4)])
        with torch.no_grad():
            for lstm, src, cols in ((l1, net.l1, torch.arange(c0, c1)), (l2, net.l2, units)):
                for suffix in net.suffixes():
                    w = lambda name: getattr(src, name + suffix)  # noqa: E731
                    getattr(lstm, "weight_ih_l0" + suffix).copy_(w("weight_ih_l0")[rows][:, cols])
                    getattr(lstm, "weight_hh_l0" + suffix).copy_(
                        w("weight_hh_l0")[rows][:, i * h:(i + 1) * h]
                    )
                    getattr(lstm, "bias_ih_l0" + suffix).copy_(w("bias_ih_l0")[rows])
                    getattr(lstm, "bias_hh_l0" + suffix).copy_(w("bias_hh_l0")[rows])
            o1, _ = l1(x[:, :, c0:c1])
            o2, _ = l2(o1)
            last = o2[:, -1] if not bidirectional else torch.cat([o2[:, -1, :h], o2[:, 0, h:]], 1)
            ref = last @ net.fc.weight[i * CLASSES:(i + 1) * CLASSES][:, units].T
            ref = ref + net.fc.bias[i * CLASSES:(i + 1) * CLASSES]
        err = float((ref - full[:, i]).detach().abs().max())
        kind = "BiLSTM" if bidirectional else "LSTM"
        assert err < 1e-4, f"{kind} slot {i} differs from its own network by {err}"


def slots_of(inputs_kinds, folds, seeds, **extra):
    return [
        {"input": k, "fold": f, "seed": s, **extra}
        for k in inputs_kinds
        for f in folds
        for s in seeds
    ]


ALL_FOLDS = range(len(FOLDS))

PLANS = {
    # Quick run to time an epoch.
    "smoke": [
        {"name": "smoke", "epochs": 2, "slots": slots_of(["raw", "speaker"], [0], [1])},
    ],
    # The first sweep, most telling first: input transforms (the recipe's raw features, each
    # speaker's standardisation with quiet frames zeroed, the same with a voiced-frame flag,
    # standardisation over the training set), then label smoothing, a speaker adversary and
    # 128-unit layers. Every recipe on all five folds; two seeds (one for the wide layers).
    "main": [
        {"name": "inputs", "slots": slots_of(["raw", "speaker", "speaker+flag"], ALL_FOLDS, [1, 2])},
        {
            "name": "regularise",
            "slots": slots_of(["standard"], ALL_FOLDS, [1, 2])
            + slots_of(["raw"], ALL_FOLDS, [1, 2], smooth=0.1)
            + slots_of(["raw"], ALL_FOLDS, [1, 2], adversary=0.3),
        },
        {"name": "wide", "hidden": 128, "slots": slots_of(["raw", "speaker+flag"], ALL_FOLDS, [1])},
    ],
    # Narrower layers, more of them: 32 units cost about a quarter of 64 in the recurrent
    # products; the stepper runs four of them in about 1.5 times the time of one recipe network
    # (research/stepper_cost.ts).
    "narrow": [
        {"name": "narrow", "hidden": 32, "slots": slots_of(["raw"], ALL_FOLDS, [1, 2, 3, 4])},
    ],
    # How accuracy on unseen voices grows with the number of training voices: 6 and 10 of a
    # fold's 14 training actors (validation actors held out, best-validation epoch, as the
    # recipe), and all 16 non-test actors with the validation actors trained on and the last
    # (30th) epoch kept, since no held-out validation voice is left to choose an epoch. The
    # recipe's 14 actors with the last epoch kept are the comparison for the 16.
    "voices": [
        {"name": "six", "slots": slots_of(["raw"], ALL_FOLDS, [1, 2], actors=6)},
        {"name": "ten", "slots": slots_of(["raw"], ALL_FOLDS, [1, 2], actors=10)},
        {"name": "last", "slots": slots_of(["raw"], ALL_FOLDS, [1, 2, 3, 4], select="last")},
        {"name": "sixteen", "slots": slots_of(
            ["raw"], ALL_FOLDS, [1, 2, 3, 4], train_val=True, select="last"
        )},
    ],
    # More seeds of inputs standardised over the training set (with "main"'s two: eight): does a
    # network that reads standardised inputs add more to an ensemble of the recipe's networks than
    # another seed of the recipe does? Batches in another order than "main"'s and "seeds"'s.
    "standard": [
        {
            "name": "standard",
            "seed": 5,
            "slots": slots_of(["standard"], ALL_FOLDS, [3, 4, 5, 6, 7, 8]),
        },
    ],
    # Synthetic voices: the recipe's six copies of each RAVDESS clip as voice shifts, pitch and
    # formants moved by 0.8-0.95 or 1.05-1.25 (up to about the distance between two speakers of
    # one sex) with the speaking rate, an emotion cue, kept (`export-features --speed 0.8-1.25
    # --keep-tempo`; run with `--only shift`), and as plain speed perturbation in the same
    # range, tempo moved too (`--speed 0.8-1.25`; `--only speed`). Seed 1 on every fold (9-13
    # min a network on one CPU core), as "main"'s recipe network of seed 1: each starts from
    # the same weights as the recipe network of its fold.
    "shift": [
        {
            "name": "shift",
            "slots": slots_of(["raw"], ALL_FOLDS, [1], augmentation="voice shift 0.8-1.25"),
        },
        {
            "name": "speed",
            "slots": slots_of(["raw"], ALL_FOLDS, [1], augmentation="speed 0.8-1.25"),
        },
    ],
    # The recipe's BiLSTM variant with the recipe's augmentation and dropout (the published
    # BiLSTM has neither): seed 1 on every fold, in the batch order of "main"'s recipe network of
    # seed 1, its comparison. About twice an LSTM's work: run on one CPU core a process.
    "bilstm": [
        {"name": "bilstm", "slots": slots_of(["raw"], ALL_FOLDS, [1], bidirectional=True)},
    ],
    # Test-time augmentation and larger ensembles: eight more seeds of the recipe on every fold
    # (with "main"'s and "seeds"'s: sixteen), each also scoring the six augmented copies of every
    # test clip at its best-validation epoch (`test_copies_probs`: the copies' mean
    # probabilities), to compare a clip's prediction with the mean over the clip and its copies.
    # Batches in another order than "main"'s and "seeds"'s.
    "tta": [
        {
            "name": "tta",
            "seed": 9,
            "tta": True,
            "slots": slots_of(["raw"], ALL_FOLDS, [9, 10, 11, 12, 13, 14, 15, 16]),
        },
    ],
    # The levers not yet ranked on five folds: first- and second-order deltas
    # (librosa's, width 9) beside the raw features, and pooling the second layer's outputs over
    # the frames (their mean, or attention: a learned score per frame) instead of its last
    # state, alone and with the deltas; with the recipe itself in the same batch order. Four
    # seeds each. Run as five processes of one block each (`--block 20 --part K/5`).
    "levers": [
        {"name": "recipe", "seed": 21, "slots": slots_of(["raw"], ALL_FOLDS, [1, 2, 3, 4])},
        {"name": "delta", "seed": 21, "slots": slots_of(["delta"], ALL_FOLDS, [1, 2, 3, 4])},
        {
            "name": "attention",
            "seed": 21,
            "slots": slots_of(["raw"], ALL_FOLDS, [1, 2, 3, 4], pool="attention"),
        },
        {
            "name": "mean",
            "seed": 21,
            "slots": slots_of(["raw"], ALL_FOLDS, [1, 2, 3, 4], pool="mean"),
        },
        {
            "name": "delta-attention",
            "seed": 21,
            "slots": slots_of(["delta"], ALL_FOLDS, [1, 2, 3, 4], pool="attention"),
        },
    ],
    # More seeds of the recipe on every fold (with "main"'s two: eight), for the accuracy of an
    # ensemble against its number of networks. Batches in another order than "main"'s.
    "seeds": [
        {"name": "inputs", "seed": 3, "slots": slots_of(["raw"], ALL_FOLDS, [3, 4, 5, 6, 7, 8])},
    ],
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plan", default="main", choices=sorted(PLANS))
    ap.add_argument("--only", help="comma-separated group names of the plan to run")
    ap.add_argument("--epochs", type=int, help="override every group's epochs")
    ap.add_argument("--block", type=int, default=15, help="slots trained together")
    ap.add_argument(
        "--part", default="0/1", help="K/N: train only every N-th block of the plan, from the K-th"
    )
    ap.add_argument("--tf32", action="store_true", help="let matrix products use TF32")
    ap.add_argument("--check", action="store_true", help="check the block network and stop")
    ap.add_argument(
        "--save-every-epoch", action="store_true",
        help="write the results so far (each slot's best epoch yet) after every epoch",
    )
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    check_blocks(device)
    log(f"block check passed on {device}")
    if args.check:
        return
    data = load(args.data)
    x, spk, actor, _, aug, speakers, made_by = data
    check_augmentation(
        [g for g in PLANS[args.plan] if not args.only or g["name"] in args.only.split(",")],
        made_by,
    )
    inputs = Inputs(x, spk, actor, aug, len(speakers), device)
    log(f"{len(data[0])} rows, speakers {data[5]}")
    results = []
    part, parts = (int(v) for v in args.part.split("/"))
    n = -1
    for group in PLANS[args.plan]:
        if args.only and group["name"] not in args.only.split(","):
            continue
        if args.epochs:
            group = {**group, "epochs": args.epochs}
        block = group.get("block", args.block)
        for b in range(0, len(group["slots"]), block):
            n += 1
            if n % parts != part:
                continue
            chunk = {**group, "slots": group["slots"][b:b + block]}
            log(f"group {group['name']}: slots {b + 1}-{b + len(chunk['slots'])}")
            def save(res, partial):
                # Written whole, then renamed: a run stopped mid-write leaves the last file.
                with open(args.out + ".tmp", "w") as f:
                    json.dump({"device": device, "results": results + res, "partial": partial}, f)
                os.replace(args.out + ".tmp", args.out)

            res, seconds = run_group(
                data, inputs, chunk, device, log,
                on_epoch=(lambda r: save(r, True)) if args.save_every_epoch else None,
            )
            results.extend(res)
            log(f"  done in {seconds:.0f}s")
            save([], False)
        table(results, log)


if __name__ == "__main__":
    main()
