// Package onnxrt checks gradgen's ONNX exporter (onnxspec.Export) against
// ONNX Runtime, the reference runtime of the format.
//
// onnxrt_test.go exports networks with the parameters gradgen export writes
// by default, at one or more opsets: the committed generated packages
// (generated/..., the examples' networks) with NewModel(1)'s parameters,
// variants of them (weights kept transposed, a softmax or log_softmax
// output, float32 instead of float64), and the models PyTorch exported for
// internal/onnxgold, imported and exported again with their pretrained
// parameters. run.mjs runs each model under ONNX Runtime on one thread for
// a batch of 1 and of 7 samples, and the test compares the outputs with the
// package's own Predict (NewModel(1)'s or NewPretrained's; the generic
// engine's for a variant no package has): float32 within 1e-6 of
// max(|y|, 1) and float64 within 1e-12, except where an ONNX attribute
// cannot hold what gradgen computes with (a float64 leaky_relu's slope is
// a float32 in LeakyRelu). graph_test.go does the same for the graph
// networks of internal/graphgold and examples/ (named inputs and heads,
// layer normalizations, embeddings), feeding an integer input's ids as the
// int64 tensor the exporter declares (and again as int32) where the
// generic engine reads each id as a value in its slot.
//
// ONNX Runtime is the npm package onnxruntime-node at the version
// package.json pins (package-lock.json pins what it depends on). make
// interop installs it with npm ci --ignore-scripts into a cache directory
// and runs the test with GRADGEN_ORT_NODE_MODULES naming its node_modules.
// Without that variable the test exports every model, then skips the run,
// so make test needs only Go.
package onnxrt
