package spec

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem of a spec, at the position of the offending value.
type Error struct {
	Pos Pos
	Msg string
}

// Error formats e as "file:line:col: msg", or "file: node NODE: msg" for
// a node of a graph file, NODE being how the front end names it (ONNX's:
// 7 "/fc1/Gemm" (Gemm)). The file is left out when unknown; the line and
// column are left out when the position is zero.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos.File != "" {
		b.WriteString(e.Pos.File)
		b.WriteString(":")
	}
	if e.Pos.Node != "" && e.Pos.Line == 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("node " + e.Pos.Node + ":")
	}
	if e.Pos.Line > 0 {
		b.WriteString(strconv.Itoa(e.Pos.Line))
		b.WriteString(":")
		if e.Pos.Col > 0 {
			b.WriteString(strconv.Itoa(e.Pos.Col))
			b.WriteString(":")
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem of a spec. Parse and Validate return it sorted.
type ErrorList []*Error

// Error formats the errors one per line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Sort orders the errors by file, line, column and node, keeping the order of
// errors at the same position.
func (l ErrorList) Sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Pos.Node, b.Pos.Node),
		)
	})
}

// Err returns l as an error, or nil when l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
