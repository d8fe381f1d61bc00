package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strconv"
	"unsafe"
)

const (
	checkpointMagic = "GRADGEN\x00"
	// checkpointHeader is the length of the part of the header that every
	// format version shares: magic, version, dtype, hash, count.
	checkpointHeader = 40
	// paramsVersion (1) and stateVersion (2) are the formats keyed on the
	// spec hash, which this gradgen reads but no longer writes.
	paramsVersion = 1
	// layoutVersion is the format keyed on the layout, which WriteParams and
	// WriteState write.
	layoutVersion = 3
	// layoutHeader is the fixed part of a version-3 header.
	layoutHeader = 48
	// The contents codes of a version-3 file.
	contentsParams = 1
	contentsState  = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors of the checkpoint readers wrap one of these, for errors.Is.
var (
	// ErrCorruptCheckpoint means the data is not a valid checkpoint: bad
	// magic, truncated, an unknown dtype code, a checksum mismatch, a
	// malformed layout or trailing bytes.
	ErrCorruptCheckpoint = errors.New("corrupt checkpoint")
	// ErrCheckpointMismatch means a valid checkpoint that does not fit: another
	// format version, dtype, layout (or spec, in the older formats),
	// parameter count or optimizer.
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

// WriteParams writes the checkpoint of params to w: the flat parameter slice
// of one network (Params.Slice() of generated code), keyed on its layout,
// key.Layout. It writes format version 3; the readers also take versions 1
// and 2. With n parameters of s bytes each and all integers little-endian,
// the layout of a version-3 file is:
//
//	offset   size   field
//	0        8      magic "GRADGEN\x00"
//	8        4      format version, uint32 = 3
//	12       4      dtype: element size in bytes, uint32 = 4 (float32) or 8 (float64)
//	16       16     layout hash: 16 lowercase hex digits, ASCII: the first 8 bytes
//	                  of the SHA-256 of the layout text
//	32       8      parameter count n, uint64
//	40       4      length L of the layout text in bytes, uint32, at most 1 MiB (1<<20)
//	44       4      contents, uint32: 1 = parameters (WriteParams, Params.Save),
//	                  2 = parameters and training state (WriteState, Model.Save)
//	48       L      the layout text (below)
//	48+L     P      zero bytes up to a multiple of 8: P = (8 − L mod 8) mod 8; H = 48+L+P
//	H        S      contents 2 only: the training state, S = 136 bytes (see WriteState);
//	                  S = 0 for contents 1
//	H+S      n*s    the parameters in Params.Slice() order, IEEE 754 bits
//	                  (math.Float32bits or math.Float64bits), uint32 or uint64 each
//	H+S+n*s  k*n*s  contents 2 only: the optimizer's k buffers, in order
//	end      4      CRC-32C (Castagnoli) of every byte before it, uint32
//
// Nothing may follow the checksum. The parameters start at a multiple of 8.
//
// The layout text is UTF-8 lines, each ended by "\n": first the dtype,
// "float32" or "float64", then one line per tensor of key.Layout, in order:
// its Go name (ParamInfo.Name), its PyTorch name (ParamInfo.Torch) and the
// decimal dimensions of its shape, separated by single spaces (a tensor of
// shape [] has no dimension). Names are non-empty, without spaces,
// control characters or DEL; dimensions have no sign and no leading zero;
// the sizes of the tensors sum to n. For example, with 16 hidden units:
//
//	float32
//	W1 0.weight 16 4
//	B1 0.bias 16
//	W2 2.weight 3 16
//	B2 2.bias 3
//
// A checkpoint loads into a model whose layout text is the same (the same
// layout hash), so the spec's other settings (learning rate, optimizer
// settings, package name) may change; a training state also needs the same
// optimizer kind. When the layouts differ, the error lists how.
//
// The older formats, which this gradgen reads but no longer writes, are
// keyed on the spec hash (spec.Network.Hash()) of the whole spec instead.
// Version 1 holds parameters:
//
//	offset   size  field
//	0        8     magic "GRADGEN\x00"
//	8        4     format version, uint32 = 1
//	12       4     dtype: element size in bytes, uint32 = 4 or 8
//	16       16    spec hash: 16 lowercase hex digits, ASCII
//	32       8     parameter count n, uint64
//	40       n*s   the parameters, as in version 3
//	40+n*s   4     CRC-32C of bytes [0, 40+n*s), uint32
//
// Version 2, a training state, is described at WriteState.
func WriteParams[T Float](w io.Writer, key *CheckpointKey, params []T) error {
	if err := writeCheckpoint(w, key, params, nil); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// writeCheckpoint writes a version-3 checkpoint: of the parameters when st
// is nil, of the parameters and the training state otherwise.
func writeCheckpoint[T Float](w io.Writer, key *CheckpointKey, params []T, st *TrainingState[T]) error {
	text, err := key.layoutText(elemSize[T](), len(params))
	if err != nil {
		return err
	}
	contents := uint32(contentsParams)
	if st != nil {
		if err := st.check(len(params)); err != nil {
			return err
		}
		if err := st.checkHyper(); err != nil {
			return err
		}
		contents = contentsState
	}
	sum := crc32.New(castagnoli)
	w = io.MultiWriter(w, sum)
	buf := make([]byte, 0, 4096+len(text))
	buf = append(buf, checkpointMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, layoutVersion)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(elemSize[T]()))
	buf = append(buf, layoutHash(text)...)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(params)))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(text)))
	buf = binary.LittleEndian.AppendUint32(buf, contents)
	buf = append(buf, text...)
	buf = append(buf, make([]byte, pad8(len(text)))...)
	slices := [][]T{params}
	if st != nil {
		buf = st.appendHeader(buf)
		slices = append(slices, st.Buffers...)
	}
	for _, s := range slices {
		for _, p := range s {
			if len(buf)+8 > cap(buf) {
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
	_, err = w.Write(binary.LittleEndian.AppendUint32(nil, sum.Sum32()))
	return err
}

// pad8 is the number of zero bytes that follow a layout text of n bytes.
func pad8(n int) int { return (8 - n%8) % 8 }

// ReadParams reads a checkpoint from r into params, all or nothing: it reads
// and verifies everything (magic, version, dtype, layout, count, length,
// checksum) into a private buffer before copying, so on any error params are
// unchanged. It takes the parameters of a training state's file (WriteState)
// too. A file of format version 3 loads when its layout text equals that of
// key.Layout (so when their layout hashes are equal), one of version 1 or 2
// when its spec hash equals key.Spec; a file that does not fit is an error
// that says how.
//
// The buffer is allocated only after the declared count has been found
// equal to len(params); a file that does not fit is streamed through the
// checksum instead, so that a damaged header is reported as corruption and
// not as another layout or count, and a hostile count allocates nothing.
// The layout text, read before, is refused beyond 1 MiB. The errors wrap
// ErrCorruptCheckpoint or ErrCheckpointMismatch, except for I/O errors and
// a key that does not describe params.
func ReadParams[T Float](r io.Reader, key *CheckpointKey, params []T) error {
	return readCheckpoint(r, "checkpoint", key, params, nil)
}

// SaveParams writes the checkpoint to path atomically (WriteFileAtomic), so
// an interrupted save leaves the previous checkpoint intact.
func SaveParams[T Float](path string, key *CheckpointKey, params []T) error {
	err := WriteFileAtomic(path, func(w io.Writer) error { return writeCheckpoint(w, key, params, nil) })
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// LoadParams reads the checkpoint at path into params, all or nothing, as
// ReadParams.
func LoadParams[T Float](path string, key *CheckpointKey, params []T) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	defer f.Close()
	return readCheckpoint(f, "checkpoint "+path, key, params, nil)
}

// sumReader passes on what it reads to a checksum and counts it.
type sumReader struct {
	r   io.Reader
	sum hash.Hash32
	n   int64
}

func (s *sumReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.sum.Write(p[:n])
	s.n += int64(n)
	return n, err
}

// fileHeader is what a checkpoint declares before its data.
type fileHeader struct {
	version uint32
	dtype   uint32 // 4 or 8
	hash    string // the spec hash (versions 1 and 2) or the layout hash (3)
	count   uint64
	layout  []byte  // the layout text (3)
	pad     [8]byte // the zero bytes after the layout text (3)
	state   bool    // a training state follows: version 2, or 3 with contents 2
	stateHd []byte  // the training state's header: 24 bytes (version 2), or stateSize (3) and the dropout state's 16 with flag 2
	buffers uint64  // the optimizer's buffers, each of count elements
	length  uint64  // the header's length
}

// readCheckpoint verifies the whole checkpoint before it judges the
// contents, so that a damaged file is reported as corrupt rather than as,
// say, another layout. The body is read into memory only when its dtype and
// count fit params; otherwise it is streamed through the checksum, so a
// hostile count allocates nothing. With st nil it reads the parameters of a
// file of any version (ignoring a training state); with st it needs a
// training state of st's optimizer and fills st's step and buffers (and
// *st.Hyper) too, all or nothing.
func readCheckpoint[T Float](r io.Reader, name string, key *CheckpointKey, params []T, st *TrainingState[T]) error {
	size := elemSize[T]()
	model, err := key.layoutText(size, len(params))
	if err == nil && st != nil {
		err = st.check(len(params))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	c := &checkpointReader{name: name, r: r, sr: &sumReader{r: r, sum: crc32.New(castagnoli)}}
	h, err := c.header()
	if err != nil {
		return err
	}
	fits := h.dtype == uint32(size) && h.count == uint64(len(params))
	data, err := c.body(&h, fits)
	if err != nil {
		return err
	}
	fileTensors, hyper, err := c.consistent(&h)
	if err != nil {
		return err
	}

	// Does it fit the model?
	if msg := h.mismatch(size, len(params), model, fileTensors, key.Spec); msg != "" {
		return c.fail(ErrCheckpointMismatch, "%s", msg)
	}
	if h.count != uint64(len(params)) { // only in the older formats: version 3 has been compared
		return c.fail(ErrCheckpointMismatch, "holds %d parameters, the model has %d", h.count, len(params))
	}
	var hp *Hyperparams
	if st != nil {
		if hp, err = st.fits(&h, hyper); err != nil {
			return c.fail(ErrCheckpointMismatch, "%v", err)
		}
	}
	decode(data, params)
	if st != nil {
		st.Step = binary.LittleEndian.Uint64(h.stateHd[16:])
		for k, buf := range st.Buffers {
			decode(data[(k+1)*len(params)*size:], buf)
		}
		if hp != nil {
			*st.Hyper = *hp
		}
		if d := h.stateHd[min(stateSize, len(h.stateHd)):]; st.Dropout != nil && len(d) == dropoutSize {
			st.Dropout.Seed = binary.LittleEndian.Uint64(d)
			st.Dropout.Calls = binary.LittleEndian.Uint64(d[8:])
		}
	}
	return nil
}

// checkpointReader reads one checkpoint named name from r, every byte
// through sr, which sums them.
type checkpointReader struct {
	name string
	r    io.Reader
	sr   *sumReader
}

// fail is an error of kind ErrCorruptCheckpoint or ErrCheckpointMismatch
// about the file.
func (c *checkpointReader) fail(kind error, format string, args ...any) error {
	return &checkpointError{kind, c.name + ": " + fmt.Sprintf(format, args...)}
}

// short reports the error of a read that stopped early: a truncated file of
// want bytes (a header of want bytes if inHeader), or the I/O error.
func (c *checkpointReader) short(err error, want uint64, inHeader bool) error {
	if err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	if inHeader {
		return c.fail(ErrCorruptCheckpoint, "is truncated (%d bytes, shorter than its %d-byte header)", c.sr.n, want)
	}
	return c.fail(ErrCorruptCheckpoint, "is truncated (%d bytes, want %d)", c.sr.n, want)
}

// read fills b, or reports a file shorter than want bytes.
func (c *checkpointReader) read(b []byte, want uint64, inHeader bool) error {
	if _, err := io.ReadFull(c.sr, b); err != nil {
		return c.short(err, want, inHeader)
	}
	return nil
}

// header reads the header of any version: the fixed part, then version 2's
// training state or version 3's layout text and training state, and checks
// the counts it declares against what a file can hold.
func (c *checkpointReader) header() (fileHeader, error) {
	var fixed [layoutHeader]byte
	if n, err := io.ReadFull(c.sr, fixed[:checkpointHeader]); err != nil {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return fileHeader{}, fmt.Errorf("%s: %w", c.name, err)
		}
		if !bytes.HasPrefix([]byte(checkpointMagic), fixed[:min(n, len(checkpointMagic))]) {
			return fileHeader{}, c.fail(ErrCorruptCheckpoint, "not a gradgen checkpoint (bad magic)")
		}
		return fileHeader{}, c.fail(ErrCorruptCheckpoint, "is truncated (%d bytes, shorter than the %d-byte header)", n, checkpointHeader)
	}
	h := fileHeader{
		version: binary.LittleEndian.Uint32(fixed[8:]),
		dtype:   binary.LittleEndian.Uint32(fixed[12:]),
		hash:    string(fixed[16:32]),
		count:   binary.LittleEndian.Uint64(fixed[32:]),
		length:  checkpointHeader,
	}
	switch {
	case string(fixed[:8]) != checkpointMagic:
		return h, c.fail(ErrCorruptCheckpoint, "not a gradgen checkpoint (bad magic)")
	case h.version < paramsVersion || h.version > layoutVersion:
		return h, c.fail(ErrCheckpointMismatch, "format version %d, this gradgen reads versions 1 to 3", h.version)
	case h.dtype != 4 && h.dtype != 8:
		return h, c.fail(ErrCorruptCheckpoint, "unknown dtype code %d (want 4 for float32 or 8 for float64)", h.dtype)
	}
	var err error
	switch h.version {
	case stateVersion:
		h.state = true
		h.stateHd = make([]byte, oldStateHeader-checkpointHeader)
		h.length = oldStateHeader
		err = c.read(h.stateHd, h.length, true)
	case layoutVersion:
		err = c.layoutHeader(&h, fixed[:])
	}
	if err != nil {
		return h, err
	}
	if h.state {
		h.buffers = uint64(binary.LittleEndian.Uint32(h.stateHd[8:]))
		if h.buffers > maxStateBuffers {
			return h, c.fail(ErrCorruptCheckpoint, "declares %d optimizer buffers, more than any optimizer keeps", h.buffers)
		}
	}
	if h.count > (math.MaxInt64-h.length-4)/uint64(h.dtype)/(1+h.buffers) {
		return h, c.fail(ErrCorruptCheckpoint, "declares %d parameters, more than a file can hold", h.count)
	}
	return h, nil
}

// layoutHeader reads the rest of a version-3 header into h: the layout
// text's length and the contents code (completing fixed), the text, its
// padding and the training state's header.
func (c *checkpointReader) layoutHeader(h *fileHeader, fixed []byte) error {
	if err := c.read(fixed[checkpointHeader:layoutHeader], layoutHeader, true); err != nil {
		return err
	}
	textLen := binary.LittleEndian.Uint32(fixed[40:])
	contents := binary.LittleEndian.Uint32(fixed[44:])
	if textLen > maxLayoutText {
		return c.fail(ErrCorruptCheckpoint, "declares a layout text of %d bytes, more than the %d a layout may have", textLen, maxLayoutText)
	}
	if contents != contentsParams && contents != contentsState {
		return c.fail(ErrCorruptCheckpoint, "unknown contents code %d (want 1 for parameters or 2 for a training state)", contents)
	}
	h.state = contents == contentsState
	h.length = layoutHeader + uint64(textLen) + uint64(pad8(int(textLen)))
	if h.state {
		h.length += stateSize
	}
	var text bytes.Buffer // grows with what arrives: a truncated file allocates little
	if _, err := io.CopyN(&text, c.sr, int64(textLen)); err != nil {
		return c.short(err, h.length, true)
	}
	h.layout = text.Bytes()
	if err := c.read(h.pad[:pad8(int(textLen))], h.length, true); err != nil {
		return err
	}
	if !h.state {
		return nil
	}
	h.stateHd = make([]byte, stateSize)
	if err := c.read(h.stateHd, h.length, true); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(h.stateHd[12:])&dropoutStored != 0 {
		h.length += dropoutSize
		h.stateHd = append(h.stateHd, make([]byte, dropoutSize)...)
		return c.read(h.stateHd[stateSize:], h.length, true)
	}
	return nil
}

// body reads the parameters and buffers after the header h, keeping them
// only when they fit the model, then the checksum, which must end the file
// and match.
func (c *checkpointReader) body(h *fileHeader, fits bool) ([]byte, error) {
	dataLen := h.count * uint64(h.dtype) * (1 + h.buffers)
	fileLen := h.length + dataLen + 4
	var data bytes.Buffer
	dst := io.Discard
	if fits { // count == len(params) and buffers ≤ maxStateBuffers: bounded by the model
		data.Grow(int(dataLen))
		dst = &data
	}
	if _, err := io.CopyN(dst, c.sr, int64(dataLen)); err != nil {
		return nil, c.short(err, fileLen, false)
	}
	crc := c.sr.sum.Sum32()
	var trailer [4]byte
	if err := c.read(trailer[:], fileLen, false); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(c.r, make([]byte, 1)); err == nil {
		return nil, c.fail(ErrCorruptCheckpoint, "has trailing bytes after its %d-byte end", fileLen)
	} else if err != io.EOF {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	if crc != binary.LittleEndian.Uint32(trailer[:]) {
		return nil, c.fail(ErrCorruptCheckpoint, "checksum mismatch: the file is corrupted")
	}
	return data.Bytes(), nil
}

// consistent checks that a whole version-3 file agrees with itself (its
// padding, its layout text against its hash, dtype and count, its training
// state's header) and returns its tensors and stored hyperparameters.
func (c *checkpointReader) consistent(h *fileHeader) (fileTensors []tensorDesc, hyper []byte, err error) {
	if h.version != layoutVersion {
		return nil, nil, nil
	}
	if h.pad != [8]byte{} {
		return nil, nil, c.fail(ErrCorruptCheckpoint, "the padding after its layout text is not zero")
	}
	dtype, fileTensors, total, err := parseLayout(h.layout)
	switch {
	case err != nil:
		return nil, nil, c.fail(ErrCorruptCheckpoint, "%v", err)
	case layoutHash(h.layout) != h.hash:
		return nil, nil, c.fail(ErrCorruptCheckpoint, "its layout hash %s is not that of its layout text, %s", strconv.Quote(h.hash), layoutHash(h.layout))
	case uint32(dtype) != h.dtype:
		return nil, nil, c.fail(ErrCorruptCheckpoint, "its layout text is of %s, its header of %s", dtypeName(dtype), dtypeName(int(h.dtype)))
	case total != h.count:
		return nil, nil, c.fail(ErrCorruptCheckpoint, "its layout text has %d parameters, its header %d", total, h.count)
	}
	if h.state {
		if hyper, err = parseStateHeader(h.stateHd); err != nil {
			return nil, nil, c.fail(ErrCorruptCheckpoint, "%v", err)
		}
	}
	return fileTensors, hyper, nil
}

// mismatch describes how the whole, self-consistent file of header h does
// not fit a model of dtype size, n parameters and layout text model
// (version 3) or spec hash spec (versions 1 and 2), or returns "".
func (h *fileHeader) mismatch(size, n int, model []byte, fileTensors []tensorDesc, spec string) string {
	dtype := ""
	if h.dtype != uint32(size) {
		dtype = fmt.Sprintf("holds %s parameters, the model is %s", dtypeName(int(h.dtype)), dtypeName(size))
	}
	if h.version != layoutVersion {
		if dtype != "" {
			return dtype
		}
		if h.hash == spec {
			return ""
		}
		saved := h.hash
		if checkSpecHash(saved) != nil {
			saved = strconv.Quote(saved)
		}
		if h.count != uint64(n) {
			return fmt.Sprintf("was saved by an older gradgen (format version %d) for another network: it holds %d parameters, the model has %d", h.version, h.count, n)
		}
		theirs := "the model's spec is " + spec
		if spec == "" {
			theirs = "the model's key has no spec hash to compare"
		}
		return fmt.Sprintf("was saved by an older gradgen (format version %d) for spec %s, %s: "+
			"the format before version 3 is keyed on the whole spec; load it with the gradgen that wrote it and save it again",
			h.version, saved, theirs)
	}
	if bytes.Equal(h.layout, model) {
		return ""
	}
	_, modelTensors, _, err := parseLayout(model)
	if err != nil {
		panic("gradgen: the model's own layout text does not parse: " + err.Error())
	}
	diff := describeLayouts(fileTensors, modelTensors)
	switch {
	case diff == "" && dtype != "":
		return dtype
	case diff == "": // cannot happen: parseLayout takes only canonical texts
		return fmt.Sprintf("was saved for another layout (hash %s, the model's %s)", h.hash, layoutHash(model))
	case dtype != "":
		return dtype + ", and was saved for another network: " + diff
	}
	return "was saved for another network: " + diff
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
