// Package safetensors reads and writes Hugging Face's safetensors format
// (https://github.com/huggingface/safetensors), so that a network generated
// by gradgen can load weights trained in PyTorch and save weights PyTorch can
// load.
//
// A file is an 8-byte little-endian uint64 N, then N bytes of UTF-8 JSON (the
// header), then a byte buffer. The header is an object that maps each tensor
// name to {"dtype": "F32", "shape": [4, 3], "data_offsets": [begin, end]},
// with the offsets relative to the start of the buffer, and may hold
// "__metadata__", an object of strings. Tensor data is little-endian and
// row-major.
//
// The package has its own small reader and writer rather than
// github.com/nlpodyssey/safetensors: that module has no tagged release, does
// not notice duplicate tensor names (it decodes the header into a Go map),
// and refuses a whole file that holds a dtype it does not know (F8_E4M3,
// C64, ...) instead of listing it.
package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Tensor is one named tensor of a safetensors file.
type Tensor struct {
	Name, DType string // DType in safetensors spelling: F32, F64, F16, BF16, I64, ...
	Shape       []int
	Data        []byte // little-endian, row-major; product(Shape) elements of DType
}

// MaxHeaderSize is the largest header, in bytes, that Decode accepts: the
// limit of the reference implementation.
const MaxHeaderSize = 100_000_000

// dtypeBits is the size in bits of one element of every dtype the reference
// implementation knows.
var dtypeBits = map[string]uint64{
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
}

// dataSize is the number of bytes of a tensor of the given dtype and shape.
func dataSize(dtype string, shape []uint64) (uint64, error) {
	n, ok := dtypeBits[dtype]
	if !ok {
		return 0, fmt.Errorf("unknown dtype %q", dtype)
	}
	for _, d := range shape {
		hi, lo := bits.Mul64(n, d)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("shape %v of %s is too large", shape, dtype)
		}
		n = lo
	}
	if n%8 != 0 {
		return 0, fmt.Errorf("shape %v of %s is not a whole number of bytes", shape, dtype)
	}
	return n / 8, nil
}

// Encode returns the safetensors file of tensors and metadata. As the
// reference writer does, it writes "__metadata__" first (when metadata is not
// empty) with its keys sorted, then the tensors sorted by descending element
// size and then by name, so that every tensor's data is aligned to its element
// size and the output does not depend on the order of tensors. The header is
// padded with spaces to a multiple of 8 bytes.
func Encode(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	head, order, err := prepare(tensors, metadata)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	file := head
	for _, t := range order {
		file = append(file, t.Data...)
	}
	return file, nil
}

// prepare checks tensors and returns the 8-byte size and the padded header,
// and the tensors in the order of their data.
func prepare(tensors []Tensor, metadata map[string]string) ([]byte, []Tensor, error) {
	order := slices.Clone(tensors)
	slices.SortFunc(order, func(a, b Tensor) int {
		return cmp.Or(cmp.Compare(dtypeBits[b.DType], dtypeBits[a.DType]), strings.Compare(a.Name, b.Name))
	})
	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		h.WriteString(`"__metadata__":{`)
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if !utf8.ValidString(k) || !utf8.ValidString(metadata[k]) {
				return nil, nil, fmt.Errorf("metadata %q: not valid UTF-8", k)
			}
			if i > 0 {
				h.WriteByte(',')
			}
			writeString(&h, k)
			h.WriteByte(':')
			writeString(&h, metadata[k])
		}
		h.WriteByte('}')
	}
	var offset uint64
	seen := make(map[string]bool)
	for _, t := range order {
		switch {
		case !utf8.ValidString(t.Name):
			return nil, nil, fmt.Errorf("tensor name %q is not valid UTF-8", t.Name)
		case t.Name == "__metadata__":
			return nil, nil, errors.New(`a tensor cannot be named "__metadata__"`)
		case seen[t.Name]:
			return nil, nil, fmt.Errorf("two tensors are named %q", t.Name)
		}
		seen[t.Name] = true
		shape := make([]uint64, len(t.Shape))
		for j, d := range t.Shape {
			if d < 0 {
				return nil, nil, fmt.Errorf("tensor %q has a negative dimension in shape %v", t.Name, t.Shape)
			}
			shape[j] = uint64(d)
		}
		size, err := dataSize(t.DType, shape)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if uint64(len(t.Data)) != size {
			return nil, nil, fmt.Errorf("tensor %q: %s %v takes %d bytes, but Data has %d", t.Name, t.DType, t.Shape, size, len(t.Data))
		}
		if h.Len() > 1 {
			h.WriteByte(',')
		}
		writeString(&h, t.Name)
		h.WriteString(`:{"dtype":`)
		writeString(&h, t.DType)
		h.WriteString(`,"shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, offset, offset+size)
		offset += size
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > MaxHeaderSize {
		return nil, nil, fmt.Errorf("header of %d bytes exceeds the limit of %d", h.Len(), MaxHeaderSize)
	}
	head := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+h.Len()+int(offset)), uint64(h.Len()))
	return append(head, h.Bytes()...), order, nil
}

// writeString writes s as a JSON string without escaping <, > and &, as the
// reference writer does.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // a string always encodes
	b.Truncate(b.Len() - 1) // the newline Encode adds
}

// Decode parses a safetensors file. The returned tensors are in the order of
// their data, and their Data alias file. metadata is nil when the file has no
// "__metadata__".
//
// Decode checks everything the reference implementation checks, and a little
// more: the header size is at most MaxHeaderSize and within the file; the
// header is valid UTF-8 and one JSON object, followed by whitespace at most
// (writers pad it with spaces); no key appears twice in any object;
// "__metadata__" maps strings to strings; every tensor has exactly a known
// dtype, a shape and data_offsets, whose numbers are integers >= 0;
// begin <= end, and end - begin is product(shape) times the dtype's size; the
// tensors' data do not overlap, leave no hole and cover the buffer exactly.
// It allocates nothing from a size it has not checked.
func Decode(file []byte) (tensors []Tensor, metadata map[string]string, err error) {
	tensors, metadata, err = decode(file)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	return tensors, metadata, nil
}

// entry is a tensor as its header entry describes it.
type entry struct {
	name, dtype string
	shape       []uint64
	begin, end  uint64
}

func decode(file []byte) ([]Tensor, map[string]string, error) {
	if len(file) < 8 {
		return nil, nil, fmt.Errorf("the file is %d bytes, too short for the 8-byte header size (truncated?)", len(file))
	}
	n := binary.LittleEndian.Uint64(file)
	switch {
	case n > MaxHeaderSize:
		return nil, nil, fmt.Errorf("header size %d exceeds the limit of %d bytes (not a safetensors file?)", n, MaxHeaderSize)
	case n > uint64(len(file)-8):
		return nil, nil, fmt.Errorf("the header of %d bytes extends past the end of the %d-byte file (truncated?)", n, len(file))
	}
	head, buf := file[8:8+n], file[8+n:]
	if !utf8.Valid(head) {
		return nil, nil, errors.New("the header is not valid UTF-8")
	}
	entries, metadata, err := parseHeader(head)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		switch size, err := dataSize(e.dtype, e.shape); {
		case err != nil:
			return nil, nil, fmt.Errorf("tensor %q: %w", e.name, err)
		case e.begin > e.end:
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] end before they begin", e.name, e.begin, e.end)
		case e.end > uint64(len(buf)):
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] extend past the end of the %d-byte data buffer (truncated?)", e.name, e.begin, e.end, len(buf))
		case e.end-e.begin != size:
			return nil, nil, fmt.Errorf("tensor %q: %s %v takes %d bytes, but data_offsets [%d, %d] span %d", e.name, e.dtype, e.shape, size, e.begin, e.end, e.end-e.begin)
		}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	tensors := make([]Tensor, len(entries))
	var pos uint64
	for i, e := range entries {
		switch {
		case e.begin < pos:
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap those of tensor %q", e.name, e.begin, e.end, entries[i-1].name)
		case e.begin > pos:
			return nil, nil, fmt.Errorf("bytes [%d, %d) of the data buffer belong to no tensor", pos, e.begin)
		}
		pos = e.end
		shape := make([]int, len(e.shape))
		for j, d := range e.shape {
			if d > math.MaxInt {
				return nil, nil, fmt.Errorf("tensor %q: dimension %d is too large", e.name, d)
			}
			shape[j] = int(d)
		}
		tensors[i] = Tensor{Name: e.name, DType: e.dtype, Shape: shape, Data: buf[e.begin:e.end:e.end]}
	}
	if pos != uint64(len(buf)) {
		return nil, nil, fmt.Errorf("the data buffer has %d bytes after the last tensor", uint64(len(buf))-pos)
	}
	return tensors, metadata, nil
}

// parseHeader reads the header's tensor entries and metadata.
func parseHeader(head []byte) ([]entry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(head))
	var entries []entry
	var metadata map[string]string
	err := object(dec, "the header", func(key string) error {
		if key == "__metadata__" {
			metadata = make(map[string]string)
			return object(dec, "__metadata__", func(k string) error {
				v, err := value[string](dec, fmt.Sprintf("__metadata__ %q", k), "a string")
				metadata[k] = v
				return err
			})
		}
		e, err := parseEntry(dec, key)
		entries = append(entries, e)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("the header has data after its JSON object")
	}
	return entries, metadata, nil
}

// parseEntry reads the header entry of the tensor name.
func parseEntry(dec *json.Decoder, name string) (entry, error) {
	e := entry{name: name}
	what := fmt.Sprintf("tensor %q", name)
	var found int
	err := object(dec, what, func(key string) error {
		var err error
		found++
		switch key {
		case "dtype":
			e.dtype, err = value[string](dec, what+" dtype", "a string")
		case "shape":
			e.shape, err = value[[]uint64](dec, what+" shape", "an array of integers >= 0")
		case "data_offsets":
			var off []uint64
			off, err = value[[]uint64](dec, what+" data_offsets", "two integers >= 0")
			if err == nil && len(off) != 2 {
				err = fmt.Errorf("%s data_offsets has %d numbers, want 2", what, len(off))
			}
			if err == nil {
				e.begin, e.end = off[0], off[1]
			}
		default:
			err = fmt.Errorf("%s has an unknown key %q (want dtype, shape and data_offsets)", what, key)
		}
		return err
	})
	if err == nil && found != 3 { // object rejects duplicate keys
		err = fmt.Errorf("%s lacks dtype, shape or data_offsets", what)
	}
	return e, err
}

// object reads a JSON object from dec, calling field for each key with dec
// at the key's value; field must consume the value. A key given twice is an
// error.
func object(dec *json.Decoder, what string, field func(key string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("%s is not a JSON object", what)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		key := tok.(string) // Token returns object keys as strings or fails
		if seen[key] {
			return fmt.Errorf("%s has %q twice", what, key)
		}
		seen[key] = true
		if err := field(key); err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing brace
	return jsonError(err)
}

// value decodes the next JSON value from dec into a T; null or a value of
// another type is an error saying that what should be want.
func value[T any](dec *json.Decoder, what, want string) (T, error) {
	var v *T
	err := dec.Decode(&v)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) || err == nil && v == nil {
		var zero T
		return zero, fmt.Errorf("%s is not %s", what, want)
	}
	if err != nil {
		var zero T
		return zero, jsonError(err)
	}
	return *v, nil
}

// jsonError describes a JSON syntax error of the header.
func jsonError(err error) error {
	switch err {
	case nil:
		return nil
	case io.EOF, io.ErrUnexpectedEOF:
		return errors.New("the header is not valid JSON: it ends early")
	}
	return fmt.Errorf("the header is not valid JSON: %v", err)
}
