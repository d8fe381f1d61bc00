package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strconv"
	"unsafe"
)

const (
	checkpointMagic   = "GRADGEN\x00"
	checkpointVersion = 1
	checkpointHeader  = 40
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors of ReadParams and LoadParams wrap one of these, for errors.Is.
var (
	// ErrCorruptCheckpoint means the data is not a valid checkpoint: bad
	// magic, truncated, an unknown dtype code, a checksum mismatch or
	// trailing bytes.
	ErrCorruptCheckpoint = errors.New("corrupt checkpoint")
	// ErrCheckpointMismatch means a valid checkpoint that does not fit: another
	// format version, dtype, spec or parameter count.
	ErrCheckpointMismatch = errors.New("checkpoint does not fit the model")
)

// checkpointError is an error of kind ErrCorruptCheckpoint or
// ErrCheckpointMismatch with its own message.
type checkpointError struct {
	kind error
	msg  string
}

func (e *checkpointError) Error() string { return e.msg }
func (e *checkpointError) Unwrap() error { return e.kind }

// WriteParams writes the checkpoint of params to w. A checkpoint holds the
// flat parameter slice of one network (Params.Slice() of generated code),
// tied to its spec by the spec hash. Its layout, with n parameters of s bytes
// each and all integers little-endian:
//
//	offset   size  field
//	0        8     magic "GRADGEN\x00"
//	8        4     format version, uint32 = 1
//	12       4     dtype: element size in bytes, uint32 = 4 (float32) or 8 (float64)
//	16       16    spec hash: the 16 lowercase hex digits of spec.Network.Hash(), ASCII
//	32       8     parameter count n, uint64
//	40       n*s   the parameters in Params.Slice() order, IEEE 754 bits
//	                 (math.Float32bits or math.Float64bits), uint32 or uint64 each
//	40+n*s   4     CRC-32C (Castagnoli) of bytes [0, 40+n*s), uint32
//
// The file is exactly 44+n*s bytes; anything after the checksum is an error.
// The parameters start at offset 40, a multiple of 8.
func WriteParams[T Float](w io.Writer, specHash string, params []T) error {
	if err := writeParams(w, specHash, params); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func writeParams[T Float](w io.Writer, specHash string, params []T) error {
	return writeCheckpoint(w, specHash, params, nil)
}

// writeCheckpoint writes format version 1 (parameters) when st is nil, and
// version 2 (parameters and training state) otherwise.
func writeCheckpoint[T Float](w io.Writer, specHash string, params []T, st *TrainingState[T]) error {
	if err := checkSpecHash(specHash); err != nil {
		return err
	}
	sum := crc32.New(castagnoli)
	w = io.MultiWriter(w, sum)
	buf := make([]byte, 0, 4096)
	buf = append(buf, checkpointMagic...)
	version := uint32(checkpointVersion)
	if st != nil {
		version = stateVersion
	}
	buf = binary.LittleEndian.AppendUint32(buf, version)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(elemSize[T]()))
	buf = append(buf, specHash...)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(params)))
	slices := [][]T{params}
	if st != nil {
		if err := st.check(len(params)); err != nil {
			return err
		}
		var name [8]byte
		copy(name[:], st.Optimizer)
		buf = append(buf, name[:]...)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(st.Buffers)))
		buf = binary.LittleEndian.AppendUint32(buf, 0)
		buf = binary.LittleEndian.AppendUint64(buf, st.Step)
		slices = append(slices, st.Buffers...)
	}
	for _, s := range slices {
		for _, p := range s {
			if len(buf) == cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
			buf = appendFloat(buf, p)
		}
	}
	if _, err := w.Write(buf); err != nil {
		return err
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, sum.Sum32()))
	return err
}

// ReadParams reads a checkpoint from r into params, all or nothing: it reads
// and verifies everything (magic, version, dtype, hash, count, length,
// checksum) into a private buffer before copying, so on any error params are
// unchanged. The buffer is allocated only after the declared count has been
// found equal to len(params); a file that does not fit is streamed through
// the checksum instead, so that a damaged header is reported as corruption
// and not as another spec or count. Its errors wrap ErrCorruptCheckpoint or
// ErrCheckpointMismatch, except for I/O errors and a malformed specHash.
func ReadParams[T Float](r io.Reader, specHash string, params []T) error {
	return readParams(r, "checkpoint", specHash, params)
}

// SaveParams writes the checkpoint to path atomically (WriteFileAtomic), so
// an interrupted save leaves the previous checkpoint intact.
func SaveParams[T Float](path, specHash string, params []T) error {
	err := WriteFileAtomic(path, func(w io.Writer) error { return writeParams(w, specHash, params) })
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// LoadParams reads the checkpoint at path into params, all or nothing.
func LoadParams[T Float](path, specHash string, params []T) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	defer f.Close()
	return readParams(f, "checkpoint "+path, specHash, params)
}

// readParams reads the parameters of a checkpoint of either version.
func readParams[T Float](r io.Reader, name, specHash string, params []T) error {
	return readCheckpoint(r, name, specHash, params, nil)
}

// readCheckpoint verifies the whole checkpoint before it judges the
// contents, so that a damaged file is reported as corrupt rather than as,
// say, another spec. The body is read into memory only when its dtype and
// count fit params; otherwise it is streamed through the checksum, so a
// hostile count allocates nothing. With st nil it reads the parameters of a
// file of either version (ignoring a training state); with st it needs a
// version-2 file of st's optimizer and fills st's step and buffers too, all
// or nothing.
func readCheckpoint[T Float](r io.Reader, name, specHash string, params []T, st *TrainingState[T]) error {
	if err := checkSpecHash(specHash); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fail := func(kind error, format string, args ...any) error {
		return &checkpointError{kind, name + ": " + fmt.Sprintf(format, args...)}
	}
	short := func(n int64, want uint64, err error) error {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("%s: %w", name, err)
		}
		return fail(ErrCorruptCheckpoint, "is truncated (%d bytes, want %d)", n, want)
	}

	var hdr [stateHeader]byte
	if n, err := io.ReadFull(r, hdr[:checkpointHeader]); err != nil {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("%s: %w", name, err)
		}
		if !bytes.HasPrefix([]byte(checkpointMagic), hdr[:min(n, len(checkpointMagic))]) {
			return fail(ErrCorruptCheckpoint, "not a gradgen checkpoint (bad magic)")
		}
		return fail(ErrCorruptCheckpoint, "is truncated (%d bytes, shorter than the %d-byte header)", n, checkpointHeader)
	}
	version := binary.LittleEndian.Uint32(hdr[8:])
	dtype := binary.LittleEndian.Uint32(hdr[12:])
	hash := hdr[16:32]
	count := binary.LittleEndian.Uint64(hdr[32:])
	switch {
	case string(hdr[:8]) != checkpointMagic:
		return fail(ErrCorruptCheckpoint, "not a gradgen checkpoint (bad magic)")
	case version != checkpointVersion && version != stateVersion:
		return fail(ErrCheckpointMismatch, "format version %d, this gradgen reads versions %d and %d", version, checkpointVersion, stateVersion)
	case dtype != 4 && dtype != 8:
		return fail(ErrCorruptCheckpoint, "unknown dtype code %d (want 4 for float32 or 8 for float64)", dtype)
	}
	hdrLen := uint64(checkpointHeader)
	var buffers uint64 // the training state's buffers, each of count elements
	if version == stateVersion {
		hdrLen = stateHeader
		if n, err := io.ReadFull(r, hdr[checkpointHeader:]); err != nil {
			return short(int64(checkpointHeader+n), stateHeader+4, err)
		}
		buffers = uint64(binary.LittleEndian.Uint32(hdr[48:]))
		if buffers > maxStateBuffers {
			return fail(ErrCorruptCheckpoint, "declares %d optimizer buffers, more than any optimizer keeps", buffers)
		}
	}
	if count > (math.MaxInt64-hdrLen-4)/uint64(dtype)/(1+buffers) {
		return fail(ErrCorruptCheckpoint, "declares %d parameters, more than a file can hold", count)
	}
	size := elemSize[T]()
	fits := dtype == uint32(size) && count == uint64(len(params))
	dataLen := count * uint64(dtype) * (1 + buffers)
	fileLen := hdrLen + dataLen + 4

	sum := crc32.New(castagnoli)
	sum.Write(hdr[:hdrLen])
	var data bytes.Buffer
	dst := io.Writer(sum)
	if fits { // count == len(params) and buffers ≤ maxStateBuffers: bounded by the model
		data.Grow(int(dataLen))
		dst = io.MultiWriter(sum, &data)
	}
	if n, err := io.CopyN(dst, r, int64(dataLen)); err != nil {
		return short(int64(hdrLen)+n, fileLen, err)
	}
	var trailer [4]byte
	if n, err := io.ReadFull(r, trailer[:]); err != nil {
		return short(int64(hdrLen+dataLen)+int64(n), fileLen, err)
	}
	if _, err := io.ReadFull(r, make([]byte, 1)); err == nil {
		return fail(ErrCorruptCheckpoint, "has trailing bytes after its %d-byte end", fileLen)
	} else if err != io.EOF {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case sum.Sum32() != binary.LittleEndian.Uint32(trailer[:]):
		return fail(ErrCorruptCheckpoint, "checksum mismatch: the file is corrupted")
	case dtype != uint32(size):
		return fail(ErrCheckpointMismatch, "holds %s parameters, the model is %s", dtypeName(int(dtype)), dtypeName(size))
	case string(hash) != specHash:
		saved := string(hash)
		if checkSpecHash(saved) != nil {
			saved = strconv.Quote(saved)
		}
		return fail(ErrCheckpointMismatch, "was saved for spec %s, the model's spec is %s (a different network)", saved, specHash)
	case !fits:
		return fail(ErrCheckpointMismatch, "holds %d parameters, the model has %d", count, len(params))
	}
	if st != nil {
		if err := st.fits(version, hdr[:], count); err != nil {
			return fail(ErrCheckpointMismatch, "%v", err)
		}
	}
	b := data.Bytes()
	decode(b, params)
	if st != nil {
		st.Step = binary.LittleEndian.Uint64(hdr[56:])
		for k, buf := range st.Buffers {
			decode(b[(k+1)*len(params)*size:], buf)
		}
	}
	return nil
}

// decode sets dst from the little-endian IEEE 754 bits at the start of b.
func decode[T Float](b []byte, dst []T) {
	for i := range dst {
		if elemSize[T]() == 4 {
			dst[i] = T(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		} else {
			dst[i] = T(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	}
}

// checkSpecHash reports whether h has the form of spec.Network.Hash().
func checkSpecHash(h string) error {
	ok := len(h) == 16
	for _, c := range []byte(h) {
		ok = ok && ('0' <= c && c <= '9' || 'a' <= c && c <= 'f')
	}
	if !ok {
		return fmt.Errorf("spec hash %q is not 16 lowercase hex digits", h)
	}
	return nil
}

// elemSize is the size of T in bytes: 4 or 8.
func elemSize[T Float]() int {
	var x T
	return int(unsafe.Sizeof(x))
}

func dtypeName(size int) string {
	if size == 4 {
		return "float32"
	}
	return "float64"
}

// appendFloat appends the little-endian IEEE 754 bits of x.
func appendFloat[T Float](b []byte, x T) []byte {
	if elemSize[T]() == 4 {
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(x)))
	}
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(x)))
}
