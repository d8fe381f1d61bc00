package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
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

func encode[T Float](t *testing.T, hash string, params []T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteParams(&b, hash, params); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sentinel returns n elements of a value no checkpoint in these tests holds.
func sentinel[T Float](n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = 12345
	}
	return s
}

func TestCheckpointLayout(t *testing.T) {
	file := encode(t, testHash, []float32{1, -2})
	want := []byte("GRADGEN\x00")
	want = binary.LittleEndian.AppendUint32(want, 1)
	want = binary.LittleEndian.AppendUint32(want, 4)
	want = append(want, testHash...)
	want = binary.LittleEndian.AppendUint64(want, 2)
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(1))
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(-2))
	want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	if !bytes.Equal(file, want) {
		t.Fatalf("checkpoint bytes\n got %x\nwant %x", file, want)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	file := encode(t, testHash, specials32)
	if len(file) != 44+4*len(specials32) {
		t.Errorf("float32 checkpoint is %d bytes, want %d", len(file), 44+4*len(specials32))
	}
	got32 := sentinel[float32](len(specials32))
	if err := ReadParams(bytes.NewReader(file), testHash, got32); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bits32(got32), bits32(specials32)) {
		t.Errorf("float32 round trip\n got %x\nwant %x", bits32(got32), bits32(specials32))
	}

	file = encode(t, testHash, specials64)
	if len(file) != 44+8*len(specials64) {
		t.Errorf("float64 checkpoint is %d bytes, want %d", len(file), 44+8*len(specials64))
	}
	got64 := sentinel[float64](len(specials64))
	if err := ReadParams(bytes.NewReader(file), testHash, got64); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bits64(got64), bits64(specials64)) {
		t.Errorf("float64 round trip\n got %x\nwant %x", bits64(got64), bits64(specials64))
	}

	// Named element types, as a user might declare, and an empty network.
	type weight float32
	named := []weight{1, 2, 3}
	gotNamed := sentinel[weight](3)
	if err := ReadParams(bytes.NewReader(encode(t, testHash, named)), testHash, gotNamed); err != nil || !slices.Equal(gotNamed, named) {
		t.Errorf("named type: got %v, %v; want %v", gotNamed, err, named)
	}
	if err := ReadParams(bytes.NewReader(encode(t, testHash, []float64{})), testHash, []float64{}); err != nil {
		t.Errorf("empty: %v", err)
	}
}

// readErr reads file into a sentinel-filled slice of n elements, checks that
// it fails and leaves the slice alone, and returns the error.
func readErr[T Float](t *testing.T, file []byte, hash string, n int) error {
	t.Helper()
	params := sentinel[T](n)
	err := ReadParams(bytes.NewReader(file), hash, params)
	if err == nil {
		t.Fatalf("ReadParams succeeded, want an error")
	}
	if !slices.Equal(params, sentinel[T](n)) {
		t.Fatalf("ReadParams failed with %q but changed params to %v", err, params)
	}
	return err
}

func TestCheckpointMismatch(t *testing.T) {
	file := encode(t, testHash, specials32)
	n := len(specials32)
	versioned := slices.Clone(file)
	versioned[8] = 7
	tests := []struct {
		name string
		err  error
		kind error
		want string
	}{
		{"spec", readErr[float32](t, file, otherHash, n), ErrCheckpointMismatch,
			"checkpoint: was saved for spec 0123456789abcdef, the model's spec is fedcba9876543210 (a different network)"},
		{"dtype", readErr[float64](t, file, testHash, n), ErrCheckpointMismatch,
			"checkpoint: holds float32 parameters, the model is float64"},
		{"count", readErr[float32](t, file, testHash, n+1), ErrCheckpointMismatch,
			"checkpoint: holds 13 parameters, the model has 14"},
		{"fewer", readErr[float32](t, file, testHash, 0), ErrCheckpointMismatch,
			"checkpoint: holds 13 parameters, the model has 0"},
		{"version", readErr[float32](t, versioned, testHash, n), ErrCheckpointMismatch,
			"checkpoint: format version 7, this gradgen reads versions 1 and 2"},
		{"magic", readErr[float32](t, []byte("PK\x03\x04 a zip file, say, and more than forty bytes long"), testHash, n),
			ErrCorruptCheckpoint, "checkpoint: not a gradgen checkpoint (bad magic)"},
		{"short magic", readErr[float32](t, []byte("{}"), testHash, n),
			ErrCorruptCheckpoint, "checkpoint: not a gradgen checkpoint (bad magic)"},
		{"trailing", readErr[float32](t, append(slices.Clone(file), 0), testHash, n), ErrCorruptCheckpoint,
			"checkpoint: has trailing bytes after its 96-byte end"},
		{"bad model hash", readErr[float32](t, file, "0123456789ABCDEF", n), nil,
			`checkpoint: spec hash "0123456789ABCDEF" is not 16 lowercase hex digits`},
	}
	for _, tt := range tests {
		if tt.err.Error() != tt.want {
			t.Errorf("%s: got error\n\t%s\nwant\n\t%s", tt.name, tt.err, tt.want)
		}
		if tt.kind != nil && !errors.Is(tt.err, tt.kind) {
			t.Errorf("%s: errors.Is(%q, %q) = false", tt.name, tt.err, tt.kind)
		}
	}
}

func TestCheckpointTruncated(t *testing.T) {
	for _, file := range [][]byte{encode(t, testHash, specials32), encode(t, testHash, specials64)} {
		n := len(specials32)
		for size := range len(file) {
			var err error
			if len(file) == 44+4*n {
				err = readErr[float32](t, file[:size], testHash, n)
			} else {
				err = readErr[float64](t, file[:size], testHash, n)
			}
			if !errors.Is(err, ErrCorruptCheckpoint) || !strings.Contains(err.Error(), "is truncated") {
				t.Errorf("%d of %d bytes: got %q, want a truncation error", size, len(file), err)
			}
		}
	}
	err := readErr[float32](t, encode(t, testHash, specials32)[:50], testHash, len(specials32))
	if want := "checkpoint: is truncated (50 bytes, want 96)"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

// TestCheckpointFlippedByte flips every bit pattern of every byte. The
// whole file is verified before its header is judged, so each flip reads as
// corruption, except in the version field, which is checked first: the
// layout after it may differ in another version.
func TestCheckpointFlippedByte(t *testing.T) {
	file := encode(t, testHash, specials64)
	n := len(specials64)
	for i := range file {
		for mask := 1; mask < 256; mask++ {
			bad := slices.Clone(file)
			bad[i] ^= byte(mask)
			err := readErr[float64](t, bad, testHash, n)
			kind := ErrCorruptCheckpoint
			if 8 <= i && i < 12 && binary.LittleEndian.Uint32(bad[8:]) != stateVersion {
				kind = ErrCheckpointMismatch // an unknown version; version 2 reads on, into corruption
			}
			if !errors.Is(err, kind) {
				t.Errorf("byte %d ^ %#x: got %q, want %v", i, mask, err, kind)
			}
			if 16 <= i && i < 32 && err.Error() != "checkpoint: checksum mismatch: the file is corrupted" {
				t.Errorf("byte %d ^ %#x (spec hash): got %q, want a checksum mismatch", i, mask, err)
			}
		}
	}
}

// TestCheckpointHostileCount checks that a huge declared count allocates
// nothing for it, whether it overflows a file size or not.
func TestCheckpointHostileCount(t *testing.T) {
	for _, count := range []uint64{1 << 62, 1 << 40, math.MaxUint64} {
		file := encode(t, testHash, []float32{1, 2})
		binary.LittleEndian.PutUint64(file[32:], count)
		params := []float32{7, 7}
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		err := ReadParams(bytes.NewReader(file), testHash, params)
		goruntime.ReadMemStats(&after)
		if !errors.Is(err, ErrCorruptCheckpoint) {
			t.Errorf("count %d: got %v, want a corrupt-checkpoint error", count, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("count %d: ReadParams allocated %d bytes", count, n)
		}
	}
}

func TestWriteParamsBadHash(t *testing.T) {
	var b bytes.Buffer
	for _, h := range []string{"", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg"} {
		if err := WriteParams(&b, h, []float32{1}); err == nil {
			t.Errorf("WriteParams with spec hash %q succeeded", h)
		}
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
	if err := SaveParams(path, testHash, specials32); err != nil {
		t.Fatal(err)
	}
	if err := SaveParams(path, testHash, specials32[:3]); err != nil { // over an existing file
		t.Fatal(err)
	}
	got := sentinel[float32](3)
	if err := LoadParams(path, testHash, got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bits32(got), bits32(specials32[:3])) {
		t.Errorf("got %v, want %v", got, specials32[:3])
	}
	if extra := tempFiles(t, dir, "net.ckpt"); extra != nil {
		t.Errorf("files left behind: %v", extra)
	}

	got = sentinel[float32](4)
	err := LoadParams(path, testHash, got)
	if want := "checkpoint " + path + ": holds 3 parameters, the model has 4"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if !slices.Equal(got, sentinel[float32](4)) {
		t.Errorf("failed LoadParams changed params to %v", got)
	}
	missing := filepath.Join(dir, "missing.ckpt")
	if err := LoadParams(missing, testHash, got); err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadParams of a missing file: got %v", err)
	}
}

func TestSaveParamsFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.ckpt")
	if err := SaveParams(path, testHash, specials64); err != nil {
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
	err = SaveParams(path, testHash, []float64{1, 2, 3})
	rename = os.Rename
	if want := "checkpoint " + path + ": simulated crash"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	intact("failed rename")

	// An invalid spec hash fails while writing the temporary file.
	if err := SaveParams(path, "not a hash", []float64{1}); err == nil {
		t.Error("SaveParams with a bad spec hash succeeded")
	}
	intact("bad hash")

	// A real rename failure: the target is a directory.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := SaveParams(sub, testHash, []float64{1}); err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("SaveParams over a directory: got %v", err)
	}
	intact("directory target")

	// The directory does not exist.
	if err := SaveParams(filepath.Join(dir, "nodir", "net.ckpt"), testHash, []float64{1}); err == nil {
		t.Error("SaveParams into a missing directory succeeded")
	}
	intact("missing directory")
}
