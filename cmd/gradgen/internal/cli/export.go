package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/emit"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/safetensors"
	"github.com/gradgen/gradgen/spec"
	"github.com/gradgen/gradgen/torchspec"
)

// exportCmd writes SPEC's network as an ONNX inference model, or, with
// -format torch, as a Python module for PyTorch (package torchspec).
func exportCmd(args []string, stdout, stderr io.Writer) int {
	var out, paramsPath, format string
	var opset int
	var given []string // the flags given, by name
	synopsis := "Export writes the network of SPEC to FILE, atomically.\n\n" +
		"With -format onnx (the default) it writes an ONNX inference model: the input x\n" +
		"[N, inputs], the output y [N, outputs] (Predict's), one node per layer, activation and\n" +
		"output map (Gemm, Relu, Softmax, ...) and the parameters as initializers named as in\n" +
		"PyTorch's state_dict. The parameters are those of -params, a checkpoint that Params.Save\n" +
		"or Model.Save wrote or a .safetensors file; without it, the pretrained ones of a model\n" +
		"imported from ONNX, else NewModel(1)'s.\n\n" +
		"With -format torch it writes a Python module (net.py) for PyTorch: an nn.Module\n" +
		"equivalent to the spec, whose state_dict holds gradgen's Layout names, and the spec's\n" +
		"loss, optimizer, clipping and schedule (loss_fn, make_optimizer, clip_gradients,\n" +
		"make_scheduler), with load_safetensors and save_safetensors: train it where PyTorch runs\n" +
		"(on several machines with DistributedDataParallel) from the weights that\n" +
		"safetensors.SaveParams writes, and load the trained ones with safetensors.LoadParams.\n" +
		"The module holds no parameters, so -params and -opset do not apply to it."
	// Two forms, one a line: the ONNX model's flags and the PyTorch module's.
	usage := "export [-params FILE] [-opset N] -o FILE SPEC\n       gradgen export -format torch -o FILE SPEC"
	specPath, code, ok := flags(usage, synopsis, args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "the `FILE` to write (model.onnx, or net.py for -format torch); required")
		fs.StringVar(&format, "format", "onnx", "the `FORMAT` to write: onnx (an ONNX model) or torch (a Python module for PyTorch)")
		fs.Var(&recorded{&given, "params", (*stringValue)(&paramsPath)}, "params", "the parameters (-format onnx): a checkpoint `FILE`, or FILE.safetensors")
		opset = onnxspec.DefaultOpset
		fs.Var(&recorded{&given, "opset", (*intValue)(&opset)}, "opset", fmt.Sprintf("the ONNX opset `N`, %d to %d", onnxspec.MinOpset, onnxspec.MaxOpset))
	})
	if !ok {
		return code
	}
	if out == "" {
		what := "the ONNX model"
		if format == "torch" {
			what = "the Python module"
		}
		fmt.Fprintf(stderr, "gradgen export: -o FILE is required: %s to write\n", what)
		return ExitUsage
	}
	switch format {
	case "onnx":
		if strings.EqualFold(filepath.Ext(out), ".py") {
			fmt.Fprintf(stderr, "gradgen export: -o %s: an ONNX model is no Python file; for a PyTorch module, add -format torch\n", out)
			return ExitUsage
		}
	case "torch":
		if len(given) > 0 {
			fmt.Fprintf(stderr, "gradgen export: -%s applies to -format onnx: the PyTorch module holds no parameters (load them with its load_safetensors)\n", given[0])
			return ExitUsage
		}
		return exportTorch(specPath, out, stderr)
	default:
		fmt.Fprintf(stderr, "gradgen export: -format %s: want onnx or torch\n", format)
		return ExitUsage
	}
	if opset < onnxspec.MinOpset || opset > onnxspec.MaxOpset {
		fmt.Fprintf(stderr, "gradgen export: -opset %d: gradgen writes opsets %d to %d\n", opset, onnxspec.MinOpset, onnxspec.MaxOpset)
		return ExitUsage
	}
	n, err := loadSpec(specPath, "")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	params, err := exportParams(n, p, paramsPath)
	if err == nil {
		var model []byte
		if model, err = onnxspec.Export(p, params, onnxspec.ExportOptions{Opset: opset}); err == nil {
			if err := WriteFile(out, model); err != nil {
				fmt.Fprintf(stderr, "gradgen: %v\n", err)
				return ExitStale
			}
			return ExitOK
		}
	}
	fmt.Fprintf(stderr, "gradgen export: %v\n", err)
	return ExitUsage
}

// exportTorch writes the network of the spec at specPath to out as a
// Python module for PyTorch.
func exportTorch(specPath, out string, stderr io.Writer) int {
	n, err := loadSpec(specPath, "")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	p, err := build.Program(n, build.Options{})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	module, err := torchspec.Export(p, n)
	if err != nil {
		fmt.Fprintf(stderr, "gradgen export: %v\n", err)
		return ExitUsage
	}
	if err := WriteFile(out, module); err != nil {
		fmt.Fprintf(stderr, "gradgen: %v\n", err)
		return ExitStale
	}
	return ExitOK
}

// recorded is a flag.Value that records, in *given, that its flag was
// given on the command line, then sets the value it wraps.
type recorded struct {
	given *[]string
	name  string
	value flag.Value
}

func (r *recorded) Set(s string) error {
	if !slices.Contains(*r.given, r.name) {
		*r.given = append(*r.given, r.name)
	}
	return r.value.Set(s)
}

// String is the value's; flag's usage calls it on a zero recorded too.
func (r *recorded) String() string {
	if r == nil || r.value == nil {
		return ""
	}
	return r.value.String()
}

// stringValue and intValue are flag.Values of a string and an int, as
// flag.StringVar and flag.IntVar define them.
type (
	stringValue string
	intValue    int
)

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) String() string {
	if s == nil {
		return ""
	}
	return string(*s)
}

func (i *intValue) Set(v string) error {
	n, err := strconv.ParseInt(v, 0, strconv.IntSize)
	if err != nil {
		return errors.New("parse error")
	}
	*i = intValue(n)
	return nil
}

func (i *intValue) String() string {
	if i == nil {
		return "0"
	}
	return strconv.Itoa(int(*i))
}

// exportParams returns the parameters gradgen export writes for the
// network n, built into p: those of the file at path, a checkpoint or a
// .safetensors file; without one, the pretrained parameters of a model
// imported from ONNX, or NewModel(1)'s.
func exportParams(n *spec.Network, p *ir.Program, path string) ([]float64, error) {
	if path == "" && p.Pretrained != nil {
		return p.Pretrained, nil
	}
	if p.DType == ir.F64 {
		return readParams[float64](n, p, path)
	}
	return readParams[float32](n, p, path)
}

// readParams reads the parameters of path into a slice of the network's
// element type, or makes NewModel(1)'s when path is empty, and widens them.
func readParams[T runtime.Float](n *spec.Network, p *ir.Program, path string) ([]float64, error) {
	params := make([]T, p.NumParams())
	var err error
	switch {
	case path == "":
		var m *generic.Net[T]
		if m, err = generic.New[T](n, 1); err == nil {
			params = m.Params()
		}
	case strings.EqualFold(filepath.Ext(path), ".safetensors"):
		err = safetensors.LoadParams(path, emit.Layout(p), params)
	default:
		err = runtime.LoadParams(path, &runtime.CheckpointKey{Layout: emit.Layout(p), Spec: p.SpecHash}, params)
	}
	if err != nil {
		return nil, err
	}
	wide := make([]float64, len(params))
	for i, x := range params {
		wide[i] = float64(x)
	}
	return wide, nil
}
