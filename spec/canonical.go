package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// canonical is the form of a network that Canonical serialises: every
// setting that changes the generated code, in a fixed order, and nothing
// else (no positions, no file name, no comments or key order).
type canonical struct {
	Package   string           `json:"package"`
	DType     DType            `json:"dtype"`
	Input     int              `json:"input"`
	Layers    []canonicalLayer `json:"layers"`
	Loss      Loss             `json:"loss"`
	Optimizer canonicalOpt     `json:"optimizer"`
	// Output and Pretrained (the PretrainedHash) are set by imported
	// models only, so other specs keep their canonical form.
	Output     OutputMap `json:"output,omitempty"`
	Pretrained string    `json:"pretrained,omitempty"`
	// Inputs and Outputs are set by graph networks only.
	Inputs  []canonicalPort `json:"inputs,omitempty"`
	Outputs []canonicalHead `json:"outputs,omitempty"`
}

type canonicalPort struct {
	Name       string `json:"name"`
	Width      int    `json:"width"`
	Categories int    `json:"categories,omitempty"`
}

type canonicalHead struct {
	Name   string         `json:"name"`
	Layer  canonicalLayer `json:"layer"`
	Loss   Loss           `json:"loss"`
	Weight float64        `json:"weight"`
}

type canonicalLayer struct {
	Dense      int        `json:"dense"`
	Activation Activation `json:"activation"`
	Slope      float64    `json:"slope,omitempty"`
	Bias       bool       `json:"bias"`
	Frozen     bool       `json:"frozen,omitempty"`
	WeightName string     `json:"weight_name,omitempty"`
	BiasName   string     `json:"bias_name,omitempty"`
	Transposed bool       `json:"transposed,omitempty"`
	Name       string     `json:"name,omitempty"`
	From       []string   `json:"from,omitempty"`
	Add        []string   `json:"add,omitempty"`
	LayerNorm  *struct {
		Eps float64 `json:"eps"`
	} `json:"layer_norm,omitempty"`
	Dropout   *float64 `json:"dropout,omitempty"`
	Embedding int      `json:"embedding,omitempty"`
}

type canonicalOpt struct {
	Kind     string  `json:"kind"`
	LR       float64 `json:"lr"`
	Momentum float64 `json:"momentum,omitempty"`
	Beta1    float64 `json:"beta1,omitempty"`
	Beta2    float64 `json:"beta2,omitempty"`
	Eps      float64 `json:"eps,omitempty"`

	Dampening    float64           `json:"dampening,omitempty"`
	Nesterov     bool              `json:"nesterov,omitempty"`
	WeightDecay  float64           `json:"weight_decay,omitempty"`
	ClipGradNorm float64           `json:"clip_grad_norm,omitempty"`
	Schedule     *ScheduleSettings `json:"schedule,omitempty"`
}

// Canonical returns the canonical form of the normalised network n: JSON
// of its settings in a fixed order. Two specs with the same canonical form
// generate the same code, however they were written (YAML or Go, any key
// order, defaults spelled out or left out).
func (n *Network) Canonical() []byte {
	m := n.Normalized()
	c := canonical{Package: m.Package, DType: m.DType, Input: m.Input, Loss: m.Loss}
	for _, l := range m.Layers {
		c.Layers = append(c.Layers, canonicalLayerOf(l))
	}
	for _, p := range m.Inputs {
		c.Inputs = append(c.Inputs, canonicalPort{Name: p.Name, Width: p.Width, Categories: p.Categories})
	}
	for _, h := range m.Outputs {
		c.Outputs = append(c.Outputs, canonicalHead{Name: h.Name, Layer: canonicalLayerOf(h.Layer), Loss: h.Loss, Weight: h.Weight})
	}
	if m.Output != NoMap && m.Output != "" {
		c.Output = m.Output
	}
	c.Pretrained = PretrainedHash(m.Pretrained)
	o := m.Optimizer.Settings()
	c.Optimizer = canonicalOpt{Kind: o.Kind, LR: o.LR, Momentum: o.Momentum, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps,
		Dampening: o.Dampening, Nesterov: o.Nesterov, WeightDecay: o.WeightDecay, ClipGradNorm: o.ClipGradNorm}
	if o.Schedule != (ScheduleSettings{}) {
		c.Optimizer.Schedule = &o.Schedule
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic("spec: canonical form: " + err.Error()) // only plain values: cannot fail
	}
	return b
}

// canonicalLayerOf is the canonical form of a layer.
func canonicalLayerOf(l Layer) canonicalLayer {
	cl := canonicalLayer{Dense: l.Dense, Activation: l.Activation, Bias: !l.NoBias, Frozen: l.Frozen,
		WeightName: l.WeightName, BiasName: l.BiasName, Transposed: l.Transposed, Name: l.Name, From: l.From, Add: l.Add,
		Embedding: l.Embedding}
	if l.Activation == LeakyReLU {
		cl.Slope = l.Slope
	}
	if l.LayerNorm != nil {
		cl.LayerNorm = &struct {
			Eps float64 `json:"eps"`
		}{l.LayerNorm.Eps}
	}
	if l.Dropout != nil {
		cl.Dropout = &l.Dropout.P
	}
	return cl
}

// Hash is the first 16 hex digits of the SHA-256 of n's canonical form. The
// header of a generated file carries it, so a test can tell when the spec
// changed and the code was not regenerated.
func (n *Network) Hash() string {
	sum := sha256.Sum256(n.Canonical())
	return hex.EncodeToString(sum[:8])
}

// Normalized returns a normalised copy of n that shares nothing Normalize
// changes with n, which stays as it is. Every consumer of a spec that may
// come from a program rather than a file (build, Canonical, the generic
// engine) reads it through Normalized, so defaults left out of a
// spec.Network literal mean what they mean in YAML.
func (n *Network) Normalized() *Network {
	m := n.clone()
	m.Normalize()
	return m
}

// clone returns a copy of n that shares nothing Normalize changes.
func (n *Network) clone() *Network {
	m := *n
	m.Layers = append([]Layer(nil), n.Layers...)
	m.Outputs = append([]Head(nil), n.Outputs...)
	m.Inputs = append([]Port(nil), n.Inputs...)
	if o := n.Optimizer.SGD; o != nil {
		c := *o
		m.Optimizer.SGD = &c
	}
	if o := n.Optimizer.Momentum; o != nil {
		c := *o
		m.Optimizer.Momentum = &c
	}
	if o := n.Optimizer.Adam; o != nil {
		c := *o
		m.Optimizer.Adam = &c
	}
	if o := n.Optimizer.AdamW; o != nil {
		c := *o
		m.Optimizer.AdamW = &c
	}
	if sc := n.Optimizer.Schedule; sc != nil {
		c := *sc
		if sc.Step != nil {
			st := *sc.Step
			c.Step = &st
		}
		m.Optimizer.Schedule = &c
	}
	return &m
}
