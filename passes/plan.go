package passes

import "github.com/gradgen/gradgen/ir"

// Plan assigns every value that needs workspace to a buffer, by liveness: a
// value takes the lowest-numbered buffer of its type whose current value is
// read for the last time before it, and an element-wise op writes over its
// first operand when that is the operand's last read. The number and sizes of
// buffers are then fixed when the code is generated, so the workspace is a
// plain struct allocated once.
func Plan(p *ir.Program, f *ir.Func) error {
	last := ir.LastUses(f)
	f.Bufs = []ir.Buffer{}
	var owner []*ir.Value
	for i, v := range f.Values {
		v.Buf = -1
		if !ir.NeedsBuffer(f, v) {
			continue
		}
		if v.Op.Info().Class == ir.Elementwise {
			if a := v.Args[0]; a.Buf >= 0 && last[a] == i && a.Type.Equal(v.Type) {
				v.Buf = a.Buf
				owner[v.Buf] = v
				continue
			}
		}
		// A transposed weight is made on a call's first tile and read by
		// every tile after it, so its buffer is its own for the whole call.
		for b, o := range owner {
			if v.Op != ir.OpTranspose && o.Op != ir.OpTranspose && last[o] < i && f.Bufs[b].Type.Equal(v.Type) {
				v.Buf = b
				break
			}
		}
		if v.Buf < 0 {
			v.Buf = len(f.Bufs)
			f.Bufs = append(f.Bufs, ir.Buffer{Type: v.Type})
			owner = append(owner, nil)
		}
		owner[v.Buf] = v
	}
	return nil
}
