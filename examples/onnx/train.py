#!/usr/bin/python3
"""train.py: the data scientist's half of examples/onnx — train a digit classifier in
PyTorch and export it to ONNX for the Go service.

    /usr/bin/python3 examples/onnx/train.py      # writes classifier.onnx and torch.json beside it

What it does
------------
Reads digits.csv.gz (the 1797 8x8 handwritten digits of scikit-learn's copy of the UCI
"Optical Recognition of Handwritten Digits" data, the same file as examples/digits), as
images of shape [1, 8, 8] with pixels scaled to [0, 1], and splits them:

    every 4th image (index % 4 == 3)     the test set (449 images)
    the first 300 of the others          the data the model is trained on here
    the remaining 1048                   "new data" that only the Go service sees later

The model is what a PyTorch user writes for such images:

    nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10), nn.Softmax(dim=1))

trained with CrossEntropyLoss on the logits under the Softmax (Adam, lr 0.01, 40 epochs of
minibatches of 30 in a fixed order), then exported with torch.onnx.export at opset 13 with
a dynamic batch, training=TrainingMode.TRAINING and do_constant_folding=False (as ONNX
Runtime's training documentation recommends for a model to fine-tune). torch runs on one
thread from torch.manual_seed(0): two runs write the same bytes.

torch.json records what the Go side checks against: the test accuracy PyTorch measured and
the probabilities it predicts for the first 8 test images.

It needs Debian's PyTorch (apt-get install python3-torch) under /usr/bin/python3.
"""
import gzip
import io
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = 300


def read_digits():
    with gzip.open(os.path.join(HERE, "digits.csv.gz"), "rt") as f:
        rows = [[float(v) for v in line.split(",")] for line in f if line.strip()]
    x = torch.tensor([r[:64] for r in rows], dtype=torch.float32).reshape(-1, 1, 8, 8) / 16
    y = torch.tensor([int(r[64]) for r in rows])
    return x, y


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    x, y = read_digits()
    test = [i for i in range(len(y)) if i % 4 == 3]
    rest = [i for i in range(len(y)) if i % 4 != 3]
    xtrain, ytrain = x[rest[:TRAIN]], y[rest[:TRAIN]]
    xtest, ytest = x[test], y[test]

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU(),
                              torch.nn.Linear(32, 10), torch.nn.Softmax(dim=1))
    logits = net[:-1]  # the loss reads the logits under the Softmax
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for epoch in range(40):
        for i in range(0, TRAIN, 30):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(logits(xtrain[i:i + 30]), ytrain[i:i + 30])
            loss.backward()
            opt.step()

    net.eval()
    with torch.no_grad():
        proba = net(xtest)
    accuracy = (proba.argmax(dim=1) == ytest).float().mean().item()
    print(f"PyTorch: test accuracy {accuracy:.4f} after training on {TRAIN} images")

    buf = io.BytesIO()
    torch.onnx.export(net, xtest[:1], buf, input_names=["image"], output_names=["proba"],
                      dynamic_axes={"image": {0: "batch"}, "proba": {0: "batch"}}, opset_version=13,
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    with open(os.path.join(HERE, "classifier.onnx"), "wb") as f:
        f.write(buf.getvalue())
    ref = {"torch": torch.__version__, "train": TRAIN, "new": len(rest) - TRAIN, "test_accuracy": accuracy,
           "proba": [[float(f"{v:.9g}") for v in row] for row in proba[:8].tolist()]}
    with open(os.path.join(HERE, "torch.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
