package spec

import "testing"

func TestCanonicalIgnoresSpelling(t *testing.T) {
	a, err := Parse("a.yaml", []byte("package: p\ninput: 3\nlayers:\n  - dense: 4\n    activation: leaky_relu\nloss: mse\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.yaml", []byte("loss: mse\ndtype: float32\noptimizer:\n  sgd: {lr: 0.01}\nlayers:\n  - {dense: 4, activation: leaky_relu, slope: 0.01, bias: true}\ninput: 3\npackage: p\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := Network{Package: "p", Input: 3, Layers: []Layer{{Dense: 4, Activation: LeakyReLU}}, Loss: MSE}
	if a.Hash() != b.Hash() || a.Hash() != c.Hash() {
		t.Errorf("hashes differ: %s %s %s\n%s\n%s\n%s", a.Hash(), b.Hash(), c.Hash(), a.Canonical(), b.Canonical(), c.Canonical())
	}
	if c.DType != "" || c.Layers[0].Slope != 0 {
		t.Error("Canonical changed the network")
	}
	d := c
	d.Layers = []Layer{{Dense: 5, Activation: LeakyReLU}}
	if d.Hash() == c.Hash() {
		t.Error("a different width gives the same hash")
	}
	want := `{"package":"p","dtype":"float32","input":3,"layers":[{"dense":4,"activation":"leaky_relu","slope":0.01,"bias":true}],"loss":"mse","optimizer":{"kind":"sgd","lr":0.01}}`
	if got := string(c.Canonical()); got != want {
		t.Errorf("Canonical = %s, want %s", got, want)
	}
}

func TestCanonicalKeepsAdamOfCaller(t *testing.T) {
	n := Network{Package: "p", Input: 1, Layers: []Layer{{Dense: 1}}, Loss: MSE, Optimizer: Optimizer{Adam: &Adam{}}}
	n.Hash()
	if a := n.Optimizer.Adam; a.LR != 0 || a.Beta1 != 0 || a.Beta2 != 0 || a.Eps != 0 {
		t.Errorf("Hash filled the caller's Adam: %+v", *n.Optimizer.Adam)
	}
}
