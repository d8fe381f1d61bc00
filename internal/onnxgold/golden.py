#!/usr/bin/python3
"""golden.py: small PyTorch models exported to ONNX, and PyTorch's answers for them, written
to testdata/ (the .onnx files, golden.json and graphs.txt) for the ONNX importer (onnxspec).

What it computes
----------------
Each model of MODELS below is a tiny nn.Sequential (widths <= 16 but for the 64 inputs of the
[N, 1, 8, 8] models, 1 to 3 Linear-like layers) whose weights come from torch.manual_seed(its
seed) followed by the layers' own initialisation (nn.Linear's U(-1/sqrt(in), 1/sqrt(in));
the custom MatMul/F.linear layers below draw the same bound with nn.init.uniform_). A float64
model is built in float32 and converted with .double(). It is exported with

    torch.onnx.export(net, x, f, training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False, input_names=["x"], output_names=["y"],
                      opset_version=<opset>, dynamic_axes=<none, or batch on x and y>)

where x is the model's batch of B = 5 samples. A fixed-batch model is exported without
dynamic_axes, so its graph input is [5, ...] and its goldens use that batch of 5; a
dynamic-batch model (name with "_dyn") has dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
and its graph input is [null, ...] in golden.json. The name of a model is
<form>[_dyn]_<f32|f64>_op<opset>; the forms:

    seq_<act>      Linear(4, 8), <act>, Linear(8, 3); act relu, leakyrelu (LeakyReLU(0.2)),
                   sigmoid, tanh, identity (nn.Identity), dropout (nn.Dropout(0.25))
    linear_nobias  Linear(4, 8, bias=False), ReLU, Linear(8, 3)
    matmul_inout   a module with w = Parameter [in, out]: y = x @ w + b; ReLU; Linear(8, 3)
    matmul_outin   a module with w = Parameter [out, in]: y = x @ w.t() + b; ReLU; Linear(8, 3)
    flinear        a module with w [out, in]: y = F.linear(x, w, b); Tanh; Linear(8, 3)
    flatten        input [N, 1, 8, 8]: nn.Flatten(), Linear(64, 8), ReLU, Linear(8, 4)
    reshape        the same with x.reshape(x.shape[0], -1) in place of nn.Flatten()
    view           the same with x.view(-1, 64)
    softmax        Linear(4, 8), ReLU, Linear(8, 3), Softmax(dim=1)
    logsoftmax     Linear(4, 8), ReLU, Linear(8, 3), LogSoftmax(dim=1)
    sighead        Linear(4, 8), ReLU, Linear(8, 3), Sigmoid (a sigmoid output, trained with mse)
    bce1, bce3     Linear(4, 8), ReLU, Linear(8, 1 or 3): binary logits
    deep           Linear(5, 8), Tanh, Linear(8, 6), ReLU, Linear(6, 3)

Dropout: the graph is exported in training mode, so nn.Dropout becomes a Dropout node, but
every golden here is computed with dropout as the identity: the predictions AND the training
steps run under net.eval() (no sample is dropped and nothing is rescaled), which is what a
deterministic importer must reproduce.

Losses (reduction mean, as gradgen defines them):
    mse                    F.mse_loss(out, t), out the network's full output (after a Sigmoid)
    softmax_cross_entropy  F.cross_entropy(logits, t) with probability targets t (each row k/16,
                           summing to 1; even rows one-hot, odd rows soft), logits the last
                           Linear's output: for a model with a trailing Softmax/LogSoftmax the
                           loss is on the logits BEFORE it (net[:-1](x))
    binary_cross_entropy   F.binary_cross_entropy_with_logits(logits, t), t in {0, 1/4, .., 1}
The inputs x are U(-2, 2) from a SplitMix64 generator written out below (seeded per model, so
they depend neither on numpy's nor on torch's generators; float32 models get them rounded to
float32); mse targets are multiples of 1/64 in [-1, 1] ([0, 1] for sighead), so that they are
the same in float32 and float64.

For each model golden.json records: its name, file, dtype, opset, input_shape (as exported;
null for the dynamic batch), inputs (per-sample width, 64 for [N, 1, 8, 8]), outputs,
dynamic_batch, output_map ("none", "softmax", "log_softmax"), loss, lr, batch, seed, x (one
flattened sample per row), t, predict (the full output, trailing softmax included, with the
initial weights), losses (the loss before each of STEPS = 3 plain torch.optim.SGD(lr) steps:
zero_grad, loss, backward, step), loss_after and predict_after (after the 3 steps), params
and params_after: {initializer name: {"shape", "data" (row-major)}} in the order and layout
of the ONNX initializers (for matmul_inout, w is [in, out]). The script asserts that the
exported initializers are the module's parameters bit for bit (with do_constant_folding=False
their names are the state_dict names) and that onnx.checker.check_model accepts each model.
It also runs every exported graph with a small numpy interpreter of the ONNX ops used (Dropout
as the identity), with the initial and with the trained parameters, and checks that it gives
predict and predict_after (within 1e-5 relative in float32, 1e-12 in float64, relative to
max(|value|, 1)): the graphs mean what the goldens say.

graphs.txt lists, for each model, the opsets, the graph's inputs and outputs with their shapes,
the initializers (name, dtype, shape) and every node (index, name, op_type, inputs, outputs,
attributes; a Constant's tensor in full): what torch writes for each form.

Numbers are repr() of the float64 (float64 models) or the shortest decimal that reads back as
the same float32 (float32 models), one array per line, so that a diff names the model that
changed. torch runs on one thread with deterministic algorithms; two runs give the same bytes
(the .onnx files included).

How to rerun
------------
    /usr/bin/python3 internal/onnxgold/golden.py
                          # rewrites internal/onnxgold/testdata/ (then review the diff)
    /usr/bin/python3 internal/onnxgold/golden.py -o /tmp/onnxgold
                          # writes the same files into another directory, e.g. to compare

It needs Debian's PyTorch and ONNX (apt-get install python3-torch python3-onnx) under
/usr/bin/python3; it was written against torch 1.13 (whose highest export opset is 17) and
onnx 1.12. It prints to stderr the op types each model uses and how far the numpy interpreter
is from torch.
"""

import argparse
import io
import json
import math
import os
import sys
import warnings

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    sys.exit("golden.py needs PyTorch, ONNX and numpy under /usr/bin/python3 (%s): "
             "apt-get install python3-torch python3-onnx" % e)

STEPS = 3
BATCH = 5


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


# ---------------------------------------------------------------------------------------------
# The layers and models.

def uniform_like_linear(p, fan_in):
    """nn.Linear's initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform_ with
    a=sqrt(5) has that bound), from torch's generator."""
    b = 1 / math.sqrt(fan_in)
    nn.init.uniform_(p, -b, b)


class MatMulInOut(nn.Module):
    """y = x @ w + b with w stored [in, out]: exports MatMul then Add."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.w = nn.Parameter(torch.empty(n_in, n_out))
        self.b = nn.Parameter(torch.empty(n_out))
        uniform_like_linear(self.w, n_in)
        uniform_like_linear(self.b, n_in)

    def forward(self, x):
        return x @ self.w + self.b


class MatMulOutIn(nn.Module):
    """y = x @ w.t() + b with w stored [out, in]: exports Transpose, MatMul, Add."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.w = nn.Parameter(torch.empty(n_out, n_in))
        self.b = nn.Parameter(torch.empty(n_out))
        uniform_like_linear(self.w, n_in)
        uniform_like_linear(self.b, n_in)

    def forward(self, x):
        return x @ self.w.t() + self.b


class FLinear(nn.Module):
    """y = F.linear(x, w, b) with w stored [out, in]."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.w = nn.Parameter(torch.empty(n_out, n_in))
        self.b = nn.Parameter(torch.empty(n_out))
        uniform_like_linear(self.w, n_in)
        uniform_like_linear(self.b, n_in)

    def forward(self, x):
        return F.linear(x, self.w, self.b)


class ReshapeBatch(nn.Module):
    """x.reshape(x.shape[0], -1)."""

    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class View64(nn.Module):
    """x.view(-1, 64)."""

    def forward(self, x):
        return x.view(-1, 64)


ACTS = {
    "relu": lambda: nn.ReLU(),
    "leakyrelu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": lambda: nn.Sigmoid(),
    "tanh": lambda: nn.Tanh(),
    "identity": lambda: nn.Identity(),
    "dropout": lambda: nn.Dropout(0.25),
}


def build(form):
    """The float32 module of a form, its per-sample input shape and its output_map."""
    L = nn.Linear
    if form.startswith("seq_"):
        return nn.Sequential(L(4, 8), ACTS[form[4:]](), L(8, 3)), [4], "none"
    if form == "linear_nobias":
        return nn.Sequential(L(4, 8, bias=False), nn.ReLU(), L(8, 3)), [4], "none"
    if form == "matmul_inout":
        return nn.Sequential(MatMulInOut(4, 8), nn.ReLU(), L(8, 3)), [4], "none"
    if form == "matmul_outin":
        return nn.Sequential(MatMulOutIn(4, 8), nn.ReLU(), L(8, 3)), [4], "none"
    if form == "flinear":
        return nn.Sequential(FLinear(4, 8), nn.Tanh(), L(8, 3)), [4], "none"
    if form in ("flatten", "reshape", "view"):
        first = {"flatten": nn.Flatten, "reshape": ReshapeBatch, "view": View64}[form]()
        return nn.Sequential(first, L(64, 8), nn.ReLU(), L(8, 4)), [1, 8, 8], "none"
    if form == "softmax":
        return nn.Sequential(L(4, 8), nn.ReLU(), L(8, 3), nn.Softmax(dim=1)), [4], "softmax"
    if form == "logsoftmax":
        return nn.Sequential(L(4, 8), nn.ReLU(), L(8, 3), nn.LogSoftmax(dim=1)), [4], "log_softmax"
    if form == "sighead":
        return nn.Sequential(L(4, 8), nn.ReLU(), L(8, 3), nn.Sigmoid()), [4], "none"
    if form in ("bce1", "bce3"):
        return nn.Sequential(L(4, 8), nn.ReLU(), L(8, int(form[3:]))), [4], "none"
    if form == "deep":
        return nn.Sequential(L(5, 8), nn.Tanh(), L(8, 6), nn.ReLU(), L(6, 3)), [5], "none"
    raise ValueError(form)


MSE, CE, BCE = "mse", "softmax_cross_entropy", "binary_cross_entropy"

# (form, dtype, opset, dynamic batch, loss, lr, seed)
MODELS = [
    ("seq_relu", "float32", 9, False, MSE, 0.1, 101),
    ("seq_relu", "float32", 11, True, CE, 0.1, 102),
    ("seq_relu", "float32", 13, False, MSE, 0.1, 103),
    ("seq_relu", "float32", 17, True, CE, 0.2, 104),
    ("seq_relu", "float64", 13, False, CE, 0.1, 105),
    ("seq_relu", "float64", 17, True, MSE, 0.1, 106),
    ("seq_leakyrelu", "float32", 13, True, MSE, 0.1, 107),
    ("seq_sigmoid", "float32", 11, False, CE, 0.2, 108),
    ("seq_tanh", "float64", 13, True, MSE, 0.1, 109),
    ("seq_identity", "float32", 13, False, MSE, 0.1, 110),
    ("seq_dropout", "float32", 9, True, MSE, 0.1, 111),
    ("seq_dropout", "float32", 13, False, CE, 0.1, 112),
    ("linear_nobias", "float32", 13, True, MSE, 0.1, 113),
    ("matmul_inout", "float32", 13, False, MSE, 0.1, 114),
    ("matmul_inout", "float64", 9, True, CE, 0.1, 115),
    ("matmul_outin", "float32", 13, True, CE, 0.1, 116),
    ("flinear", "float32", 13, False, MSE, 0.1, 117),
    ("flatten", "float32", 9, True, CE, 0.05, 118),
    ("flatten", "float32", 13, False, CE, 0.05, 119),
    ("reshape", "float32", 13, False, CE, 0.05, 120),
    ("reshape", "float32", 9, True, CE, 0.05, 121),
    ("reshape", "float32", 13, True, MSE, 0.05, 122),
    ("view", "float32", 13, True, CE, 0.05, 123),
    ("softmax", "float32", 9, False, CE, 0.1, 124),
    ("softmax", "float32", 13, True, CE, 0.1, 125),
    ("logsoftmax", "float32", 11, True, CE, 0.1, 126),
    ("logsoftmax", "float64", 17, False, CE, 0.1, 127),
    ("sighead", "float32", 13, True, MSE, 0.5, 128),
    ("bce3", "float32", 13, True, BCE, 0.1, 129),
    ("bce1", "float64", 11, False, BCE, 0.1, 130),
    ("deep", "float64", 17, True, MSE, 0.1, 131),
    # every form in the other dtype too
    ("seq_tanh", "float32", 17, False, MSE, 0.1, 132),
    ("seq_leakyrelu", "float64", 17, False, CE, 0.1, 133),
    ("seq_sigmoid", "float64", 13, True, MSE, 0.2, 134),
    ("seq_identity", "float64", 11, True, CE, 0.1, 135),
    ("seq_dropout", "float64", 13, True, MSE, 0.1, 136),
    ("linear_nobias", "float64", 9, False, CE, 0.1, 137),
    ("matmul_outin", "float64", 17, False, MSE, 0.1, 138),
    ("flinear", "float64", 13, True, CE, 0.1, 139),
    ("flatten", "float64", 17, True, CE, 0.05, 140),
    ("reshape", "float64", 13, True, CE, 0.05, 141),
    ("view", "float64", 9, False, MSE, 0.05, 142),
    ("softmax", "float64", 13, True, CE, 0.1, 143),
    ("sighead", "float64", 17, False, MSE, 0.5, 144),
    ("bce3", "float64", 13, False, BCE, 0.1, 145),
    ("bce1", "float32", 17, True, BCE, 0.1, 146),
    ("deep", "float32", 13, False, MSE, 0.1, 147),
]


def model_name(form, dtype, opset, dyn):
    return "%s%s_%s_op%d" % (form, "_dyn" if dyn else "", dtype.replace("float", "f"), opset)


# ---------------------------------------------------------------------------------------------
# Data.

def make_data(seed, n_in, n_out, loss, form):
    """x: BATCH rows of U(-2, 2); t: BATCH rows of targets for the loss (dyadic rationals)."""
    r = SplitMix64(seed * 7919 + 17)
    x = [[r.uniform(-2, 2) for _ in range(n_in)] for _ in range(BATCH)]
    t = []
    for i in range(BATCH):
        if loss == MSE:
            lo = 0 if form == "sighead" else -64
            t.append([(lo + r.intn(65 - lo)) / 64 for _ in range(n_out)])
        elif loss == BCE:
            t.append([r.intn(5) / 4 for _ in range(n_out)])
        else:  # probabilities k/16: even rows one-hot, odd rows soft
            row = [0] * n_out
            if i % 2 == 0:
                row[r.intn(n_out)] = 16
            else:
                w = [1 + r.intn(8) for _ in range(n_out)]
                row = [16 * v // sum(w) for v in w]
                row[w.index(max(w))] += 16 - sum(row)
            assert sum(row) == 16 and min(row) >= 0
            t.append([k / 16 for k in row])
    if loss == BCE:  # make sure both ends occur
        t[0][0], t[1][0] = 0.0, 1.0
    return x, t


# ---------------------------------------------------------------------------------------------
# Training and goldens.

def torch_dtype(dtype):
    return {"float32": torch.float32, "float64": torch.float64}[dtype]


def loss_of(net, output_map, loss, X, T):
    if loss == MSE:
        return F.mse_loss(net(X), T)
    logits = net(X) if output_map == "none" else net[:-1](X)
    if loss == CE:
        return F.cross_entropy(logits, T)
    return F.binary_cross_entropy_with_logits(logits, T)


def param_table(net, init_names):
    """{initializer name: tensor} in the order of the ONNX initializers."""
    named = dict(net.named_parameters())
    return [(n, named[n].detach().clone()) for n in init_names]


def export(net, X, opset, dyn):
    f = io.BytesIO()
    kw = {}
    if dyn:
        kw["dynamic_axes"] = {"x": {0: "batch"}, "y": {0: "batch"}}
    torch.onnx.export(net, X, f, training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False, input_names=["x"], output_names=["y"],
                      opset_version=opset, **kw)
    return f.getvalue()


def dims(vi):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value
            for d in vi.type.tensor_type.shape.dim]


def run_model(spec):
    form, dtype, opset, dyn, loss, lr, seed = spec
    name = model_name(form, dtype, opset, dyn)
    torch.manual_seed(seed)
    net, in_shape, output_map = build(form)
    if dtype == "float64":
        net = net.double()
    dt = torch_dtype(dtype)
    n_in = int(np.prod(in_shape))
    n_out = [m for m in net if isinstance(m, nn.Linear)][-1].out_features  # every form ends with a Linear
    x, t = make_data(seed, n_in, n_out, loss, form)
    if dtype == "float32":
        x = [[float(np.float32(v)) for v in row] for row in x]
    X = torch.tensor(x, dtype=torch.float64).to(dt).reshape([BATCH] + in_shape)
    T = torch.tensor(t, dtype=torch.float64).to(dt)

    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    data = export(net, X, opset, dyn)
    for n, p in net.named_parameters():  # exporting (a trace in training mode) changes nothing
        assert torch.equal(p, before[n]), (name, n)
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model)
    g = model.graph
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [opset], name
    assert [i.name for i in g.input] == ["x"] and [o.name for o in g.output] == ["y"], name
    init_names = [i.name for i in g.initializer]
    assert sorted(init_names) == sorted(before), (name, init_names, list(before))
    for i in g.initializer:  # the initializers are the parameters, bit for bit
        a = numpy_helper.to_array(i)
        p = before[i.name].numpy()
        assert a.dtype == p.dtype and a.shape == p.shape and a.tobytes() == p.tobytes(), (name, i.name)
    input_shape = [None if isinstance(d, str) else d for d in dims(g.input[0])]
    assert input_shape == ([None] if dyn else [BATCH]) + in_shape, (name, input_shape)
    out_shape = dims(g.output[0])
    assert out_shape[1:] == [n_out], (name, out_shape)

    net.eval()  # dropout is the identity, in the predictions and in the training steps
    params = param_table(net, init_names)
    with torch.no_grad():
        predict = net(X).detach().clone()
    opt = torch.optim.SGD(net.parameters(), lr=lr, foreach=False)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        ls = loss_of(net, output_map, loss, X, T)
        losses.append(ls.item())
        ls.backward()
        opt.step()
    with torch.no_grad():
        loss_after = loss_of(net, output_map, loss, X, T).item()
        predict_after = net(X).detach().clone()
    params_after = param_table(net, init_names)

    return {
        "name": name, "form": form, "dtype": dtype, "opset": opset, "dyn": dyn, "loss": loss,
        "lr": lr, "seed": seed, "output_map": output_map, "input_shape": input_shape,
        "inputs": n_in, "outputs": n_out, "x": x, "t": t, "onnx": data, "model": model,
        "predict": predict, "losses": losses, "loss_after": loss_after,
        "predict_after": predict_after, "params": params, "params_after": params_after,
        "X": X,
    }


# ---------------------------------------------------------------------------------------------
# A small numpy interpreter of the exported graphs, to check that they mean the goldens.

def softmax_np(a, axis, opset, log):
    if opset < 13:  # coerced to 2-D at axis
        shp = a.shape
        a = a.reshape(int(np.prod(shp[:axis])), -1)
        axis = 1
    m = a - a.max(axis=axis, keepdims=True)
    e = np.exp(m)
    s = e.sum(axis=axis, keepdims=True)
    out = m - np.log(s) if log else e / s
    return out.reshape(shp) if opset < 13 else out


def interpret(model, x, params):
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0]
    env = {"x": x}
    for n, p in params:
        env[n] = p.numpy()
    for node in model.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            out = [numpy_helper.to_array(a["value"])]
        elif op == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            B = ins[1].T if a.get("transB", 0) else ins[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
            out = [y]
        elif op == "MatMul":
            out = [ins[0] @ ins[1]]
        elif op == "Add":
            out = [ins[0] + ins[1]]
        elif op == "Transpose":
            out = [np.transpose(ins[0], a.get("perm"))]
        elif op == "Relu":
            out = [np.maximum(ins[0], 0)]
        elif op == "LeakyRelu":
            # ONNX keeps alpha as a float32; like gradgen's importer, read it as the shortest
            # decimal that rounds to it (0.2 for float32(0.2)), the slope torch computes with
            # in float64.
            alpha = float(np.format_float_positional(np.float32(a.get("alpha", 0.01)), unique=True))
            out = [np.where(ins[0] >= 0, ins[0], ins[0] * ins[0].dtype.type(alpha))]
        elif op == "Sigmoid":
            out = [1 / (1 + np.exp(-ins[0]))]
        elif op == "Tanh":
            out = [np.tanh(ins[0])]
        elif op == "Identity":
            out = [ins[0]]
        elif op == "Dropout":  # the identity, as in eval(); the mask is all true
            out = [ins[0], np.ones(ins[0].shape, dtype=bool)][:len(node.output)]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = [ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)]
        elif op == "Reshape":
            shape = [int(s) for s in ins[1]]
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            out = [ins[0].reshape(shape)]
        elif op == "Shape":
            out = [np.array(ins[0].shape, dtype=np.int64)]
        elif op == "Gather":
            out = [np.take(ins[0], ins[1], axis=a.get("axis", 0))]
        elif op == "Unsqueeze":
            axes = a["axes"] if "axes" in a else [int(v) for v in ins[1]]
            y = ins[0]
            for ax in sorted(axes):
                y = np.expand_dims(y, ax)
            out = [y]
        elif op == "Concat":
            out = [np.concatenate(ins, axis=a["axis"])]
        elif op in ("Softmax", "LogSoftmax"):
            ax = a.get("axis", 1 if opset < 13 else -1)
            out = [softmax_np(ins[0], ax, opset, op == "LogSoftmax")]
        else:
            raise NotImplementedError("interpret: op %s" % op)
        for name, v in zip(node.output, out):
            env[name] = v
    return env["y"]


def interp_err(r, which):
    params = r["params"] if which == "predict" else r["params_after"]
    got = interpret(r["model"], r["X"].numpy(), params)
    want = r[which].numpy()
    assert got.shape == want.shape and got.dtype == want.dtype, (r["name"], got.shape, want.shape)
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1.0)))


# ---------------------------------------------------------------------------------------------
# Output.

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


def rows_json(rows, dtype, indent):
    """An array of rows, one row a line."""
    pad = " " * indent
    return "[\n" + ",\n".join(pad + " " + arr(r, dtype) for r in rows) + "\n" + pad + "]"


def tensor_rows(t):
    return t.reshape(t.shape[0], -1).tolist()


def params_json(params, dtype, indent):
    pad = " " * indent
    lines = []
    for n, p in params:
        lines.append(pad + " %s: {\"shape\": %s, \"data\": %s}" % (
            json.dumps(n), json.dumps(list(p.shape)), arr(p.reshape(-1).tolist(), dtype)))
    return "{\n" + ",\n".join(lines) + "\n" + pad + "}"


def model_json(r):
    d = r["dtype"]
    L = []
    L.append('  {"name": %s, "file": %s, "form": %s, "dtype": "%s", "opset": %d, "dynamic_batch": %s,'
             % (json.dumps(r["name"]), json.dumps(r["name"] + ".onnx"), json.dumps(r["form"]), d,
                r["opset"], json.dumps(r["dyn"])))
    L.append('   "input_shape": %s, "inputs": %d, "outputs": %d, "output_map": "%s", "loss": "%s", '
             '"lr": %r, "batch": %d, "seed": %d, "steps": %d,'
             % (json.dumps(r["input_shape"]), r["inputs"], r["outputs"], r["output_map"], r["loss"],
                r["lr"], BATCH, r["seed"], STEPS))
    L.append('   "x": %s,' % rows_json(r["x"], d, 3))
    L.append('   "t": %s,' % rows_json(r["t"], d, 3))
    L.append('   "predict": %s,' % rows_json(tensor_rows(r["predict"]), d, 3))
    L.append('   "losses": %s,' % arr(r["losses"], d))
    L.append('   "loss_after": %s,' % num(r["loss_after"], d))
    L.append('   "predict_after": %s,' % rows_json(tensor_rows(r["predict_after"]), d, 3))
    L.append('   "params": %s,' % params_json(r["params"], d, 3))
    L.append('   "params_after": %s}' % params_json(r["params_after"], d, 3))
    return "\n".join(L)


ELEM = {v: k for k, v in onnx.TensorProto.DataType.items()}


def elem_name(t):
    return ELEM.get(t, str(t)).lower()


def value_text(v):
    if isinstance(v, float):
        return str(np.float32(v))  # attribute floats are float32
    if isinstance(v, bytes):
        return json.dumps(v.decode("utf-8", "replace"))
    if isinstance(v, onnx.TensorProto):
        a = numpy_helper.to_array(v)
        vals = a.reshape(-1).tolist()
        if a.dtype == np.float32:
            vals = [str(np.float32(x)) for x in vals]
        elif a.dtype == np.float64:
            vals = [repr(x) for x in vals]
        else:
            vals = [str(x) for x in vals]
        return "tensor(%s %s [%s])" % (elem_name(v.data_type), list(a.shape), ", ".join(vals))
    if isinstance(v, list):
        return "[" + ", ".join(value_text(e) for e in v) + "]"
    return str(v)


def graph_text(r):
    m = r["model"]
    g = m.graph
    L = ["== %s (%s.onnx, %d bytes)" % (r["name"], r["name"], len(r["onnx"]))]
    L.append("ir_version %d, producer %s %s, opset_import %s, graph %s" % (
        m.ir_version, m.producer_name, m.producer_version,
        ", ".join("%s:%d" % (o.domain or "ai.onnx", o.version) for o in m.opset_import), g.name))
    for kind, vis in (("input", g.input), ("output", g.output), ("value_info", g.value_info)):
        for vi in vis:
            L.append("%s %s %s %s" % (kind, vi.name, elem_name(vi.type.tensor_type.elem_type),
                                       json.dumps(dims(vi))))
    for i in g.initializer:
        L.append("initializer %s %s %s" % (i.name, elem_name(i.data_type), list(i.dims)))
    for k, n in enumerate(g.node):
        attrs = " ".join("%s=%s" % (a.name, value_text(onnx.helper.get_attribute_value(a)))
                         for a in n.attribute)
        L.append("node %d %s %s%s (%s) -> (%s)%s%s" % (
            k, n.name, (n.domain + ".") if n.domain else "", n.op_type, ", ".join(n.input),
            ", ".join(n.output), " " + attrs if attrs else "",
            " doc=" + json.dumps(n.doc_string) if n.doc_string else ""))
    return "\n".join(L) + "\n"


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata"),
                    help="the directory to write the .onnx files, golden.json and graphs.txt into "
                         "(default: testdata/ beside this script)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    warnings.simplefilter("ignore")  # the exporter's warnings on training-mode export

    names = [model_name(*s[:4]) for s in MODELS]
    assert len(set(names)) == len(names), "duplicate model names"
    results = [run_model(s) for s in MODELS]

    worst = {"float32": (0.0, ""), "float64": (0.0, "")}
    for r in results:
        for which in ("predict", "predict_after"):
            e = interp_err(r, which)
            worst[r["dtype"]] = max(worst[r["dtype"]], (e, r["name"] + " " + which))
        ops = []
        for n in r["model"].graph.node:
            if n.op_type not in ops:
                ops.append(n.op_type)
        print("golden.py: %-28s %s" % (r["name"], " ".join(ops)), file=sys.stderr)
    for d, (e, where) in worst.items():
        print("golden.py: the numpy interpreter of the graphs vs torch, %s: largest relative "
              "difference %.3g, in %s" % (d, e, where), file=sys.stderr)
        limit = 1e-5 if d == "float32" else 1e-12
        if e > limit:
            raise AssertionError("the interpreter of the exported graphs is %.3g from torch (limit %g) in %s"
                                 % (e, limit, where))

    L = ["{"]
    L.append(' "about": %s,' % json.dumps(
        "ONNX importer goldens for gradgen, written by internal/onnxgold/golden.py; do not edit"))
    L.append(' "torch": %s,' % json.dumps(torch.__version__))
    L.append(' "onnx": %s,' % json.dumps(onnx.__version__))
    L.append(' "numpy": %s,' % json.dumps(np.__version__))
    L.append(' "models": [')
    L.append(",\n".join(model_json(r) for r in results))
    L.append(' ]')
    L.append('}')
    text = "\n".join(L) + "\n"
    json.loads(text)  # well-formed

    graphs = ("# The ONNX graphs torch %s wrote for internal/onnxgold/golden.py's models "
              "(training=TRAINING, do_constant_folding=False); do not edit\n\n" % torch.__version__)
    graphs += "\n".join(graph_text(r) for r in results)

    os.makedirs(args.o, exist_ok=True)
    for r in results:
        write(os.path.join(args.o, r["name"] + ".onnx"), r["onnx"])
    write(os.path.join(args.o, "graphs.txt"), graphs.encode())
    write(os.path.join(args.o, "golden.json"), text.encode())
    stale = sorted(set(f for f in os.listdir(args.o) if f.endswith(".onnx")) - set(n + ".onnx" for n in names))
    if stale:
        print("golden.py: %s holds .onnx files of no model here: %s" % (args.o, " ".join(stale)), file=sys.stderr)
    print("golden.py: %d models, torch %s, onnx %s, into %s" % (len(results), torch.__version__,
                                                                onnx.__version__, args.o), file=sys.stderr)


if __name__ == "__main__":
    main()
