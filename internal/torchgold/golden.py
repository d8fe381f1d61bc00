#!/usr/bin/python3
"""golden.py: torch.optim's answers for gradgen's optimizers, written to testdata/golden.json.

What it computes
----------------
The network of every spec under nets/: nn.Sequential(Linear(4, 6), ReLU(), Linear(6, 5),
Tanh(), Linear(5, 3)) trained with CrossEntropyLoss (mean over the batch) on probability
targets (dyadic rationals k/16 summing exactly to 1, from a fixed linear map of the
inputs; every third row is one-hot). For each combination of

    optimizer kind   sgd, momentum (SGD with momentum), adam, adamw
    dtype            float32, float64 (the torch tensors, data and parameters in that type)
    frozen           no / the middle Linear's weight and bias requires_grad_(False), left out
                     of the optimizer and of clip_grad_norm_
    clip_grad_norm   0 (off) / 0.85 times the norm of the first step's gradient (in float64,
                     per batch and frozen-or-not, rounded to 3 digits): it clips at least 3
                     of the 12 steps of every combination and leaves others unclipped, as
                     the gradient shrinks (the script checks both)
    schedule         none, cosine (CosineAnnealingLR), step (StepLR), warmup (LambdaLR t/4 up
                     to 1), warmup+cosine and warmup+step (SequentialLR([LambdaLR(t/4), ...],
                     milestones=[4]))

(the full product: 4 x 2 x 2 x 2 x 6 = 192 combinations), with the batch (3 or 40
samples), the weight decay (0, or 0.01 for sgd/momentum/adam and 0.05 for adamw) and the
momentum variant (momentum 0.9; nesterov; dampening 0.3) chosen by rotating formulas so
that every value of each of them meets every value of every other option in several
combinations (the script asserts it), plus 8 combinations (kind x dtype) on a batch of 80
samples, which is above twice gradgen's tile of 32 rows, where Model.SetWorkers(2) really
splits the batch. It trains STEPS = 12 steps, each: record param_groups[0]['lr'],
zero_grad, loss = cross_entropy(net(x), t) (recorded: the loss before the step),
backward, clip_grad_norm_ (when on), optimizer.step(), scheduler.step().

The initial parameters (nn.Linear's U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and the inputs
(U(-2, 2)) come from a SplitMix64 generator written out below, so they do not depend on
numpy's or torch's generators; the float32 sets are the float64 ones rounded to float32.
Both are written into the JSON, and torchgold_test.go copies the parameters into each
generated model's Params.Slice(), so gradgen's Init needs not match.

Output: one JSON file. Numbers are repr() of the float64 (float64 combinations) or the
shortest decimal that reads back as the same float32 (float32 combinations and the float32
data sets), one array per line, so that a diff names the combination that changed. The file
records torch's and numpy's versions.

torch is run on one thread with deterministic algorithms; two runs give the same bytes.

How to rerun
------------
    make interop          # regenerates into a temporary file, compares it with the committed
                          # golden.json (1e-12 relative), runs the Go tests on both
    /usr/bin/python3 internal/torchgold/golden.py -o internal/torchgold/testdata/golden.json
                          # rewrites the committed goldens (then review the diff)

It needs Debian's PyTorch (apt-get install python3-torch) under /usr/bin/python3; it was
written against torch 1.13. It also prints, to stderr, checks of its own: how many steps
clip_grad_norm_ clipped; how far torch's recursive schedulers are from the closed forms of
gradgen's runtime.Hyperparams.LRAt; and how much of the Go test's tolerance two correct
implementations can use up: each float32 run against the same run in float64, and each run
against the same run on the batch in reverse order (other sums), as in TOLERANCE below.
"""

import argparse
import itertools
import json
import math
import os
import sys
import warnings

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    sys.exit("golden.py needs PyTorch and numpy under /usr/bin/python3 (%s): "
             "apt-get install python3-torch" % e)

STEPS = 12
INPUTS, HIDDEN1, HIDDEN2, OUTPUTS = 4, 6, 5, 3
LAYERS = [(INPUTS, HIDDEN1), (HIDDEN1, HIDDEN2), (HIDDEN2, OUTPUTS)]  # (in, out)
NUM_PARAMS = sum(i * o + o for i, o in LAYERS)  # 83
FROZEN_LAYER = 1  # the middle Linear (state_dict 2.weight, 2.bias)
CLIP_FRACTION = 0.85  # clip_grad_norm is this fraction of the first step's gradient norm

BASE = {  # per kind: the hyperparameters every combination starts from
    "sgd": {"lr": 0.1},
    "momentum": {"lr": 0.05, "momentum": 0.9},
    "adam": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    "adamw": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}
WEIGHT_DECAY = {"sgd": 0.01, "momentum": 0.01, "adam": 0.01, "adamw": 0.05}
MOMENTUM_VARIANTS = {
    "plain": {"momentum": 0.9, "dampening": 0.0, "nesterov": False},
    "nesterov": {"momentum": 0.9, "dampening": 0.0, "nesterov": True},
    "dampening": {"momentum": 0.9, "dampening": 0.3, "nesterov": False},
}
SCHEDULES = {
    "none": {"warmup": 0, "kind": "constant"},
    "cosine": {"warmup": 0, "kind": "cosine", "t_max": 7, "eta_min": 0.001},
    "step": {"warmup": 0, "kind": "step", "step_size": 3, "gamma": 0.7},
    "warmup": {"warmup": 4, "kind": "constant"},
    "warmup+cosine": {"warmup": 4, "kind": "cosine", "t_max": 7, "eta_min": 0.001},
    "warmup+step": {"warmup": 4, "kind": "step", "step_size": 3, "gamma": 0.7},
}
BATCHES = {"b3": 3, "b40": 40, "b80": 80}


class SplitMix64:
    """Sebastiano Vigna's SplitMix64; uniform() takes the top 53 bits."""

    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def uniform(self, lo, hi):
        return lo + (hi - lo) * ((self.next() >> 11) / float(1 << 53))

    def intn(self, n):
        return self.next() % n


def f32(v):
    return float(np.float32(v))


def make_init():
    r = SplitMix64(20240601)
    flat = []
    for fan_in, out in LAYERS:
        b = 1 / math.sqrt(fan_in)
        flat += [r.uniform(-b, b) for _ in range(out * fan_in)]  # weight [out][in]
        flat += [r.uniform(-b, b) for _ in range(out)]  # bias [out]
    return flat


def make_batch(n, seed):
    """n inputs from U(-2, 2) and their targets: the classes scored by a fixed linear map of
    x, as probabilities k/16 (the k summing to 16) near softmax(2*score), every third row
    one-hot on the top class, so that the net has something to learn."""
    A = [[1.0, -0.5, 0.25, 0.0], [-0.25, 1.0, 0.0, -0.75], [0.0, -0.5, -1.0, 0.5]]
    r = SplitMix64(seed)
    x = [r.uniform(-2, 2) for _ in range(n * INPUTS)]
    t = []
    for i in range(n):
        xi = x[i * INPUTS:(i + 1) * INPUTS]
        score = [sum(a * v for a, v in zip(row, xi)) for row in A]
        if i % 3 == 0:  # one-hot
            row = [0] * OUTPUTS
            row[score.index(max(score))] = 16
        else:
            e = [math.exp(2 * (v - max(score))) for v in score]
            row = [int(16 * v / sum(e)) for v in e]
            row[score.index(max(score))] += 16 - sum(row)
        t += [k / 16 for k in row]
    return x, t


def torch_dtype(dtype):
    return {"float32": torch.float32, "float64": torch.float64}[dtype]


def closed_form_lr(h, steps):
    """runtime.Hyperparams.LRAt: the lr of the step after `steps` steps."""
    s = h["schedule"]
    t = steps
    if t < s["warmup"]:
        return h["lr"] * t / s["warmup"]
    t -= s["warmup"]
    if s["kind"] == "cosine":
        return s["eta_min"] + (h["lr"] - s["eta_min"]) * (1 + math.cos(math.pi * t / s["t_max"])) / 2
    if s["kind"] == "step":
        return h["lr"] * s["gamma"] ** (t // s["step_size"])
    return h["lr"]


def make_scheduler(opt, s):
    sched = torch.optim.lr_scheduler
    after = None
    if s["kind"] == "cosine":
        after = lambda: sched.CosineAnnealingLR(opt, T_max=s["t_max"], eta_min=s["eta_min"])
    elif s["kind"] == "step":
        after = lambda: sched.StepLR(opt, step_size=s["step_size"], gamma=s["gamma"])
    w = s["warmup"]
    if w == 0:
        return after() if after else None
    if after is None:  # warm-up, then constant
        return sched.LambdaLR(opt, lambda t: min(1.0, t / w))
    warm = sched.LambdaLR(opt, lambda t: t / w)
    return sched.SequentialLR(opt, [warm, after()], milestones=[w])


def make_optimizer(kind, h, params):
    o = torch.optim
    if kind == "sgd":
        return o.SGD(params, lr=h["lr"], weight_decay=h["weight_decay"], foreach=False)
    if kind == "momentum":
        return o.SGD(params, lr=h["lr"], momentum=h["momentum"], dampening=h["dampening"],
                     nesterov=h["nesterov"], weight_decay=h["weight_decay"], foreach=False)
    cls = o.Adam if kind == "adam" else o.AdamW
    return cls(params, lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
               weight_decay=h["weight_decay"], foreach=False)


def train(c, init, x, t, dtype):
    """Trains one combination; returns (lrs, losses, final flat params, clipped steps)."""
    dt = torch_dtype(dtype)
    net = torch.nn.Sequential(
        torch.nn.Linear(INPUTS, HIDDEN1), torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN1, HIDDEN2), torch.nn.Tanh(),
        torch.nn.Linear(HIDDEN2, OUTPUTS)).to(dt)
    with torch.no_grad():
        off = 0
        for p in net.parameters():
            p.copy_(torch.tensor(init[off:off + p.numel()], dtype=torch.float64).reshape(p.shape))
            off += p.numel()
        assert off == NUM_PARAMS
    if c["frozen"]:
        net[2 * FROZEN_LAYER].weight.requires_grad_(False)
        net[2 * FROZEN_LAYER].bias.requires_grad_(False)
    trainable = [p for p in net.parameters() if p.requires_grad]
    h = c["hyper"]
    opt = make_optimizer(c["kind"], h, trainable)
    sched = make_scheduler(opt, h["schedule"])
    X = torch.tensor(x, dtype=torch.float64).reshape(-1, INPUTS).to(dt)
    T = torch.tensor(t, dtype=torch.float64).reshape(-1, OUTPUTS).to(dt)
    lrs, losses, clipped = [], [], 0
    for _ in range(STEPS):
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(X), T)
        losses.append(loss.item())
        loss.backward()
        if h["clip_grad_norm"] > 0:
            norm = torch.nn.utils.clip_grad_norm_(trainable, h["clip_grad_norm"])
            clipped += bool(norm.item() > h["clip_grad_norm"])
        opt.step()
        if sched is not None:
            sched.step()
    final = torch.cat([p.detach().reshape(-1) for p in net.parameters()]).tolist()
    return lrs, losses, final, clipped


def initial_grad_norm(init, x, t, frozen):
    """The norm of the first step's gradient of the trainable parameters, in float64."""
    c = {"frozen": frozen, "kind": "sgd", "hyper": dict(lr=1e-300, weight_decay=0.0, clip_grad_norm=1e300,
                                                       schedule={"warmup": 0, "kind": "constant"})}
    norms = []
    clip = torch.nn.utils.clip_grad_norm_
    try:
        torch.nn.utils.clip_grad_norm_ = lambda ps, m: norms.append(clip(ps, m)) or norms[-1]
        global STEPS
        steps, STEPS = STEPS, 1
        train(c, init, x, t, "float64")
    finally:
        torch.nn.utils.clip_grad_norm_ = clip
        STEPS = steps
    return norms[0].item()


def clip_values(init, batches):
    """clip_grad_norm per (batch, frozen)."""
    return {(name, frozen): round(CLIP_FRACTION * initial_grad_norm(init, b["x64"], b["t"], frozen), 3)
            for name, b in batches.items() for frozen in (False, True)}


def combinations(clips):
    kinds = list(BASE)
    scheds = list(SCHEDULES)
    variants = list(MOMENTUM_VARIANTS)
    out = []

    def combo(kind, dtype, frozen, batch, wd, variant, clip, sched, workers):
        h = {"lr": 0.0, "weight_decay": 0.0, "momentum": 0.0, "dampening": 0.0, "nesterov": False,
             "beta1": 0.0, "beta2": 0.0, "eps": 0.0}
        h.update(BASE[kind])
        if kind == "momentum":
            h.update(MOMENTUM_VARIANTS[variant])
        h["weight_decay"] = WEIGHT_DECAY[kind] if wd else 0.0
        h["clip_grad_norm"] = clips[(batch, frozen)] if clip else 0.0
        h["schedule"] = dict({"warmup": 0, "kind": "constant", "t_max": 0, "eta_min": 0.0,
                              "step_size": 0, "gamma": 0.0}, **SCHEDULES[sched])
        parts = [kind + ("/" + variant if kind == "momentum" else ""), dtype.replace("float", "f"),
                 "frozen" if frozen else "all", batch, "wd%g" % h["weight_decay"],
                 "clip%g" % h["clip_grad_norm"], sched]
        return {"name": "/".join(parts), "kind": kind, "dtype": dtype, "frozen": frozen,
                "batch": batch, "workers": workers, "variant": variant if kind == "momentum" else "",
                "sched": sched, "hyper": h}

    mi = 0
    for ki, kind in enumerate(kinds):
        for di, dtype in enumerate(["float32", "float64"]):
            for fi, frozen in enumerate([False, True]):
                for ci, clip in enumerate([False, True]):
                    for si, sched in enumerate(scheds):
                        batch = ["b3", "b40"][(si + ci + fi + di) % 2]
                        wd = (si + ci + di + ki) % 2 == 1
                        variant = ""
                        if kind == "momentum":
                            variant = variants[(si + 2 * ci + di + fi) % 3]
                            mi += 1
                        out.append(combo(kind, dtype, frozen, batch, wd, variant, clip, sched,
                                         workers=batch == "b40"))
    # Above 2 tiles: SetWorkers(2) splits these batches.
    for ki, kind in enumerate(kinds):
        for di, dtype in enumerate(["float32", "float64"]):
            out.append(combo(kind, dtype, (ki + di) % 2 == 1, "b80", True, "nesterov", True,
                             ["warmup+cosine", "step"][(ki + di) % 2], workers=True))
    return out


def check_coverage(combos):
    """Every value of each option meets every value of each other option at least twice
    (the batch of 80 samples and the momentum variants among the combinations that have them)."""
    opts = {
        "kind": lambda c: c["kind"], "dtype": lambda c: c["dtype"], "frozen": lambda c: c["frozen"],
        "batch": lambda c: c["batch"] if c["batch"] != "b80" else None,
        "wd": lambda c: c["hyper"]["weight_decay"] > 0, "clip": lambda c: c["hyper"]["clip_grad_norm"] > 0,
        "sched": lambda c: c["sched"], "variant": lambda c: c["variant"] or None,
    }
    values = {k: {f(c) for c in combos} - {None} for k, f in opts.items()}
    least = None
    for a, b in itertools.combinations(opts, 2):
        if (a, b) == ("kind", "variant"):  # only momentum has variants
            continue
        for va in values[a]:
            for vb in values[b]:
                n = sum(1 for c in combos if opts[a](c) == va and opts[b](c) == vb)
                if n < 2:
                    raise AssertionError("coverage: %s=%s with %s=%s in %d combinations" % (a, va, b, vb, n))
                least = n if least is None else min(least, n)
    return least


def num(v, dtype):
    """The JSON text of v: repr of the float64, or the shortest decimal of the float32."""
    if not math.isfinite(v):
        raise ValueError("non-finite value %r" % v)
    if dtype == "float64":
        s = repr(float(v))
        assert float(s) == v
        return s
    x = np.float32(v)
    assert float(x) == v, "%r is not a float32" % v
    s = str(x)
    assert np.float32(float(s)) == x
    return s


def arr(vs, dtype):
    return "[" + ",".join(num(v, dtype) for v in vs) + "]"


def rel_err(a, b, floor=1e-6):
    return abs(a - b) / max(abs(b), floor)


# The Go test's tolerances: |got - want| <= max(REL*|want|, ABS).
TOLERANCE = {"float32": (3e-4, 1e-6), "float64": (1e-9, 1e-14)}


def tol_used(got, want, dtype):
    """The largest fraction of the Go test's tolerance that got uses against want."""
    rel, ab = TOLERANCE[dtype]
    return max(abs(a - b) / max(rel * abs(b), ab) for a, b in zip(got, want))


def reversed_rows(x, t):
    n = len(t) // OUTPUTS
    return ([v for i in reversed(range(n)) for v in x[i * INPUTS:(i + 1) * INPUTS]],
            [v for i in reversed(range(n)) for v in t[i * OUTPUTS:(i + 1) * OUTPUTS]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "golden.json"),
                    help="the JSON file to write (default: testdata/golden.json beside this script)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    warnings.simplefilter("ignore")  # SequentialLR's scheduler.step(0) is "deprecated"

    init64 = make_init()
    init32 = [f32(v) for v in init64]
    batches = {}
    for i, (name, n) in enumerate(BATCHES.items()):
        x, t = make_batch(n, 1000 + i)
        batches[name] = {"x64": x, "x32": [f32(v) for v in x], "t": t}

    clips = clip_values(init64, batches)
    combos = combinations(clips)
    least = check_coverage(combos)
    worst_lr, worst32 = 0.0, (0.0, "")
    worst_order = {"float32": (0.0, ""), "float64": (0.0, "")}
    clip_count = [0, 0]  # steps clipped, steps not clipped
    results = []
    for c in combos:
        d = c["dtype"]
        b = batches[c["batch"]]
        init = init32 if d == "float32" else init64
        x = b["x32"] if d == "float32" else b["x64"]
        lrs, losses, final, clipped = train(c, init, x, b["t"], d)
        if c["hyper"]["clip_grad_norm"] > 0:
            if clipped < 3:
                raise AssertionError("%s: clip_grad_norm clipped only %d of %d steps" % (c["name"], clipped, STEPS))
            clip_count[0] += clipped
            clip_count[1] += STEPS - clipped
        for k, lr in enumerate(lrs):
            worst_lr = max(worst_lr, rel_err(lr, closed_form_lr(c["hyper"], k), 1e-300))
        if c["frozen"]:
            lo = sum(i * o + o for i, o in LAYERS[:FROZEN_LAYER])
            hi = lo + LAYERS[FROZEN_LAYER][0] * LAYERS[FROZEN_LAYER][1] + LAYERS[FROZEN_LAYER][1]
            assert final[lo:hi] == init[lo:hi], c["name"]
        if d == "float32":  # the same run in float64 on the same (float32) numbers
            _, l64, p64, _ = train(c, init, x, b["t"], "float64")
            worst32 = max(worst32, (tol_used(losses + final, l64 + p64, d), c["name"]))
        # The same run on the batch in reverse order: other sums, as another implementation's.
        xr, tr = reversed_rows(x, b["t"])
        _, lr_, pr, _ = train(c, init, xr, tr, d)
        worst_order[d] = max(worst_order[d], (tol_used(lr_ + pr, losses + final, d), c["name"]))
        results.append((c, lrs, losses, final))

    print("golden.py: %d combinations (each pair of option values in >= %d), torch %s"
          % (len(combos), least, torch.__version__), file=sys.stderr)
    print("golden.py: clip_grad_norm_ clipped %d steps and left %d unclipped" % tuple(clip_count), file=sys.stderr)
    if clip_count[1] == 0:
        raise AssertionError("clip_grad_norm_ clipped every step: the unclipped branch is not tested")
    print("golden.py: torch's lr vs the closed form of LRAt: largest relative difference %.3g" % worst_lr,
          file=sys.stderr)
    print("golden.py: float32 torch vs float64 torch on the same data uses at most %.3g of the Go "
          "test's float32 tolerance, in %s" % worst32, file=sys.stderr)
    for d in ("float32", "float64"):
        print("golden.py: %s torch on the batch reversed uses at most %.3g of the Go test's %s tolerance, in %s"
              % (d, worst_order[d][0], d, worst_order[d][1]), file=sys.stderr)

    L = []
    L.append("{")
    L.append(' "about": %s,' % json.dumps(
        "torch.optim goldens for gradgen, written by internal/torchgold/golden.py; do not edit"))
    L.append(' "torch": %s,' % json.dumps(torch.__version__))
    L.append(' "numpy": %s,' % json.dumps(np.__version__))
    L.append(' "steps": %d,' % STEPS)
    L.append(' "layers": %s,' % json.dumps([[i, o] for i, o in LAYERS]))
    L.append(' "frozen_layer": %d,' % FROZEN_LAYER)
    L.append(' "init64": %s,' % arr(init64, "float64"))
    L.append(' "init32": %s,' % arr(init32, "float32"))
    L.append(' "batches": {')
    for i, (name, b) in enumerate(batches.items()):
        L.append('  %s: {' % json.dumps(name))
        L.append('   "x64": %s,' % arr(b["x64"], "float64"))
        L.append('   "x32": %s,' % arr(b["x32"], "float32"))
        L.append('   "t": %s' % arr(b["t"], "float64"))
        L.append('  }' + ("," if i < len(batches) - 1 else ""))
    L.append(' },')
    L.append(' "combos": [')
    for i, (c, lrs, losses, final) in enumerate(results):
        d = c["dtype"]
        h = c["hyper"]
        s = h["schedule"]
        hyper = ('{"lr": %r, "weight_decay": %r, "momentum": %r, "dampening": %r, "nesterov": %s, '
                 '"beta1": %r, "beta2": %r, "eps": %r, "clip_grad_norm": %r, "schedule": '
                 '{"warmup": %d, "kind": "%s", "t_max": %d, "eta_min": %r, "step_size": %d, "gamma": %r}}') % (
            h["lr"], h["weight_decay"], h["momentum"], h["dampening"], json.dumps(h["nesterov"]),
            h["beta1"], h["beta2"], h["eps"], h["clip_grad_norm"],
            s["warmup"], s["kind"], s["t_max"], s["eta_min"], s["step_size"], s["gamma"])
        L.append('  {"name": %s, "kind": "%s", "dtype": "%s", "frozen": %s, "batch": "%s", "workers": %s,'
                 % (json.dumps(c["name"]), c["kind"], d, json.dumps(c["frozen"]), c["batch"],
                    json.dumps(c["workers"])))
        L.append('   "hyper": %s,' % hyper)
        L.append('   "lr": %s,' % arr(lrs, "float64"))
        L.append('   "loss": %s,' % arr(losses, d))
        L.append('   "final": %s}' % arr(final, d) + ("," if i < len(results) - 1 else ""))
    L.append(' ]')
    L.append('}')
    text = "\n".join(L) + "\n"
    json.loads(text)  # well-formed

    os.makedirs(os.path.dirname(os.path.abspath(args.o)), exist_ok=True)
    tmp = args.o + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.o)


if __name__ == "__main__":
    main()
