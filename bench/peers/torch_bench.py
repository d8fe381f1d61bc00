#!/usr/bin/python3
"""torch_bench.py: gradgen's benchmarks in PyTorch, printed in Go's benchmark format.

Usage:
    /usr/bin/python3 bench/peers/torch_bench.py [-count N] [-benchtime SECONDS] [-run SUBSTRING]

It times, on one thread (torch.set_num_threads(1), set_num_interop_threads(1)), the
same networks as bench/bench_test.go and bench/peers, as nn.Sequential of nn.Linear
and nn.ReLU in float32 and float64:

    tiny    4 -> 16 relu -> 16 relu -> 3     nn.MSELoss (mean over batch and outputs)
    mnist   784 -> 128 relu -> 10           nn.CrossEntropyLoss (mean over the batch)
    wide    784 -> 512 relu -> 512 relu -> 10   nn.CrossEntropyLoss

BenchmarkStep/<net>/pytorch/<dtype>, for tiny_b1, mnist_b1, mnist_b32 and wide_b128:
one training step per iteration: opt.zero_grad(set_to_none=True) (the default from
PyTorch 2.0 on), forward, loss, backward, opt.step() with torch.optim.SGD(lr=0.01).

BenchmarkInfer/<net>/pytorch/<dtype>, for tiny, mnist and wide at batch 1 and 128:
one forward pass to the logits per iteration, under torch.inference_mode() (entered
once around the timed loop, so its cost is not counted).

Weights are nn.Linear's default initialisation from torch.manual_seed(1); inputs are
U[0,1) and the targets the class row % outputs (cross-entropy) or U[0,1) (MSE), from a
torch.Generator seeded 2. Timing follows Go's testing.B: one iteration, then more,
predicted from the last run (at most 100 times as many, 20% extra), until a run lasts
at least -benchtime seconds (default 0.5); ns/op is that run's time per iteration, from
time.perf_counter_ns. -count repeats each benchmark (default 6), each repetition
starting from one iteration again; -run keeps the benchmarks whose name contains
SUBSTRING. A few iterations before the first repetition warm
up the allocator and the BLAS.

GFLOP/s counts, as bench/bench_test.go's flops does, per row of the batch 6*in*out per
layer for a step (2 forward, 4 backward) plus 2 per parameter for the update, and
2*in*out per layer for inference.

The header holds Go's file configuration (goos, goarch, pkg: torch, cpu from
/proc/cpuinfo) and configuration lines that benchfmt and benchstat read as such: torch's
version, the threads, the BLAS library torch loaded (the file behind libblas.so.3 in
this process's memory map), OpenBLAS's build and kernel when it is OpenBLAS, and the
values of OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE this process sees ("unset" when absent).
The script never sets these variables; make bench runs it with both unset. When the BLAS
is OpenBLAS, which keeps its own thread pool, it is told to use one thread through
openblas_set_num_threads.
"""

import argparse
import ctypes
import os
import platform
import sys
import time

import torch
from torch import nn

# The networks: layer sizes and loss.
NETS = {
    "tiny": ([4, 16, 16, 3], "mse"),
    "mnist": ([784, 128, 10], "ce"),
    "wide": ([784, 512, 512, 10], "ce"),
}
STEP_NETS = [("tiny", 1), ("mnist", 1), ("mnist", 32), ("wide", 128)]
INFER_NETS = [(net, batch) for net in ("tiny", "mnist", "wide") for batch in (1, 128)]
DTYPES = [("f32", torch.float32), ("f64", torch.float64)]
LR = 0.01


def build(net, dtype):
    """Returns the network as nn.Sequential in dtype, from a fixed seed."""
    sizes, _ = NETS[net]
    torch.manual_seed(1)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers).to(dtype)


def data(net, batch, dtype):
    """Returns inputs U[0,1) and targets: class indices for CE, U[0,1) for MSE."""
    sizes, loss = NETS[net]
    g = torch.Generator().manual_seed(2)
    x = torch.rand(batch, sizes[0], generator=g, dtype=torch.float64).to(dtype)
    if loss == "ce":
        t = torch.arange(batch) % sizes[-1]
    else:
        t = torch.rand(batch, sizes[-1], generator=g, dtype=torch.float64).to(dtype)
    return x, t


def flops(net, batch, train):
    """Counts the floating-point operations as bench/bench_test.go does."""
    sizes, _ = NETS[net]
    total = 0
    for n_in, n_out in zip(sizes, sizes[1:]):
        total += (6 if train else 2) * n_in * n_out * batch
        if train:
            total += 2 * (n_in * n_out + n_out)
    return total


def step_loop(net, batch, dtype):
    """Returns a function that runs n training steps."""
    model = build(net, dtype)
    x, t = data(net, batch, dtype)
    loss_fn = nn.CrossEntropyLoss() if NETS[net][1] == "ce" else nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def run(n):
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), t)
            loss.backward()
            opt.step()

    return run


def infer_loop(net, batch, dtype):
    """Returns a function that runs n forward passes."""
    model = build(net, dtype)
    x, _ = data(net, batch, dtype)

    def run(n):
        with torch.inference_mode():
            for _ in range(n):
                model(x)

    return run


def timed(run, n):
    """Returns the nanoseconds n iterations of run take."""
    start = time.perf_counter_ns()
    run(n)
    return max(time.perf_counter_ns() - start, 1)


def measure(run, benchtime_ns):
    """Grows the iterations like testing.B; returns the last (iterations, ns)."""
    n, ns = 1, timed(run, 1)
    while ns < benchtime_ns and n < 1_000_000_000:
        prev = n
        n = int(benchtime_ns * prev / ns * 1.2)
        n = max(min(n, 100 * prev), prev + 1)
        ns = timed(run, n)
    return n, ns


def warm_up(run, benchtime_ns):
    """Runs a few iterations, for at most a tenth of the bench time after the first."""
    deadline = time.perf_counter_ns() + benchtime_ns // 10
    run(1)
    for _ in range(4):
        if time.perf_counter_ns() >= deadline:
            break
        run(1)


def pretty(x, unit):
    """Formats a metric as Go's testing package does."""
    y = abs(x)
    for bound, width, prec in ((999.95, 10, 0), (99.995, 12, 1), (9.9995, 13, 2),
                               (0.99995, 14, 3), (0.099995, 15, 4), (0.0099995, 16, 5),
                               (0.00099995, 17, 6)):
        if y == 0 or y >= bound:
            return f"{x:{width}.{prec}f} {unit}"
    return f"{x:18.7f} {unit}"


def benchmarks():
    """Yields (name, make the loop, FLOPs per iteration) in output order."""
    for net, batch in STEP_NETS:
        for dt, dtype in DTYPES:
            yield (f"BenchmarkStep/{net}_b{batch}/pytorch/{dt}",
                   lambda net=net, batch=batch, dtype=dtype: step_loop(net, batch, dtype),
                   flops(net, batch, True))
    for net, batch in INFER_NETS:
        for dt, dtype in DTYPES:
            yield (f"BenchmarkInfer/{net}_b{batch}/pytorch/{dt}",
                   lambda net=net, batch=batch, dtype=dtype: infer_loop(net, batch, dtype),
                   flops(net, batch, False))


def cpu_model():
    """Returns the model name in /proc/cpuinfo, or the platform's processor."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_library():
    """Returns the path of the BLAS library torch loaded, or None."""
    torch.ones(2, 2) @ torch.ones(2, 2)  # make sure the BLAS is loaded
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if line.rstrip().endswith(".so") or ".so." in line}
    except OSError:
        return None
    for p in sorted(paths):
        base = os.path.basename(p)
        if base.startswith(("libblas", "libopenblas", "libmkl_rt", "libblis")):
            return p
    return None


def blas_config(path):
    """Returns configuration lines on the BLAS; sets OpenBLAS to one thread."""
    lines = [("blas", path or "unknown")]
    if path is None:
        return lines
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return lines
    if hasattr(lib, "openblas_get_config"):
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_set_num_threads(1)
        lines.append(("openblas", lib.openblas_get_config().decode().strip()))
        lines.append(("openblas-core", lib.openblas_get_corename().decode().strip()))
    return lines


def header():
    """Returns the configuration lines, as (key, value)."""
    lines = [("goos", sys.platform), ("goarch", "amd64" if platform.machine() == "x86_64" else platform.machine()),
             ("pkg", "torch"), ("cpu", cpu_model()), ("torch", torch.__version__),
             ("torch-threads", f"{torch.get_num_threads()} (interop {torch.get_num_interop_threads()})")]
    lines += blas_config(blas_library())
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        lines.append((var.lower().replace("_", "-"), os.environ.get(var) or "unset"))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-count", type=int, default=6, help="runs of each benchmark")
    ap.add_argument("-benchtime", type=float, default=0.5, help="seconds each run lasts at least")
    ap.add_argument("-run", default="", help="only the benchmarks whose name contains this")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)

    for key, value in header():
        print(f"{key}: {value}")
    benches = [b for b in benchmarks() if args.run in b[0]]
    width = max(len(name) for name, _, _ in benches)
    benchtime_ns = int(args.benchtime * 1e9)
    for name, make, fl in benches:
        run = make()
        warm_up(run, benchtime_ns)
        for _ in range(args.count):
            n, ns = measure(run, benchtime_ns)
            print(f"{name:<{width}}\t{n:8d}\t{pretty(ns / n, 'ns/op')}\t{pretty(fl * n / ns, 'GFLOP/s')}",
                  flush=True)
    print("PASS")


if __name__ == "__main__":
    main()
