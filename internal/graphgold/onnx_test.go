package graphgold

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/spec"
)

// TestONNXImport: the module of each spec, exported by torch.onnx.export
// with its inputs and heads as named graph inputs and outputs
// (testdata/<name>.onnx, written by golden.py), imports as a graph network
// with the spec's inputs, heads and tensors, and PyTorch's parameters bit
// for bit; given the spec's losses and optimizer, the generic engine running
// it predicts what PyTorch predicts, and three SGD steps give PyTorch's
// losses and parameters. A spec with a layer_norm is exported at opset 17
// (LayerNormalization) and again below it (testdata/<name>_op<k>.onnx,
// the decomposition torch writes there: ReduceMean, Sub, Pow, Sqrt, Div),
// and both must import so. A spec with an embedding is exported with its
// ids as int64 graph inputs [batch], each nn.Embedding a Gather of its
// table, and again (<name>_op<k>.onnx) with ids [batch, 1] and the forms
// torch writes to make the lookup a row (Flatten, Squeeze, Reshape of it,
// or Squeeze and Reshape of the ids): each imports as the spec's
// embeddings, reading integer inputs of the tables' rows. ONNX does not
// say which tables train, so the test freezes those the spec freezes
// (requires_grad False in PyTorch) before training; the generic engine
// reads each id as a value in its slot, as golden.json's rows hold it.
func TestONNXImport(t *testing.T) {
	models, decomposed, embedded := 0, 0, 0
	for _, s := range readGolden(t).Specs {
		more, _ := filepath.Glob(filepath.Join("testdata", s.Name+"_op*.onnx"))
		models++
		if embedding(t, s.Name) {
			embedded += 1 + len(more)
		} else {
			decomposed += len(more)
		}
		for _, model := range append([]string{filepath.Join("testdata", s.Name+".onnx")}, more...) {
			t.Run(strings.TrimSuffix(filepath.Base(model), ".onnx"), func(t *testing.T) {
				orig, err := spec.Load(filepath.Join("nets", s.Name, s.Name+".yaml"))
				if err != nil {
					t.Fatal(err)
				}
				n, err := onnxspec.LoadModel(model, s.Name)
				if err != nil {
					t.Fatal(err)
				}
				withLosses(t, n, orig)
				withFrozen(t, n, orig)
				if got, want := ports(t, n), ports(t, orig); got != want {
					t.Errorf("imported with inputs, outputs and tensors\n%s\nthe spec has\n%s", got, want)
				}
				if got, want := norms(n), norms(orig); got != want {
					t.Errorf("imported with the layer_norm layers %s, the spec has %s", got, want)
				}
				want := slices.Clone(s.Params)
				for i, x := range want {
					if s.DType == "float32" {
						want[i] = float64(float32(x)) // the JSON's shortest decimal of the float32
					}
				}
				if !slices.Equal(n.Pretrained, want) {
					t.Errorf("the imported parameters are not PyTorch's initial ones")
				}
				if s.DType == "float32" {
					importParity[float32](t, s, n)
				} else {
					importParity[float64](t, s, n)
				}
			})
		}
	}
	if models < 23 || decomposed < 7 || embedded < 8 {
		t.Errorf("%d specs exported by PyTorch in testdata, %d layer normalizations exported below opset 17 and %d models with an embedding, want at least 23, 7 and 8", models, decomposed, embedded)
	}
}

// withFrozen freezes the embedding tables of n, imported, that orig, the
// spec it was exported from, freezes: matched by their tensors' names.
func withFrozen(t *testing.T, n, orig *spec.Network) {
	t.Helper()
	p, err := build.Program(orig, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n.Layers {
		l := &n.Layers[i]
		if l.Kind() != "embedding" {
			continue
		}
		k := slices.IndexFunc(p.Params, func(q ir.Param) bool { return q.Torch == l.WeightName })
		if k < 0 {
			t.Fatalf("the imported table %s is not a tensor of the spec", l.WeightName)
		}
		l.Frozen = p.Params[k].Frozen
	}
}

// embedding reports whether the spec name has an embedding layer.
func embedding(t *testing.T, name string) bool {
	t.Helper()
	n, err := spec.Load(filepath.Join("nets", name, name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(n.Layers, func(l spec.Layer) bool { return l.Kind() == "embedding" })
}

// norms describes the layer_norm layers of n: each one's eps and
// activation.
func norms(n *spec.Network) string {
	var s []string
	for _, l := range n.Layers {
		if l.LayerNorm != nil {
			s = append(s, fmt.Sprintf("eps %g %s slope %g", l.LayerNorm.Eps, cmp.Or(l.Activation, spec.None), l.Slope))
		}
	}
	return fmt.Sprint(s)
}

// withLosses gives the imported network n the losses, head weights and
// optimizer of the spec it was exported from.
func withLosses(t *testing.T, n, orig *spec.Network) {
	t.Helper()
	n.Optimizer = orig.Optimizer
	if len(n.Outputs) == 0 {
		n.Loss = orig.Loss
		if len(orig.Outputs) == 1 {
			n.Loss = orig.Outputs[0].Loss // a model of one output imports as its last layer
		}
	}
	for i := range n.Outputs {
		h := &n.Outputs[i]
		k := slices.IndexFunc(orig.Outputs, func(o spec.Head) bool { return o.Name == h.Name })
		if k < 0 {
			t.Fatalf("the imported head %s is not a head of the spec", h.Name)
		}
		h.Loss, h.Weight = orig.Outputs[k].Loss, orig.Outputs[k].Weight
		h.Fields["weight"] = orig.Outputs[k].Fields["weight"] // a weight of 0 given is not the default
	}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
}

// ports describes the inputs, the output widths and the tensors of n as
// its program has them.
func ports(t *testing.T, n *spec.Network) string {
	t.Helper()
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in, out := p.Inputs, p.Outputs
	if len(p.InputFields) > 0 {
		in = p.InputFields
	}
	if len(p.OutputFields) > 0 {
		out = p.OutputFields
	} else {
		out[0].Name = "" // a model of one output imports as its last layer, y
	}
	s := fmt.Sprint(in, out)
	for _, q := range p.Params {
		s += fmt.Sprintf(" %s%v", q.Torch, q.Type.Dims)
	}
	return s
}

// importParity runs the imported network n in the generic engine from its
// imported parameters against PyTorch's goldens s.
func importParity[T float32 | float64](t *testing.T, s gspec, n *spec.Network) {
	tol := tolerance[s.DType]
	m, err := generic.NewPretrained[T](n)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range s.X {
		y := make([]T, s.Outputs)
		m.Predict(flat[T]([][]float64{x}), y)
		compare(t, fmt.Sprint("prediction of sample ", i), y, s.Predict[i], tol.rel, tol.abs)
	}
	xs, ts := flat[T](s.X), flat[T](s.T)
	for k, want := range s.Losses {
		if got := float64(m.Train(xs, ts)); !close(got, want, tol.rel, tol.abs) {
			t.Errorf("step %d: loss %.9g, PyTorch %.9g", k+1, got, want)
		}
	}
	compare(t, "parameters after training", m.Params(), s.ParamsAfter, tol.rel, tol.abs)
}
