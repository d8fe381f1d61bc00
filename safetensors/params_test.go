package safetensors

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/runtime"
)

// layout is that of a 3 → 4 relu → 2 network, nn.Sequential(nn.Linear(3, 4),
// nn.ReLU(), nn.Linear(4, 2)) in PyTorch: the ReLU is module 1 and has no
// parameters.
var layout = []runtime.ParamInfo{
	{Name: "W1", Torch: "0.weight", Shape: []int{4, 3}, Offset: 0},
	{Name: "B1", Torch: "0.bias", Shape: []int{4}, Offset: 12},
	{Name: "W2", Torch: "2.weight", Shape: []int{2, 4}, Offset: 16},
	{Name: "B2", Torch: "2.bias", Shape: []int{2}, Offset: 24},
}

const numParams = 26

// torchFile is the file safetensors.torch.save_file(model.state_dict(), path)
// writes for that network in float32, with the weights set to 1…12 and 21…28
// and the biases to -1…-4 and -21, -22: no metadata, names sorted, the header
// padded with spaces.
var torchFile = "\x00\x01\x00\x00\x00\x00\x00\x00" +
	`{"0.bias":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},` +
	`"0.weight":{"dtype":"F32","shape":[4,3],"data_offsets":[16,64]},` +
	`"2.bias":{"dtype":"F32","shape":[2],"data_offsets":[64,72]},` +
	`"2.weight":{"dtype":"F32","shape":[2,4],"data_offsets":[72,104]}}       ` +
	string(f32s(-1, -2, -3, -4)) +
	string(f32s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)) +
	string(f32s(-21, -22)) +
	string(f32s(21, 22, 23, 24, 25, 26, 27, 28))

// torchParams is torchFile's parameters in Params.Slice() order.
var torchParams = []float32{
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, // W1
	-1, -2, -3, -4, // B1
	21, 22, 23, 24, 25, 26, 27, 28, // W2
	-21, -22, // B2
}

func sentinel[T runtime.Float](n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = 12345
	}
	return s
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "net.safetensors")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadTorchFile(t *testing.T) {
	if n := len(torchFile) - 8 - 104; n != 0x100 {
		t.Fatalf("torchFile's header is %d bytes, its size field says %d", n, 0x100)
	}
	params := sentinel[float32](numParams)
	if err := LoadParams(writeTemp(t, []byte(torchFile)), layout, params); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(params, torchParams) {
		t.Errorf("got %v\nwant %v", params, torchParams)
	}
}

func TestSaveParams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "net.safetensors")
	if err := SaveParams(path, layout, torchParams); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// torchFile with {"format":"pt"} added, as Hugging Face's tools write it.
	want := strings.Replace(torchFile, "\x00\x01", "\x18\x01", 1)
	want = strings.Replace(want, `{"0.bias"`, `{"__metadata__":{"format":"pt"},"0.bias"`, 1)
	want = strings.Replace(want, "}}       ", "}}", 1)
	if string(got) != want {
		t.Errorf("SaveParams wrote\n%q\nwant\n%q", got, want)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p32 := make([]float32, numParams)
	p64 := make([]float64, numParams)
	for i := range numParams {
		p32[i] = float32(i) + 0.25
		p64[i] = float64(i) - 1e-300
	}
	p32[3] = math.Float32frombits(0x7fc0beef) // a NaN with a payload
	p64[5] = math.Copysign(0, -1)
	p64[7] = math.Float64frombits(0xfff0000000000123)

	path := filepath.Join(dir, "f32.safetensors")
	if err := SaveParams(path, layout, p32); err != nil {
		t.Fatal(err)
	}
	got32 := sentinel[float32](numParams)
	if err := LoadParams(path, layout, got32); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f32s(got32...), f32s(p32...)) {
		t.Errorf("float32: got %v, want %v", got32, p32)
	}

	path = filepath.Join(dir, "f64.safetensors")
	if err := SaveParams(path, layout, p64); err != nil {
		t.Fatal(err)
	}
	got64 := sentinel[float64](numParams)
	if err := LoadParams(path, layout, got64); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f64s(got64...), f64s(p64...)) {
		t.Errorf("float64: got %v, want %v", got64, p64)
	}
	file, _ := os.ReadFile(path)
	tensors, metadata, err := Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(metadata, map[string]string{"format": "pt"}) {
		t.Errorf("metadata %v", metadata)
	}
	for i, name := range []string{"0.bias", "0.weight", "2.bias", "2.weight"} {
		if tensors[i].Name != name || tensors[i].DType != "F64" {
			t.Errorf("tensor %d is %s %s, want %s F64", i, tensors[i].Name, tensors[i].DType, name)
		}
	}
	if want := f64s(p64[12:16]...); !bytes.Equal(tensors[0].Data, want) {
		t.Errorf("0.bias holds %x, want B1 = %x", tensors[0].Data, want)
	}

	// A named element type, as a user might declare.
	type weight float32
	named := sentinel[weight](numParams)
	if err := LoadParams(filepath.Join(dir, "f32.safetensors"), layout, named); err != nil || float32(named[1]) != p32[1] {
		t.Errorf("named type: %v, %v", named[1], err)
	}
}

// edit returns torchFile with the header's old replaced by new, and the
// header size adjusted.
func edit(t *testing.T, old, new string, buf []byte) []byte {
	t.Helper()
	n := 0x100
	header := torchFile[8 : 8+n]
	if !strings.Contains(header, old) {
		t.Fatalf("%q is not in the header", old)
	}
	header = strings.TrimRight(strings.Replace(header, old, new, 1), " ")
	if buf == nil {
		buf = []byte(torchFile[8+n:])
	}
	return file(header, buf)
}

func TestLoadParamsRejects(t *testing.T) {
	f64file, err := Encode([]Tensor{
		{"0.weight", "F64", []int{4, 3}, make([]byte, 96)}, {"0.bias", "F64", []int{4}, make([]byte, 32)},
		{"2.weight", "F64", []int{2, 4}, make([]byte, 64)}, {"2.bias", "F64", []int{2}, make([]byte, 16)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	extra := append([]byte(torchFile), f32s(9)...)
	extra = edit(t, `}}`, `},"4.weight":{"dtype":"F32","shape":[1],"data_offsets":[104,108]}}`, extra[8+0x100:])
	bigger := edit(t, `"2.bias":{"dtype":"F32","shape":[2]`, `"2.bias":{"dtype":"F32","shape":[1,2]`, nil)
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"float64 file", f64file, `tensor "0.weight" is F64 [4 3], but the model's W1 is F32 [4 3] (in PyTorch, save model.float().state_dict())`},
		{"half", edit(t, `"0.bias":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}`, `"0.bias":{"dtype":"BF16","shape":[8],"data_offsets":[0,16]}`, nil),
			`tensor "0.bias" is BF16 [8], but the model's B1 is F32 [4] (in PyTorch, save model.float().state_dict())`},
		{"shape", edit(t, `"shape":[4,3]`, `"shape":[3,4]`, nil), `tensor "0.weight" is F32 [3 4], but the model's W1 is F32 [4 3]`},
		{"rank", bigger, `tensor "2.bias" is F32 [1 2], but the model's B2 is F32 [2]`},
		{"missing", edit(t, `"2.bias"`, `"3.bias"`, nil), `has no tensor "2.bias" (the model's B2, F32 [2])`},
		{"extra", extra, `holds 1 tensors the model does not have ("4.weight"): it is for another network`},
		{"corrupt", []byte(torchFile[:len(torchFile)-1]), `tensor "2.weight": data_offsets [72, 104] extend past the end of the 103-byte data buffer (truncated?)`},
		{"not safetensors", []byte("GRADGEN\x00\x01\x00\x00\x00"), `header size 22031220573557319 exceeds the limit of 100000000 bytes (not a safetensors file?)`},
	}
	for _, tt := range tests {
		path := writeTemp(t, tt.file)
		params := sentinel[float32](numParams)
		err := LoadParams(path, layout, params)
		if want := "safetensors " + path + ": " + tt.want; err == nil || err.Error() != want {
			t.Errorf("%s: got error\n\t%v\nwant\n\t%s", tt.name, err, want)
		}
		if !slices.Equal(params, sentinel[float32](numParams)) {
			t.Errorf("%s: LoadParams failed but changed params", tt.name)
		}
	}

	// A float32 file into a float64 model.
	path := writeTemp(t, []byte(torchFile))
	p64 := sentinel[float64](numParams)
	if err := LoadParams(path, layout, p64); err == nil || !strings.Contains(err.Error(), `is F32 [4 3], but the model's W1 is F64 [4 3] (in PyTorch, save model.double().state_dict())`) {
		t.Errorf("float32 file into a float64 model: %v", err)
	}
	if !slices.Equal(p64, sentinel[float64](numParams)) {
		t.Errorf("LoadParams failed but changed params")
	}

	// No file.
	missing := filepath.Join(t.TempDir(), "none.safetensors")
	if err := LoadParams(missing, layout, p64); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
}

// TestLoadParamsSizeLimit checks that LoadParams reads no more of a file than
// a file of the model can hold.
func TestLoadParamsSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file one byte over the limit for a model of 26 float32s.
	if err := f.Truncate(8 + MaxHeaderSize + 4*numParams + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	err = LoadParams(path, layout, make([]float32, numParams))
	if err == nil || !strings.Contains(err.Error(), "is larger than a safetensors file of this model's 26 parameters can be (100000112 bytes)") {
		t.Errorf("got %v", err)
	}
}

func TestBadLayout(t *testing.T) {
	gap := slices.Clone(layout)
	gap[1].Offset = 13
	dup := slices.Clone(layout)
	dup[3].Torch = "2.weight"
	neg := slices.Clone(layout)
	neg[0].Shape = []int{-4, 3}
	tests := []struct {
		name   string
		layout []runtime.ParamInfo
		n      int
		want   string
	}{
		{"gap", gap, numParams, "layout: B1 starts at 13, want 12"},
		{"duplicate", dup, numParams, `layout: two parameters are named "2.weight"`},
		{"negative", neg, numParams, "layout: W1 has shape [-4 3]"},
		{"short params", layout, numParams - 1, "layout: it covers 26 parameters, but params has 25"},
	}
	path := writeTemp(t, []byte(torchFile))
	for _, tt := range tests {
		params := sentinel[float32](tt.n)
		if err := LoadParams(path, tt.layout, params); err == nil || err.Error() != "safetensors "+path+": "+tt.want {
			t.Errorf("%s: LoadParams: got %v, want %s", tt.name, err, tt.want)
		}
		if err := SaveParams(path, tt.layout, params); err == nil || err.Error() != "safetensors "+path+": "+tt.want {
			t.Errorf("%s: SaveParams: got %v, want %s", tt.name, err, tt.want)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != torchFile {
		t.Errorf("a failed SaveParams changed the file")
	}
}

func TestSaveParamsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.safetensors")
	if err := os.WriteFile(path, []byte(torchFile), 0o644); err != nil {
		t.Fatal(err)
	}
	intact := func(what string) {
		t.Helper()
		if got, err := os.ReadFile(path); err != nil || string(got) != torchFile {
			t.Errorf("%s: the previous file changed (err %v)", what, err)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "net.safetensors" && e.Name() != "sub" {
				t.Errorf("%s: %s left behind", what, e.Name())
			}
		}
	}

	// The save fails after the whole file is written, before the rename.
	writeFile = func(path string, write func(io.Writer) error) error {
		return runtime.WriteFileAtomic(path, func(w io.Writer) error {
			if err := write(w); err != nil {
				return err
			}
			return errors.New("simulated crash")
		})
	}
	err := SaveParams(path, layout, make([]float32, numParams))
	writeFile = runtime.WriteFileAtomic
	if want := "safetensors " + path + ": simulated crash"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	intact("failed save")

	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := SaveParams(sub, layout, make([]float32, numParams)); err == nil {
		t.Error("SaveParams over a directory succeeded")
	}
	intact("directory target")

	if err := SaveParams(filepath.Join(dir, "nodir", "x.safetensors"), layout, make([]float32, numParams)); err == nil {
		t.Error("SaveParams into a missing directory succeeded")
	}
	intact("missing directory")

	if err := SaveParams(path, layout, torchParams); err != nil {
		t.Fatal(err)
	}
	got := sentinel[float32](numParams)
	if err := LoadParams(path, layout, got); err != nil || !slices.Equal(got, torchParams) {
		t.Errorf("after replacing: %v, %v", got, err)
	}
}

// TestTransposedWeight: a weight kept transposed outside gradgen (ONNX's
// MatMul(x, W) layout) is read from and written to a file as [in, out],
// holding Wᵀ: the torch file's [2, 4] tensor "2.weight" is read into W2 as
// its transpose, a [4, 2] tensor of that name, and written back as it was.
func TestTransposedWeight(t *testing.T) {
	tl := slices.Clone(layout)
	tl[2] = runtime.ParamInfo{Name: "W2", Torch: "2.weight", Shape: []int{4, 2}, Offset: 16, Transposed: true}
	got := sentinel[float32](numParams)
	if err := LoadParams(writeTemp(t, []byte(torchFile)), tl, got); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(torchParams)
	copy(want[16:24], []float32{21, 25, 22, 26, 23, 27, 24, 28}) // the [2,4] file tensor transposed
	if !slices.Equal(got, want) {
		t.Errorf("loaded %v, want %v", got, want)
	}
	path := filepath.Join(t.TempDir(), "t.safetensors")
	if err := SaveParams(path, tl, got); err != nil {
		t.Fatal(err)
	}
	back := sentinel[float32](numParams)
	if err := LoadParams(path, layout, back); err != nil { // the file's own layout: [2, 4]
		t.Fatal(err)
	}
	if !slices.Equal(back, torchParams) {
		t.Errorf("saved and read untransposed: %v, want %v", back, torchParams)
	}
	// The shape a transposed weight is checked against is its transpose.
	err := LoadParams(writeTemp(t, []byte(torchFile)), []runtime.ParamInfo{
		{Name: "W1", Torch: "0.weight", Shape: []int{3, 4}, Offset: 0, Transposed: true}, layout[1], layout[2], layout[3]}, got)
	if err != nil {
		t.Errorf("a transposed [3,4] weight reads the file's [4,3] tensor: %v", err)
	}
}
