package ir

import (
	"fmt"
	"io"
	"strings"
)

// FprintDot writes f as a Graphviz digraph: one node per value, an edge from
// each argument (and map operand) to its user. Forward values are blue,
// values the grad pass derived are orange, leaves are grey boxes; each node
// shows its op, name and type, and its maps when fused.
func FprintDot(w io.Writer, p *Program, f *Func) {
	fmt.Fprintf(w, "digraph %q {\n", p.Package+"."+f.Name)
	fmt.Fprintln(w, `  rankdir=TB; node [fontname="Helvetica" fontsize=11 style=filled]; edge [color="#555555"];`)
	for _, v := range f.Values {
		label := fmt.Sprintf("%s\n%s", v.Op, v.Type.Format(p.DType))
		if v.Name != "" {
			label = v.Name + " = " + label
		}
		for _, m := range v.Maps {
			label += " | " + m.Op.String()
		}
		shape, color := "ellipse", "#cfe2ff" // forward
		switch {
		case v.Op.Info().Class == Leaf:
			shape, color = "box", "#e0e0e0"
		case v.Origin != nil || v.Op.Info().Backward:
			color = "#ffd8b0" // derived by grad
		}
		fmt.Fprintf(w, "  v%d [label=%q shape=%s fillcolor=%q];\n", v.ID, label, shape, color)
	}
	for _, v := range f.Values {
		for _, a := range v.Args {
			fmt.Fprintf(w, "  v%d -> v%d;\n", a.ID, v.ID)
		}
		for _, m := range v.Maps {
			for _, a := range m.Args {
				fmt.Fprintf(w, "  v%d -> v%d [style=dashed];\n", a.ID, v.ID)
			}
		}
	}
	for i, o := range f.Outputs {
		what := []string{"prediction", "loss", "grad " + o.Param}[o.Kind]
		fmt.Fprintf(w, "  out%d [label=%q shape=doublecircle fillcolor=\"#d7f5d0\"];\n  v%d -> out%d;\n", i, strings.TrimSpace(what), o.Value.ID, i)
	}
	fmt.Fprintln(w, "}")
}
