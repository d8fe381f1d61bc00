package spec

import (
	"slices"
	"strings"
	"testing"
)

const criticSpec = `package: critic
inputs:
  obs: 12
  goal: 3
layers:
  - name: trunk
    from: [obs, goal]
    dense: 64
    activation: relu
  - name: block
    dense: 64
    activation: relu
  - add: [trunk, block]
    activation: relu
outputs:
  value:
    dense: 1
    loss: mse
    weight: 0.5
  policy:
    from: block
    dense: 4
    loss: softmax_cross_entropy
`

// TestGraphSpec: the actor-critic spec parses into named inputs,
// layers that read and add by name, and two heads with their losses and
// weights; its fan-ins and parameter count follow the names.
func TestGraphSpec(t *testing.T) {
	n, err := Parse("critic.yaml", []byte(criticSpec))
	if err != nil {
		t.Fatal(err)
	}
	if !n.IsGraph() {
		t.Fatal("not a graph")
	}
	if want := []Port{{Name: "obs", Width: 12}, {Name: "goal", Width: 3}}; len(n.Inputs) != 2 ||
		n.Inputs[0].Name != want[0].Name || n.Inputs[1].Width != 3 {
		t.Errorf("inputs %+v", n.Inputs)
	}
	if l := n.Layers[0]; l.Name != "trunk" || !slices.Equal(l.From, []string{"obs", "goal"}) || l.Dense != 64 {
		t.Errorf("layer 1 %+v", l)
	}
	if l := n.Layers[2]; !slices.Equal(l.Add, []string{"trunk", "block"}) || l.Activation != ReLU || l.Dense != 0 {
		t.Errorf("layer 3 %+v", l)
	}
	if h := n.Outputs[0]; h.Name != "value" || h.Loss != MSE || h.Weight != 0.5 || h.Layer.Dense != 1 {
		t.Errorf("head value %+v", h)
	}
	if h := n.Outputs[1]; h.Name != "policy" || h.Weight != 1 || !slices.Equal(h.Layer.From, []string{"block"}) {
		t.Errorf("head policy %+v (weight left out is 1)", h)
	}
	layerIn, layerOut, headIn := n.Fans()
	if !slices.Equal(layerIn, []int{15, 64, 0}) || !slices.Equal(layerOut, []int{64, 64, 64}) || !slices.Equal(headIn, []int{64, 64}) {
		t.Errorf("fans %v %v %v", layerIn, layerOut, headIn)
	}
	// 15·64+64 + 64·64+64 + (64+1) + (64·4+4)
	if got := n.NumParams(); got != 5509 {
		t.Errorf("NumParams %d, want 5509", got)
	}
	if FieldName("obs_vec") != "ObsVec" || FieldName("goal") != "Goal" {
		t.Errorf("FieldName: %s %s", FieldName("obs_vec"), FieldName("goal"))
	}
}

// TestGraphHashOnlyForGraphs: a chain's canonical form has none of the
// graph keys, so every chain spec keeps its hash.
func TestGraphHashOnlyForGraphs(t *testing.T) {
	n, err := Parse("x.yaml", []byte("package: p\ninput: 3\nlayers:\n  - dense: 2\nloss: mse\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n.IsGraph() {
		t.Error("a chain is a graph")
	}
	for _, key := range []string{`"inputs"`, `"outputs"`, `"name"`, `"from"`, `"add"`} {
		if strings.Contains(string(n.Canonical()), key) {
			t.Errorf("canonical form has %s", key)
		}
	}
}
