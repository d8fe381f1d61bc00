// Package generic trains and runs any network a spec describes, the way a
// typical Go machine-learning library does: layers in a slice, shapes known
// only at run time, matrices multiplied by gonum's BLAS (blas32 for float32,
// blas64 for float64), and textbook layer-by-layer backpropagation written by
// hand.
//
// It exists for two reasons. It is the baseline that gradgen's generated code
// is benchmarked against, and it is an oracle independent of gradgen's
// compiler: it shares only the spec loader and the seeded initialisation
// (runtime.Rand, runtime.InitLinear and runtime.InitNormal) with generated
// code, so New(n, seed)
// starts from exactly the weights of the generated NewModel(seed), and
// everything after that (forward pass, losses, gradients, optimizers) is
// written here again. Generated code never links against this package.
//
// The semantics are PyTorch's, the same as gradgen's: nn.Linear's layout (W is
// [out][in] row-major), the activations nn.ReLU, nn.LeakyReLU, nn.Sigmoid and
// nn.Tanh, the losses nn.MSELoss, nn.CrossEntropyLoss with probability targets
// and nn.BCEWithLogitsLoss with mean reduction, torch.optim's SGD (with
// momentum, dampening, Nesterov and weight decay), Adam and AdamW, with
// clip_grad_norm_, the schedules (warm-up, CosineAnnealingLR, StepLR) and
// frozen layers (trainable: false), whose gradient stays zero.
//
// Graph networks (named inputs, from, add, several heads, layer_norm and
// dropout layers) run too, in graph.go: a sample is the row of its inputs in
// order and its target the row of its heads' targets, as in the generated
// code; a layer over several values reads their concatenation (torch.cat),
// an add layer their sum, and the loss is the weighted sum of the heads'. A
// layer_norm is nn.LayerNorm(width, eps) then the layer's activation, with
// γ (1 initially) and β (0) in the parameters in spec order, drawing nothing
// from the generator (layernorm.go). A dropout with p = 0 is the identity;
// New refuses one with p > 0, whose masks only the generated code draws. A graph's Net allocates its
// work matrices on every batch: it is an oracle, not a baseline.
//
// An integer input (inputs: {item: {categories: N}}) takes one slot of the
// flat input row []T, which holds the sample's id as a T value: id 3 is 3.0
// (where the generated code's Input field is an int32). An embedding layer
// is nn.Embedding(N, dim) over it (embedding.go): y = E[id] per sample, and
// in Backward Ē[id] += ȳ per sample in the batch's order, so a repeated id
// sums and the rows no id names get gradient 0 (PyTorch's dense gradient,
// sparse=False); the ids take no gradient. The table, [N][dim] row-major, is
// a parameter in spec order, drawn from N(0, 1) by runtime.InitNormal from
// the generator the dense layers draw from, so the dense layers after it
// draw later numbers. Predict, Loss, Backward and Train panic, before
// anything changes, on an id that is not an integer in [0, N), naming the
// method, the sample, the input, the id and the range, as in "generic:
// Train: sample 3: item is 57, want 0 ≤ item < 50". A float32 row holds
// every id exactly only up to 2²⁴; use float64 for more categories.
//
// A Net allocates its work matrices the first time it sees a batch size and
// reuses them while batches do not grow, so Predict and repeated Train calls
// at a fixed batch size do not allocate. gonum's GEMM may start goroutines for
// large matrices. A Net is not safe for concurrent use.
package generic
