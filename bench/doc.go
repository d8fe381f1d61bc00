// Package bench measures generated code against the generic engine (and,
// in the separate module bench/peers, against Gorgonia) on four networks:
//
//	tiny_b1    4 → 16 relu → 16 relu → 3, mse, batch 1
//	mnist_b1   784 → 128 relu → 10, softmax cross-entropy, batch 1
//	mnist_b32  the same, batch 32
//	wide_b128  784 → 512 relu → 512 relu → 10, softmax cross-entropy, batch 128
//
// BenchmarkStep times one training step (forward, backward, SGD update) and
// BenchmarkPredict one forward pass of one sample, each as
// Benchmark<Kind>/<net>/<impl>/<dtype>, with a GFLOP/s metric. make bench runs
// them with GOMAXPROCS=1 and turns the results into docs/bench/.
package bench
