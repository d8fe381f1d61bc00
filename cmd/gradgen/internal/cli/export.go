package cli

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/emit"
	"github.com/gradgen/gradgen/generic"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/safetensors"
	"github.com/gradgen/gradgen/spec"
)

// exportCmd writes SPEC's network as an ONNX inference model.
func exportCmd(args []string, stdout, stderr io.Writer) int {
	var out, paramsPath string
	var opset int
	synopsis := "Export writes the network of SPEC to FILE, atomically, as an ONNX inference model:\n" +
		"the input x [N, inputs], the output y [N, outputs] (Predict's), one node per layer,\n" +
		"activation and output map (Gemm, Relu, Softmax, ...) and the parameters as initializers\n" +
		"named as in PyTorch's state_dict. The parameters are those of -params, a checkpoint that\n" +
		"Params.Save or Model.Save wrote or a .safetensors file; without it, the pretrained ones\n" +
		"of a model imported from ONNX, else NewModel(1)'s."
	specPath, code, ok := flags("export [-params FILE] [-opset N] -o FILE SPEC", synopsis, args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "the model `FILE` to write (model.onnx); required")
		fs.StringVar(&paramsPath, "params", "", "the parameters: a checkpoint `FILE`, or FILE.safetensors")
		fs.IntVar(&opset, "opset", onnxspec.DefaultOpset, fmt.Sprintf("the ONNX opset `N`, %d to %d", onnxspec.MinOpset, onnxspec.MaxOpset))
	})
	if !ok {
		return code
	}
	if out == "" {
		fmt.Fprintln(stderr, "gradgen export: -o FILE is required: the ONNX model to write")
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
