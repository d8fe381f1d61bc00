#!/usr/bin/env python3
"""train.py: trains the module that gradgen exported (net.py) with PyTorch's DistributedDataParallel.

    torchrun --nnodes N --nproc_per_node M [--rdzv_endpoint HOST:PORT ...] train.py [flags]
    python3 train.py [flags]        # no torchrun: spawns --procs local processes (2) itself

net.py is what `gradgen export -format torch -o net.py ../cancer/cancernet/cancernet.yaml` writes:
an nn.Module whose parameter names are the Go package's Layout, with the spec's loss, optimizer and
schedule. Under torchrun each process joins the process group through env:// (RANK, WORLD_SIZE,
MASTER_ADDR, MASTER_PORT, which torchrun sets); run directly, it spawns --procs processes on
127.0.0.1 with torch.multiprocessing. Every process reads the data (breast_cancer.csv, the CSV of
examples/cancer: scikit-learn's header, 30 measurements and the class, 0 malignant or 1 benign),
holds out every fifth row (row i with i % 5 == 4), standardises the features with the training rows'
mean and population standard deviation, and trains on its share of the training rows (a
DistributedSampler shuffled with --seed); DDP averages the gradients, so a step is one step of the
Go model's Train on the union of the processes' batches.

Rank 0 then writes OUT.safetensors (the parameters, under the Go names: safetensors.LoadParams
reads it) and OUT.json: the standardisation (mean, std), the held-out accuracy and logits that
torch computes, and how the run went. `go run .` serves the weights in Go and checks both.

Flags: --steps (300), --batch (16 rows per process and step), --seed (1), --procs (2, without
torchrun), --backend (gloo; nccl on GPUs), --init (a safetensors file to start from, e.g. the Go
NewModel's; default: torch's own initialisation, seeded), --data, --out (trained).
"""

import argparse
import csv
import importlib.util
import json
import math
import os
import socket
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))


def load_net_module():
    spec = importlib.util.spec_from_file_location("net", os.path.join(HERE, "net.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_data(path):
    """The rows and classes of the CSV, split into training and held-out rows, standardised with
    the training rows' statistics: plain float64 arithmetic, which main.go repeats bit for bit."""
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    xs = [[float(v) for v in r[:-1]] for r in rows]
    ys = [int(r[-1]) for r in rows]
    train = [i for i in range(len(xs)) if i % 5 != 4]
    test = [i for i in range(len(xs)) if i % 5 == 4]
    width = len(xs[0])
    mean, std = [], []
    for j in range(width):
        col = [xs[i][j] for i in train]
        m = sum(col) / len(col)
        v = sum((x - m) * (x - m) for x in col) / len(col)
        mean.append(m)
        std.append(math.sqrt(v))

    def scale(idx):
        return [[(xs[i][j] - mean[j]) / std[j] for j in range(width)] for i in idx]

    return scale(train), [ys[i] for i in train], scale(test), [ys[i] for i in test], mean, std


def worker(rank, world_size, args):
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    if not dist.is_initialized():
        dist.init_process_group(args.backend, init_method="env://", rank=rank, world_size=world_size)
    netmod = load_net_module()
    train_x, train_y, test_x, test_y, mean, std = read_data(args.data)

    net = netmod.Net()  # the same seed everywhere; DDP also broadcasts rank 0's parameters
    if args.init:
        netmod.load_params(net, args.init)
    ddp = DistributedDataParallel(net)
    opt = netmod.make_optimizer(ddp.parameters())
    sched = netmod.make_scheduler(opt)

    x = torch.tensor(train_x, dtype=torch.float64).to(netmod.DTYPE)
    t = torch.tensor(train_y, dtype=torch.float64).to(netmod.DTYPE).unsqueeze(1)
    data = TensorDataset(x, t)
    sampler = DistributedSampler(data, num_replicas=world_size, rank=rank, shuffle=True,
                                 seed=args.seed, drop_last=True)
    loader = DataLoader(data, batch_size=args.batch, sampler=sampler, drop_last=True)

    start = time.perf_counter()
    step, epoch, losses = 0, 0, []
    ddp.train()
    while step < args.steps:
        sampler.set_epoch(epoch)
        for bx, bt in loader:
            opt.zero_grad()
            loss = netmod.loss_fn(ddp(*netmod.split_inputs(bx)), bt)
            loss.backward()
            netmod.clip_gradients(ddp.parameters())
            opt.step()
            sched.step()
            losses.append(loss.item())
            step += 1
            if step == args.steps:
                break
        epoch += 1
    seconds = time.perf_counter() - start
    dist.barrier()

    if rank == 0:
        netmod.save_safetensors(ddp, args.out + ".safetensors")
        ddp.eval()
        with torch.no_grad():
            logits = ddp.module(*netmod.split_inputs(
                torch.tensor(test_x, dtype=torch.float64).to(netmod.DTYPE)))[:, 0]
        correct = int(((logits > 0).long() == torch.tensor(test_y)).sum().item())
        report = {
            "spec": netmod.SPEC, "spec_hash": netmod.SPEC_HASH, "torch": torch.__version__,
            "world_size": world_size, "backend": args.backend, "steps": step, "epochs": epoch,
            "batch_per_process": args.batch, "seed": args.seed,
            "loss_first": losses[0], "loss_last": losses[-1], "train_seconds": round(seconds, 3),
            "held_out": len(test_y), "correct": correct, "accuracy": correct / len(test_y),
            "mean": mean, "std": std, "logits": logits.tolist(),
        }
        with open(args.out + ".json", "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
        print("train.py: %d processes (%s), %d steps of %d rows each, %d epochs, %.2f s; loss %.4f -> %.4f"
              % (world_size, args.backend, step, args.batch, epoch, seconds, losses[0], losses[-1]))
        print("train.py: held-out accuracy %d/%d = %.4f; wrote %s.safetensors and %s.json"
              % (correct, len(test_y), correct / len(test_y), args.out, args.out))
    dist.barrier()
    dist.destroy_process_group()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description="Train net.py with DistributedDataParallel.")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--backend", default="gloo")
    p.add_argument("--init", default="")
    p.add_argument("--data", default=os.path.join(HERE, "breast_cancer.csv"))
    p.add_argument("--out", default="trained")
    args = p.parse_args()
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # torchrun (or another launcher)
        worker(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), args)
        return
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(free_port())
    mp.spawn(worker, args=(args.procs, args), nprocs=args.procs, join=True)


if __name__ == "__main__":
    main()
