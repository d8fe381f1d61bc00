#!/usr/bin/python3
"""ddp.py: trains a module that gradgen export -format torch wrote with DistributedDataParallel,
for ddp_test.go.

    /usr/bin/python3 ddp.py MODULE.py DIR

DIR holds what the Go test wrote: init.safetensors (the Go model's NewModel(1) parameters, written
by gradgen's safetensors.SaveParams) and data.json:

    {"train_x": input rows, "train_t": target rows (gradgen's rows: split_inputs and loss_fn cut
     them), "test_x": input rows held out, "test_class": their classes, "head": the index of the
     head whose classes are counted, "steps": optimizer steps, "batch": samples per process and
     step, "seed": the sampler's and torch's seed, "world_size": processes}

The driver picks a free port on 127.0.0.1 and starts world_size processes with
torch.multiprocessing.spawn. Each joins a gloo process group (env://, MASTER_ADDR 127.0.0.1), runs
torch on one thread, builds Net, loads init.safetensors with load_params, wraps it in
torch.nn.parallel.DistributedDataParallel and trains: a DistributedSampler (shuffled with the seed,
set_epoch each epoch) gives each process its share of the training rows, and each step is
zero_grad, loss_fn, backward (DDP averages the gradients over the processes), clip_gradients,
the optimizer's step and the scheduler's step, for `steps` steps. Rank 0 then writes
trained.safetensors (save_safetensors of the wrapped module), evaluates the held-out rows in eval
mode and writes result.json, which it also prints as one line:

    {"world_size", "steps", "epochs", "losses": [first, last] (rank 0's batch losses),
     "predict": the held-out rows' outputs (the heads concatenated), "correct", "accuracy" (of the
     head: argmax of its columns for softmax_cross_entropy, logit > 0 for one binary_cross_entropy
     output), "seconds" (of training)}

Needs Debian's python3-torch.
"""

import importlib.util
import json
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


def load_module(path):
    spec = importlib.util.spec_from_file_location("exported", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def classes(mod, out, head):
    """The classes the head predicts for the outputs out (forward's, a tensor or a tuple)."""
    if isinstance(out, tuple):
        out = out[head]
    loss = mod.HEADS[head][2]
    if loss == "softmax_cross_entropy":
        return out.argmax(dim=1)
    if loss == "binary_cross_entropy" and out.shape[1] == 1:
        return (out[:, 0] > 0).long()
    raise ValueError("ddp.py: head %d (%s) is no classifier" % (head, loss))


def worker(rank, world_size, module_path, work):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    dist.init_process_group("gloo", init_method="env://", rank=rank, world_size=world_size)
    mod = load_module(module_path)
    with open(os.path.join(work, "data.json")) as f:
        data = json.load(f)

    net = mod.Net()
    mod.load_params(net, os.path.join(work, "init.safetensors"))
    ddp = DistributedDataParallel(net)
    opt = mod.make_optimizer(ddp.parameters())
    sched = mod.make_scheduler(opt)

    x = torch.tensor(data["train_x"], dtype=torch.float64).to(mod.DTYPE)
    t = torch.tensor(data["train_t"], dtype=torch.float64).to(mod.DTYPE)
    sampler = DistributedSampler(TensorDataset(x, t), num_replicas=world_size, rank=rank,
                                 shuffle=True, seed=data["seed"], drop_last=True)
    loader = DataLoader(TensorDataset(x, t), batch_size=data["batch"], sampler=sampler, drop_last=True)

    ddp.train()
    start = time.perf_counter()
    step, epoch, losses = 0, 0, []
    while step < data["steps"]:
        sampler.set_epoch(epoch)
        for bx, bt in loader:
            opt.zero_grad()
            loss = mod.loss_fn(ddp(*mod.split_inputs(bx)), bt)
            loss.backward()
            mod.clip_gradients(ddp.parameters())
            opt.step()
            sched.step()
            losses.append(loss.item())
            step += 1
            if step == data["steps"]:
                break
        epoch += 1
    seconds = time.perf_counter() - start
    dist.barrier()

    if rank == 0:
        mod.save_safetensors(ddp, os.path.join(work, "trained.safetensors"))
        ddp.eval()
        tx = torch.tensor(data["test_x"], dtype=torch.float64).to(mod.DTYPE)
        with torch.no_grad():
            out = ddp.module(*mod.split_inputs(tx))
        got = classes(mod, out, data["head"])
        correct = int((got == torch.tensor(data["test_class"])).sum().item())
        if isinstance(out, tuple):
            out = torch.cat(out, dim=1)
        result = {"world_size": world_size, "steps": step, "epochs": epoch,
                  "losses": [losses[0], losses[-1]], "predict": out.tolist(), "correct": correct,
                  "accuracy": correct / len(data["test_class"]), "seconds": seconds}
        with open(os.path.join(work, "result.json"), "w") as f:
            json.dump(result, f)
        print(json.dumps(result), flush=True)
    dist.barrier()
    dist.destroy_process_group()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    module_path, work = sys.argv[1], sys.argv[2]
    with open(os.path.join(work, "data.json")) as f:
        world_size = json.load(f)["world_size"]
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(free_port())
    mp.spawn(worker, args=(world_size, module_path, work), nprocs=world_size, join=True)


if __name__ == "__main__":
    main()
