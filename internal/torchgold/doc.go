// Package torchgold checks gradgen's optimizers against torch.optim.
//
// golden.py (run by make interop with Debian's python3-torch) trains the
// network of the specs under nets/ with torch.optim, for every combination of
// optimizer kind, element type, frozen layer, clip_grad_norm and learning-rate
// schedule and a cross-section of weight decay, momentum variant and batch
// size, and writes each step's learning rate and loss and the final
// parameters to testdata/golden.json. torchgold_test.go trains the generated
// packages of nets/ on the same data from the same parameters with the same
// hyperparameters (set at run time with SetHyperparams) and compares. The
// default tests need only Go: they read the committed JSON.
package torchgold
