#!/usr/bin/python3
"""driver.py: runs a module that gradgen export -format torch wrote, for torchbridge_test.go.

    /usr/bin/python3 driver.py MODULE.py DIR

DIR holds what the Go test wrote: init.safetensors (NewModel(1)'s parameters, written by
gradgen's safetensors.SaveParams) and data.json ({"x": input rows, "t": target rows, "steps": S,
"layout": [[name, shape], ...] (emit.Layout's names and file shapes, in order)}). The driver

  - imports MODULE.py, builds its Net and checks that its state_dict names and shapes are the
    layout's, in order (and LAYOUT's);
  - loads init.safetensors with load_params, and checks that the module's own minimal reader
    reads the same tensors, and writes resaved.safetensors from the module (save_safetensors)
    and fallback.safetensors with the module's own minimal writer, which the Go test compares
    byte for byte with init.safetensors;
  - predicts the batch (split_inputs of the rows) in eval mode, under no_grad;
  - trains S steps on the batch in training mode: zero_grad, loss_fn, backward,
    clip_gradients, the optimizer's step, the scheduler's step, recording each loss and the
    learning rate of each step (and lr_at's);
  - writes after.safetensors (save_safetensors) and result.json: {"predict": rows (the heads'
    outputs concatenated), "losses", "lrs", "lr_at", "state_dict": [[name, shape], ...]}.

torch runs on one thread with deterministic algorithms. Needs Debian's python3-torch.
"""

import importlib.util
import json
import os
import sys

import torch


def main():
    module_path, work = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    spec = importlib.util.spec_from_file_location("exported", module_path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with open(os.path.join(work, "data.json")) as f:
        data = json.load(f)

    net = mod.Net()
    got = [[k, list(v.shape)] for k, v in net.state_dict().items()]
    want = [[k, list(s)] for k, s in data["layout"]]
    if got != want:
        sys.exit("driver: the module's state_dict %s is not the layout %s" % (got, want))
    if [[k, list(s)] for k, s in mod.LAYOUT] != want:
        sys.exit("driver: LAYOUT %s is not the layout %s" % (mod.LAYOUT, want))
    for k, v in net.state_dict().items():
        if v.dtype != mod.DTYPE:
            sys.exit("driver: %s is %s, not %s" % (k, v.dtype, mod.DTYPE))

    init = os.path.join(work, "init.safetensors")
    mod.load_params(net, init)
    own = mod._read_safetensors(init)
    for k, v in net.state_dict().items():
        if not torch.equal(own[k], v) or own[k].dtype != v.dtype:
            sys.exit("driver: the module's own reader reads %s otherwise" % k)
    mod.save_safetensors(net, os.path.join(work, "resaved.safetensors"))
    mod._write_safetensors({k: v for k, v in net.state_dict().items()},
                           os.path.join(work, "fallback.safetensors"), {"format": "pt"})

    x = torch.tensor(data["x"], dtype=torch.float64).to(mod.DTYPE)
    t = torch.tensor(data["t"], dtype=torch.float64).to(mod.DTYPE)
    inputs = mod.split_inputs(x)

    net.eval()
    with torch.no_grad():
        out = net(*inputs)
    if isinstance(out, tuple):
        out = torch.cat(out, dim=1)
    predict = out.tolist()

    net.train()
    opt = mod.make_optimizer(net.parameters())
    sched = mod.make_scheduler(opt)
    losses, lrs = [], []
    for _ in range(data["steps"]):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        loss = mod.loss_fn(net(*inputs), t)
        loss.backward()
        mod.clip_gradients(net.parameters())
        opt.step()
        sched.step()
        losses.append(loss.item())
    mod.save_safetensors(net, os.path.join(work, "after.safetensors"))

    result = {"predict": predict, "losses": losses, "lrs": lrs,
              "lr_at": [mod.lr_at(s) for s in range(data["steps"])], "state_dict": got,
              "safetensors_package": mod._safetensors is not None}
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
