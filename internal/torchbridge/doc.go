// Package torchbridge tests the module that gradgen export -format torch
// writes (package torchspec) against the Go models, with PyTorch: a Go
// model's parameters go to PyTorch through a safetensors file, the module
// predicts a batch and trains a few steps on it, and its predictions, losses,
// learning rates and parameters must be the Go model's (float32 within 3e-4
// relative, float64 within 1e-9). See torchbridge_test.go and driver.py.
//
// The test needs Debian's python3-torch and runs only when GRADGEN_TORCH is
// set (make interop sets it), so that make test stays Go-only:
//
//	GRADGEN_TORCH=1 go test -v ./internal/torchbridge
//
// GRADGEN_TORCH=1 runs /usr/bin/python3; any other value names the Python
// to run.
package torchbridge
