package spec

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// The parts of a graph network (inputs:, outputs:, and a layer's name, from
// and add): see Network.Inputs and Network.Outputs.

// inputs decodes the mapping of inputs: name → width, in order.
func (p *parser) inputs(n *Network, v *yaml.Node) bool {
	m := resolve(v)
	if m.Kind != yaml.MappingNode || len(m.Content) == 0 {
		p.errorf(p.pos(v), "inputs must be a mapping of input names to widths, such as {obs: 12, goal: 3}, got %s", describe(m))
		return false
	}
	ok := true
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, w := resolve(m.Content[i]), m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(p.pos(m.Content[i]), "an input's name must be a string, got %s", describe(k))
			ok = false
			continue
		}
		port := Port{Name: k.Value, Pos: p.pos(m.Content[i])}
		if resolve(w).Kind == yaml.MappingNode {
			if !p.categorical(&port, w) {
				ok = false
				continue
			}
		} else if !p.intTo(&port.Width, "input "+quote(k.Value))(w) {
			ok = false
			continue
		}
		n.Inputs = append(n.Inputs, port)
	}
	return ok
}

// categorical decodes an integer input, {categories: N}, into port.
func (p *parser) categorical(port *Port, v *yaml.Node) bool {
	what := "input " + quote(port.Name)
	vals, _ := p.section(v, what, "inputs[]", "the key categories, the number of ids")
	if !p.field(vals, Positions{}, "", "categories", p.intTo(&port.Categories, what+": categories")) {
		p.errorf(p.pos(v), "%s: missing key categories (the number of ids, such as {categories: 5000})", what)
		return false
	}
	port.Width = 1
	return true
}

// names decodes a name or a sequence of names (from:, add:) into dst.
func (p *parser) names(dst *[]string, what string, atLeast int) decoder {
	return func(v *yaml.Node) bool {
		if s, tag := scalar(v); tag == strTag && atLeast <= 1 {
			*dst = []string{s.Value}
			return true
		}
		seq := resolve(v)
		want := "a name or a sequence of names"
		if atLeast > 1 {
			want = fmt.Sprintf("a sequence of at least %d names", atLeast)
		}
		if seq.Kind != yaml.SequenceNode || len(seq.Content) < atLeast {
			p.errorf(p.pos(v), "%s must be %s, got %s", what, want, describe(seq))
			return false
		}
		var names []string
		for _, e := range seq.Content {
			s, tag := scalar(e)
			if tag != strTag {
				p.errorf(p.pos(e), "%s must be %s, got %s among them", what, want, describe(s))
				return false
			}
			names = append(names, s.Value)
		}
		*dst = names
		return true
	}
}

// graphLayerKeys decodes a layer's name, from and add.
func (p *parser) graphLayerKeys(l *Layer, vals map[string]*yaml.Node, skipPrefix, prefix string) {
	p.field(vals, l.Fields, skipPrefix, "name", stringTo(p, &l.Name, prefix+"name", "a name"))
	p.field(vals, l.Fields, skipPrefix, "from", p.names(&l.From, prefix+"from", 1))
	p.field(vals, l.Fields, skipPrefix, "add", p.names(&l.Add, prefix+"add", 2))
}

// normLayerKeys decodes the keys of the layers without weights that
// normalise or regularise: layer_norm (a mapping, {} or {eps: 1e-5}) and
// dropout (the probability p).
func (p *parser) normLayerKeys(l *Layer, vals map[string]*yaml.Node, skipPrefix, prefix string) {
	p.field(vals, l.Fields, skipPrefix, "layer_norm", func(v *yaml.Node) bool {
		l.LayerNorm = &LayerNorm{Pos: p.pos(v), Fields: Positions{}}
		vals, ok := p.section(v, prefix+"layer_norm", "layers[].layer_norm", "optionally the key eps ({} for the defaults)")
		if !ok {
			return false
		}
		p.field(vals, l.LayerNorm.Fields, skipPrefix+"layer_norm.", "eps", p.floatTo(&l.LayerNorm.Eps, prefix+"layer_norm: eps"))
		return true
	})
	p.field(vals, l.Fields, skipPrefix, "embedding", p.intTo(&l.Embedding, prefix+"embedding"))
	p.field(vals, l.Fields, skipPrefix, "dropout", func(v *yaml.Node) bool {
		l.Dropout = &Dropout{Pos: p.pos(v)}
		return p.floatTo(&l.Dropout.P, prefix+"dropout")(v)
	})
}

// outputs decodes the mapping of outputs: name → head, in order.
func (p *parser) outputs(n *Network, v *yaml.Node) bool {
	m := resolve(v)
	if m.Kind != yaml.MappingNode || len(m.Content) == 0 {
		p.errorf(p.pos(v), "outputs must be a mapping of head names to heads, each a mapping with keys %s, got %s", list(headKeys), describe(m))
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := resolve(m.Content[i])
		if k.Kind != yaml.ScalarNode {
			p.errorf(p.pos(m.Content[i]), "a head's name must be a string, got %s", describe(k))
			continue
		}
		h := Head{Name: k.Value}
		p.head(&h, len(n.Outputs)+1, m.Content[i+1])
		n.Outputs = append(n.Outputs, h)
	}
	return true
}

// head decodes head number i (from 1) from node v into h.
func (p *parser) head(h *Head, i int, v *yaml.Node) {
	h.Pos, h.Fields = p.pos(v), Positions{}
	l := &h.Layer
	l.Pos, l.Fields, l.Name = h.Pos, Positions{}, h.Name
	skipPrefix := "outputs." + strconv.Itoa(i) + "."
	what := "head " + quote(h.Name)
	m := resolve(v)
	if m.Kind != yaml.MappingNode {
		p.errorf(h.Pos, "%s must be a mapping with keys %s, got %s", what, list(headKeys), describe(m))
		p.skip["outputs."+strconv.Itoa(i)] = true
		return
	}
	vals := p.mapping(m, "outputs[]", unknownKey(" in "+what, "outputs[]"))
	prefix := what + ": "
	if !p.field(vals, l.Fields, skipPrefix, "dense", p.intTo(&l.Dense, prefix+"dense")) && !p.imported {
		p.missing(h.Pos, skipPrefix, "dense", " in "+what, "the head's output width, an integer >= 1")
	}
	p.field(vals, l.Fields, skipPrefix, "activation", stringTo(p, &l.Activation, prefix+"activation", "one of "+list(activationNames)))
	p.field(vals, l.Fields, skipPrefix, "slope", p.floatTo(&l.Slope, prefix+"slope"))
	bias, trainable := true, true
	p.field(vals, l.Fields, skipPrefix, "bias", p.boolTo(&bias, prefix+"bias"))
	p.field(vals, l.Fields, skipPrefix, "trainable", p.boolTo(&trainable, prefix+"trainable"))
	l.NoBias, l.Frozen = !bias, !trainable
	p.field(vals, l.Fields, skipPrefix, "from", p.names(&l.From, prefix+"from", 1))
	lossWant := "one of " + list(append(append([]string(nil), lossNames...), string(NoLoss)))
	if !p.field(vals, h.Fields, skipPrefix, "loss", stringTo(p, &h.Loss, prefix+"loss", lossWant)) && !p.imported {
		p.missing(h.Pos, skipPrefix, "loss", " in "+what, lossWant+" (none: predicted, not trained)")
	}
	p.field(vals, h.Fields, skipPrefix, "weight", p.floatTo(&h.Weight, prefix+"weight"))
}
