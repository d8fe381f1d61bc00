package safetensors

import (
	"bytes"
	"encoding/binary"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// Files written by the reference implementation, from its own tests
// (safetensors/src/tensor.rs: test_serialization,
// test_serialization_forced_alignement, test_empty).
var reference = []struct {
	name     string
	tensors  []Tensor
	metadata map[string]string
	file     string
}{
	{
		"attn.0", []Tensor{{"attn.0", "F32", []int{1, 2, 3}, f32s(0, 1, 2, 3, 4, 5)}}, nil,
		"\x40\x00\x00\x00\x00\x00\x00\x00" +
			`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}` +
			"\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40\x00\x00\xa0\x40",
	},
	{
		"padded", []Tensor{{"attn0", "F32", []int{1, 1, 2, 3}, f32s(0, 1, 2, 3, 4, 5)}}, nil,
		"\x48\x00\x00\x00\x00\x00\x00\x00" +
			`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ` +
			"\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40\x00\x00\xa0\x40",
	},
	{
		"empty", []Tensor{}, nil,
		"\x08\x00\x00\x00\x00\x00\x00\x00" + `{}      `,
	},
	{
		"metadata only", []Tensor{}, map[string]string{"framework": "pt"},
		"\x28\x00\x00\x00\x00\x00\x00\x00" + `{"__metadata__":{"framework":"pt"}}     `,
	},
}

// twoTensors64 is a hand-made float64 file: metadata, two tensors, a header
// padded with spaces.
const twoTensors64 = "\xa8\x00\x00\x00\x00\x00\x00\x00" +
	`{"__metadata__":{"format":"pt","note":"two tensors"},` +
	`"b":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},` +
	`"w":{"dtype":"F64","shape":[2,1],"data_offsets":[16,32]}}    ` +
	"\x00\x00\x00\x00\x00\x00\xe0\x3f\x00\x00\x00\x00\x00\x00\xf0\xbf" + // b = 0.5, -1
	"\x00\x00\x00\x00\x00\x00\x00\x40\x9c\x75\x00\x88\x3c\xe4\x37\x7e" //  w = 2, 1e300

// otherWriter is a file from a writer that orders its header as it likes and
// puts whitespace in it: w's data come first although b is listed first.
const otherWriter = "\x80\x00\x00\x00\x00\x00\x00\x00" +
	"{ \"b\" : {\"shape\": [2], \"data_offsets\": [4, 12], \"dtype\": \"F32\"},\n" +
	"\t\"w\": {\"data_offsets\": [0, 4], \"dtype\": \"F32\", \"shape\": []}}\n  " +
	"\x00\x00\x80\x3f" + // w = 1
	"\x00\x00\x00\x40\x00\x00\x40\x40" // b = 2, 3

func f32s(xs ...float32) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func f64s(xs ...float64) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// equal compares tensors, treating nil and empty slices alike.
func equal(a, b []Tensor) bool {
	return slices.EqualFunc(a, b, func(x, y Tensor) bool {
		return x.Name == y.Name && x.DType == y.DType && slices.Equal(x.Shape, y.Shape) && bytes.Equal(x.Data, y.Data)
	})
}

func TestReferenceFiles(t *testing.T) {
	for _, r := range reference {
		file, err := Encode(r.tensors, r.metadata)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if string(file) != r.file {
			t.Errorf("%s: Encode\n got %q\nwant %q", r.name, file, r.file)
		}
		tensors, metadata, err := Decode([]byte(r.file))
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if !equal(tensors, r.tensors) || !maps.Equal(metadata, r.metadata) {
			t.Errorf("%s: Decode gave %v %v, want %v %v", r.name, tensors, metadata, r.tensors, r.metadata)
		}
	}
}

func TestDecodeFixtures(t *testing.T) {
	tensors, metadata, err := Decode([]byte(twoTensors64))
	if err != nil {
		t.Fatal(err)
	}
	want := []Tensor{{"b", "F64", []int{2}, f64s(0.5, -1)}, {"w", "F64", []int{2, 1}, f64s(2, 1e300)}}
	if !equal(tensors, want) {
		t.Errorf("got %v, want %v", tensors, want)
	}
	if wantMeta := map[string]string{"format": "pt", "note": "two tensors"}; !maps.Equal(metadata, wantMeta) {
		t.Errorf("metadata %v, want %v", metadata, wantMeta)
	}
	if file, err := Encode(want, metadata); err != nil || string(file) != twoTensors64 {
		t.Errorf("Encode: %v\n got %q\nwant %q", err, file, twoTensors64)
	}

	tensors, metadata, err = Decode([]byte(otherWriter))
	if err != nil {
		t.Fatal(err)
	}
	want = []Tensor{{"w", "F32", []int{}, f32s(1)}, {"b", "F32", []int{2}, f32s(2, 3)}}
	if !equal(tensors, want) || metadata != nil {
		t.Errorf("got %v %v, want %v and no metadata", tensors, metadata, want)
	}
}

func TestRoundTrip(t *testing.T) {
	tensors := []Tensor{
		{"z.scalar", "F64", []int{}, f64s(math.Pi)},
		{"a.half", "F16", []int{3}, []byte{1, 2, 3, 4, 5, 6}},
		{"m.ids", "I64", []int{2}, make([]byte, 16)},
		{"b.mask", "BOOL", []int{3, 1}, []byte{1, 0, 1}},
		{"c.fp4", "F4", []int{2, 3}, []byte{0x12, 0x34, 0x56}},
		{"d.empty", "F32", []int{0, 5}, nil},
		{"e.weight", "F32", []int{2, 2}, f32s(1, float32(math.NaN()), float32(math.Inf(-1)), float32(math.Copysign(0, -1)))},
		{"名前 <&>", "BF16", []int{1}, []byte{0x80, 0x3f}},
	}
	metadata := map[string]string{"format": "pt", "quote\"": "line\nbreak"}
	file, err := Encode(tensors, metadata)
	if err != nil {
		t.Fatal(err)
	}
	// The output does not depend on the order of the tensors.
	shuffled := slices.Clone(tensors)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if again, err := Encode(shuffled, metadata); err != nil || !bytes.Equal(again, file) {
		t.Errorf("Encode of shuffled tensors differs (err %v)", err)
	}
	got, gotMeta, err := Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	// Sorted by descending element size, then by name.
	wantOrder := []string{"m.ids", "z.scalar", "d.empty", "e.weight", "a.half", "名前 <&>", "b.mask", "c.fp4"}
	var names []string
	for _, g := range got {
		names = append(names, g.Name)
	}
	if !slices.Equal(names, wantOrder) {
		t.Errorf("tensor order %q, want %q", names, wantOrder)
	}
	slices.SortFunc(got, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(tensors, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
	if !equal(got, tensors) || !maps.Equal(gotMeta, metadata) {
		t.Errorf("round trip\n got %v %v\nwant %v %v", got, gotMeta, tensors, metadata)
	}
	// Every tensor's data is aligned to its element size within the file.
	n := binary.LittleEndian.Uint64(file)
	if n%8 != 0 {
		t.Errorf("header size %d is not a multiple of 8", n)
	}
	for _, g := range got {
		if size := dtypeBits[g.DType] / 8; size > 0 && len(g.Data) > 0 {
			offset := uint64(uintptr(unsafe.Pointer(&g.Data[0])) - uintptr(unsafe.Pointer(&file[0]))) // Data aliases file
			if offset%size != 0 {
				t.Errorf("tensor %q starts at offset %d, not a multiple of %d", g.Name, offset, size)
			}
		}
	}
}

// file builds a safetensors file from a header and a buffer.
func file(header string, buf []byte) []byte {
	return append(append(binary.LittleEndian.AppendUint64(nil, uint64(len(header))), header...), buf...)
}

func TestDecodeRejects(t *testing.T) {
	a4 := `"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "the file is 3 bytes, too short for the 8-byte header size (truncated?)"},
		{"hostile size", binary.LittleEndian.AppendUint64(nil, 1<<62), "header size 4611686018427387904 exceeds the limit of 100000000 bytes"},
		{"size past end", append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...), "the header of 100 bytes extends past the end of the 10-byte file (truncated?)"},
		{"utf-8", file("{\"\xff\":1}", nil), "the header is not valid UTF-8"},
		{"array", file(`[]`, nil), "the header is not a JSON object"},
		{"null", file(`null`, nil), "the header is not a JSON object"},
		{"empty header", file(``, nil), "the header is not valid JSON: it ends early"},
		{"unclosed", file(`{"a":{"dtype":"F32"`, nil), "the header is not valid JSON: it ends early"},
		{"syntax", file(`{"a" 1}`, nil), "the header is not valid JSON"},
		{"trailing comma", file(`{`+a4+`,}`, f32s(1)), "the header is not valid JSON"},
		{"two values", file(`{} {}`, nil), "the header has data after its JSON object"},
		{"garbage after", file(`{}x`, nil), "the header has data after its JSON object"},
		{"duplicate tensor", file(`{`+a4+`,`+a4+`}`, f32s(1)), `the header has "a" twice`},
		{"duplicate metadata", file(`{"__metadata__":{},"__metadata__":{}}`, nil), `the header has "__metadata__" twice`},
		{"duplicate metadata key", file(`{"__metadata__":{"k":"1","k":"2"}}`, nil), `__metadata__ has "k" twice`},
		{"duplicate field", file(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32s(1)), `tensor "a" has "dtype" twice`},
		{"metadata array", file(`{"__metadata__":["x"]}`, nil), "__metadata__ is not a JSON object"},
		{"metadata number", file(`{"__metadata__":{"k":1}}`, nil), `__metadata__ "k" is not a string`},
		{"metadata null", file(`{"__metadata__":{"k":null}}`, nil), `__metadata__ "k" is not a string`},
		{"tensor not object", file(`{"a":[1]}`, nil), `tensor "a" is not a JSON object`},
		{"unknown field", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"offsets":[0,4]}}`, f32s(1)), `tensor "a" has an unknown key "offsets" (want dtype, shape and data_offsets)`},
		{"missing field", file(`{"a":{"dtype":"F32","shape":[1]}}`, f32s(1)), `tensor "a" lacks dtype, shape or data_offsets`},
		{"dtype number", file(`{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, f32s(1)), `tensor "a" dtype is not a string`},
		{"unknown dtype", file(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, make([]byte, 16)), `tensor "a": unknown dtype "F128"`},
		{"lower-case dtype", file(`{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, f32s(1)), `tensor "a": unknown dtype "f32"`},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, f32s(1)), `tensor "a" shape is not an array of integers >= 0`},
		{"fractional dim", file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, f32s(1)), `tensor "a" shape is not an array of integers >= 0`},
		{"string dim", file(`{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, f32s(1)), `tensor "a" shape is not an array of integers >= 0`},
		{"null shape", file(`{"a":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, f32s(1)), `tensor "a" shape is not an array of integers >= 0`},
		{"three offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, f32s(1)), `tensor "a" data_offsets has 3 numbers, want 2`},
		{"huge offset", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}`, f32s(1)), `tensor "a" data_offsets is not two integers >= 0`},
		{"reversed offsets", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, f32s(1)), `tensor "a": data_offsets [4, 0] end before they begin`},
		{"past buffer", file(`{`+a4+`}`, []byte{0, 0}), `tensor "a": data_offsets [0, 4] extend past the end of the 2-byte data buffer (truncated?)`},
		{"wrong size", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, f32s(1)), `tensor "a": F32 [2] takes 8 bytes, but data_offsets [0, 4] span 4`},
		{"overflow", file(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, f64s(1)), `tensor "a": shape [4294967296 4294967296] of F64 is too large`},
		{"half byte", file(`{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`, []byte{1, 2}), `tensor "a": shape [3] of F4 is not a whole number of bytes`},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32s(1, 2, 3)),
			`tensor "b": data_offsets [4, 12] overlap those of tensor "a"`},
		{"same data", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32s(1)),
			`data_offsets [0, 4] overlap those of tensor`},
		{"hole", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, f32s(1, 2, 3)),
			"bytes [4, 8) of the data buffer belong to no tensor"},
		{"hole at start", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32s(1, 2)), "bytes [0, 4) of the data buffer belong to no tensor"},
		{"extra data", file(`{`+a4+`}`, f32s(1, 2)), "the data buffer has 4 bytes after the last tensor"},
		{"data without tensors", file(`{}`, []byte{0}), "the data buffer has 1 bytes after the last tensor"},
	}
	for _, tt := range tests {
		tensors, metadata, err := Decode(tt.file)
		if err == nil {
			t.Errorf("%s: Decode succeeded, want an error", tt.name)
			continue
		}
		if tensors != nil || metadata != nil {
			t.Errorf("%s: Decode failed but returned %v %v", tt.name, tensors, metadata)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "safetensors: ") || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: got error\n\t%s\nwant\n\tsafetensors: %s", tt.name, msg, tt.want)
		}
	}
}

func TestDecodeTruncated(t *testing.T) {
	for _, f := range []string{twoTensors64, reference[0].file, otherWriter} {
		for n := range len(f) {
			if _, _, err := Decode([]byte(f[:n])); err == nil {
				t.Errorf("Decode of the first %d of %d bytes succeeded", n, len(f))
			}
		}
	}
}

// TestDecodeHostileHeaderSize checks that a huge header size is refused
// before anything is allocated for it.
func TestDecodeHostileHeaderSize(t *testing.T) {
	for _, n := range []uint64{1 << 62, math.MaxUint64, MaxHeaderSize + 1} {
		f := append(binary.LittleEndian.AppendUint64(nil, n), "{}      "...)
		// MemStats count the whole process, so another goroutine may
		// allocate between the reads: the least of five tries is Decode's.
		least := uint64(math.MaxUint64)
		for range 5 {
			var before, after goruntime.MemStats
			goruntime.ReadMemStats(&before)
			_, _, err := Decode(f)
			goruntime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("header size %d: Decode succeeded", n)
			}
			least = min(least, after.TotalAlloc-before.TotalAlloc)
		}
		if least > 4096 {
			t.Errorf("header size %d: Decode allocated %d bytes", n, least)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	tests := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{"duplicate", []Tensor{{"a", "F32", []int{1}, f32s(1)}, {"a", "F64", []int{1}, f64s(1)}}, nil, `two tensors are named "a"`},
		{"metadata name", []Tensor{{"__metadata__", "F32", []int{1}, f32s(1)}}, nil, `a tensor cannot be named "__metadata__"`},
		{"short data", []Tensor{{"a", "F32", []int{2}, f32s(1)}}, nil, `tensor "a": F32 [2] takes 8 bytes, but Data has 4`},
		{"unknown dtype", []Tensor{{"a", "float32", []int{1}, f32s(1)}}, nil, `tensor "a": unknown dtype "float32"`},
		{"negative dim", []Tensor{{"a", "F32", []int{-1}, nil}}, nil, `tensor "a" has a negative dimension in shape [-1]`},
		{"bad name", []Tensor{{"\xff", "F32", []int{1}, f32s(1)}}, nil, `tensor name "\xff" is not valid UTF-8`},
		{"bad metadata", nil, map[string]string{"k": "\xff"}, `metadata "k": not valid UTF-8`},
	}
	for _, tt := range tests {
		if _, err := Encode(tt.tensors, tt.meta); err == nil || err.Error() != "safetensors: "+tt.want {
			t.Errorf("%s: got %v, want safetensors: %s", tt.name, err, tt.want)
		}
	}
}

func TestDecodeAliasesFile(t *testing.T) {
	f := []byte(reference[0].file)
	tensors, _, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	d := tensors[0].Data
	if &d[0] != &f[len(f)-24] || cap(d) != len(d) {
		t.Errorf("Data does not alias the file with its capacity cut")
	}
	if !reflect.DeepEqual(tensors[0].Shape, []int{1, 2, 3}) {
		t.Errorf("shape %v", tensors[0].Shape)
	}
}
