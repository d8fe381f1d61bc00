package runtime

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func encodeState[T Float](t testing.TB, key *CheckpointKey, params []T, st *TrainingState[T]) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteState(&b, key, params, st); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fullHyper sets every field of the hyperparameters, none to its zero value.
var fullHyper = Hyperparams{
	LR: 0.01, WeightDecay: 1e-4, Momentum: 0.9, Dampening: 0.1, Nesterov: true,
	Beta1: 0.8, Beta2: 0.995, Eps: 1e-7, ClipGradNorm: 2.5,
	Schedule: Schedule{Warmup: 100, Kind: StepDecay, TMax: -3, EtaMin: 1e-5, StepSize: 30, Gamma: 0.5},
}

// TestStateRoundTrip: a training state comes back whole, hyperparameters
// included, and Params.Load's reader takes the parameters of its file.
func TestStateRoundTrip(t *testing.T) {
	key := keyOf(mlp([]int{3}))
	params := []float32{1, -2, 3.5}
	hyper := fullHyper
	st := &TrainingState[float32]{Optimizer: "adamw", Step: 41, Buffers: [][]float32{{0.1, 0.2, 0.3}, {4, 5, 6}}, Hyper: &hyper}
	file := encodeState(t, key, params, st)
	text := len("float32\nW1 0.weight 3\n")
	if want := 48 + text + pad8(text) + stateSize + 3*3*4 + 4; len(file) != want {
		t.Errorf("file of %d bytes, want %d", len(file), want)
	}
	gotP := make([]float32, 3)
	got := &TrainingState[float32]{Optimizer: "adamw", Buffers: [][]float32{make([]float32, 3), make([]float32, 3)}, Hyper: &Hyperparams{}}
	if err := ReadState(bytes.NewReader(file), key, gotP, got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotP, params) || got.Step != 41 || !slices.Equal(got.Buffers[0], st.Buffers[0]) || !slices.Equal(got.Buffers[1], st.Buffers[1]) {
		t.Errorf("read back %v %+v", gotP, got)
	}
	if *got.Hyper != fullHyper {
		t.Errorf("hyperparameters read back\n\t%+v\nwant\n\t%+v", *got.Hyper, fullHyper)
	}
	onlyParams := make([]float32, 3)
	if err := ReadParams(bytes.NewReader(file), key, onlyParams); err != nil || !slices.Equal(onlyParams, params) {
		t.Errorf("ReadParams of a training state: %v, %v", onlyParams, err)
	}

	// Without hyperparameters in the file, or none asked for.
	st.Hyper = nil
	file = encodeState(t, key, params, st)
	keep := Hyperparams{LR: 3}
	got.Hyper = &keep
	if err := ReadState(bytes.NewReader(file), key, gotP, got); err != nil || keep != (Hyperparams{LR: 3}) {
		t.Errorf("a file without hyperparameters: %v, %+v", err, keep)
	}
	st.Hyper = &hyper
	got.Hyper = nil
	if err := ReadState(bytes.NewReader(encodeState(t, key, params, st)), key, gotP, got); err != nil {
		t.Errorf("no hyperparameters asked for: %v", err)
	}

	// sgd keeps no buffers; the state of a float64 network.
	sgd := &TrainingState[float64]{Optimizer: "sgd", Step: 1 << 40, Hyper: &Hyperparams{LR: 0.5, Schedule: Schedule{Kind: Cosine, TMax: 10}}}
	p64 := []float64{math.Pi, math.Inf(-1), 0}
	into := &TrainingState[float64]{Optimizer: "sgd", Hyper: &Hyperparams{}}
	got64 := make([]float64, 3)
	if err := ReadState(bytes.NewReader(encodeState(t, key, p64, sgd)), key, got64, into); err != nil ||
		!slices.Equal(got64, p64) || into.Step != 1<<40 || *into.Hyper != *sgd.Hyper {
		t.Errorf("sgd: %v, %v %+v", err, got64, into)
	}
}

// TestStateHyperEveryField: the format stores every field of Hyperparams
// and Schedule. A new field fails here until the format (and its version)
// holds it.
func TestStateHyperEveryField(t *testing.T) {
	encoded := map[string]bool{
		"LR": true, "WeightDecay": true, "Momentum": true, "Dampening": true, "Nesterov": true,
		"Beta1": true, "Beta2": true, "Eps": true, "ClipGradNorm": true, "Schedule": true,
		"Schedule.Warmup": true, "Schedule.Kind": true, "Schedule.TMax": true, "Schedule.EtaMin": true,
		"Schedule.StepSize": true, "Schedule.Gamma": true,
	}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for f := range typ.Fields() {
			name := prefix + f.Name
			if !encoded[name] {
				t.Errorf("Hyperparams.%s is not in the checkpoint format: add it to appendHeader and decodeHyper, and a format version", name)
			}
			if f.Type.Kind() == reflect.Struct {
				walk(name+".", f.Type)
			}
		}
	}
	walk("", reflect.TypeFor[Hyperparams]())
	// Each field set alone comes back: none is dropped or swapped.
	v := reflect.ValueOf(&fullHyper).Elem()
	var each func(prefix string, v reflect.Value)
	each = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			name := prefix + v.Type().Field(i).Name
			if v.Field(i).Kind() == reflect.Struct {
				each(name+".", v.Field(i))
				continue
			}
			// A valid base (Read restores only settings Check accepts)
			// whose every field differs from fullHyper's.
			h := Hyperparams{LR: 0.25, Schedule: Schedule{StepSize: 7, Gamma: 0.75}}
			hv := reflect.ValueOf(&h).Elem()
			if prefix != "" {
				hv = hv.FieldByName("Schedule")
			}
			hv.Field(i).Set(v.Field(i))
			st := &TrainingState[float32]{Optimizer: "sgd", Hyper: &h}
			into := &TrainingState[float32]{Optimizer: "sgd", Hyper: &Hyperparams{}}
			if err := ReadState(bytes.NewReader(encodeState(t, flat(1), []float32{1}, st)), flat(1), []float32{0}, into); err != nil || *into.Hyper != h {
				t.Errorf("%s alone: read back %+v, %v; want %+v", name, *into.Hyper, err, h)
			}
		}
	}
	each("", v)
}

// TestStateOldFormat: a training state of format version 2 loads, keyed on
// the spec, and leaves the hyperparameters alone (it has none).
func TestStateOldFormat(t *testing.T) {
	st := &TrainingState[float64]{Optimizer: "adam", Step: 12, Buffers: [][]float64{{1, 2}, {3, 4}}}
	file := writeOld(testHash, []float64{5, 6}, st)
	p := make([]float64, 2)
	hyper := fullHyper
	into := &TrainingState[float64]{Optimizer: "adam", Buffers: [][]float64{make([]float64, 2), make([]float64, 2)}, Hyper: &hyper}
	if err := ReadState(bytes.NewReader(file), flat(2), p, into); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p, []float64{5, 6}) || into.Step != 12 || !slices.Equal(into.Buffers[1], []float64{3, 4}) || hyper != fullHyper {
		t.Errorf("read back %v %+v", p, into)
	}
	err := ReadState(bytes.NewReader(file), &CheckpointKey{Layout: flat(2).Layout, Spec: otherHash}, p, into)
	if !errors.Is(err, ErrCheckpointMismatch) || !strings.Contains(err.Error(), "was saved by an older gradgen (format version 2) for spec 0123456789abcdef") {
		t.Errorf("another spec: %v", err)
	}
}

// TestStateMismatch: each way a valid file can fail to fit names the
// problem, and leaves the model as it was.
func TestStateMismatch(t *testing.T) {
	params := []float64{1, 2}
	key := flat(2)
	adam := &TrainingState[float64]{Optimizer: "adam", Step: 3, Buffers: [][]float64{{1, 1}, {2, 2}}, Hyper: &Hyperparams{LR: 1}}
	adamw := &TrainingState[float64]{Optimizer: "adamw", Step: 3, Buffers: [][]float64{{1, 1}, {2, 2}}}
	momentum := &TrainingState[float64]{Optimizer: "momentum", Buffers: [][]float64{{1, 1}}}
	badKind := encodeState(t, key, params, adam)
	badKind[len(badKind)-4-2*3*8-6-1] = 9 // Schedule.Kind, the byte before the padding
	badKind = reseal(badKind)
	for _, tc := range []struct {
		name string
		file []byte
		into *TrainingState[float64]
		want string
	}{
		{"parameters only", encode(t, key, params), adam, "holds parameters only (Params.Save); Model.Load needs a file of Model.Save"},
		{"parameters only, version 1", writeOld(testHash, params, nil), adam, "holds parameters only (Params.Save); Model.Load needs a file of Model.Save"},
		{"another optimizer", encodeState(t, key, params, adamw), adam, "holds the training state of adamw, the model trains with adam"},
		{"another optimizer, version 2", writeOld(testHash, params, momentum), adam, "holds the training state of momentum, the model trains with adam"},
		{"another buffer count", encodeState(t, key, params, momentum), &TrainingState[float64]{Optimizer: "momentum"}, "holds 1 optimizer buffers, the model's momentum keeps 0"},
		{"another network", encodeState(t, flat(3), []float64{1, 2, 3}, &TrainingState[float64]{Optimizer: "adam", Buffers: [][]float64{{1, 2, 3}, {1, 2, 3}}}), adam,
			"was saved for another network: W1 (0.weight): shape [3] in the file, [2] in the model"},
		{"unknown schedule", badKind, adam, "its learning-rate schedule is of kind 9, which this gradgen does not know"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := []float64{7, 7}
			hyper := Hyperparams{LR: 7}
			into := &TrainingState[float64]{Optimizer: tc.into.Optimizer, Step: 9, Hyper: &hyper}
			for range tc.into.Buffers {
				into.Buffers = append(into.Buffers, []float64{7, 7})
			}
			err := ReadState(bytes.NewReader(tc.file), key, p, into)
			if !errors.Is(err, ErrCheckpointMismatch) || err.Error() != "checkpoint: "+tc.want {
				t.Errorf("got %v, want a mismatch saying %q", err, tc.want)
			}
			if !slices.Equal(p, []float64{7, 7}) || into.Step != 9 || hyper != (Hyperparams{LR: 7}) || len(into.Buffers) > 0 && !slices.Equal(into.Buffers[0], []float64{7, 7}) {
				t.Errorf("a failed load changed the model: %v %+v", p, into)
			}
		})
	}
	// The parameters of the file with an unknown schedule still load.
	if err := ReadParams(bytes.NewReader(badKind), key, make([]float64, 2)); err != nil {
		t.Errorf("ReadParams of a state with an unknown schedule: %v", err)
	}
	// Truncated anywhere: corrupt, and nothing changes.
	for _, file := range [][]byte{encodeState(t, key, params, adam), writeOld(testHash, params, adam)} {
		for n := range len(file) {
			p := []float64{7, 7}
			into := &TrainingState[float64]{Optimizer: "adam", Step: 9, Buffers: [][]float64{{7, 7}, {7, 7}}, Hyper: &Hyperparams{}}
			if err := ReadState(bytes.NewReader(file[:n]), key, p, into); !errors.Is(err, ErrCorruptCheckpoint) || p[0] != 7 || into.Step != 9 || into.Hyper.LR != 0 {
				t.Fatalf("version %d truncated to %d bytes: %v, params %v, step %d", file[8], n, err, p, into.Step)
			}
		}
	}
}

// TestStateCorrupt: a training state whose checksum holds but whose header
// is malformed is corrupt.
func TestStateCorrupt(t *testing.T) {
	key := flat(1)
	file := encodeState(t, key, []float32{1}, &TrainingState[float32]{Optimizer: "sgd", Hyper: &Hyperparams{LR: 1}})
	h := 48 + 24 // the training state's offset: a layout text of 22 bytes and 2 of padding
	if string(file[h:h+3]) != "sgd" {
		t.Fatalf("no optimizer name at %d", h)
	}
	for _, tt := range []struct {
		name string
		off  int
		b    byte
		want string
	}{
		{"no name", h, 0, `its optimizer name "\x00gd\x00\x00\x00\x00\x00" is not 1 to 8 bytes padded with NUL`},
		{"flags", h + 12, 5, "unknown flags 0x5 in its training state"},
		{"no hyperparameters", h + 12, 0, "its training state holds no hyperparameters, but their bytes are not zero"},
		{"nesterov", h + 24 + 104, 2, "its nesterov byte is 2, not 0 or 1"},
		{"padding", h + 24 + 111, 1, "the padding of its hyperparameters is not zero"},
	} {
		bad := slices.Clone(file)
		bad[tt.off] = tt.b
		err := ReadParams(bytes.NewReader(reseal(bad)), key, []float32{0})
		if !errors.Is(err, ErrCorruptCheckpoint) || err.Error() != "checkpoint: "+tt.want {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.want)
		}
	}
}

// TestStateHostileBuffers: a declared buffer count beyond any optimizer's
// is corruption, not an allocation.
func TestStateHostileBuffers(t *testing.T) {
	v3 := encodeState(t, flat(1), []float32{1}, &TrainingState[float32]{Optimizer: "sgd"})
	v3[48+24+8] = 200
	v2 := writeOld(testHash, []float32{1}, &TrainingState[float32]{Optimizer: "sgd"})
	v2[48] = 200
	for _, file := range [][]byte{v3, v2} {
		var err error
		if n := allocs(func() { err = ReadParams(bytes.NewReader(file), flat(1), []float32{0}) }); n > 1<<16 {
			t.Errorf("version %d: allocated %d bytes", file[8], n)
		}
		if !errors.Is(err, ErrCorruptCheckpoint) || !strings.Contains(err.Error(), "200 optimizer buffers") {
			t.Errorf("version %d: got %v", file[8], err)
		}
	}
}

func TestSaveLoadState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.ckpt")
	key := flat(2)
	hyper := Hyperparams{LR: 0.1, Momentum: 0.9}
	st := &TrainingState[float32]{Optimizer: "momentum", Step: 5, Buffers: [][]float32{{0.5, -0.5}}, Hyper: &hyper}
	if err := SaveState(path, key, []float32{1, 2}, st); err != nil {
		t.Fatal(err)
	}
	p := make([]float32, 2)
	got := &TrainingState[float32]{Optimizer: "momentum", Buffers: [][]float32{make([]float32, 2)}, Hyper: &Hyperparams{}}
	if err := LoadState(path, key, p, got); err != nil || got.Step != 5 || got.Buffers[0][1] != -0.5 || p[1] != 2 || *got.Hyper != hyper {
		t.Errorf("LoadState: %v, %v %+v", err, p, got)
	}
	if err := SaveState(path, key, []float32{1, 2}, &TrainingState[float32]{Optimizer: "momentum", Buffers: [][]float32{{1}}}); err == nil {
		t.Error("SaveState with a buffer shorter than the parameters succeeded")
	}
	if err := SaveState(path, key, []float32{1, 2}, &TrainingState[float32]{Optimizer: "sgd", Hyper: &Hyperparams{Schedule: Schedule{Kind: 7}}}); err == nil {
		t.Error("SaveState with an unknown schedule succeeded")
	}
	if err := SaveState[float32](path, key, []float32{1, 2}, nil); err == nil {
		t.Error("SaveState without a state succeeded")
	}
	if err := LoadState(path, key, p, &TrainingState[float32]{Optimizer: "momentum", Buffers: [][]float32{{1}}}); err == nil || errors.Is(err, ErrCheckpointMismatch) {
		t.Errorf("LoadState into a buffer shorter than the parameters: %v", err)
	}
	var b bytes.Buffer
	if err := WriteState(&b, key, []float32{1, 2}, &TrainingState[float32]{Optimizer: "toolongname"}); err == nil {
		t.Error("WriteState with an optimizer name of 11 bytes succeeded")
	}
}

// TestStateRefusesBadHyper: a file whose hyperparameters SetHyperparams
// would refuse (here a negative learning rate, as only a crafted file has)
// is refused, and the state stays as it was.
func TestStateRefusesBadHyper(t *testing.T) {
	bad := fullHyper
	bad.LR = -1
	st := &TrainingState[float32]{Optimizer: "sgd", Hyper: &bad}
	into := &TrainingState[float32]{Optimizer: "sgd", Hyper: &Hyperparams{LR: 3}}
	params := []float32{7}
	err := ReadState(bytes.NewReader(encodeState(t, flat(1), []float32{1}, st)), flat(1), params, into)
	if err == nil || !strings.Contains(err.Error(), "lr must be a finite number > 0") || into.Hyper.LR != 3 || params[0] != 7 {
		t.Errorf("ReadState of lr -1: err %v, lr %v, params %v", err, into.Hyper.LR, params)
	}
}

// TestStateDropout: a training state with a dropout generator stores it
// after the hyperparameters (flag 2, 16 bytes) and reads it back; a reader
// without one skips it, and a file without one leaves the reader's as it
// is.
func TestStateDropout(t *testing.T) {
	key := keyOf(mlp([]int{3}))
	params := []float32{1, -2, 3.5}
	for _, hyper := range []*Hyperparams{nil, {LR: 0.5}} {
		st := &TrainingState[float32]{Optimizer: "sgd", Step: 7, Hyper: hyper, Dropout: &DropoutState{Seed: 1<<63 + 5, Calls: 12}}
		file := encodeState(t, key, params, st)
		text := len("float32\nW1 0.weight 3\n")
		if want := 48 + text + pad8(text) + stateSize + dropoutSize + 3*4 + 4; len(file) != want {
			t.Errorf("file of %d bytes, want %d", len(file), want)
		}
		got := &TrainingState[float32]{Optimizer: "sgd", Hyper: &Hyperparams{}, Dropout: &DropoutState{}}
		gotP := make([]float32, 3)
		if err := ReadState(bytes.NewReader(file), key, gotP, got); err != nil {
			t.Fatal(err)
		}
		if *got.Dropout != *st.Dropout || got.Step != 7 || !slices.Equal(gotP, params) {
			t.Errorf("read back %+v, step %d, params %v", *got.Dropout, got.Step, gotP)
		}
		if err := ReadState(bytes.NewReader(file), key, gotP, &TrainingState[float32]{Optimizer: "sgd"}); err != nil {
			t.Errorf("a reader without dropout: %v", err)
		}
		if err := ReadParams(bytes.NewReader(file), key, gotP); err != nil {
			t.Errorf("ReadParams: %v", err)
		}
		truncated := file[:len(file)-3*4-4-1]
		if err := ReadState(bytes.NewReader(truncated), key, gotP, got); err == nil {
			t.Errorf("a file cut inside its dropout state reads")
		}
	}
	plain := encodeState(t, key, params, &TrainingState[float32]{Optimizer: "sgd", Step: 1})
	mine := &TrainingState[float32]{Optimizer: "sgd", Dropout: &DropoutState{Seed: 3, Calls: 4}}
	if err := ReadState(bytes.NewReader(plain), key, make([]float32, 3), mine); err != nil || *mine.Dropout != (DropoutState{3, 4}) {
		t.Errorf("a file without dropout state: %v, left %+v", err, *mine.Dropout)
	}
}
