#!/usr/bin/python3
"""golden.py: PyTorch's answers for gradgen's graph networks, written to testdata/golden.json.

What it computes
----------------
For every spec nets/<name>/<name>.yaml (in the order of the names), the network it describes
built as a torch nn.Module (GraphNet below), with the semantics of the README's section
"Graph networks: several inputs, skip connections, several heads":

    inputs      `inputs:` (name -> width, in order) or `input:` (one input named x); an input
                `item: {categories: N}` is an integer input, one id per sample in [0, N), which
                only an embedding layer reads (GraphNet takes it as a LongTensor of the batch's
                ids); its place in the input row is one value, the id as a number (gradgen's
                Input field is an int32 in that slot); a sample's input row is the
                concatenation of the inputs in order
    layers      `dense: N` is an nn.Linear over what the layer reads: `from` (a name, or a list
                of names concatenated in order by torch.cat(dim=1)), by default the layer
                above (the one input for the first layer); `add: [a, b, ...]` is a + b + ...,
                summed left to right; `layer_norm: {eps: e}` (or {}: eps 1e-5) is an
                nn.LayerNorm(width, eps) over what the layer reads (as a dense layer's input,
                of the same width): each sample's row x becomes γ·(x − mean)/sqrt(var + eps) + β,
                var the biased variance; `dropout: p` is an nn.Dropout(p), only p = 0 here
                (the identity: PyTorch's masks cannot be matched); `embedding: D` with
                `from: item` (exactly one integer input, of N ids) is an nn.Embedding(N, D):
                each sample's id selects a row of its table [N][D], and `trainable: false`
                freezes the table (requires_grad False: no gradient, SGD leaves it); then
                `activation` (none, relu, leaky_relu with `slope`, default 0.01, sigmoid, tanh;
                not after dropout or embedding); `bias: false` is nn.Linear(bias=False)
    heads       `outputs:` (name -> a dense layer with `from`, by default the last layer, an
                activation, a loss and a weight, default 1), or, without outputs, the last
                layer trained with the top-level `loss`; a sample's target row and its
                prediction row are the concatenations of the heads' targets and outputs (after
                their activation) in order, heads of loss none included
    loss        sum over the heads whose loss is not none, in order, of weight * the head's
                loss, each reduced as PyTorch's mean: F.mse_loss; F.cross_entropy on the
                logits with probability targets (rows summing to 1); and
                F.binary_cross_entropy_with_logits (targets in [0, 1])
    parameters  in gradgen's order (that of Params.Slice()): each dense layer in spec order,
                then each head, its weight [out][in] (row-major) then its bias; a layer_norm
                in its place among the layers, its γ [width] (.weight) then its β (.bias); an
                embedding in its place, its table [N][D] (.weight, row id the id's vector); add
                and dropout layers have none; the names are gradgen's Layout names (<layer name
                or index>.weight, <head>.bias), which are also the module's state_dict keys

Each spec is trained STEPS = 3 steps of torch.optim.SGD(lr) (plain: no momentum, no weight
decay) on one batch of BATCH = 6 samples: zero_grad, loss (recorded: the loss before the step),
backward (the gradient of the first step is recorded), step. The spec's dtype is the torch
dtype of the data and the parameters, so float32 specs are computed in float32.

The inputs (U(-2, 2)), the targets (mse and none heads: U(-1, 1); binary_cross_entropy: k/8;
softmax_cross_entropy: rows of k/16 summing to 1, one-hot in every third row) and the initial
parameters (nn.Linear's U(-1/sqrt(fan_in), 1/sqrt(fan_in)), weight then bias, tensor by tensor)
come from a SplitMix64 generator written out below, seeded with the CRC-32 of the spec's name,
so they depend neither on numpy's or torch's generators nor on the other specs; for float32
specs they are the float64 draws rounded to float32. A layer_norm's γ and β start as
nn.LayerNorm's, 1 and 0, and take no draws (the other tensors' values are those of the same
network without them). An integer input's ids are drawn in their slots of the input rows
(r.intn(N) in the place of the slot's U(-2, 2) draw), except that the ids of samples 4 and 5
repeat earlier samples' (see make_data), so that every batch looks up some row twice; an
embedding's table is drawn from N(0, 1), nn.Embedding's initialisation, by Box-Muller on two
uniform draws per value, in its place among the tensors (the specs without an embedding or an
integer input draw what they drew before those existed). In the specs of CONSTANT_ROWS, one
sample's input row is made constant (each value its first, rounded to a multiple of 1/8, so
exact in every sum): a layer_norm directly over it sees a variance of exactly 0. All of them
are written into the JSON.

The script checks its own work and stops on a failure: the number of parameters of the module
against the one computed from the spec's widths; the module's loss and prediction against a
separate numpy transcription of the semantics above (float64, relative 1e-12); the gradient of
the loss with respect to the parameters and the inputs by torch.autograd.gradcheck, on a float64
copy of every spec (an id's slot of the input rows has the gradient 0: nudged, it is the same
id); that the specs cover every loss, activation and dtype, and embeddings in both dtypes,
trainable and frozen, read by each kind of layer and head, of one or two integer inputs, with
and without float inputs, an integer input read by one or by two; that every number is
finite and, for float32 specs, a float32. It prints to stderr how much of a tolerance like
internal/torchgold's (float32: 3e-4 relative, 1e-6 absolute; float64: 1e-9 and 1e-14) two correct
implementations can use up: each float32 spec against the same run in float64, and each spec
against the same run on the batch in reverse order (other sums).

Each spec's module is also exported by torch.onnx.export (export_onnx) to <name>.onnx beside the
JSON, with its initial parameters and the inputs and heads as named graph inputs and outputs: what
a PyTorch user's custom nn.Module with torch.cat, + and nn.LayerNorm exports, which gradgen's ONNX
importer must read back as the same network. A spec without a layer_norm is exported at opset 11,
13 or 17 in turn (in turn among those specs, so that each keeps the opset it had before specs with
a layer_norm existed). A spec with a layer_norm (has_layer_norm) is exported at opset 17, where
torch writes nn.LayerNorm as one LayerNormalization node, and again to <name>_op<k>.onnx at opset
k = 9, 13 or 14 in turn (among those specs), where torch writes its decomposition (ReduceMean, Sub,
Pow, ReduceMean, Add, Sqrt, Div, Mul, Add), which the importer reads too.

A spec with an embedding (has_embedding) takes turns of its own, among those specs, so that the
others keep their files: its module is exported with each integer input a LongTensor of ids of
shape [batch], which torch writes as an int64 graph input [batch] and nn.Embedding as
Gather(weight, ids), at opset 11, 13 or 17 in turn (17 with a layer_norm); and again to
<name>_op<k>.onnx at k = 9, 13 or 14 in turn with ids of shape [batch, 1], each embedding layer
(in turn over the specs' embeddings) making its lookup [batch, 1, dim] a row in one of the ways a
user writes (ID_FORMS): e(ids).flatten(1) (Flatten), e(ids).squeeze(1) (Squeeze),
e(ids).view(ids.shape[0], -1) (Shape, Gather, Unsqueeze, Concat, Reshape), e(ids.squeeze(1)) or
e(ids.view(-1)) (the ids made [batch] first). The importer must read each back as the spec's
embeddings and integer inputs, the categories being the tables' rows.

Output: one JSON file {"about", "torch", "numpy", "steps", "specs": [...]}, each spec with its
name, dtype, input and output widths, lr, batch, input fields ([name, width], or [name, 1,
categories] for an integer input, whose slot in the x rows holds the id), heads (name, width,
loss, weight, offset in the target and prediction rows), layout (parameter names and shapes, in order), x and
t (one row per sample), params (the initial flat parameters), losses, grads (the first step's),
params_after (after the 3 steps) and predict (the prediction rows of x under the initial
parameters). Numbers are repr() of the float64 (float64 specs; lr and the heads' weights always)
or the shortest decimal that reads back as the same float32 (float32 specs), one array per line.

torch is run on one thread with deterministic algorithms; two runs give the same bytes.

How to rerun
------------
    /usr/bin/python3 internal/graphgold/golden.py -o internal/graphgold/testdata/golden.json
                          # rewrites the committed goldens and the .onnx files beside them
                          # (then review the diff)

It needs Debian's PyTorch and PyYAML (apt-get install python3-torch python3-yaml) under
/usr/bin/python3; it was written against torch 1.13.
"""

import argparse
import glob
import json
import math
import os
import sys
import zlib

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    import yaml
    from torch.nn.utils.stateless import functional_call
except ImportError as e:  # pragma: no cover
    sys.exit("golden.py needs PyTorch, numpy and PyYAML under /usr/bin/python3 (%s): "
             "apt-get install python3-torch python3-yaml" % e)

STEPS = 3
ONNX_OPSETS = (11, 13, 17)  # the exports of the specs without a layer_norm cycle through them
NORM_OPSET = 17  # a spec with a layer_norm: LayerNormalization
NORM_DECOMPOSED_OPSETS = (9, 13, 14)  # and again below 17, in turn: its decomposition
EMBEDDING_OPSETS = (11, 13, 17)  # a spec with an embedding, ids [batch]: in turn (17 with a layer_norm)
EMBEDDING_COLUMN_OPSETS = (9, 13, 14)  # and again with ids [batch, 1], in turn
# How a module reading ids of shape [batch, 1] makes an embedding's [batch, 1, dim] a row, in turn
# over the embedding layers of the specs: what torch writes for each (see export_onnx).
ID_FORMS = ("flatten", "squeeze", "view", "squeeze_ids", "view_ids")
BATCH = 6
MAX_WIDTH = 64  # was 8 before layer_norm; lnwide32 normalises 64 values
ACTIVATIONS = ("none", "relu", "leaky_relu", "sigmoid", "tanh")
LOSSES = ("mse", "softmax_cross_entropy", "binary_cross_entropy", "none")
DEFAULT_SLOPE = 0.01
DEFAULT_EPS = 1e-5  # nn.LayerNorm's, and gradgen's spec.DefaultEps
KINDS = ("dense", "add", "layer_norm", "dropout", "embedding")  # what a layer computes
MAX_CATEGORIES = 50  # the most ids of an integer input here (gradgen's limit is 2^31 - 1)
REPEATS = 4  # the samples from this index on repeat earlier samples' ids: see make_data

# The specs (by name) whose sample of the given index has a constant input row: see make_data.
CONSTANT_ROWS = {"lnconst64": 2}

# Tolerances like the Go tests' of internal/torchgold: |got - want| <= max(REL*|want|, ABS).
TOLERANCE = {"float32": (3e-4, 1e-6), "float64": (1e-9, 1e-14)}


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


def torch_dtype(dtype):
    return {"float32": torch.float32, "float64": torch.float64}[dtype]


# ---------------------------------------------------------------------------------------------
# Specs


class SpecError(Exception):
    pass


def keys(what, m, allowed):
    if not isinstance(m, dict):
        raise SpecError("%s must be a mapping, got %r" % (what, m))
    bad = sorted(set(m) - set(allowed))
    if bad:
        raise SpecError("%s: keys %s are not handled by golden.py (allowed: %s)" % (what, bad, sorted(allowed)))


def names(what, v):
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not v or not all(isinstance(s, str) for s in v):
        raise SpecError("%s must be a name or a list of names, got %r" % (what, v))
    return list(v)


def number(what, v):
    """v as a finite float. PyYAML (YAML 1.1) reads 1e-6, without a dot, as a string; gradgen's
    YAML 1.2 decoder reads it as a number, so such strings are numbers here too."""
    if isinstance(v, bool):
        raise SpecError("%s must be a number, got %r" % (what, v))
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise SpecError("%s must be a number, got %r" % (what, v))
    if not math.isfinite(f):
        raise SpecError("%s must be finite, got %r" % (what, v))
    return f


def dense_part(what, m, name):
    act = m.get("activation", "none")
    if act not in ACTIVATIONS:
        raise SpecError("%s: activation %r" % (what, act))
    slope = float(m.get("slope", DEFAULT_SLOPE))
    if "slope" in m and act != "leaky_relu":
        raise SpecError("%s: slope without leaky_relu" % what)
    d = {"name": name, "act": act, "slope": slope}
    if "dense" in m:
        if not isinstance(m["dense"], int) or not 1 <= m["dense"] <= MAX_WIDTH:
            raise SpecError("%s: dense must be an integer in [1, %d], got %r" % (what, MAX_WIDTH, m["dense"]))
        d.update(dense=m["dense"], bias=bool(m.get("bias", True)),
                 src=names(what + ": from", m["from"]) if "from" in m else None)
    return d


def load_spec(path):
    """The spec at path as a plain description: package, dtype, inputs [(name, width)], layers
    (each kind "dense" or "add"), heads and lr. Keys this script does not implement are an
    error, so that a spec cannot mean more to gradgen than to PyTorch."""
    with open(path) as f:
        s = yaml.safe_load(f)
    keys(path, s, {"package", "dtype", "input", "inputs", "layers", "outputs", "loss", "optimizer"})
    pkg = s["package"]
    if os.path.basename(os.path.dirname(os.path.abspath(path))) != pkg or not pkg.isalnum() or pkg != pkg.lower():
        raise SpecError("%s: the package %r is not the directory's name, in lowercase letters and digits" % (path, pkg))
    dtype = s.get("dtype", "float32")
    if dtype not in ("float32", "float64"):
        raise SpecError("%s: dtype %r" % (path, dtype))
    if ("input" in s) == ("inputs" in s):
        raise SpecError("%s: give input or inputs" % path)
    inputs = [("x", s["input"])] if "input" in s else list(s["inputs"].items())
    categories = {}  # the integer inputs' numbers of ids, by name, in the inputs' order
    for k, (name, w) in enumerate(inputs):
        if isinstance(w, dict) and "input" not in s:  # item: {categories: N}, one id per sample
            keys("%s: input %s" % (path, name), w, {"categories"})
            c = w.get("categories")
            if not isinstance(c, int) or isinstance(c, bool) or not 1 <= c <= MAX_CATEGORIES:
                raise SpecError("%s: input %s: categories must be an integer in [1, %d], got %r"
                                % (path, name, MAX_CATEGORIES, c))
            categories[name] = c
            inputs[k] = (name, 1)  # one slot of the input row, the id
        elif not isinstance(w, int) or not 1 <= w <= MAX_WIDTH:
            raise SpecError("%s: input %s has width %r" % (path, name, w))
    layers = []
    for i, m in enumerate(s["layers"]):
        what = "%s: layer %d" % (path, i + 1)
        keys(what, m, {"name", "dense", "from", "add", "activation", "slope", "bias", "layer_norm", "dropout",
                       "embedding", "trainable"})
        kind = [k for k in KINDS if k in m]
        if len(kind) != 1:
            raise SpecError("%s: give one of %s, got %s" % (what, ", ".join(KINDS), kind))
        d = dense_part(what, m, m.get("name", ""))
        d["torch"] = m.get("name", str(i))  # gradgen's Layout name: the name, or the index
        d["kind"] = kind[0]
        if "add" in m:
            d["add"] = names(what + ": add", m["add"])
            if len(d["add"]) < 2 or "from" in m or "bias" in m:
                raise SpecError("%s: add takes at least 2 names, and no from or bias" % what)
        elif "layer_norm" in m:
            ln = m["layer_norm"]
            keys(what + ": layer_norm", ln, {"eps"})
            d["eps"] = number(what + ": layer_norm: eps", ln.get("eps", DEFAULT_EPS))
            if not d["eps"] > 0 or "bias" in m:
                raise SpecError("%s: layer_norm takes an eps > 0, and no bias" % what)
            d["src"] = names(what + ": from", m["from"]) if "from" in m else None
        elif "dropout" in m:
            d["p"] = number(what + ": dropout", m["dropout"])
            if d["p"] != 0:  # a mask drawn by torch's generator cannot be reproduced by gradgen
                raise SpecError("%s: dropout %r: only 0 has goldens" % (what, m["dropout"]))
            if {"bias", "activation", "slope"} & set(m):
                raise SpecError("%s: dropout takes no bias, activation or slope" % what)
            d["src"] = names(what + ": from", m["from"]) if "from" in m else None
        elif "embedding" in m:
            dim = m["embedding"]
            if not isinstance(dim, int) or isinstance(dim, bool) or not 1 <= dim <= MAX_WIDTH:
                raise SpecError("%s: embedding must be an integer in [1, %d], got %r" % (what, MAX_WIDTH, dim))
            src = names(what + ": from", m["from"]) if "from" in m else []
            if len(src) != 1 or src[0] not in categories:
                raise SpecError("%s: an embedding reads one integer input (from: item), got from: %r" % (what, src))
            if {"bias", "activation", "slope"} & set(m):
                raise SpecError("%s: embedding takes no bias, activation or slope" % what)
            if not isinstance(m.get("trainable", True), bool):
                raise SpecError("%s: trainable must be true or false" % what)
            d.update(embedding=dim, src=src, categories=categories[src[0]], frozen=not m.get("trainable", True))
        if "trainable" in m and d["kind"] != "embedding":  # gradgen freezes the others too; not here yet
            raise SpecError("%s: trainable is handled by golden.py only on an embedding" % what)
        layers.append(d)
    heads = []
    if "outputs" in s:
        if "loss" in s:
            raise SpecError("%s: loss and outputs" % path)
        for name, m in s["outputs"].items():
            what = "%s: head %s" % (path, name)
            keys(what, m, {"dense", "from", "activation", "slope", "bias", "loss", "weight"})
            d = dense_part(what, m, name)
            if "dense" not in d:
                raise SpecError("%s: no dense" % what)
            d.update(kind="head", torch=name, loss=m["loss"], weight=float(m.get("weight", 1)))
            heads.append(d)
    else:  # the last layer is the one output, y
        heads.append({"kind": "last", "name": "y", "loss": s["loss"], "weight": 1.0})
    for h in heads:
        if h["loss"] not in LOSSES:
            raise SpecError("%s: head %s: loss %r" % (path, h["name"], h["loss"]))
        if h["loss"] in ("softmax_cross_entropy", "binary_cross_entropy") and h.get("act", "none") != "none":
            raise SpecError("%s: head %s: a loss on logits after an activation" % (path, h["name"]))
    opt = s["optimizer"]
    keys(path + ": optimizer", opt, {"sgd"})
    keys(path + ": optimizer sgd", opt["sgd"], {"lr"})
    return {"package": pkg, "dtype": dtype, "inputs": inputs, "categories": categories, "layers": layers,
            "heads": heads, "lr": float(opt["sgd"]["lr"]), "path": path}


def widths(spec):
    """The width of every named value, each dense layer's and head's fan-in, each layer_norm's
    and dropout's width and each embedding's number of ids (its table's rows) (by torch name),
    each head's output width, the parameter count, and the layout [(name, shape)], all from the
    spec alone (not from the module), for the checks. Only an embedding reads an integer input
    (an id is no value to compute with)."""
    w = dict(spec["inputs"])
    ids = spec["categories"]
    last = spec["inputs"][0][1] if len(spec["inputs"]) == 1 else None
    last_ids = len(spec["inputs"]) == 1 and spec["inputs"][0][0] in ids  # the layer above is an id input
    fan_in, layout = {}, []

    def reads(src):
        if src is None:
            if last is None or last_ids:
                raise SpecError("%s: a layer or head reads the layer above, and there is none (or it is "
                                "an integer input)" % spec["path"])
            return last
        if set(src) & set(ids):
            raise SpecError("%s: %s read an integer input: only an embedding does" % (spec["path"], src))
        return sum(w[n] for n in src)

    for l in spec["layers"]:
        if l["kind"] == "embedding":  # its table [N][D]
            fan_in[l["torch"]] = l["categories"]
            out = l["embedding"]
            layout.append((l["torch"] + ".weight", [l["categories"], out]))
        elif l["kind"] == "add":
            if set(l["add"]) & set(ids):
                raise SpecError("%s: add of an integer input" % spec["path"])
            ws = {w[n] for n in l["add"]}
            if len(ws) != 1:
                raise SpecError("%s: add of widths %s" % (spec["path"], ws))
            out = ws.pop()
        elif l["kind"] in ("layer_norm", "dropout"):
            out = fan_in[l["torch"]] = reads(l["src"])
            if l["kind"] == "layer_norm":  # γ then β
                layout += [(l["torch"] + ".weight", [out]), (l["torch"] + ".bias", [out])]
        else:
            fan_in[l["torch"]] = reads(l["src"])
            out = l["dense"]
            layout.append((l["torch"] + ".weight", [out, fan_in[l["torch"]]]))
            if l["bias"]:
                layout.append((l["torch"] + ".bias", [out]))
        if l["name"]:
            w[l["name"]] = out
        last, last_ids = out, False
    head_w = []
    for h in spec["heads"]:
        if h["kind"] == "last":
            head_w.append(last)
            continue
        fan_in[h["torch"]] = reads(h["src"])
        head_w.append(h["dense"])
        layout.append((h["torch"] + ".weight", [h["dense"], fan_in[h["torch"]]]))
        if h["bias"]:
            layout.append((h["torch"] + ".bias", [h["dense"]]))
    count = sum(math.prod(shape) for _, shape in layout)
    return fan_in, head_w, count, layout


# ---------------------------------------------------------------------------------------------
# The network in PyTorch


def activate(z, d):
    a = d.get("act", "none")
    if a == "relu":
        return F.relu(z)
    if a == "leaky_relu":
        return F.leaky_relu(z, d["slope"])
    if a == "sigmoid":
        return torch.sigmoid(z)
    if a == "tanh":
        return torch.tanh(z)
    return z


class GraphNet(torch.nn.Module):
    """The network of a spec: an nn.Linear per dense layer and head, an nn.LayerNorm per
    layer_norm, an nn.Dropout per dropout and an nn.Embedding per embedding (its weight frozen,
    requires_grad False, by trainable: false), registered in gradgen's parameter order as
    submodules named by gradgen's Layout names (so the state_dict keys are those names), and a
    forward that takes the named inputs, an integer input's as a LongTensor of the batch's ids
    (or one input row, which it slices into them), concatenates (torch.cat) what a layer reads
    and sums (+) what it adds."""

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        # id_forms: for an export with ids of shape [batch, 1] (export_onnx), how each embedding
        # layer (by its torch name) reads them; None otherwise.
        self.id_forms = None
        fan_in, _, _, _ = widths(spec)
        for d in spec["layers"] + spec["heads"]:
            if d["kind"] in ("dense", "head"):
                self.add_module(d["torch"], torch.nn.Linear(fan_in[d["torch"]], d["dense"], bias=d["bias"]))
            elif d["kind"] == "layer_norm":
                self.add_module(d["torch"], torch.nn.LayerNorm(fan_in[d["torch"]], eps=d["eps"]))
            elif d["kind"] == "dropout":
                self.add_module(d["torch"], torch.nn.Dropout(d["p"]))
            elif d["kind"] == "embedding":
                e = torch.nn.Embedding(d["categories"], d["embedding"])
                e.weight.requires_grad_(not d["frozen"])
                self.add_module(d["torch"], e)

    def forward(self, *xs):
        """The heads' outputs (after their activations), a tuple, for the batch of the named
        inputs xs (an integer input's a LongTensor [batch] of ids), or of input rows xs[0]
        (their concatenation, an id a number in its slot)."""
        vals, off = {}, 0
        ins = self.spec["inputs"]
        if len(xs) == len(ins):
            for (name, _), x in zip(ins, xs):
                vals[name] = x
        else:
            (x,) = xs
            for name, w in ins:
                vals[name] = x[:, off:off + w]
                off += w
            assert off == x.shape[1]
        for name in self.spec["categories"]:
            v = vals[name]
            if v.dtype != torch.int64:  # an id's slot of the input rows, [batch, 1]: rounded, so
                v = torch.round(v.reshape(-1)).long()  # gradcheck's nudges of it keep the id
            vals[name] = v
        last = vals[ins[0][0]] if len(ins) == 1 else None

        def read(src):
            if src is None:
                return last
            if len(src) == 1:
                return vals[src[0]]
            return torch.cat([vals[n] for n in src], dim=1)

        for l in self.spec["layers"]:
            if l["kind"] == "add":
                z = vals[l["add"][0]]
                for n in l["add"][1:]:
                    z = z + vals[n]
            elif l["kind"] == "embedding" and self.id_forms is not None:
                z = lookup(self._modules[l["torch"]], read(l["src"]), self.id_forms[l["torch"]])
            else:
                z = self._modules[l["torch"]](read(l["src"]))
            last = activate(z, l)
            if l["name"]:
                vals[l["name"]] = last
        outs = []
        for h in self.spec["heads"]:
            if h["kind"] == "last":
                outs.append(last)
            else:
                outs.append(activate(self._modules[h["torch"]](read(h["src"])), h))
        return tuple(outs)


def lookup(e, ids, form):
    """The rows of the embedding e for ids of shape [batch, 1], by form (ID_FORMS): the lookup
    [batch, 1, dim] flattened (nn.Flatten's flatten(1)), squeezed (squeeze(1)) or viewed as
    [batch, -1] (which torch writes with Shape, Gather, Unsqueeze, Concat and Reshape); or the
    ids squeezed (squeeze(1)) or viewed as [-1] before the lookup."""
    if form == "flatten":
        return e(ids).flatten(1)
    if form == "squeeze":
        return e(ids).squeeze(1)
    if form == "view":
        return e(ids).view(ids.shape[0], -1)
    if form == "squeeze_ids":
        return e(ids.squeeze(1))
    if form == "view_ids":
        return e(ids.view(-1))
    raise ValueError(form)


def head_loss(kind, y, t):
    if kind == "mse":
        return F.mse_loss(y, t)
    if kind == "softmax_cross_entropy":
        return F.cross_entropy(y, t)  # probability targets
    if kind == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(y, t)
    raise ValueError(kind)


def total_loss(spec, outs, T):
    """Σ weight·loss over the heads that train, in order, on the target rows T."""
    total, off = None, 0
    for h, y in zip(spec["heads"], outs):
        w = y.shape[1]
        if h["loss"] != "none" and h["weight"] != 0:
            term = h["weight"] * head_loss(h["loss"], y, T[:, off:off + w])
            total = term if total is None else total + term
        off += w
    assert off == T.shape[1]
    return total


def flat(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors]).tolist()


def make_net(spec, init, dtype):
    net = GraphNet(spec).to(torch_dtype(dtype))
    _, _, count, layout = widths(spec)
    got = [(k, list(v.shape)) for k, v in net.state_dict().items()]
    want = [(k, s) for k, s in layout]
    assert got == want, "%s: the module's parameters %s, the spec's %s" % (spec["package"], got, want)
    assert sum(p.numel() for p in net.parameters()) == count == len(init), spec["package"]
    frozen = {l["torch"] + ".weight" for l in spec["layers"] if l["kind"] == "embedding" and l["frozen"]}
    assert {k for k, p in net.named_parameters() if not p.requires_grad} == frozen, spec["package"]
    with torch.no_grad():
        off = 0
        for p in net.parameters():
            p.copy_(torch.tensor(init[off:off + p.numel()], dtype=torch.float64).reshape(p.shape))
            off += p.numel()
    return net


def train(spec, init, x, t, dtype):
    """Trains STEPS steps of SGD on the batch; returns (losses, first gradient, final
    parameters, initial predictions), flat lists of Python floats."""
    dt = torch_dtype(dtype)
    net = make_net(spec, init, dtype)
    X = torch.tensor(x, dtype=torch.float64).to(dt)
    T = torch.tensor(t, dtype=torch.float64).to(dt)
    with torch.no_grad():
        predict = torch.cat(net(X), dim=1).tolist()
    opt = torch.optim.SGD(net.parameters(), lr=spec["lr"], foreach=False)
    losses, grads = [], None
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss = total_loss(spec, net(X), T)
        losses.append(loss.item())
        loss.backward()
        if grads is None:  # a parameter no loss reaches (a head of loss none or weight 0) has none: 0
            grads = flat(torch.zeros_like(p) if p.grad is None else p.grad for p in net.parameters())
        opt.step()
    return losses, grads, flat(net.parameters()), predict


def has_layer_norm(spec):
    """Whether spec has a layer_norm, which torch exports as LayerNormalization from opset 17 and as
    its decomposition (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) below."""
    return any(l["kind"] == "layer_norm" for l in spec["layers"])


def export_onnx(spec, init, x, opset, path, id_forms=None):
    """Exports the module of spec, with the parameters init, to the ONNX file path as a user
    would: torch.onnx.export of the module called on its named inputs, named as the spec names
    them, the heads as outputs named by the heads (y for a network without outputs), the batch
    dynamic, in inference mode, without constant folding (so the initializers keep the
    state_dict names). An integer input is a LongTensor of the batch's ids, of shape [batch]
    (nn.Embedding's lookup of which torch writes as Gather(weight, ids), an int64 graph input),
    or, given id_forms (the form of ID_FORMS of each embedding layer, by its torch name), of
    shape [batch, 1], each embedding reading it by its form. It checks that the initializers are
    the module's parameters: in inference mode torch keeps one initializer of several parameters
    of equal values (two nn.LayerNorm of one width at their initial 1 and 0) and writes the
    others as Identity nodes of it, named by them, which the importer reads as tensors of those
    names."""
    net = make_net(spec, init, spec["dtype"])
    net.eval()
    X = torch.tensor(x, dtype=torch.float64).to(torch_dtype(spec["dtype"]))
    parts, off = [], 0
    for name, w in spec["inputs"]:
        if name in spec["categories"]:  # the ids in their slots, as a LongTensor
            ids = torch.round(X[:, off]).long()
            parts.append(ids.reshape(-1, 1) if id_forms is not None else ids)
        else:
            parts.append(X[:, off:off + w].contiguous())
        off += w
    with torch.no_grad():  # the module on the named inputs computes what it does on the rows
        want = torch.cat(net(X), dim=1)
        net.id_forms = id_forms
        assert torch.equal(torch.cat(net(*parts), dim=1), want), path
    ins = [n for n, _ in spec["inputs"]]
    outs = [h["name"] for h in spec["heads"]]
    tmp = path + ".tmp"
    torch.onnx.export(net, tuple(parts), tmp, input_names=ins, output_names=outs,
                      dynamic_axes={n: {0: "batch"} for n in ins + outs}, opset_version=opset,
                      do_constant_folding=False, training=torch.onnx.TrainingMode.EVAL)
    os.replace(tmp, path)
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:  # the goldens do not depend on it
        return
    m = onnx.load(path)
    onnx.checker.check_model(m)
    got = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    for n in m.graph.node:  # a deduplicated parameter: Identity(the initializer of equal values)
        if n.op_type == "Identity" and n.input[0] in got:
            got[n.output[0]] = got[n.input[0]]
    for name, p in net.state_dict().items():
        assert name in got and np.array_equal(got[name], p.numpy()), "%s: initializer %s" % (path, name)
    for name in spec["categories"]:  # an int64 graph input of the ids, [batch] or [batch, 1]
        (i,) = [i for i in m.graph.input if i.name == name]
        rank = len(i.type.tensor_type.shape.dim)
        assert i.type.tensor_type.elem_type == onnx.TensorProto.INT64 and rank == (1 if id_forms is None else 2), \
            "%s: input %s" % (path, name)
    if any(l["kind"] == "embedding" for l in spec["layers"]):
        assert "Gather" in [n.op_type for n in m.graph.node], path


def has_embedding(spec):
    """Whether spec has an embedding, which torch writes as Gather(weight, ids), the ids an int64
    graph input. Such a spec is exported with ids of shape [batch] at EMBEDDING_OPSETS in turn
    (at NORM_OPSET with a layer_norm), and again to <name>_op<k>.onnx with ids of shape
    [batch, 1] at EMBEDDING_COLUMN_OPSETS in turn (the decomposition of a layer_norm there), each
    embedding layer reading them by the next of ID_FORMS."""
    return any(l["kind"] == "embedding" for l in spec["layers"])


# ---------------------------------------------------------------------------------------------
# Checks


def reference(spec, init, x, t):
    """The loss and the prediction rows by the README's semantics, transcribed in numpy
    (float64) independently of GraphNet and of torch's losses."""
    p = np.array(init, dtype=np.float64)
    X, T = np.array(x, dtype=np.float64), np.array(t, dtype=np.float64)
    off = [0]

    def take(shape):
        n = math.prod(shape)
        v = p[off[0]:off[0] + n].reshape(shape)
        off[0] += n
        return v

    def dense(d, a):
        W = take((d["dense"], a.shape[1]))
        z = a @ W.T
        if d["bias"]:
            z = z + take((d["dense"],))
        return z

    def act(z, d):
        a = d.get("act", "none")
        return {"none": lambda: z, "relu": lambda: np.maximum(z, 0),
                "leaky_relu": lambda: np.where(z >= 0, z, d["slope"] * z),
                "sigmoid": lambda: 1 / (1 + np.exp(-z)), "tanh": lambda: np.tanh(z)}[a]()

    def embedding(d, ids):
        table = take((d["categories"], d["embedding"]))
        return table[ids]  # a row per sample: its id's

    def layer_norm(d, a):
        g, b = take((a.shape[1],)), take((a.shape[1],))
        mean = a.mean(axis=1, keepdims=True)
        var = ((a - mean) ** 2).mean(axis=1, keepdims=True)  # biased
        return (a - mean) / np.sqrt(var + d["eps"]) * g + b

    vals, c = {}, 0
    for name, w in spec["inputs"]:
        vals[name] = X[:, c:c + w]
        if name in spec["categories"]:  # the ids, integers in [0, N)
            ids = vals[name][:, 0].astype(np.int64)
            assert np.array_equal(ids, vals[name][:, 0]) and ids.min() >= 0 and ids.max() < spec["categories"][name]
            vals[name] = ids
        c += w
    last = X if len(spec["inputs"]) == 1 else None
    read = lambda src: last if src is None else np.concatenate([vals[n] for n in src], axis=1)
    for l in spec["layers"]:
        if l["kind"] == "embedding":
            z = embedding(l, vals[l["src"][0]])
        elif l["kind"] == "add":
            z = sum(vals[n] for n in l["add"])
        elif l["kind"] == "layer_norm":
            z = layer_norm(l, read(l["src"]))
        elif l["kind"] == "dropout":  # p = 0
            z = read(l["src"])
        else:
            z = dense(l, read(l["src"]))
        last = act(z, l)
        if l["name"]:
            vals[l["name"]] = last
    outs = [last if h["kind"] == "last" else act(dense(h, read(h["src"])), h) for h in spec["heads"]]
    assert off[0] == len(init)
    loss, c = 0.0, 0
    for h, y in zip(spec["heads"], outs):
        tt = T[:, c:c + y.shape[1]]
        c += y.shape[1]
        if h["loss"] == "mse":
            loss += h["weight"] * np.mean((y - tt) ** 2)
        elif h["loss"] == "softmax_cross_entropy":
            m = y.max(axis=1, keepdims=True)
            lse = m + np.log(np.exp(y - m).sum(axis=1, keepdims=True))
            loss += h["weight"] * np.mean(np.sum(tt * (lse - y), axis=1))
        elif h["loss"] == "binary_cross_entropy":
            loss += h["weight"] * np.mean(np.maximum(y, 0) - y * tt + np.log1p(np.exp(-np.abs(y))))
    return loss, np.concatenate(outs, axis=1)


def check_reference(spec, init, x, t):
    """GraphNet in float64 against reference(): relative 1e-12."""
    loss, pred = reference(spec, init, x, t)
    net = make_net(spec, init, "float64")
    X = torch.tensor(x, dtype=torch.float64)
    with torch.no_grad():
        outs = net(X)
        got_loss = total_loss(spec, outs, torch.tensor(t, dtype=torch.float64)).item()
        got_pred = torch.cat(outs, dim=1).numpy()
    worst = max(abs(got_loss - loss) / max(abs(loss), 1e-300),
                float(np.max(np.abs(got_pred - pred) / np.maximum(np.abs(pred), 1e-12))))
    assert worst < 1e-12, "%s: torch and the numpy reference differ by %g" % (spec["package"], worst)
    return worst


def check_gradcheck(spec, init, x, t):
    """torch.autograd.gradcheck of the total loss with respect to the flat parameters and the
    input rows, on a float64 copy of the spec."""
    net = make_net(spec, init, "float64")
    _, _, _, layout = widths(spec)
    T = torch.tensor(t, dtype=torch.float64)

    def loss_of(theta, X):
        params, off = {}, 0
        for name, shape in layout:
            n = math.prod(shape)
            params[name] = theta[off:off + n].reshape(shape)
            off += n
        return total_loss(spec, functional_call(net, params, (X,)), T)

    theta = torch.tensor(init, dtype=torch.float64, requires_grad=True)
    X = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(loss_of, (theta, X), eps=1e-6, atol=1e-7, rtol=1e-5), spec["package"]


def check_coverage(specs):
    got = {"dtype": set(), "loss": set(), "activation": set(), "kind": set(), "layer_norm dtype": set(),
           "layer_norm width": set(), "layer_norm eps": set(), "layer_norm activation": set(),
           "embedding dtype": set(), "embedding trainable": set(), "integer inputs of a spec": set(),
           "embeddings of an integer input": set(), "integer input with float inputs": set(),
           "embedding into": set()}
    for s in specs:
        got["dtype"].add(s["dtype"])
        fan_in = widths(s)[0]
        embs = [l for l in s["layers"] if l["kind"] == "embedding"]
        if embs:
            got["integer inputs of a spec"].add(len(s["categories"]))
            got["integer input with float inputs"].add(len(s["inputs"]) > len(s["categories"]))
            for name in s["categories"]:
                got["embeddings of an integer input"].add(sum(l["src"] == [name] for l in embs))
        for e in embs:
            got["embedding dtype"].add(s["dtype"])
            got["embedding trainable"].add(not e["frozen"])
        for i, l in enumerate(s["layers"] + s["heads"]):  # what reads an embedding's output
            above = s["layers"][i - 1] if 0 < i <= len(s["layers"]) else None
            if above and above["kind"] == "embedding" and l.get("src", []) is None:
                got["embedding into"].add(l["kind"] + " (the layer above)")
            for e in embs:
                if e["name"] and e["name"] in (l.get("src") or []) + l.get("add", []):
                    got["embedding into"].add(
                        ("concatenated into " if len(l.get("src") or []) > 1 else "") + l["kind"])
        for d in s["layers"] + s["heads"]:
            if "act" in d:
                got["activation"].add(d["act"])
            if "loss" in d:
                got["loss"].add(d["loss"])
            if d["kind"] in KINDS:
                got["kind"].add(d["kind"])
            if d["kind"] == "layer_norm":
                got["layer_norm dtype"].add(s["dtype"])
                w = fan_in[d["torch"]]
                got["layer_norm width"].add("1" if w == 1 else "2..8" if w <= 8 else "> 8")
                got["layer_norm eps"].add("default" if d["eps"] == DEFAULT_EPS else "other")
                got["layer_norm activation"].add("none" if d["act"] == "none" else "some")
    want = {"dtype": {"float32", "float64"}, "loss": set(LOSSES), "activation": set(ACTIVATIONS),
            "kind": set(KINDS), "layer_norm dtype": {"float32", "float64"},
            "layer_norm width": {"1", "2..8", "> 8"}, "layer_norm eps": {"default", "other"},
            "layer_norm activation": {"none", "some"}, "embedding dtype": {"float32", "float64"},
            "embedding trainable": {True, False}, "integer inputs of a spec": {1, 2},
            "embeddings of an integer input": {1, 2}, "integer input with float inputs": {True, False},
            "embedding into": {"concatenated into dense", "concatenated into head", "head", "add",
                               "layer_norm (the layer above)"}}
    for k in want:
        assert got[k] == want[k], "coverage: %s %s, want %s" % (k, sorted(got[k]), sorted(want[k]))
    assert len(specs) >= 10, "only %d specs" % len(specs)
    for name in CONSTANT_ROWS:
        assert any(s["package"] == name and not s["categories"] for s in specs), "CONSTANT_ROWS: no spec %s" % name


def tol_used(got, want, dtype):
    """The largest fraction of TOLERANCE[dtype] that got uses against want."""
    rel, ab = TOLERANCE[dtype]
    return max(abs(a - b) / max(rel * abs(b), ab) for a, b in zip(got, want))


# ---------------------------------------------------------------------------------------------
# Data


def make_data(spec):
    """The spec's batch (x and t, flat rows) and initial parameters, in float64.

    The rows are drawn sample by sample, input by input: a float input's values U(-2, 2), an
    integer input's id r.intn(N) (as a number), except that from sample REPEATS on the k-th
    integer input (k = 0, 1, ...) repeats the id of sample (i - 3 - k) mod REPEATS, without a
    draw (with k = 0 samples 4 and 5 repeat samples 1 and 2, with k = 1 samples 0 and 1), so
    that every batch looks up a row of each table more than once and its gradient sums."""
    fan_in, head_w, count, layout = widths(spec)
    seed = zlib.crc32(spec["package"].encode())
    r = SplitMix64(seed)
    n_in = sum(w for _, w in spec["inputs"])
    cats = spec["categories"]
    x = []
    for i in range(BATCH):
        row = []
        for name, w in spec["inputs"]:
            if name not in cats:
                row += [r.uniform(-2, 2) for _ in range(w)]
            elif i < REPEATS:
                row.append(float(r.intn(cats[name])))
            else:
                row.append(x[(i - 3 - list(cats).index(name)) % REPEATS][len(row)])
        x.append(row)
    for k, (name, _) in enumerate(spec["inputs"]):  # some id of each integer input is looked up twice
        if name not in cats:
            continue
        c = sum(w for _, w in spec["inputs"][:k])
        col = [row[c] for row in x]
        assert len(set(col)) < len(col) and all(0 <= v < cats[name] for v in col), spec["package"]
    if spec["package"] in CONSTANT_ROWS:  # after the draws: the targets' are those without it
        row = x[CONSTANT_ROWS[spec["package"]]]
        row[:] = [round(row[0] * 8) / 8] * n_in
    t = [[] for _ in range(BATCH)]
    for h, w in zip(spec["heads"], head_w):
        for i in range(BATCH):
            if h["loss"] == "softmax_cross_entropy":
                k = [0] * w
                if i % 3 == 0:
                    k[r.intn(w)] = 16
                else:
                    for _ in range(16):
                        k[r.intn(w)] += 1
                t[i] += [v / 16 for v in k]
            elif h["loss"] == "binary_cross_entropy":
                t[i] += [r.intn(9) / 8 for _ in range(w)]
            else:  # mse, none
                t[i] += [r.uniform(-1, 1) for _ in range(w)]
    r = SplitMix64(seed ^ 0x5EED5EED5EED5EED)
    norms = {l["torch"] for l in spec["layers"] if l["kind"] == "layer_norm"}
    tables = {l["torch"] for l in spec["layers"] if l["kind"] == "embedding"}
    init = []
    for name, shape in layout:  # each tensor's own layer's fan-in
        owner, what = name.rsplit(".", 1)
        if owner in norms:  # nn.LayerNorm's γ = 1, β = 0, without a draw
            init += [1.0 if what == "weight" else 0.0] * math.prod(shape)
            continue
        if owner in tables:  # nn.Embedding's N(0, 1): Box-Muller, two draws per value
            for _ in range(math.prod(shape)):
                u1, u2 = 1 - r.uniform(0, 1), r.uniform(0, 1)  # u1 in (0, 1]
                init.append(math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2))
            continue
        b = 1 / math.sqrt(fan_in[owner])
        init += [r.uniform(-b, b) for _ in range(math.prod(shape))]
    assert len(init) == count
    return x, t, init


# ---------------------------------------------------------------------------------------------
# Output


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


def rows(vs, dtype):
    return "[" + ",".join(arr(r, dtype) for r in vs) + "]"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("-o", default=os.path.join(here, "testdata", "golden.json"),
                    help="the JSON file to write (default: testdata/golden.json beside this script)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    paths = sorted(glob.glob(os.path.join(here, "nets", "*", "*.yaml")))
    specs = []
    for path in paths:
        if os.path.basename(path) != os.path.basename(os.path.dirname(path)) + ".yaml":
            raise SpecError("%s: a spec's file is nets/<name>/<name>.yaml" % path)
        specs.append(load_spec(path))
    check_coverage(specs)
    embedded = []  # the specs with an embedding (has_embedding), exported on their own turns
    forms_used = []  # the form of ID_FORMS of each embedding layer, in turn

    results, exported, normed = [], [], []
    worst_ref, worst32 = 0.0, (0.0, "")
    worst_order = {"float32": (0.0, ""), "float64": (0.0, "")}
    for s in specs:
        d = s["dtype"]
        x, t, init = make_data(s)
        if d == "float32":
            x = [[f32(v) for v in r] for r in x]
            t = [[f32(v) for v in r] for r in t]
            init = [f32(v) for v in init]
        fx = [v for r in x for v in r]
        worst_ref = max(worst_ref, check_reference(s, init, x, t))
        check_gradcheck(s, init, x, t)
        losses, grads, after, predict = train(s, init, x, t, d)
        run = losses + grads + after + [v for r in predict for v in r]
        if d == "float32":  # the same run in float64 on the same (float32) numbers
            l64, g64, a64, p64 = train(s, init, x, t, "float64")
            worst32 = max(worst32, (tol_used(run, l64 + g64 + a64 + [v for r in p64 for v in r], d), s["package"]))
        # The same run on the batch in reverse order: other sums, as another implementation's.
        lr_, gr, ar, pr = train(s, init, x[::-1], t[::-1], d)
        worst_order[d] = max(worst_order[d], (tol_used(lr_ + gr + ar + [v for r in pr[::-1] for v in r], run, d),
                                              s["package"]))
        assert len(fx) == BATCH * sum(w for _, w in s["inputs"])
        results.append((s, x, t, init, losses, grads, after, predict))
        # The opsets go in turn among the specs without a layer_norm, as before specs with one
        # existed, so their files stay as they were; a spec with one is exported at opset 17
        # (LayerNormalization) and at an older opset in turn (the decomposition).
        base = os.path.join(os.path.dirname(os.path.abspath(args.o)), s["package"])
        forms = None
        if has_embedding(s):  # on turns of their own, so the other specs keep their opsets
            embedded.append(s["package"])
            i = len(embedded) - 1
            main = NORM_OPSET if has_layer_norm(s) else EMBEDDING_OPSETS[i % len(EMBEDDING_OPSETS)]
            k = EMBEDDING_COLUMN_OPSETS[i % len(EMBEDDING_COLUMN_OPSETS)]
            written = [(main, base + ".onnx"), (k, "%s_op%d.onnx" % (base, k))]
            forms = {}
            for l in s["layers"]:
                if l["kind"] == "embedding":
                    forms[l["torch"]] = ID_FORMS[len(forms_used) % len(ID_FORMS)]
                    forms_used.append("%s %s" % (l["torch"], forms[l["torch"]]))
        elif has_layer_norm(s):
            normed.append(s["package"])
            k = NORM_DECOMPOSED_OPSETS[(len(normed) - 1) % len(NORM_DECOMPOSED_OPSETS)]
            written = [(NORM_OPSET, base + ".onnx"), (k, "%s_op%d.onnx" % (base, k))]
        else:
            exported.append(s["package"])
            written = [(ONNX_OPSETS[len(exported) % len(ONNX_OPSETS)], base + ".onnx")]
        for opset, path in written:
            export_onnx(s, init, x, opset, path, forms if path != base + ".onnx" else None)
        for path in glob.glob(glob.escape(base) + "_op*.onnx"):  # not a stale export beside the goldens
            if path not in [p for _, p in written]:
                os.remove(path)

    print("golden.py: %d specs, torch %s; torch against the numpy reference: at most %.3g relative"
          % (len(specs), torch.__version__, worst_ref), file=sys.stderr)
    print("golden.py: gradcheck passed on a float64 copy of every spec", file=sys.stderr)
    print("golden.py: %d specs exported to ONNX at opsets %s in turn; %d with a layer_norm at opset %d "
          "and at %s in turn: %s" % (len(exported), ONNX_OPSETS, len(normed), NORM_OPSET,
                                     NORM_DECOMPOSED_OPSETS, ", ".join(normed)), file=sys.stderr)
    print("golden.py: %d specs with an embedding exported to ONNX (Gather) with ids [batch] at %s in turn "
          "(at %d with a layer_norm), and with ids [batch, 1] at %s in turn: %s; their embeddings read [batch, 1] "
          "ids as %s" % (len(embedded), EMBEDDING_OPSETS, NORM_OPSET, EMBEDDING_COLUMN_OPSETS, ", ".join(embedded),
                         ", ".join(forms_used)), file=sys.stderr)
    print("golden.py: float32 torch vs float64 torch on the same data uses at most %.3g of a float32 "
          "tolerance of %g relative, %g absolute, in %s" % ((worst32[0],) + TOLERANCE["float32"] + (worst32[1],)),
          file=sys.stderr)
    for d in ("float32", "float64"):
        print("golden.py: %s torch on the batch reversed uses at most %.3g of a %s tolerance of %g relative, "
              "%g absolute, in %s" % ((d, worst_order[d][0], d) + TOLERANCE[d] + (worst_order[d][1],)),
              file=sys.stderr)

    L = []
    L.append("{")
    L.append(' "about": %s,' % json.dumps(
        "PyTorch goldens for gradgen's graph networks, written by internal/graphgold/golden.py; do not edit"))
    L.append(' "torch": %s,' % json.dumps(torch.__version__))
    L.append(' "numpy": %s,' % json.dumps(np.__version__))
    L.append(' "steps": %d,' % STEPS)
    L.append(' "specs": [')
    for i, (s, x, t, init, losses, grads, after, predict) in enumerate(results):
        d = s["dtype"]
        _, head_w, _, layout = widths(s)
        heads, off = [], 0
        for h, w in zip(s["heads"], head_w):
            heads.append('{"name": %s, "width": %d, "loss": "%s", "weight": %r, "offset": %d}'
                         % (json.dumps(h["name"]), w, h["loss"], h["weight"], off))
            off += w
        L.append('  {"name": "%s", "dtype": "%s", "inputs": %d, "outputs": %d, "lr": %r, "batch": %d,'
                 % (s["package"], d, sum(w for _, w in s["inputs"]), off, s["lr"], BATCH))
        L.append('   "input_fields": %s,' % json.dumps(
            [[n, w] + ([s["categories"][n]] if n in s["categories"] else []) for n, w in s["inputs"]]))
        L.append('   "heads": [%s],' % ", ".join(heads))
        L.append('   "layout": %s,' % json.dumps([[n, shape] for n, shape in layout]))
        L.append('   "x": %s,' % rows(x, d))
        L.append('   "t": %s,' % rows(t, d))
        L.append('   "params": %s,' % arr(init, d))
        L.append('   "losses": %s,' % arr(losses, d))
        L.append('   "grads": %s,' % arr(grads, d))
        L.append('   "params_after": %s,' % arr(after, d))
        L.append('   "predict": %s}' % rows(predict, d) + ("," if i < len(results) - 1 else ""))
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
