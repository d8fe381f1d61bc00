package explain

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestGraphDerivation: the derivation of a residual network with a
// concatenation writes the total derivative where a value feeds several
// ops, with every path's contribution, and the concatenation's rule
// (testdata/residual.md; go test ./explain -update rewrites it).
func TestGraphDerivation(t *testing.T) {
	got := explainSpec(t, "testdata/residual.yaml", Markdown)
	for _, want := range []string{
		"Total derivative: $a_{1}$ feeds 3 ops",
		`$\bar{a}_{1} = (\bar{c}_{4})_{0\,:} + \bar{z}_{3} + W_{2}^\top \bar{z}_{2}$`,
		`through $c_{4} = \begin{bmatrix} a_{1} \\ a_{3} \end{bmatrix}$`,
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the derivation lacks %q", want)
		}
	}
	golden := "testdata/residual.md"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: go test ./explain -update", golden)
	}
}

// TestNewLayersDerivation: the derivation of a network with an embedding, a
// layer_norm and dropout writes each rule with its Jacobian: the lookup's
// scatter-add, the normalization's full Jacobian and its two row sums, γ's
// and β's sums over the batch, and dropout's mask (testdata/layers.md).
func TestNewLayersDerivation(t *testing.T) {
	got := explainSpec(t, "testdata/layers.yaml", Markdown)
	for _, want := range []string{
		`\operatorname{onehot}(\mathit{id})`,
		`\mathbb{1}[k = \mathit{id}]`,
		`I - \tfrac{1}{n} \mathbf{1} \mathbf{1}^\top - \tfrac{1}{n}`,
		`\operatorname{diag}(m)`,
		"summed over the batch",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the derivation lacks %q", want)
		}
	}
	golden := "testdata/layers.md"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: go test ./explain -update", golden)
	}
}
