package safetensors

import (
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/gradgen/gradgen/runtime"
)

// SaveParams writes a generated model's parameters with PyTorch nn.Sequential
// names (layout[i].Torch), atomically (temp file + rename). The tensors are
// F32 for a float32 model and F64 for a float64 one, and the metadata is
// {"format": "pt"}, which Hugging Face's loaders expect of PyTorch weights.
// In PyTorch, model.load_state_dict(safetensors.torch.load_file(path)) reads
// the file into the nn.Sequential the spec describes.
func SaveParams[T runtime.Float](path string, layout []runtime.ParamInfo, params []T) error {
	if err := checkLayout(layout, len(params)); err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	size := elemSize[T]()
	raw := make([]byte, 0, len(params)*size)
	for _, p := range params {
		if size == 4 {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(p)))
		} else {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(float64(p)))
		}
	}
	tensors := make([]Tensor, len(layout))
	for i, p := range layout {
		data := raw[p.Offset*size : (p.Offset+p.Size())*size]
		if p.Transposed {
			data = transpose(data, p.Shape, size)
		}
		tensors[i] = Tensor{Name: p.Torch, DType: dtype[T](), Shape: fileShape(p), Data: data}
	}
	head, order, err := prepare(tensors, map[string]string{"format": "pt"})
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	err = writeFile(path, func(w io.Writer) error {
		if _, err := w.Write(head); err != nil {
			return err
		}
		for _, t := range order {
			if _, err := w.Write(t.Data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	return nil
}

// LoadParams reads parameters saved by PyTorch
// (safetensors.torch.save_file(model.state_dict(), path)) or by SaveParams
// into params, all or nothing. Every tensor of layout must be present with
// the right shape and the model's dtype (F32 for float32 models, F64 for
// float64): a mismatch is an error naming the tensor, both dtypes and both
// shapes. It is strict: a tensor the layout does not name is an error too,
// since it means another network, and no dtype is converted. The metadata is
// ignored. On any error params are unchanged.
func LoadParams[T runtime.Float](path string, layout []runtime.ParamInfo, params []T) error {
	if err := loadParams(path, layout, params); err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	return nil
}

func loadParams[T runtime.Float](path string, layout []runtime.ParamInfo, params []T) error {
	if err := checkLayout(layout, len(params)); err != nil {
		return err
	}
	size := elemSize[T]()
	// No file of this model is larger, so reading stops there.
	limit := 8 + MaxHeaderSize + int64(len(params))*int64(size)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tooLarge := fmt.Errorf("is larger than a safetensors file of this model's %d parameters can be (%d bytes)", len(params), limit)
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return tooLarge
	}
	file, err := io.ReadAll(io.LimitReader(f, limit+1)) // the limit holds if the file grows
	if err != nil {
		return err
	}
	if int64(len(file)) > limit {
		return tooLarge
	}
	tensors, _, err := decode(file)
	if err != nil {
		return err
	}

	byName := make(map[string]Tensor, len(tensors))
	for _, t := range tensors {
		byName[t.Name] = t
	}
	want := dtype[T]()
	data := make([][]byte, len(layout))
	for i, p := range layout {
		t, ok := byName[p.Torch]
		if !ok {
			return fmt.Errorf("has no tensor %q (the model's %s, %s %v)", p.Torch, p.Name, want, p.Shape)
		}
		shape := fileShape(p)
		if t.DType != want || !slices.Equal(t.Shape, shape) {
			hint := ""
			if t.DType != want {
				hint = " (in PyTorch, save model.float().state_dict())"
				if want == "F64" {
					hint = " (in PyTorch, save model.double().state_dict())"
				}
			}
			return fmt.Errorf("tensor %q is %s %v, but the model's %s is %s %v%s", p.Torch, t.DType, t.Shape, p.Name, want, shape, hint)
		}
		data[i] = t.Data
		if p.Transposed {
			data[i] = transpose(t.Data, shape, size)
		}
		delete(byName, p.Torch)
	}
	if len(byName) > 0 {
		var names []string
		for _, name := range slices.Sorted(maps.Keys(byName)) {
			if len(names) == 5 {
				names = append(names, "...")
				break
			}
			names = append(names, strconv.Quote(name))
		}
		return fmt.Errorf("holds %d tensors the model does not have (%s): it is for another network", len(byName), strings.Join(names, ", "))
	}

	for i, p := range layout {
		dst := params[p.Offset : p.Offset+p.Size()]
		for j := range dst {
			if size == 4 {
				dst[j] = T(math.Float32frombits(binary.LittleEndian.Uint32(data[i][4*j:])))
			} else {
				dst[j] = T(math.Float64frombits(binary.LittleEndian.Uint64(data[i][8*j:])))
			}
		}
	}
	return nil
}

// fileShape is p's shape in a file: [in, out] for a weight kept
// transposed outside gradgen, else p.Shape.
func fileShape(p runtime.ParamInfo) []int {
	if p.Transposed && len(p.Shape) == 2 {
		return []int{p.Shape[1], p.Shape[0]}
	}
	return p.Shape
}

// transpose returns a copy of the row-major matrix data, of the given
// shape [rows, cols] and elements of size bytes, transposed.
func transpose(data []byte, shape []int, size int) []byte {
	if len(shape) != 2 {
		return data
	}
	rows, cols := shape[0], shape[1]
	out := make([]byte, len(data))
	for r := range rows {
		for c := range cols {
			copy(out[(c*rows+r)*size:(c*rows+r+1)*size], data[(r*cols+c)*size:])
		}
	}
	return out
}

// checkLayout checks that layout tiles a parameter slice of length n in
// order, and that its PyTorch names are distinct.
func checkLayout(layout []runtime.ParamInfo, n int) error {
	offset := 0
	seen := make(map[string]bool)
	for _, p := range layout {
		switch {
		case slices.ContainsFunc(p.Shape, func(d int) bool { return d < 0 }):
			return fmt.Errorf("layout: %s has shape %v", p.Name, p.Shape)
		case p.Offset != offset:
			return fmt.Errorf("layout: %s starts at %d, want %d", p.Name, p.Offset, offset)
		case seen[p.Torch]:
			return fmt.Errorf("layout: two parameters are named %q", p.Torch)
		}
		seen[p.Torch] = true
		offset += p.Size()
	}
	if offset != n {
		return fmt.Errorf("layout: it covers %d parameters, but params has %d", offset, n)
	}
	return nil
}

// writeFile saves atomically through the runtime's writer; tests replace it
// to make a save fail half-way.
var writeFile = runtime.WriteFileAtomic

// elemSize is the size of T in bytes: 4 or 8.
func elemSize[T runtime.Float]() int {
	var x T
	return int(unsafe.Sizeof(x))
}

// dtype is the safetensors dtype of T.
func dtype[T runtime.Float]() string {
	if elemSize[T]() == 4 {
		return "F32"
	}
	return "F64"
}
