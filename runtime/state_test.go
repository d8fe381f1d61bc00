package runtime

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func encodeState[T Float](t *testing.T, params []T, st *TrainingState[T]) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteState(&b, testHash, params, st); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestStateRoundTrip: a training state comes back whole, and Params.Load's
// reader takes the parameters of a version-2 file.
func TestStateRoundTrip(t *testing.T) {
	params := []float32{1, -2, 3.5}
	st := &TrainingState[float32]{Optimizer: "adam", Step: 41, Buffers: [][]float32{{0.1, 0.2, 0.3}, {4, 5, 6}}}
	file := encodeState(t, params, st)
	if want := stateHeader + 3*3*4 + 4; len(file) != want {
		t.Errorf("file of %d bytes, want %d", len(file), want)
	}
	gotP := make([]float32, 3)
	got := &TrainingState[float32]{Optimizer: "adam", Buffers: [][]float32{make([]float32, 3), make([]float32, 3)}}
	if err := ReadState(bytes.NewReader(file), testHash, gotP, got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotP, params) || got.Step != 41 || !slices.Equal(got.Buffers[0], st.Buffers[0]) || !slices.Equal(got.Buffers[1], st.Buffers[1]) {
		t.Errorf("read back %v %+v", gotP, got)
	}
	onlyParams := make([]float32, 3)
	if err := ReadParams(bytes.NewReader(file), testHash, onlyParams); err != nil || !slices.Equal(onlyParams, params) {
		t.Errorf("ReadParams of a training state: %v, %v", onlyParams, err)
	}
}

// TestStateMismatch: each way a valid file can fail to fit names the
// problem, and leaves the model as it was.
func TestStateMismatch(t *testing.T) {
	params := []float64{1, 2}
	adam := &TrainingState[float64]{Optimizer: "adam", Step: 3, Buffers: [][]float64{{1, 1}, {2, 2}}}
	momentum := &TrainingState[float64]{Optimizer: "momentum", Buffers: [][]float64{{1, 1}}}
	v1 := encode(t, testHash, params)
	for _, tc := range []struct {
		name string
		file []byte
		into *TrainingState[float64]
		want string
	}{
		{"parameters only", v1, adam, "holds parameters only (format version 1)"},
		{"another optimizer", encodeState(t, params, momentum), adam, "holds the training state of optimizer momentum, the model trains with adam"},
		{"another network", encodeState(t, []float64{1, 2, 3}, &TrainingState[float64]{Optimizer: "adam", Buffers: [][]float64{{1, 2, 3}, {1, 2, 3}}}), adam, "holds 3 parameters, the model has 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := []float64{7, 7}
			into := &TrainingState[float64]{Optimizer: tc.into.Optimizer, Step: 9, Buffers: [][]float64{{7, 7}, {7, 7}}}
			err := ReadState(bytes.NewReader(tc.file), testHash, p, into)
			if !errors.Is(err, ErrCheckpointMismatch) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a mismatch saying %q", err, tc.want)
			}
			if !slices.Equal(p, []float64{7, 7}) || into.Step != 9 || !slices.Equal(into.Buffers[0], []float64{7, 7}) {
				t.Errorf("a failed load changed the model: %v %+v", p, into)
			}
		})
	}
	// Truncated anywhere: corrupt, and nothing changes.
	file := encodeState(t, params, adam)
	for n := range len(file) {
		p := []float64{7, 7}
		into := &TrainingState[float64]{Optimizer: "adam", Step: 9, Buffers: [][]float64{{7, 7}, {7, 7}}}
		if err := ReadState(bytes.NewReader(file[:n]), testHash, p, into); !errors.Is(err, ErrCorruptCheckpoint) || p[0] != 7 || into.Step != 9 {
			t.Fatalf("truncated to %d bytes: %v, params %v, step %d", n, err, p, into.Step)
		}
	}
}

// TestStateHostileBuffers: a declared buffer count beyond any optimizer's
// is corruption, not an allocation.
func TestStateHostileBuffers(t *testing.T) {
	file := encodeState(t, []float32{1}, &TrainingState[float32]{Optimizer: "sgd"})
	file[48] = 200
	err := ReadParams(bytes.NewReader(file), testHash, []float32{0})
	if !errors.Is(err, ErrCorruptCheckpoint) || !strings.Contains(err.Error(), "200 optimizer buffers") {
		t.Errorf("got %v", err)
	}
}

func TestSaveLoadState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.ckpt")
	st := &TrainingState[float32]{Optimizer: "momentum", Step: 5, Buffers: [][]float32{{0.5, -0.5}}}
	if err := SaveState(path, testHash, []float32{1, 2}, st); err != nil {
		t.Fatal(err)
	}
	p := make([]float32, 2)
	got := &TrainingState[float32]{Optimizer: "momentum", Buffers: [][]float32{make([]float32, 2)}}
	if err := LoadState(path, testHash, p, got); err != nil || got.Step != 5 || got.Buffers[0][1] != -0.5 || p[1] != 2 {
		t.Errorf("LoadState: %v, %v %+v", err, p, got)
	}
	if err := SaveState(path, testHash, []float32{1, 2}, &TrainingState[float32]{Optimizer: "momentum", Buffers: [][]float32{{1}}}); err == nil {
		t.Error("SaveState with a buffer shorter than the parameters succeeded")
	}
}
