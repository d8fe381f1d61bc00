package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

const (
	// stateVersion is the older format of a training state, keyed on the
	// spec hash; oldStateHeader is the length of its header.
	stateVersion   = 2
	oldStateHeader = 64
	// stateSize is the length of the training state's header in a version-3
	// file, hyperSize that of the hyperparameters in it.
	stateSize       = 24 + hyperSize
	hyperSize       = 112
	maxStateBuffers = 2
	// hyperStored is the flag of a version-3 training state that holds the
	// hyperparameters, dropoutStored that of one whose header goes on with
	// the dropout generator's state, dropoutSize bytes.
	hyperStored   = 1
	dropoutStored = 2
	dropoutSize   = 16
)

// TrainingState is what training keeps beside the parameters: the
// optimizer's name and step count, its buffers, each as long as the
// parameters, and its hyperparameters. Generated code passes views of its
// Model's fields.
type TrainingState[T Float] struct {
	Optimizer string       // "sgd", "momentum", "adam", "adamw"
	Step      uint64       // steps taken
	Buffers   [][]T        // momentum's v; Adam's and AdamW's m and v
	Hyper     *Hyperparams // when non-nil, Write stores the hyperparameters and Read restores them (a version-2 file, which has none, leaves *Hyper unchanged)
	// Dropout, when non-nil, is the dropout generator of a model with
	// dropout layers: Write stores it and Read restores it from a file that
	// holds one (a file without leaves *Dropout unchanged).
	Dropout *DropoutState
}

// WriteState writes a checkpoint of params and st to w, keyed on
// key.Layout: a file of format version 3 (see WriteParams) with contents 2,
// whose training state, at offset H, is, all integers little-endian:
//
//	offset   size  field
//	H        8     optimizer name, ASCII, padded with NUL bytes: "sgd", "momentum", "adam", "adamw"
//	H+8      4     buffer count k, uint32, at most 2: the optimizer's buffers, each n elements
//	H+12     4     flags, uint32: bit 0 (1) when the hyperparameters are stored (st.Hyper
//	                 non-nil; else their 112 bytes are zero), bit 1 (2) when the dropout
//	                 generator's state follows them (st.Dropout non-nil)
//	H+16     8     step count, uint64 (Adam's t)
//	H+24     112   the hyperparameters (Hyperparams), fixed-width:
//	  +0     8       LR, float64 bits
//	  +8     8       WeightDecay, float64 bits
//	  +16    8       Momentum, float64 bits
//	  +24    8       Dampening, float64 bits
//	  +32    8       Beta1, float64 bits
//	  +40    8       Beta2, float64 bits
//	  +48    8       Eps, float64 bits
//	  +56    8       ClipGradNorm, float64 bits
//	  +64    8       Schedule.Warmup, int64
//	  +72    8       Schedule.TMax, int64
//	  +80    8       Schedule.EtaMin, float64 bits
//	  +88    8       Schedule.StepSize, int64
//	  +96    8       Schedule.Gamma, float64 bits
//	  +104   1       Nesterov: 0 or 1
//	  +105   1       Schedule.Kind: 0 constant, 1 cosine, 2 step
//	  +106   6       zero
//	H+136    16    with flag 2 only: the dropout generator, DropoutState.Seed then Calls,
//	                 uint64 each; D = 16 with the flag, 0 without
//	H+136+D  n*s   the parameters, then the k buffers in order (momentum: v;
//	                 adam and adamw: m, then v), then the CRC-32C
//
// Format version 2, which this gradgen reads but no longer writes, is keyed
// on the spec hash and holds no hyperparameters:
//
//	offset   size       field
//	0        8          magic "GRADGEN\x00"
//	8        4          format version, uint32 = 2
//	12       4          dtype: element size in bytes, 4 or 8
//	16       16         spec hash, ASCII hex
//	32       8          parameter count n, uint64
//	40       8          optimizer name, ASCII, padded with NUL bytes
//	48       4          buffer count k, uint32
//	52       4          zero
//	56       8          step count, uint64
//	64       n*s        the parameters, as in version 1
//	64+n*s   k*n*s      the buffers in order
//	end      4          CRC-32C of everything before it
//
// ReadParams and LoadParams read the parameters of a training state's file.
func WriteState[T Float](w io.Writer, key *CheckpointKey, params []T, st *TrainingState[T]) error {
	if st == nil {
		return errors.New("checkpoint: no training state to write")
	}
	if err := writeCheckpoint(w, key, params, st); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// ReadState reads a training state's checkpoint (WriteState) from r into
// params and st, all or nothing: on any error, params, st.Step, st.Buffers
// and *st.Hyper are unchanged. The checkpoint must fit as for ReadParams
// and be of st's optimizer, with its number of buffers.
func ReadState[T Float](r io.Reader, key *CheckpointKey, params []T, st *TrainingState[T]) error {
	return readState(r, "checkpoint", key, params, st)
}

// SaveState writes the training checkpoint to path atomically
// (WriteFileAtomic), so an interrupted save leaves the previous one intact.
func SaveState[T Float](path string, key *CheckpointKey, params []T, st *TrainingState[T]) error {
	if st == nil {
		return fmt.Errorf("checkpoint %s: no training state to write", path)
	}
	err := WriteFileAtomic(path, func(w io.Writer) error { return writeCheckpoint(w, key, params, st) })
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// LoadState reads the training checkpoint at path into params and st, all
// or nothing, as ReadState.
func LoadState[T Float](path string, key *CheckpointKey, params []T, st *TrainingState[T]) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	defer f.Close()
	return readState(f, "checkpoint "+path, key, params, st)
}

// readState reads through readCheckpoint, which sets params and st only
// once everything verified.
func readState[T Float](r io.Reader, name string, key *CheckpointKey, params []T, st *TrainingState[T]) error {
	if st == nil {
		return fmt.Errorf("%s: no training state to read into", name)
	}
	return readCheckpoint(r, name, key, params, st)
}

// check reports whether s can be written for, or read into, n parameters.
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

// checkHyper reports whether s's hyperparameters can be written: a
// schedule kind this gradgen knows, which a reader takes back.
func (s *TrainingState[T]) checkHyper() error {
	if s.Hyper != nil && int(s.Hyper.Schedule.Kind) >= len(scheduleNames) {
		return fmt.Errorf("unknown schedule %v", s.Hyper.Schedule.Kind)
	}
	return nil
}

// appendHeader appends the training state's header of a version-3 file.
func (s *TrainingState[T]) appendHeader(b []byte) []byte {
	var name [8]byte
	copy(name[:], s.Optimizer)
	b = append(b, name[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.Buffers)))
	b = binary.LittleEndian.AppendUint32(b, s.flags())
	b = binary.LittleEndian.AppendUint64(b, s.Step)
	if s.Hyper == nil {
		return s.appendDropout(append(b, make([]byte, hyperSize)...))
	}
	h := s.Hyper
	for _, x := range []float64{h.LR, h.WeightDecay, h.Momentum, h.Dampening, h.Beta1, h.Beta2, h.Eps, h.ClipGradNorm} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	sc := &h.Schedule
	b = binary.LittleEndian.AppendUint64(b, uint64(int64(sc.Warmup)))
	b = binary.LittleEndian.AppendUint64(b, uint64(int64(sc.TMax)))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(sc.EtaMin))
	b = binary.LittleEndian.AppendUint64(b, uint64(int64(sc.StepSize)))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(sc.Gamma))
	nesterov := byte(0)
	if h.Nesterov {
		nesterov = 1
	}
	b = append(b, nesterov, byte(sc.Kind))
	return s.appendDropout(append(b, make([]byte, 6)...))
}

// appendDropout appends the dropout generator's state after the header of
// appendHeader, when s has one.
func (s *TrainingState[T]) appendDropout(b []byte) []byte {
	if s.Dropout == nil {
		return b
	}
	b = binary.LittleEndian.AppendUint64(b, s.Dropout.Seed)
	return binary.LittleEndian.AppendUint64(b, s.Dropout.Calls)
}

// flags are the flags of s's header.
func (s *TrainingState[T]) flags() uint32 {
	var f uint32
	if s.Hyper != nil {
		f |= hyperStored
	}
	if s.Dropout != nil {
		f |= dropoutStored
	}
	return f
}

// parseStateHeader checks the structure of a version-3 training state's
// header and returns its hyperparameters' bytes, or nil when it has none.
// Its errors mean corruption.
func parseStateHeader(hd []byte) ([]byte, error) {
	name := bytes.TrimRight(hd[:8], "\x00")
	if len(name) == 0 || bytes.IndexByte(name, 0) >= 0 {
		return nil, fmt.Errorf("its optimizer name %q is not 1 to 8 bytes padded with NUL", hd[:8])
	}
	flags := binary.LittleEndian.Uint32(hd[12:])
	hyper := hd[24 : 24+hyperSize]
	switch {
	case flags&^(hyperStored|dropoutStored) != 0:
		return nil, fmt.Errorf("unknown flags %#x in its training state", flags)
	case flags&hyperStored == 0:
		if !allZero(hyper) {
			return nil, errors.New("its training state holds no hyperparameters, but their bytes are not zero")
		}
		return nil, nil
	case hyper[104] > 1:
		return nil, fmt.Errorf("its nesterov byte is %d, not 0 or 1", hyper[104])
	case !allZero(hyper[106:]):
		return nil, errors.New("the padding of its hyperparameters is not zero")
	}
	return hyper, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// decodeHyper decodes the hyperparameters that parseStateHeader returned.
// Its errors mean hyperparameters this gradgen cannot take.
func decodeHyper(b []byte) (*Hyperparams, error) {
	f := func(off int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b[off:])) }
	var err error
	i := func(off int, what string) int {
		v := int64(binary.LittleEndian.Uint64(b[off:]))
		if int64(int(v)) != v && err == nil {
			err = fmt.Errorf("its schedule's %s, %d, does not fit an int", what, v)
		}
		return int(v)
	}
	h := &Hyperparams{
		LR: f(0), WeightDecay: f(8), Momentum: f(16), Dampening: f(24),
		Beta1: f(32), Beta2: f(40), Eps: f(48), ClipGradNorm: f(56),
		Nesterov: b[104] == 1,
		Schedule: Schedule{
			Warmup: i(64, "warmup"), TMax: i(72, "t_max"), EtaMin: f(80),
			StepSize: i(88, "step_size"), Gamma: f(96), Kind: ScheduleKind(b[105]),
		},
	}
	if int(h.Schedule.Kind) >= len(scheduleNames) && err == nil {
		err = fmt.Errorf("its learning-rate schedule is of kind %d, which this gradgen does not know", b[105])
	}
	return h, err
}

// fits reports whether a whole checkpoint of header h, with the
// hyperparameters' bytes hyper (nil without), holds a training state s can
// take: the same optimizer and buffer count. It returns the hyperparameters
// to restore, or nil.
func (s *TrainingState[T]) fits(h *fileHeader, hyper []byte) (*Hyperparams, error) {
	if !h.state {
		return nil, errors.New("holds parameters only (Params.Save); Model.Load needs a file of Model.Save")
	}
	saved := string(bytes.TrimRight(h.stateHd[:8], "\x00"))
	if saved != s.Optimizer {
		return nil, fmt.Errorf("holds the training state of %s, the model trains with %s", saved, s.Optimizer)
	}
	if h.buffers != uint64(len(s.Buffers)) {
		return nil, fmt.Errorf("holds %d optimizer buffers, the model's %s keeps %d", h.buffers, s.Optimizer, len(s.Buffers))
	}
	if s.Hyper == nil || hyper == nil {
		return nil, nil
	}
	hp, err := decodeHyper(hyper)
	if err != nil {
		return nil, err
	}
	// Restore only settings SetHyperparams would take: a crafted file must
	// not give the model a negative learning rate.
	if err := hp.Check(s.Optimizer); err != nil {
		return nil, fmt.Errorf("holds hyperparameters out of range: %w", err)
	}
	return hp, nil
}
