package cli

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/emit"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/onnxspec/onnxpb"
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/safetensors"
	"github.com/gradgen/gradgen/spec"
)

// exportedParams reads the ONNX model at path and returns its opset and
// its initializers' values in order, widened to float64, as one vector.
func exportedParams(t *testing.T, path string) (int64, []float64) {
	t.Helper()
	m, err := onnxspec.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var values []float64
	for _, init := range m.GetGraph().GetInitializer() {
		raw := init.GetRawData()
		switch onnxpb.TensorProto_DataType(init.GetDataType()) {
		case onnxpb.TensorProto_FLOAT:
			for i := 0; i < len(raw); i += 4 {
				values = append(values, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
			}
		case onnxpb.TensorProto_DOUBLE:
			for i := 0; i < len(raw); i += 8 {
				values = append(values, math.Float64frombits(binary.LittleEndian.Uint64(raw[i:])))
			}
		default:
			t.Fatalf("initializer %s has data type %d", init.GetName(), init.GetDataType())
		}
	}
	return m.GetOpsetImport()[0].GetVersion(), values
}

// programOf builds the spec at path.
func programOf(t *testing.T, path string) (*spec.Network, *ir.Program) {
	t.Helper()
	n, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return n, p
}

// files lists the names in dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// distinct returns n parameter values that are all different and exact in
// float32.
func distinct(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i+1) / 64
	}
	return xs
}

func TestExportDefaultParams(t *testing.T) {
	dir, specPath := writeSpec(t, goodSpec)
	out := filepath.Join(dir, "net.onnx")
	if code, _, stderr := run("export", "-o", out, specPath); code != ExitOK {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	n, _ := programOf(t, specPath)
	m, err := generic.New[float32](n, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, len(m.Params()))
	for i, x := range m.Params() {
		want[i] = float64(x)
	}
	opset, got := exportedParams(t, out)
	if opset != onnxspec.DefaultOpset {
		t.Errorf("opset %d, want the default %d", opset, onnxspec.DefaultOpset)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the model's parameters are not NewModel(1)'s:\n got %v\nwant %v", got, want)
	}
	if names := files(t, dir); !slices.Equal(names, []string{"net.onnx", "net.yaml"}) {
		t.Errorf("directory holds %v, want the spec and the model (no temporary left)", names)
	}
}

// TestExportCheckpoint exports the parameters of a checkpoint of each kind
// the generated code writes: Params.Save's and Model.Save's, which holds the
// optimizer's state too.
func TestExportCheckpoint(t *testing.T) {
	for _, c := range []struct {
		name string
		save func(path string, key *runtime.CheckpointKey, params []float64) error
	}{
		{"Params.Save", func(path string, key *runtime.CheckpointKey, params []float64) error {
			return runtime.SaveParams(path, key, params)
		}},
		{"Model.Save", func(path string, key *runtime.CheckpointKey, params []float64) error {
			st := &runtime.TrainingState[float64]{Optimizer: "momentum", Step: 3, Buffers: [][]float64{make([]float64, len(params))}}
			return runtime.SaveState(path, key, params, st)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(goodSpec, "input: 3", "dtype: float64\ninput: 3", 1) + "optimizer:\n  momentum: {lr: 0.1, momentum: 0.9}\n"
			dir, specPath := writeSpec(t, src)
			_, p := programOf(t, specPath)
			want := distinct(p.NumParams())
			want[0] = 1.0 / 3 // not a float32
			ckpt := filepath.Join(dir, "net.ckpt")
			if err := c.save(ckpt, &runtime.CheckpointKey{Layout: emit.Layout(p), Spec: p.SpecHash}, want); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "net.onnx")
			if code, _, stderr := run("export", "-params", ckpt, "-opset", "9", "-o", out, specPath); code != ExitOK {
				t.Fatalf("export: exit %d: %s", code, stderr)
			}
			opset, got := exportedParams(t, out)
			if opset != 9 {
				t.Errorf("opset %d, want 9", opset)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the model's parameters are not the checkpoint's:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestExportSafetensors(t *testing.T) {
	dir, specPath := writeSpec(t, goodSpec)
	_, p := programOf(t, specPath)
	want := distinct(p.NumParams())
	params := make([]float32, len(want))
	for i, x := range want {
		params[i] = float32(x)
	}
	st := filepath.Join(dir, "model.safetensors")
	if err := safetensors.SaveParams(st, emit.Layout(p), params); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "net.onnx")
	if code, _, stderr := run("export", "-params", st, "-o", out, specPath); code != ExitOK {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	if _, got := exportedParams(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("the model's parameters are not the safetensors file's:\n got %v\nwant %v", got, want)
	}
}

// TestExportErrors: each mistake exits 2 with a message and writes nothing.
func TestExportErrors(t *testing.T) {
	other := strings.Replace(goodSpec, "dense: 4", "dense: 5", 1) // a checkpoint of another network
	for _, c := range []struct {
		name string
		spec string
		args func(dir, specPath string) []string
		want string
	}{
		{name: "no -o", args: func(dir, specPath string) []string { return []string{specPath} }, want: "-o FILE is required"},
		{name: "opset too old", args: func(dir, specPath string) []string {
			return []string{"-opset", "8", "-o", filepath.Join(dir, "net.onnx"), specPath}
		}, want: "-opset 8: gradgen writes opsets 9 to 20"},
		{name: "opset too new", args: func(dir, specPath string) []string {
			return []string{"-opset", "21", "-o", filepath.Join(dir, "net.onnx"), specPath}
		}, want: "-opset 21"},
		{name: "opset not a number", args: func(dir, specPath string) []string {
			return []string{"-opset", "seventeen", "-o", filepath.Join(dir, "net.onnx"), specPath}
		}, want: `invalid value "seventeen" for flag -opset`},
		{name: "bad spec", spec: "package: net\ninput: 0\nlayers: []\nloss: mse\n", args: func(dir, specPath string) []string {
			return []string{"-o", filepath.Join(dir, "net.onnx"), specPath}
		}, want: "net.yaml:2"},
		{name: "no spec file", args: func(dir, specPath string) []string {
			return []string{"-o", filepath.Join(dir, "net.onnx"), filepath.Join(dir, "missing.yaml")}
		}, want: "missing.yaml"},
		{name: "two specs", args: func(dir, specPath string) []string {
			return []string{"-o", filepath.Join(dir, "net.onnx"), specPath, specPath}
		}, want: "want exactly one SPEC argument, got 2"},
		{name: "no params file", args: func(dir, specPath string) []string {
			return []string{"-params", filepath.Join(dir, "net.ckpt"), "-o", filepath.Join(dir, "net.onnx"), specPath}
		}, want: "checkpoint " + "%DIR%/net.ckpt"},
		{name: "params of another network", args: func(dir, specPath string) []string {
			n, err := spec.Parse("other.yaml", []byte(other))
			if err != nil {
				t.Fatal(err)
			}
			p, err := build.Program(n, build.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ckpt := filepath.Join(dir, "other.ckpt")
			if err := runtime.SaveParams(ckpt, &runtime.CheckpointKey{Layout: emit.Layout(p), Spec: p.SpecHash}, make([]float32, p.NumParams())); err != nil {
				t.Fatal(err)
			}
			return []string{"-params", ckpt, "-o", filepath.Join(dir, "net.onnx"), specPath}
		}, want: "other.ckpt"},
		{name: "float64 safetensors for a float32 network", args: func(dir, specPath string) []string {
			_, p := programOf(t, specPath)
			st := filepath.Join(dir, "net.safetensors")
			if err := safetensors.SaveParams(st, emit.Layout(p), make([]float64, p.NumParams())); err != nil {
				t.Fatal(err)
			}
			return []string{"-params", st, "-o", filepath.Join(dir, "net.onnx"), specPath}
		}, want: "net.safetensors"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.spec
			if src == "" {
				src = goodSpec
			}
			dir, specPath := writeSpec(t, src)
			args := c.args(dir, specPath)
			before := files(t, dir)
			code, stdout, stderr := run(append([]string{"export"}, args...)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d (stderr: %s)", code, ExitUsage, stderr)
			}
			if want := strings.ReplaceAll(c.want, "%DIR%", dir); !strings.Contains(stderr, want) {
				t.Errorf("stderr %q does not say %q", stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if after := files(t, dir); !slices.Equal(after, before) {
				t.Errorf("the directory held %v and holds %v: export wrote a file", before, after)
			}
		})
	}
}

func TestExportHelp(t *testing.T) {
	code, stdout, _ := run("export", "-h")
	if code != ExitOK || !strings.Contains(stdout, "usage: gradgen export [-params FILE] [-opset N] -o FILE SPEC") ||
		!strings.Contains(stdout, "-opset N") {
		t.Errorf("export -h: exit %d, stdout:\n%s", code, stdout)
	}
}
