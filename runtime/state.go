package runtime

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// Format version 2 of a checkpoint adds the training state after the
// parameters, so that a resumed run continues with the bits of one that was
// never interrupted. Its layout extends version 1's:
//
//	offset   size       field
//	0        8          magic "GRADGEN\x00"
//	8        4          format version, uint32 = 2
//	12       4          dtype: element size in bytes, 4 or 8
//	16       16         spec hash, ASCII hex
//	32       8          parameter count n, uint64
//	40       8          optimizer name, ASCII, padded with NUL bytes: "sgd", "momentum", "adam"
//	48       4          buffer count k, uint32: the optimizer's state, each n elements
//	52       4          zero
//	56       8          step count, uint64 (Adam's t)
//	64       n*s        the parameters, as in version 1
//	64+n*s   k*n*s      the buffers in order (momentum: v; adam: m, then v)
//	end      4          CRC-32C of everything before it
//
// ReadParams and LoadParams read the parameters of either version.
const (
	stateVersion    = 2
	stateHeader     = 64
	maxStateBuffers = 2
)

// TrainingState is what training keeps beside the parameters: the
// optimizer's name and step count and its buffers, each as long as the
// parameters. Generated code passes views of its Model's fields.
type TrainingState[T Float] struct {
	Optimizer string // "sgd", "momentum" or "adam"
	Step      uint64 // steps taken
	Buffers   [][]T  // momentum's v; Adam's m and v
}

// check reports whether s can be written for n parameters.
func (s *TrainingState[T]) check(n int) error {
	if len(s.Optimizer) == 0 || len(s.Optimizer) > 8 || bytes.IndexByte([]byte(s.Optimizer), 0) >= 0 {
		return fmt.Errorf("optimizer name %q is not 1 to 8 bytes without NUL", s.Optimizer)
	}
	if len(s.Buffers) > maxStateBuffers {
		return fmt.Errorf("%d optimizer buffers, at most %d", len(s.Buffers), maxStateBuffers)
	}
	for k, b := range s.Buffers {
		if len(b) != n {
			return fmt.Errorf("optimizer buffer %d has %d elements, the parameters %d", k, len(b), n)
		}
	}
	return nil
}

// fits reports whether a checkpoint of the given version and header holds
// a training state s can take: version 2, the same optimizer and buffer
// count.
func (s *TrainingState[T]) fits(version uint32, hdr []byte, count uint64) error {
	if version != stateVersion {
		return fmt.Errorf("holds parameters only (format version %d), not a training state: load it with Params.Load", version)
	}
	saved := string(bytes.TrimRight(hdr[40:48], "\x00"))
	if saved != s.Optimizer {
		return fmt.Errorf("holds the training state of optimizer %s, the model trains with %s", saved, s.Optimizer)
	}
	if k := int(hdr[48]) | int(hdr[49])<<8 | int(hdr[50])<<16 | int(hdr[51])<<24; k != len(s.Buffers) {
		return fmt.Errorf("holds %d optimizer buffers, the model's %s keeps %d", k, s.Optimizer, len(s.Buffers))
	}
	return nil
}

// WriteState writes a version-2 checkpoint of params and st to w.
func WriteState[T Float](w io.Writer, specHash string, params []T, st *TrainingState[T]) error {
	if err := writeCheckpoint(w, specHash, params, st); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// ReadState reads a version-2 checkpoint from r into params and st, all or
// nothing: on any error, params, st.Step and st.Buffers are unchanged. The
// checkpoint must be of st's optimizer, with its number of buffers.
func ReadState[T Float](r io.Reader, specHash string, params []T, st *TrainingState[T]) error {
	return readState(r, "checkpoint", specHash, params, st)
}

// SaveState writes the training checkpoint to path atomically
// (WriteFileAtomic), so an interrupted save leaves the previous one intact.
func SaveState[T Float](path, specHash string, params []T, st *TrainingState[T]) error {
	err := WriteFileAtomic(path, func(w io.Writer) error { return writeCheckpoint(w, specHash, params, st) })
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// LoadState reads the training checkpoint at path into params and st, all
// or nothing.
func LoadState[T Float](path, specHash string, params []T, st *TrainingState[T]) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	defer f.Close()
	return readState(f, "checkpoint "+path, specHash, params, st)
}

// readState reads into copies first, so that a failure leaves st as it
// was: readCheckpoint sets params only once everything verified, and the
// buffers and step after them.
func readState[T Float](r io.Reader, name, specHash string, params []T, st *TrainingState[T]) error {
	if st == nil {
		return fmt.Errorf("%s: no training state to read into", name)
	}
	return readCheckpoint(r, name, specHash, params, st)
}
