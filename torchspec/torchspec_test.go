package torchspec

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/build"
	"github.com/gradgen/gradgen/internal/header"
	"github.com/gradgen/gradgen/ir"
	"github.com/gradgen/gradgen/onnxspec"
	"github.com/gradgen/gradgen/runtime"
	"github.com/gradgen/gradgen/spec"
)

// The specs the tests export: every kind of layer, head and input, and
// models imported from ONNX (an output map; a weight kept transposed, with
// names of its own). internal/torchbridge runs their modules in PyTorch.
var specPaths = []string{
	"../generated/tiny/tiny.yaml",
	"../generated/finetune/finetune.yaml",
	"../generated/nesterov64/nesterov64.yaml",
	"../internal/graphgold/nets/ac32/ac32.yaml",
	"../internal/graphgold/nets/embtwo64/embtwo64.yaml",
	"../internal/graphgold/nets/embnorm64/embnorm64.yaml",
	"../internal/graphgold/nets/embshared32/embshared32.yaml",
	"../internal/graphgold/nets/lndrop32/lndrop32.yaml",
	"../internal/graphgold/nets/nolosshead32/nolosshead32.yaml",
	"../internal/onnxgold/testdata/softmax_f32_op9.onnx",
	"../internal/onnxgold/testdata/matmul_inout_f32_op13.onnx",
}

// load builds the spec at path.
func load(t *testing.T, path string) (*spec.Network, *ir.Program) {
	t.Helper()
	var n *spec.Network
	var err error
	if onnxspec.IsModel(path) {
		n, err = onnxspec.LoadModel(path, "")
	} else {
		n, err = spec.Load(path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n, program(t, n)
}

func program(t *testing.T, n *spec.Network) *ir.Program {
	t.Helper()
	p, err := build.Program(n, build.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func export(t *testing.T, n *spec.Network, p *ir.Program) string {
	t.Helper()
	b, err := Export(p, n)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDeterministic exports each spec twice, from two loads, and checks
// the header line: gradgen's version, the spec and its hash, as in the Go
// output.
func TestDeterministic(t *testing.T) {
	for _, path := range specPaths {
		n1, p1 := load(t, path)
		n2, p2 := load(t, path)
		a, b := export(t, n1, p1), export(t, n2, p2)
		if a != b {
			t.Errorf("%s: two exports differ", path)
		}
		first, _, _ := strings.Cut(a, "\n")
		want := "# " + header.Info{Version: runtime.Version, Source: p1.Source, Hash: p1.SpecHash}.Line()
		if first != want {
			t.Errorf("%s: first line %q, want %q", path, first, want)
		}
		if !strings.Contains(a, fmt.Sprintf("SPEC_HASH = %q\n", p1.SpecHash)) || !strings.Contains(a, fmt.Sprintf("GRADGEN_VERSION = %q\n", runtime.Version)) {
			t.Errorf("%s: no SPEC_HASH or GRADGEN_VERSION constant", path)
		}
		if strings.Contains(a, "\t") || strings.Contains(a, " \n") {
			t.Errorf("%s: tabs or trailing spaces in the module", path)
		}
	}
}

// layoutRE matches a LAYOUT entry: ("name", (shape)),
var layoutRE = regexp.MustCompile(`(?m)^    \(("[^"]*"), \(([0-9, ]*)\)\),$`)

// TestLayout checks that LAYOUT lists the program's parameters, by their
// Torch names and file shapes, in order, and that each is registered under
// its name.
func TestLayout(t *testing.T) {
	for _, path := range specPaths {
		n, p := load(t, path)
		src := export(t, n, p)
		ms := layoutRE.FindAllStringSubmatch(src, -1)
		if len(ms) != len(p.Params) {
			t.Errorf("%s: LAYOUT has %d entries, the program %d parameters", path, len(ms), len(p.Params))
			continue
		}
		for i, q := range p.Params {
			name, _ := strconv.Unquote(ms[i][1])
			dims := q.Type.Dims
			if q.Transposed {
				dims = []int{dims[1], dims[0]}
			}
			shape := strings.Trim(strings.ReplaceAll(fmt.Sprint(dims), " ", ", "), "[]")
			if len(dims) == 1 {
				shape += ","
			}
			if name != q.Torch || ms[i][2] != shape {
				t.Errorf("%s: LAYOUT[%d] is %s (%s), want %q (%s)", path, i, ms[i][1], ms[i][2], q.Torch, shape)
			}
			prefix, leaf, _ := cutLast(q.Torch)
			if !strings.Contains(src, fmt.Sprintf("_attach(self, %q, nn.", prefix)) && !strings.Contains(src, fmt.Sprintf("_param(self, %q, ", q.Torch)) {
				t.Errorf("%s: %s is registered neither as %s of a module at %q nor by its name", path, q.Torch, leaf, prefix)
			}
		}
	}
}

func cutLast(name string) (string, string, bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", name, false
	}
	return name[:i], name[i+1:], true
}

// TestModules checks how layers become modules and statements, on a chain
// (nn.Sequential's indices), a graph, an imported model with a weight kept
// transposed and an output map.
func TestModules(t *testing.T) {
	for _, c := range []struct {
		path string
		want []string
	}{
		{"../generated/tiny/tiny.yaml", []string{
			`_attach(self, "0", nn.Linear(4, 16, bias=True, dtype=DTYPE))`,
			`_attach(self, "2", nn.Linear(16, 16, bias=True, dtype=DTYPE))`,
			`_attach(self, "4", nn.Linear(16, 3, bias=True, dtype=DTYPE))`,
			"    def forward(self, x):\n",
			`h1 = F.relu(_module(self, "0")(x))`,
			`h3 = _module(self, "4")(h2)`,
			"return F.mse_loss(outputs, t)",
			"torch.optim.SGD(params, lr=0.01, weight_decay=0.0)",
			"DTYPE = torch.float32\n",
		}},
		{"../generated/finetune/finetune.yaml", []string{
			`_attach(self, "0", nn.Linear(6, 24, bias=True, dtype=DTYPE)).requires_grad_(False)`,
			"torch.optim.AdamW(params, lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.05)",
			"return torch.nn.utils.clip_grad_norm_(params, max_norm=0.5)",
			"        return LR * step / 3\n    step -= 3\n    return 0.001 + (LR - 0.001) * (1 + math.cos(math.pi * step / 50)) / 2\n",
			"return torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor)",
			"return F.cross_entropy(outputs, t)",
		}},
		{"../generated/nesterov64/nesterov64.yaml", []string{
			"torch.optim.SGD(params, lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.001, nesterov=True)",
			"return torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)",
			"return LR * 0.5 ** (step // 4)",
			"DTYPE = torch.float64\n",
		}},
		{"../internal/graphgold/nets/ac32/ac32.yaml", []string{
			"    def forward(self, obs, goal):\n",
			`trunk = F.relu(_module(self, "trunk")(torch.cat([obs, goal], dim=1)))`,
			`h3 = F.relu(trunk + block)`,
			`policy = _module(self, "policy")(block)`,
			"return value, policy\n",
			"return (x[:, 0:5], x[:, 5:8])",
			"return (t[:, 0:1], t[:, 1:5])",
			"loss = 0.5 * F.mse_loss(outputs[0], t[0])  # value\n    loss = loss + F.cross_entropy(outputs[1], t[1])  # policy\n    return loss\n",
		}},
		{"../internal/graphgold/nets/embnorm64/embnorm64.yaml", []string{
			`_attach(self, "e", nn.Embedding(40, 8, dtype=DTYPE))`,
			`_attach(self, "n", nn.LayerNorm(8, eps=1e-05, dtype=DTYPE))`,
			`_attach(self, "4", nn.LayerNorm(8, eps=0.001, dtype=DTYPE))`,
			"    def forward(self, token):\n",
			`e = _module(self, "e")(token.reshape(-1))`,
			"r = e + f\n",
			"return (x[:, 0].round().long(),)",
			`INPUTS = (("token", 1, 40),)`,
		}},
		{"../internal/graphgold/nets/embshared32/embshared32.yaml", []string{
			`_attach(self, "b", nn.Embedding(5, 4, dtype=DTYPE)).requires_grad_(False)`,
		}},
		{"../internal/graphgold/nets/lndrop32/lndrop32.yaml", []string{
			`_attach(self, "d", nn.Dropout(0.0))`,
			`d = _module(self, "d")(torch.cat([a, b], dim=1))`,
		}},
		{"../internal/graphgold/nets/nolosshead32/nolosshead32.yaml", []string{
			"loss = F.binary_cross_entropy_with_logits(outputs[1], t[1])  # score\n    loss = loss + 0.0 * outputs[0].sum()  # probe: no loss\n",
			`probe = torch.sigmoid(_module(self, "probe")(hidden))`,
		}},
		{"../internal/onnxgold/testdata/matmul_inout_f32_op13.onnx", []string{
			`_param(self, "0.w", _uniform((4, 8), 4))  # layer 1, kept transposed [in, out]`,
			`_param(self, "0.b", _uniform((8,), 4))  # layer 1`,
			`h1 = F.relu(F.linear(x, _get(self, "0.w").t(), _get(self, "0.b")))`,
		}},
		{"../internal/onnxgold/testdata/softmax_f32_op9.onnx", []string{
			"    def forward(self, x):\n        \"\"\"",
			"out = self.logits(x)\n        if not self.training:\n            out = torch.softmax(out, dim=1)\n        return out\n",
			"    def logits(self, x):\n",
			"return F.cross_entropy(outputs, t)",
		}},
	} {
		n, p := load(t, c.path)
		src := export(t, n, p)
		for _, w := range c.want {
			if !strings.Contains(src, w) {
				t.Errorf("%s: the module lacks %q", c.path, w)
			}
		}
	}
}

// chain returns a chain network of three dense layers whose tensors are
// named as names says (weight, bias of each layer), in float64.
func chain(names ...string) *spec.Network {
	n := &spec.Network{Package: "named", DType: spec.Float64, Input: 3, Loss: spec.MSE,
		Layers: []spec.Layer{{Dense: 4, Activation: spec.Tanh}, {Dense: 4, Activation: spec.ReLU}, {Dense: 2}}}
	for i := range n.Layers {
		if 2*i+1 < len(names) {
			n.Layers[i].WeightName, n.Layers[i].BiasName = names[2*i], names[2*i+1]
		}
	}
	return n
}

// TestRefused checks the names no PyTorch module can hold.
func TestRefused(t *testing.T) {
	for _, c := range []struct {
		n    *spec.Network
		want string
	}{
		{chain("a..weight", "a..bias"), `layer 1: parameter "a..weight": no PyTorch module can hold it`},
		{chain("fc.w", "fc.b", "fc.w.x", "fc.w.y"), `layer 2: parameter "fc.w.x": "w" names a parameter and a module (in "fc.w")`},
		{chain("fc.weight", "fc.bias", "fc.weight2", "fc.bias"), ``}, // the validator refuses the duplicate first
		{chain("w.", "b"), `layer 1: parameter "w.": no PyTorch module can hold it`},
		{chain("fc.weight", "fc.bias", "x", "fc.weight.y"), `"weight" names a parameter and a module`},
	} {
		p, err := build.Program(c.n, build.Options{})
		if err != nil {
			if c.want != "" {
				t.Errorf("%s: the spec does not build: %v", c.want, err)
			}
			continue
		}
		_, err = Export(p, c.n)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Export: %v, want an error with %q", err, c.want)
		}
	}
}

// TestNames checks names that nest or collide: parameters registered one
// by one under their names, a note when torch's order is not gradgen's,
// and Python variables kept apart from keywords and from each other.
func TestNames(t *testing.T) {
	// Custom leaf names, and a second layer named inside the first's module.
	n := chain("fc.w", "fc.b", "fc.inner.weight", "fc.inner.bias", "out.weight", "out.bias")
	src := export(t, n, program(t, n))
	for _, w := range []string{
		`_param(self, "fc.w", _uniform((4, 3), 3))`,
		`_attach(self, "fc.inner", nn.Linear(4, 4, bias=True, dtype=DTYPE))`,
		`_attach(self, "out", nn.Linear(4, 2, bias=True, dtype=DTYPE))`,
		`h1 = torch.tanh(F.linear(x, _get(self, "fc.w"), _get(self, "fc.b")))`,
		`h2 = F.relu(_module(self, "fc.inner")(h1))`,
	} {
		if !strings.Contains(src, w) {
			t.Errorf("the module lacks %q", w)
		}
	}
	if strings.Contains(src, "not in\ngradgen's") {
		t.Errorf("the order note is there, but torch's order is gradgen's")
	}
	// A root-level parameter after a module's: torch lists a module's own parameters first.
	n = chain("fc.weight", "fc.bias", "w2", "b2")
	src = export(t, n, program(t, n))
	if !strings.Contains(src, "state_dict() lists them in torch's module order, not in") {
		t.Errorf("no note that the state_dict's order is not gradgen's")
	}
	// Keywords and clashes among the names of inputs and layers.
	g := &spec.Network{Package: "kw", Loss: spec.MSE,
		Inputs: []spec.Port{{Name: "lambda", Width: 2}, {Name: "in", Width: 1}},
		Layers: []spec.Layer{{Name: "lambda_", Dense: 3, From: []string{"lambda", "in"}}, {Name: "self", Dense: 3},
			{Name: "h4", Dense: 2}, {Dense: 1}}}
	src = export(t, g, program(t, g))
	for _, w := range []string{
		"def forward(self, lambda_, in_):",
		`lambda__ = _module(self, "lambda_")(torch.cat([lambda_, in_], dim=1))`,
		`self_ = _module(self, "self")(lambda__)`,
		`h4 = _module(self, "h4")(self_)`,
		`h4_ = _module(self, "3")(h4)`,
		"return h4_\n",
	} {
		if !strings.Contains(src, w) {
			t.Errorf("the module lacks %q", w)
		}
	}
}

// TestSchedules checks the scheduler each schedule gets: torch's twin
// where there is one, else a LambdaLR of gradgen's formula.
func TestSchedules(t *testing.T) {
	for _, c := range []struct {
		s    *spec.Schedule
		want string
	}{
		{nil, "LambdaLR(optimizer, _lr_factor)"},
		{&spec.Schedule{Cosine: &spec.Cosine{TMax: 10, EtaMin: 0.001}}, "CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001)"},
		{&spec.Schedule{Step: &spec.StepDecay{StepSize: 3, Gamma: 0.5}}, "StepLR(optimizer, step_size=3, gamma=0.5)"},
		{&spec.Schedule{Warmup: &spec.Warmup{Steps: 4}}, "LambdaLR(optimizer, _lr_factor)"},
		{&spec.Schedule{Warmup: &spec.Warmup{Steps: 4}, Step: &spec.StepDecay{StepSize: 3}}, "LambdaLR(optimizer, _lr_factor)"},
	} {
		n := chain()
		n.Optimizer = spec.Optimizer{Adam: &spec.Adam{LR: 0.01}, Schedule: c.s}
		src := export(t, n, program(t, n))
		if !strings.Contains(src, "return torch.optim.lr_scheduler."+c.want+"\n") {
			t.Errorf("schedule %+v: the module lacks %q", c.s, c.want)
		}
	}
}

func TestPyFloat(t *testing.T) {
	for x, want := range map[float64]string{0: "0.0", 1: "1.0", 100: "100.0", 0.1: "0.1", 1e-8: "1e-08", 1e21: "1e+21", 0.5: "0.5"} {
		if got := pyFloat(x); got != want {
			t.Errorf("pyFloat(%v) = %s, want %s", x, got, want)
		}
	}
}

// TestSupportSafe checks that the support code is the module's last part,
// as written, and that nothing of the network's leaks into it.
func TestSupport(t *testing.T) {
	n, p := load(t, specPaths[0])
	src := export(t, n, p)
	if !strings.HasSuffix(src, support) || !bytes.HasPrefix([]byte(support), []byte("# ----")) {
		t.Error("the module does not end with support.py")
	}
}
