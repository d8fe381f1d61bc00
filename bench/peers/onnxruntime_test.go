package peers

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	gbuild "github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/spec"
)

// ONNX Runtime as a peer: the networks of gradgen's BenchmarkInfer, exported
// with gradgen's ONNX exporter from the generated packages' initial
// parameters, run by ONNX Runtime's C library on one thread. The library
// ships in npm's onnxruntime-node package, which `make onnxruntime` installs
// into the user's cache directory (or GRADGEN_ORT_NODE_MODULES); ORTLibEnv
// names another copy. Without one the benchmarks and the test skip
// themselves.

// ORTLibEnv names the environment variable that points at ONNX Runtime's
// shared library (libonnxruntime.so.1, libonnxruntime.dylib).
const ORTLibEnv = "GRADGEN_ORT_LIB"

// ortLibrary returns the path of ONNX Runtime's shared library, or "".
func ortLibrary() string {
	if p := os.Getenv(ORTLibEnv); p != "" {
		return p
	}
	modules := os.Getenv("GRADGEN_ORT_NODE_MODULES") // where make onnxruntime installed it
	if modules == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		modules = filepath.Join(cache, "gradgen", "onnxrt", "node_modules")
	}
	arch := map[string]string{"amd64": "x64"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	dir := filepath.Join(modules, "onnxruntime-node", "bin", "napi-v*", runtime.GOOS, arch)
	for _, name := range []string{"libonnxruntime.so.1", "libonnxruntime.*.dylib"} {
		if found, _ := filepath.Glob(filepath.Join(dir, name)); len(found) > 0 {
			return found[0]
		}
	}
	return ""
}

var ortInit struct {
	once sync.Once
	err  error
}

// startORT loads the library and makes ONNX Runtime's environment once, or
// skips tb when there is no library.
func startORT(tb testing.TB) {
	lib := ortLibrary()
	if lib == "" {
		tb.Skipf("no ONNX Runtime library: run make interop (it installs onnxruntime-node) or set %s", ORTLibEnv)
	}
	ortInit.once.Do(func() {
		ort.SetSharedLibraryPath(lib)
		ortInit.err = ort.InitializeEnvironment(ort.WithLogLevelError())
	})
	if ortInit.err != nil {
		tb.Fatalf("ONNX Runtime (%s): %v", lib, ortInit.err)
	}
}

// ortFloat is an element type both gradgen and ONNX Runtime compute in.
type ortFloat interface{ float32 | float64 }

// ortModel is one exported network in an ONNX Runtime session on one
// thread, with its input and output tensors of batch rows.
type ortModel[T ortFloat] struct {
	session *ort.AdvancedSession
	in, out *ort.Tensor[T]
}

// newORTModel exports the network of the spec at specPath with params and
// opens it in ONNX Runtime for batches of batch rows.
func newORTModel[T ortFloat](tb testing.TB, specPath string, params []float64, batch int) *ortModel[T] {
	n, err := spec.Load(specPath)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := gbuild.Program(n, gbuild.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	data, err := onnxspec.Export(p, params, onnxspec.ExportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	proto, err := onnxspec.Decode(specPath, data)
	if err != nil {
		tb.Fatal(err)
	}
	g := proto.GetGraph()
	outputs := n.Layers[len(n.Layers)-1].Dense
	m := &ortModel[T]{}
	if m.in, err = ort.NewEmptyTensor[T](ort.NewShape(int64(batch), int64(n.Input))); err != nil {
		tb.Fatal(err)
	}
	if m.out, err = ort.NewEmptyTensor[T](ort.NewShape(int64(batch), int64(outputs))); err != nil {
		tb.Fatal(err)
	}
	opt, err := ort.NewSessionOptions()
	if err != nil {
		tb.Fatal(err)
	}
	defer opt.Destroy()
	for _, set := range []error{opt.SetIntraOpNumThreads(1), opt.SetInterOpNumThreads(1), opt.SetExecutionMode(ort.ExecutionModeSequential)} {
		if set != nil {
			tb.Fatal(set)
		}
	}
	m.session, err = ort.NewAdvancedSessionWithONNXData(data, []string{g.GetInput()[0].GetName()}, []string{g.GetOutput()[0].GetName()},
		[]ort.Value{m.in}, []ort.Value{m.out}, opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(m.destroy)
	return m
}

func (m *ortModel[T]) destroy() {
	m.session.Destroy()
	m.in.Destroy()
	m.out.Destroy()
}

// run computes the outputs of the rows xs (row-major) into ys.
func (m *ortModel[T]) run(tb testing.TB, xs, ys []T) {
	copy(m.in.GetData(), xs)
	if err := m.session.Run(); err != nil {
		tb.Fatal(err)
	}
	copy(ys, m.out.GetData())
}

// TestONNXRuntimeMatchesGradgen: ONNX Runtime computes gradgen's outputs for
// every benchmarked network, dtype and batch, so the benchmarks time the
// same work.
func TestONNXRuntimeMatchesGradgen(t *testing.T) {
	startORT(t)
	for _, c := range inferCases() {
		t.Run(c.name()+"/"+c.dtype(), func(t *testing.T) {
			if c.f64 {
				checkORT[float64](t, c)
			} else {
				checkORT[float32](t, c)
			}
		})
	}
}

func checkORT[T ortFloat](t *testing.T, c inferCase) {
	g := newGradgenModel[T](c.base)
	xs := inferInputs[T](g.inputs, c.batch)
	want := make([]T, c.batch*g.outputs)
	g.predict(xs, want)
	m := newORTModel[T](t, c.specPath(), g.params(), c.batch)
	got := make([]T, len(want))
	m.run(t, xs, got)
	tol := map[bool]float64{false: 2e-5, true: 1e-12}[c.f64]
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*math.Max(1, math.Abs(float64(want[i]))) {
			t.Fatalf("output %d: ONNX Runtime %v, gradgen %v", i, got[i], want[i])
		}
	}
}

// BenchmarkInfer times ONNX Runtime on gradgen's BenchmarkInfer networks,
// under the same names with impl onnxruntime.
func BenchmarkInfer(b *testing.B) {
	startORT(b)
	for _, c := range inferCases() {
		if c.f64 {
			benchORT[float64](b, c)
		} else {
			benchORT[float32](b, c)
		}
	}
}

func benchORT[T ortFloat](b *testing.B, c inferCase) {
	g := newGradgenModel[T](c.base)
	m := newORTModel[T](b, c.specPath(), g.params(), c.batch)
	copy(m.in.GetData(), inferInputs[T](g.inputs, c.batch)) // bound once; each run reads it
	b.Run(fmt.Sprintf("%s/onnxruntime/%s", c.name(), c.dtype()), func(b *testing.B) {
		for b.Loop() {
			if err := m.session.Run(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(g.flops(c.batch)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
