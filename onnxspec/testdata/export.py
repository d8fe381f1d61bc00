#!/usr/bin/python3
"""Exports the ONNX models of onnxspec's tests with PyTorch (Debian's python3-torch).

    /usr/bin/python3 onnxspec/testdata/export.py

mlp.onnx: nn.Sequential(Linear(4, 8), ReLU(), Linear(8, 3)) in float32 with a
dynamic batch dimension, weights from torch.manual_seed(0), exported at opset 13
with training=TrainingMode.TRAINING and do_constant_folding=False, as ONNX
Runtime's training documentation recommends. The output is deterministic for a
given torch version.
"""
import io
import sys

import torch

torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
buf = io.BytesIO()
torch.onnx.export(
    net, torch.zeros(1, 4), buf,
    input_names=["x"], output_names=["y"],
    dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
    opset_version=13,
    training=torch.onnx.TrainingMode.TRAINING,
    do_constant_folding=False,
)
out = sys.argv[1] if len(sys.argv) > 1 else "onnxspec/testdata/mlp.onnx"
with open(out, "wb") as f:
    f.write(buf.getvalue())
