package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
)

const (
	testHash  = "0123456789abcdef"
	otherHash = "fedcba9876543210"
)

// specials32 and specials64 are values whose bits a checkpoint must keep:
// NaNs with payloads and both signs, ±0, ±Inf, subnormals, extremes.
var (
	specials32 = []float32{
		0, float32(math.Copysign(0, -1)), 1, -2.5, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xffa0beef), math.Float32frombits(0x7f800001),
		math.Float32frombits(1), math.MaxFloat32, -math.SmallestNonzeroFloat32, 0.1,
	}
	specials64 = []float64{
		0, math.Copysign(0, -1), 1, -2.5, math.Inf(1), math.Inf(-1),
		math.Float64frombits(0x7ff8000000000001), math.Float64frombits(0xfff4deadbeef0000), math.Float64frombits(0x7ff0000000000001),
		math.Float64frombits(1), math.MaxFloat64, -math.SmallestNonzeroFloat64, 0.1,
	}
)

func bits32(xs []float32) []uint32 {
	b := make([]uint32, len(xs))
	for i, x := range xs {
		b[i] = math.Float32bits(x)
	}
	return b
}

func bits64(xs []float64) []uint64 {
	b := make([]uint64, len(xs))
	for i, x := range xs {
		b[i] = math.Float64bits(x)
	}
	return b
}

// mlp is the layout of tensors of the given shapes, named as generated code
// names those of a multilayer perceptron: W1, B1, W2, … in Go, 0.weight,
// 0.bias, 2.weight, … in PyTorch.
func mlp(shapes ...[]int) []ParamInfo {
	var layout []ParamInfo
	off := 0
	for i, s := range shapes {
		p := ParamInfo{Name: fmt.Sprintf("W%d", i/2+1), Torch: fmt.Sprintf("%d.weight", i/2*2), Shape: s, Offset: off}
		if i%2 == 1 {
			p.Name, p.Torch = fmt.Sprintf("B%d", i/2+1), fmt.Sprintf("%d.bias", i/2*2)
		}
		layout = append(layout, p)
		off += p.Size()
	}
	return layout
}

// keyOf is the key of a model of the given layout and spec testHash.
func keyOf(layout []ParamInfo) *CheckpointKey { return &CheckpointKey{Layout: layout, Spec: testHash} }

// flat is the key of a model of n parameters in one tensor W1 of shape [n].
func flat(n int) *CheckpointKey { return keyOf(mlp([]int{n})) }

// key13 fits the 13 specials: W1 of shape [3 4] and B1 of shape [1].
var key13 = keyOf(mlp([]int{3, 4}, []int{1}))

func encode[T Float](t testing.TB, key *CheckpointKey, params []T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteParams(&b, key, params); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeOld returns a checkpoint of format version 1 (st nil) or 2, as the
// gradgen before version 3 wrote it. TestOldCheckpointLayout pins its bytes.
func writeOld[T Float](specHash string, params []T, st *TrainingState[T]) []byte {
	b := []byte(checkpointMagic)
	if st == nil {
		b = binary.LittleEndian.AppendUint32(b, 1)
	} else {
		b = binary.LittleEndian.AppendUint32(b, 2)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(elemSize[T]()))
	b = append(b, specHash...)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(params)))
	all := [][]T{params}
	if st != nil {
		var name [8]byte
		copy(name[:], st.Optimizer)
		b = append(b, name[:]...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(st.Buffers)))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint64(b, st.Step)
		all = append(all, st.Buffers...)
	}
	for _, s := range all {
		for _, x := range s {
			b = appendFloat(b, x)
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// reseal recomputes the checksum of a file changed on purpose.
func reseal(file []byte) []byte {
	n := len(file) - 4
	binary.LittleEndian.PutUint32(file[n:], crc32.Checksum(file[:n], castagnoli))
	return file
}

// sentinel returns n elements of a value no checkpoint in these tests holds.
func sentinel[T Float](n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = 12345
	}
	return s
}

// TestCheckpointLayout pins the bytes of a version-3 file.
func TestCheckpointLayout(t *testing.T) {
	file := encode(t, flat(2), []float32{1, -2})
	text := "float32\nW1 0.weight 2\n" // 22 bytes, then 2 of padding
	want := []byte("GRADGEN\x00")
	want = binary.LittleEndian.AppendUint32(want, 3)
	want = binary.LittleEndian.AppendUint32(want, 4)
	want = append(want, layoutHash([]byte(text))...)
	want = binary.LittleEndian.AppendUint64(want, 2)
	want = binary.LittleEndian.AppendUint32(want, uint32(len(text)))
	want = binary.LittleEndian.AppendUint32(want, 1)
	want = append(want, text...)
	want = append(want, 0, 0)
	if len(want)%8 != 0 {
		t.Fatalf("the parameters start at %d", len(want))
	}
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(1))
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(-2))
	want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	if !bytes.Equal(file, want) {
		t.Fatalf("checkpoint bytes\n got %x\nwant %x", file, want)
	}
	// The layout hash: the first 8 bytes of the SHA-256 of the text, in hex
	// (printf 'float32\nW1 0.weight 2\n' | sha256sum | cut -c1-16).
	if got, want := layoutHash([]byte(text)), "1b79b70298649307"; got != want {
		t.Errorf("layout hash %s, want %s", got, want)
	}
	// A layout text of every kind of line, as documented at WriteParams.
	key := keyOf([]ParamInfo{
		{Name: "W1", Torch: "0.weight", Shape: []int{16, 4}},
		{Name: "B1", Torch: "0.bias", Shape: []int{16}, Offset: 64},
		{Name: "Scale", Torch: "1.scale", Offset: 80},
		{Name: "Empty", Torch: "2.weight", Shape: []int{0, 10}, Offset: 81},
	})
	got, err := key.layoutText(8, 81)
	if want := "float64\nW1 0.weight 16 4\nB1 0.bias 16\nScale 1.scale\nEmpty 2.weight 0 10\n"; err != nil || string(got) != want {
		t.Errorf("layout text %q, %v; want %q", got, err, want)
	}
}

// TestOldCheckpointLayout pins writeOld, which makes the files of the
// older formats that the tests read.
func TestOldCheckpointLayout(t *testing.T) {
	want := []byte("GRADGEN\x00")
	want = binary.LittleEndian.AppendUint32(want, 1)
	want = binary.LittleEndian.AppendUint32(want, 4)
	want = append(want, testHash...)
	want = binary.LittleEndian.AppendUint64(want, 2)
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(1))
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(-2))
	want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	if file := writeOld(testHash, []float32{1, -2}, nil); !bytes.Equal(file, want) {
		t.Fatalf("version-1 bytes\n got %x\nwant %x", file, want)
	}
	v2 := writeOld(testHash, []float64{1}, &TrainingState[float64]{Optimizer: "momentum", Step: 7, Buffers: [][]float64{{2}}})
	want = []byte("GRADGEN\x00\x02\x00\x00\x00\x08\x00\x00\x000123456789abcdef\x01\x00\x00\x00\x00\x00\x00\x00momentum\x01\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00")
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(1))
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(2))
	want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(want, castagnoli))
	if !bytes.Equal(v2, want) {
		t.Fatalf("version-2 bytes\n got %x\nwant %x", v2, want)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	text := len("float32\nW1 0.weight 3 4\nB1 0.bias 1\n") // 36, and 4 of padding
	file := encode(t, key13, specials32)
	if want := 48 + text + 4 + 4*len(specials32) + 4; len(file) != want {
		t.Errorf("float32 checkpoint is %d bytes, want %d", len(file), want)
	}
	got32 := sentinel[float32](len(specials32))
	if err := ReadParams(bytes.NewReader(file), key13, got32); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bits32(got32), bits32(specials32)) {
		t.Errorf("float32 round trip\n got %x\nwant %x", bits32(got32), bits32(specials32))
	}

	file = encode(t, key13, specials64)
	if want := 48 + text + 4 + 8*len(specials64) + 4; len(file) != want {
		t.Errorf("float64 checkpoint is %d bytes, want %d", len(file), want)
	}
	got64 := sentinel[float64](len(specials64))
	if err := ReadParams(bytes.NewReader(file), key13, got64); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bits64(got64), bits64(specials64)) {
		t.Errorf("float64 round trip\n got %x\nwant %x", bits64(got64), bits64(specials64))
	}

	// Named element types, as a user might declare, and an empty network.
	type weight float32
	named := []weight{1, 2, 3}
	gotNamed := sentinel[weight](3)
	if err := ReadParams(bytes.NewReader(encode(t, flat(3), named)), flat(3), gotNamed); err != nil || !slices.Equal(gotNamed, named) {
		t.Errorf("named type: got %v, %v; want %v", gotNamed, err, named)
	}
	empty := &CheckpointKey{}
	if err := ReadParams(bytes.NewReader(encode(t, empty, []float64{})), empty, []float64{}); err != nil {
		t.Errorf("empty: %v", err)
	}
}

// TestCheckpointSpecFree: a version-3 file is keyed on the layout alone, so
// a spec that changed only its learning rate, optimizer or package name (a
// different spec hash, the same layout) loads it.
func TestCheckpointSpecFree(t *testing.T) {
	file := encode(t, key13, specials32)
	for _, spec := range []string{otherHash, ""} {
		key := &CheckpointKey{Layout: mlp([]int{3, 4}, []int{1}), Spec: spec}
		got := sentinel[float32](13)
		if err := ReadParams(bytes.NewReader(file), key, got); err != nil || !slices.Equal(bits32(got), bits32(specials32)) {
			t.Errorf("spec %q: %v, %v", spec, got, err)
		}
	}
}

// TestCheckpointOldFormats: the files of versions 1 and 2 load when their
// spec hash is key.Spec, whatever key.Layout says, and name the problem
// when it is not.
func TestCheckpointOldFormats(t *testing.T) {
	v1 := writeOld(testHash, specials32, nil)
	v2 := writeOld(testHash, specials32, &TrainingState[float32]{Optimizer: "momentum", Step: 3, Buffers: [][]float32{make([]float32, 13)}})
	for _, file := range [][]byte{v1, v2} {
		for _, key := range []*CheckpointKey{key13, flat(13)} {
			got := sentinel[float32](13)
			if err := ReadParams(bytes.NewReader(file), key, got); err != nil || !slices.Equal(bits32(got), bits32(specials32)) {
				t.Errorf("version %d: %v, %v", file[8], got, err)
			}
		}
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"spec", readErr[float32](t, v1, &CheckpointKey{Layout: key13.Layout, Spec: otherHash}, 13),
			"checkpoint: was saved by an older gradgen (format version 1) for spec 0123456789abcdef, the model's spec is fedcba9876543210: " +
				"the format before version 3 is keyed on the whole spec; load it with the gradgen that wrote it and save it again"},
		{"no spec", readErr[float32](t, v2, &CheckpointKey{Layout: key13.Layout}, 13),
			"checkpoint: was saved by an older gradgen (format version 2) for spec 0123456789abcdef, the model's key has no spec hash to compare: " +
				"the format before version 3 is keyed on the whole spec; load it with the gradgen that wrote it and save it again"},
		{"spec and count", readErr[float32](t, v1, &CheckpointKey{Layout: flat(14).Layout, Spec: otherHash}, 14),
			"checkpoint: was saved by an older gradgen (format version 1) for another network: it holds 13 parameters, the model has 14"},
		{"count", readErr[float32](t, v1, flat(14), 14), "checkpoint: holds 13 parameters, the model has 14"},
		{"dtype", readErr[float64](t, v1, key13, 13), "checkpoint: holds float32 parameters, the model is float64"},
		{"hash not hex", readErr[float32](t, reseal(bytes.Replace(slices.Clone(v1), []byte(testHash), []byte("0123456789ABCDEF"), 1)), key13, 13),
			`checkpoint: was saved by an older gradgen (format version 1) for spec "0123456789ABCDEF", the model's spec is 0123456789abcdef: ` +
				"the format before version 3 is keyed on the whole spec; load it with the gradgen that wrote it and save it again"},
	}
	for _, tt := range tests {
		if tt.err.Error() != tt.want || !errors.Is(tt.err, ErrCheckpointMismatch) {
			t.Errorf("%s: got error\n\t%s\nwant a mismatch\n\t%s", tt.name, tt.err, tt.want)
		}
	}
}

// readErr reads file into a sentinel-filled slice of n elements, checks that
// it fails and leaves the slice alone, and returns the error.
func readErr[T Float](t testing.TB, file []byte, key *CheckpointKey, n int) error {
	t.Helper()
	params := sentinel[T](n)
	err := ReadParams(bytes.NewReader(file), key, params)
	if err == nil {
		t.Fatalf("ReadParams succeeded, want an error")
	}
	if !slices.Equal(params, sentinel[T](n)) {
		t.Fatalf("ReadParams failed with %q but changed params to %v", err, params)
	}
	return err
}

func TestCheckpointMismatch(t *testing.T) {
	file := encode(t, key13, specials32)
	n := len(specials32)
	versioned := slices.Clone(file)
	versioned[8] = 7
	tests := []struct {
		name string
		err  error
		kind error
		want string
	}{
		{"dtype", readErr[float64](t, file, key13, n), ErrCheckpointMismatch,
			"checkpoint: holds float32 parameters, the model is float64"},
		{"count", readErr[float32](t, file, flat(n+1), n+1), ErrCheckpointMismatch,
			"checkpoint: was saved for another network: the file has 2 tensors (W1, B1), the model 1 (W1): " +
				"W1 (0.weight): shape [3 4] in the file, [14] in the model; B1 (0.bias) is missing from the model"},
		{"empty model", readErr[float32](t, file, &CheckpointKey{}, 0), ErrCheckpointMismatch,
			"checkpoint: was saved for another network: the file has 2 tensors (W1, B1), the model 0: " +
				"W1 (0.weight) is missing from the model; B1 (0.bias) is missing from the model"},
		{"version", readErr[float32](t, versioned, key13, n), ErrCheckpointMismatch,
			"checkpoint: format version 7, this gradgen reads versions 1 to 3"},
		{"magic", readErr[float32](t, []byte("PK\x03\x04 a zip file, say, and more than forty bytes long"), key13, n),
			ErrCorruptCheckpoint, "checkpoint: not a gradgen checkpoint (bad magic)"},
		{"short magic", readErr[float32](t, []byte("{}"), key13, n),
			ErrCorruptCheckpoint, "checkpoint: not a gradgen checkpoint (bad magic)"},
		{"trailing", readErr[float32](t, append(slices.Clone(file), 0), key13, n), ErrCorruptCheckpoint,
			"checkpoint: has trailing bytes after its 144-byte end"},
		{"bad model hash", readErr[float32](t, file, &CheckpointKey{Layout: key13.Layout, Spec: "0123456789ABCDEF"}, n), nil,
			`checkpoint: checkpoint key: spec hash "0123456789ABCDEF" is not 16 lowercase hex digits`},
		{"key of another size", readErr[float32](t, file, key13, n-1), nil,
			"checkpoint: checkpoint key: tensor 1 (\"B1\"): shape [1] reaches beyond the 12 parameters"},
		{"no key", readErr[float32](t, file, nil, n), nil, "checkpoint: no checkpoint key"},
	}
	for _, tt := range tests {
		if tt.err.Error() != tt.want {
			t.Errorf("%s: got error\n\t%s\nwant\n\t%s", tt.name, tt.err, tt.want)
		}
		if tt.kind != nil && !errors.Is(tt.err, tt.kind) {
			t.Errorf("%s: errors.Is(%q, %q) = false", tt.name, tt.err, tt.kind)
		}
		if tt.kind == nil && (errors.Is(tt.err, ErrCorruptCheckpoint) || errors.Is(tt.err, ErrCheckpointMismatch)) {
			t.Errorf("%s: %q, a mistake of the caller, is of a checkpoint kind", tt.name, tt.err)
		}
	}
}

// TestCheckpointLayoutMismatch: a file of another layout lists what
// differs, in the model's order, the first five differences.
func TestCheckpointLayoutMismatch(t *testing.T) {
	tiny := mlp([]int{16, 4}, []int{16}, []int{16, 16}, []int{16}, []int{3, 16}, []int{3})
	renamed := mlp([]int{16, 4}, []int{16}, []int{16, 16}, []int{16}, []int{3, 16}, []int{3})
	renamed[2].Name = "Hidden"
	retorched := mlp([]int{16, 4}, []int{16}, []int{8, 16}, []int{8}, []int{3, 8}, []int{3})
	retorched[1].Torch = "1.bias"
	retorched[3].Torch = "3.bias"
	swapped := []ParamInfo{
		{Name: "B1", Torch: "0.bias", Shape: []int{16}},
		{Name: "W1", Torch: "0.weight", Shape: []int{16, 4}, Offset: 16},
	}
	for _, tt := range []struct {
		name        string
		file, model []ParamInfo
		want        string
	}{
		{"shape", mlp([]int{32, 4}, []int{32}, []int{3, 32}, []int{3}), mlp([]int{16, 4}, []int{16}, []int{3, 16}, []int{3}),
			"W1 (0.weight): shape [32 4] in the file, [16 4] in the model; B1 (0.bias): shape [32] in the file, [16] in the model; " +
				"W2 (2.weight): shape [3 32] in the file, [3 16] in the model"},
		{"removed", tiny, tiny[:4],
			"the file has 6 tensors (W1 … B3), the model 4 (W1 … B2): W3 (4.weight) is missing from the model; B3 (4.bias) is missing from the model"},
		{"added", tiny[:4], tiny,
			"the file has 4 tensors (W1 … B2), the model 6 (W1 … B3): W3 (4.weight) is missing from the file; B3 (4.bias) is missing from the file"},
		{"renamed", tiny, renamed, "the file's W2 (2.weight) is Hidden (2.weight) in the model"},
		{"renamed and reshaped", mlp([]int{16, 4}), []ParamInfo{{Name: "W", Torch: "0.weight", Shape: []int{4, 16}}},
			"the file's W1 (0.weight) is W (0.weight) in the model: shape [16 4] in the file, [4 16] in the model"},
		{"PyTorch name", tiny, retorched,
			"B1 is 0.bias in the file, 1.bias in the model; W2 (2.weight): shape [16 16] in the file, [8 16] in the model; " +
				"B2: 2.bias of shape [16] in the file, 3.bias of shape [8] in the model; W3 (4.weight): shape [3 16] in the file, [3 8] in the model"},
		{"order", mlp([]int{16, 4}, []int{16}), swapped, "W1 comes before B1 in the file, after it in the model"},
		{"many", tiny, mlp([]int{8, 4}, []int{8}, []int{8, 8}, []int{8}, []int{3, 8}, []int{3, 1}),
			"W1 (0.weight): shape [16 4] in the file, [8 4] in the model; B1 (0.bias): shape [16] in the file, [8] in the model; " +
				"W2 (2.weight): shape [16 16] in the file, [8 8] in the model; B2 (2.bias): shape [16] in the file, [8] in the model; " +
				"W3 (4.weight): shape [3 16] in the file, [3 8] in the model; and 1 more"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nf, nm := size(tt.file), size(tt.model)
			file := encode(t, keyOf(tt.file), make([]float32, nf))
			err := readErr[float32](t, file, keyOf(tt.model), nm)
			want := "checkpoint: was saved for another network: " + tt.want
			if !errors.Is(err, ErrCheckpointMismatch) || err.Error() != want {
				t.Errorf("got\n\t%v\nwant\n\t%s", err, want)
			}
		})
	}

	// Another dtype is said first, with the other differences after it.
	file := encode(t, flat(4), []float32{1, 2, 3, 4})
	err := readErr[float64](t, file, flat(4), 4)
	if want := "checkpoint: holds float32 parameters, the model is float64"; err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	err = readErr[float64](t, file, keyOf(mlp([]int{2, 2})), 4)
	if want := "checkpoint: holds float32 parameters, the model is float64, and was saved for another network: " +
		"W1 (0.weight): shape [4] in the file, [2 2] in the model"; err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// size is the number of parameters of a layout.
func size(layout []ParamInfo) int {
	n := 0
	for _, p := range layout {
		n += p.Size()
	}
	return n
}

// v3 builds a version-3 file from its fields, with a valid checksum.
func v3(dtype uint32, hash string, count uint64, text string, pad []byte, contents uint32, state, data []byte) []byte {
	b := []byte(checkpointMagic)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint32(b, dtype)
	b = append(b, hash...)
	b = binary.LittleEndian.AppendUint64(b, count)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(text)))
	b = binary.LittleEndian.AppendUint32(b, contents)
	b = append(b, text...)
	b = append(b, pad...)
	b = append(b, state...)
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// TestCheckpointInconsistent: a file whose checksum holds but whose
// declarations contradict each other is corrupt.
func TestCheckpointInconsistent(t *testing.T) {
	good := "float32\nW1 0.weight 2\n"
	h := layoutHash([]byte(good))
	data := make([]byte, 8)
	if err := ReadParams(bytes.NewReader(v3(4, h, 2, good, []byte{0, 0}, 1, nil, data)), flat(2), make([]float32, 2)); err != nil {
		t.Fatalf("the well-formed file: %v", err)
	}
	text := func(s string) []byte {
		return v3(4, layoutHash([]byte(s)), 2, s, make([]byte, pad8(len(s))), 1, nil, data)
	}
	for _, tt := range []struct {
		name string
		file []byte
		want string
	}{
		{"hash", v3(4, otherHash, 2, good, []byte{0, 0}, 1, nil, data), `its layout hash "fedcba9876543210" is not that of its layout text, ` + h},
		{"padding", v3(4, h, 2, good, []byte{0, 1}, 1, nil, data), "the padding after its layout text is not zero"},
		{"contents", v3(4, h, 2, good, []byte{0, 0}, 3, nil, data), "unknown contents code 3 (want 1 for parameters or 2 for a training state)"},
		{"dtype", text("float64\nW1 0.weight 2\n"), "its layout text is of float64, its header of float32"},
		{"count", text("float32\nW1 0.weight 3\n"), "its layout text has 3 parameters, its header 2"},
		{"no newline", text("float32\nW1 0.weight 2"), "its layout text does not end with a newline"},
		{"no dtype", text("W1 0.weight 2\n"), `its layout text starts with "W1 0.weight 2", not a dtype`},
		{"leading zero", text("float32\nW1 0.weight 02\n"), `line 2 of its layout text: dimension "02" is not a decimal number in canonical form`},
		{"sign", text("float32\nW1 0.weight +2\n"), `line 2 of its layout text: dimension "+2" is not a decimal number in canonical form`},
		{"two spaces", text("float32\nW1  0.weight 2\n"), "line 2 of its layout text: empty name"},
		{"one name", text("float32\nW1\n"), `line 2 of its layout text: "W1" is not a name, a PyTorch name and a shape`},
		{"twice", text("float32\nW1 0.weight 1\nW1 0.bias 1\n"), "line 3 of its layout text: a second tensor W1"},
		{"huge", text("float32\nW1 0.weight 4294967296 4294967296\n"), "line 2 of its layout text: the shape of W1 has more than 2^63 elements"},
		{"huge total", text("float32\nW1 0.weight 9223372036854775807\nB1 0.bias 1\n"), "line 3 of its layout text: the tensors hold more than 2^63 elements"},
		{"not UTF-8", text("float32\nW\xff 0.weight 2\n"), `line 2 of its layout text: name "W\xff" is not UTF-8`},
		{"control", text("float32\nW\t1 0.weight 2\n"), `line 2 of its layout text: name "W\t1" holds a space or control character`},
	} {
		err := readErr[float32](t, tt.file, flat(2), 2)
		if want := "checkpoint: " + tt.want; !errors.Is(err, ErrCorruptCheckpoint) || err.Error() != want {
			t.Errorf("%s: got\n\t%v\nwant corruption\n\t%s", tt.name, err, want)
		}
	}
}

func TestCheckpointTruncated(t *testing.T) {
	files := [][]byte{encode(t, key13, specials32), encode(t, key13, specials64), writeOld(testHash, specials32, nil)}
	for k, file := range files {
		n := len(specials32)
		for size := range len(file) {
			var err error
			if k == 1 {
				err = readErr[float64](t, file[:size], key13, n)
			} else {
				err = readErr[float32](t, file[:size], key13, n)
			}
			if !errors.Is(err, ErrCorruptCheckpoint) || !strings.Contains(err.Error(), "is truncated") {
				t.Errorf("%d of %d bytes: got %q, want a truncation error", size, len(file), err)
			}
		}
	}
	for _, tt := range []struct {
		size int
		want string
	}{
		{20, "is truncated (20 bytes, shorter than the 40-byte header)"},
		{44, "is truncated (44 bytes, shorter than its 48-byte header)"},
		{60, "is truncated (60 bytes, shorter than its 88-byte header)"},
		{100, "is truncated (100 bytes, want 144)"},
		{142, "is truncated (142 bytes, want 144)"},
	} {
		err := readErr[float32](t, files[0][:tt.size], key13, len(specials32))
		if want := "checkpoint: " + tt.want; err.Error() != want {
			t.Errorf("got %q, want %q", err, want)
		}
	}
}

// TestCheckpointFlippedByte flips every bit pattern of every byte of a
// file of version 3 and one of version 1. The whole file is verified
// before its header is judged, so each flip reads as corruption, except in
// the version field, which is checked first: the layout after it may differ
// in another version.
func TestCheckpointFlippedByte(t *testing.T) {
	for _, file := range [][]byte{encode(t, key13, specials64), writeOld(testHash, specials64, nil)} {
		n := len(specials64)
		for i := range file {
			for mask := 1; mask < 256; mask++ {
				bad := slices.Clone(file)
				bad[i] ^= byte(mask)
				err := readErr[float64](t, bad, key13, n)
				kind := ErrCorruptCheckpoint
				if v := binary.LittleEndian.Uint32(bad[8:]); 8 <= i && i < 12 && (v < 1 || v > 3) {
					kind = ErrCheckpointMismatch // an unknown version; the others read on, into corruption
				}
				if !errors.Is(err, kind) {
					t.Fatalf("version %d, byte %d ^ %#x: got %q, want %v", file[8], i, mask, err, kind)
				}
				if 16 <= i && i < 32 && err.Error() != "checkpoint: checksum mismatch: the file is corrupted" {
					t.Errorf("version %d, byte %d ^ %#x (hash): got %q, want a checksum mismatch", file[8], i, mask, err)
				}
			}
		}
	}
}

// allocs returns the bytes f allocates.
func allocs(f func()) uint64 {
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	f()
	goruntime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestCheckpointHostileCount checks that a huge declared count or layout
// text allocates nothing for it, whether it overflows a file size or not.
func TestCheckpointHostileCount(t *testing.T) {
	for _, version := range []int{1, 3} {
		for _, count := range []uint64{1 << 62, 1 << 40, math.MaxUint64} {
			file := encode(t, flat(2), []float32{1, 2})
			if version == 1 {
				file = writeOld(testHash, []float32{1, 2}, nil)
			}
			binary.LittleEndian.PutUint64(file[32:], count)
			params := []float32{7, 7}
			var err error
			if n := allocs(func() { err = ReadParams(bytes.NewReader(file), flat(2), params) }); n > 1<<16 {
				t.Errorf("version %d, count %d: ReadParams allocated %d bytes", version, count, n)
			}
			if !errors.Is(err, ErrCorruptCheckpoint) {
				t.Errorf("version %d, count %d: got %v, want a corrupt-checkpoint error", version, count, err)
			}
		}
	}
	for _, tt := range []struct {
		length uint32
		want   string
	}{
		{math.MaxUint32, "checkpoint: declares a layout text of 4294967295 bytes, more than the 1048576 a layout may have"},
		{maxLayoutText + 1, "checkpoint: declares a layout text of 1048577 bytes, more than the 1048576 a layout may have"},
		{maxLayoutText, "checkpoint: is truncated (84 bytes, shorter than its 1048624-byte header)"},
	} {
		file := encode(t, flat(2), []float32{1, 2})
		binary.LittleEndian.PutUint32(file[40:], tt.length)
		var err error
		if n := allocs(func() { err = ReadParams(bytes.NewReader(file), flat(2), []float32{7, 7}) }); n > 1<<16 {
			t.Errorf("layout text of %d bytes: ReadParams allocated %d bytes", tt.length, n)
		}
		if !errors.Is(err, ErrCorruptCheckpoint) || err.Error() != tt.want {
			t.Errorf("layout text of %d bytes: got %v, want %s", tt.length, err, tt.want)
		}
	}
}

func TestWriteParamsBadKey(t *testing.T) {
	var b bytes.Buffer
	for _, h := range []string{"0123456789abcde", "0123456789abcdef0", "0123456789abcdeg"} {
		if err := WriteParams(&b, &CheckpointKey{Layout: flat(1).Layout, Spec: h}, []float32{1}); err == nil {
			t.Errorf("WriteParams with spec hash %q succeeded", h)
		}
	}
	for _, tt := range []struct {
		key  *CheckpointKey
		want string
	}{
		{nil, "checkpoint: no checkpoint key"},
		{flat(3), "checkpoint: checkpoint key: tensor 0 (\"W1\"): shape [3] reaches beyond the 2 parameters"},
		{flat(1), "checkpoint: checkpoint key: the layout covers 1 parameters, the model has 2"},
		{keyOf([]ParamInfo{{Name: "W 1", Torch: "0.weight", Shape: []int{2}}}), `checkpoint: checkpoint key: tensor 0 ("W 1"): Name: name "W 1" holds a space or control character`},
		{keyOf([]ParamInfo{{Name: "W1", Shape: []int{2}}}), `checkpoint: checkpoint key: tensor 0 ("W1"): Torch: empty name`},
		{keyOf([]ParamInfo{{Name: "W1", Torch: "0.weight", Shape: []int{-1, -2}}}), `checkpoint: checkpoint key: tensor 0 ("W1"): negative dimension in shape [-1 -2]`},
		{keyOf([]ParamInfo{{Name: "W1", Torch: "0.weight", Shape: []int{1}}, {Name: "W1", Torch: "0.bias", Shape: []int{1}, Offset: 1}}),
			`checkpoint: checkpoint key: tensor 1 ("W1"): a second tensor of that name`},
		{keyOf([]ParamInfo{{Name: "W1", Torch: "0.weight", Shape: []int{1}}, {Name: "B1", Torch: "0.bias", Shape: []int{1}}}),
			`checkpoint: checkpoint key: tensor 1 ("B1"): Offset 0, want 1 (the sum of the sizes before it)`},
		{keyOf([]ParamInfo{{Name: "W1", Torch: "0.weight", Shape: []int{math.MaxInt, math.MaxInt}}}),
			`checkpoint: checkpoint key: tensor 0 ("W1"): shape [9223372036854775807 9223372036854775807] reaches beyond the 2 parameters`},
	} {
		if err := WriteParams(&b, tt.key, []float32{1, 2}); err == nil || err.Error() != tt.want {
			t.Errorf("got %v, want %s", err, tt.want)
		}
	}
	long := &CheckpointKey{Layout: []ParamInfo{{Name: strings.Repeat("W", maxLayoutText), Torch: "0.weight", Shape: []int{1}}}}
	if err := WriteParams(&b, long, []float32{1}); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("a layout text beyond 1 MiB: %v", err)
	}
}

// tempFiles lists the files in dir other than want.
func tempFiles(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range entries {
		if !slices.Contains(want, e.Name()) {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestSaveLoadParams(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.ckpt")
	if err := SaveParams(path, key13, specials32); err != nil {
		t.Fatal(err)
	}
	if err := SaveParams(path, flat(3), specials32[:3]); err != nil { // over an existing file
		t.Fatal(err)
	}
	got := sentinel[float32](3)
	if err := LoadParams(path, flat(3), got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bits32(got), bits32(specials32[:3])) {
		t.Errorf("got %v, want %v", got, specials32[:3])
	}
	if extra := tempFiles(t, dir, "net.ckpt"); extra != nil {
		t.Errorf("files left behind: %v", extra)
	}

	got = sentinel[float32](4)
	err := LoadParams(path, flat(4), got)
	if want := "checkpoint " + path + ": was saved for another network: W1 (0.weight): shape [3] in the file, [4] in the model"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if !slices.Equal(got, sentinel[float32](4)) {
		t.Errorf("failed LoadParams changed params to %v", got)
	}
	missing := filepath.Join(dir, "missing.ckpt")
	if err := LoadParams(missing, flat(4), got); err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadParams of a missing file: got %v", err)
	}
}

func TestSaveParamsFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.ckpt")
	if err := SaveParams(path, key13, specials64); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	intact := func(what string) {
		t.Helper()
		if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, old) {
			t.Errorf("%s: the previous checkpoint changed (err %v)", what, err)
		}
		if extra := tempFiles(t, dir, "net.ckpt", "sub"); extra != nil {
			t.Errorf("%s: files left behind: %v", what, extra)
		}
	}

	// The rename, the last step, fails: an interrupted save.
	rename = func(string, string) error { return errors.New("simulated crash") }
	err = SaveParams(path, flat(3), []float64{1, 2, 3})
	rename = os.Rename
	if want := "checkpoint " + path + ": simulated crash"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	intact("failed rename")

	// A key that does not describe the parameters fails while writing the
	// temporary file.
	if err := SaveParams(path, flat(2), []float64{1}); err == nil {
		t.Error("SaveParams with a key of another size succeeded")
	}
	intact("bad key")

	// A real rename failure: the target is a directory.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := SaveParams(sub, flat(1), []float64{1}); err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("SaveParams over a directory: got %v", err)
	}
	intact("directory target")

	// The directory does not exist.
	if err := SaveParams(filepath.Join(dir, "nodir", "net.ckpt"), flat(1), []float64{1}); err == nil {
		t.Error("SaveParams into a missing directory succeeded")
	}
	intact("missing directory")
}

// FuzzReadCheckpoint reads arbitrary bytes as a checkpoint of parameters
// and of a training state: no panic, an error of a checkpoint kind, and
// nothing changed on error. go test runs the seeds only; run it with
// go test -fuzz FuzzReadCheckpoint ./runtime.
func FuzzReadCheckpoint(f *testing.F) {
	st := func() *TrainingState[float32] {
		return &TrainingState[float32]{Optimizer: "adam", Step: 9, Buffers: [][]float32{sentinel[float32](13), sentinel[float32](13)}, Hyper: &Hyperparams{LR: 7}}
	}
	adam := &TrainingState[float32]{Optimizer: "adam", Step: 4, Buffers: [][]float32{specials32, specials32}, Hyper: &Hyperparams{LR: 0.1, Beta1: 0.9, Schedule: Schedule{Kind: Cosine, TMax: 10}}}
	var state bytes.Buffer
	if err := WriteState(&state, key13, specials32, adam); err != nil {
		f.Fatal(err)
	}
	f.Add(encode(f, key13, specials32))
	f.Add(state.Bytes())
	f.Add(writeOld(testHash, specials32, nil))
	f.Add(writeOld(testHash, specials32, adam))
	f.Add(encode(f, flat(13), specials32))
	f.Add([]byte("GRADGEN\x00"))
	f.Fuzz(func(t *testing.T, file []byte) {
		params := sentinel[float32](13)
		err := ReadParams(bytes.NewReader(file), key13, params)
		if err != nil && !slices.Equal(params, sentinel[float32](13)) {
			t.Fatalf("ReadParams failed with %q but changed params", err)
		}
		if err != nil && !errors.Is(err, ErrCorruptCheckpoint) && !errors.Is(err, ErrCheckpointMismatch) {
			t.Fatalf("ReadParams: %q is of no checkpoint kind", err)
		}
		params = sentinel[float32](13)
		into := st()
		err = ReadState(bytes.NewReader(file), key13, params, into)
		if err != nil && (!slices.Equal(params, sentinel[float32](13)) || into.Step != 9 || *into.Hyper != (Hyperparams{LR: 7}) ||
			!slices.Equal(into.Buffers[0], sentinel[float32](13)) || !slices.Equal(into.Buffers[1], sentinel[float32](13))) {
			t.Fatalf("ReadState failed with %q but changed the model", err)
		}
		if err != nil && !errors.Is(err, ErrCorruptCheckpoint) && !errors.Is(err, ErrCheckpointMismatch) {
			t.Fatalf("ReadState: %q is of no checkpoint kind", err)
		}
	})
}
