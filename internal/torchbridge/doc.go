// Package torchbridge tests the module that gradgen export -format torch
// writes (package torchspec) against the Go models, with PyTorch: a Go
// model's parameters go to PyTorch through a safetensors file, the module
// predicts a batch and trains a few steps on it, and its predictions, losses,
// learning rates and parameters must be the Go model's (float32 within 3e-4
// relative, float64 within 1e-9). See torchbridge_test.go and driver.py.
//
// The DDP round trip (ddp_test.go, ddp.py): the module of an MLP (examples/iris,
// on the bundled flowers) and of a graph (internal/graphgold's ac32 and ac64,
// two named inputs and two heads, on synthetic data) trains from NewModel(1)'s
// parameters with torch.nn.parallel.DistributedDataParallel on 2 processes
// (gloo, 127.0.0.1, torch.multiprocessing.spawn, a seeded DistributedSampler);
// the trained parameters come back through safetensors.LoadParams into the Go
// model, whose held-out predictions must be PyTorch's (the same tolerances)
// and whose accuracy must be the one torch reported. TestScaleExample runs
// examples/scale's train.py and go run there. GRADGEN_DDP_CORRUPT=1 moves one
// trained parameter by 0.01 before the comparison, to watch it fail.
//
// The test needs Debian's python3-torch and runs only when GRADGEN_TORCH is
// set (make interop sets it), so that make test stays Go-only:
//
//	GRADGEN_TORCH=1 go test -v ./internal/torchbridge
//
// GRADGEN_TORCH=1 runs /usr/bin/python3; any other value names the Python
// to run.
package torchbridge
