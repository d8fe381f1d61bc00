package spec_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/spec"
)

// indentCases are specs with one line indented wrong, and the message Parse
// gives for each.
var indentCases = []struct {
	name, src, want string
}{{
	name: "list item too deep",
	src:  "package: p\ninput: 3\nlayers:\n  - dense: 4\n    activation: relu\n   - dense: 2\nloss: mse\n",
	want: "x.yaml:6:4: invalid YAML: this line is indented 3 spaces, but the list items of layers above, from line 4, are indented 2 spaces",
}, {
	name: "list item too shallow",
	src:  "package: p\ninput: 3\nlayers:\n  - dense: 4\n    activation: relu\n - dense: 2\nloss: mse\n",
	want: "x.yaml:6:2: invalid YAML: this line is indented 1 space, but the list items of layers above, from line 4, are indented 2 spaces",
}, {
	name: "list item at the indentation of the layer's keys",
	src:  "package: p\ninput: 3\nlayers:\n  - dense: 4\n    activation: relu\n    - dense: 2\nloss: mse\n",
	want: "x.yaml:6:5: invalid YAML: this line is indented 4 spaces, but the list items of layers above, from line 4, are indented 2 spaces",
}, {
	name: "list items at the indentation of layers",
	src:  "package: p\ninput: 3\nlayers:\n- dense: 4\n  activation: relu\n - dense: 2\nloss: mse\n",
	want: "x.yaml:6:2: invalid YAML: this line is indented 1 space, but the list items of layers above, from line 4, are not indented",
}, {
	name: "layer key too deep",
	src:  "package: p\ninput: 3\nlayers:\n  - dense: 4\n     activation: relu\n  - dense: 2\nloss: mse\n",
	want: "x.yaml:5:6: invalid YAML: this line is indented 5 spaces, but the keys of layer 1 above, from line 4, are indented 4 spaces",
}, {
	name: "layer key at the indentation of the dashes",
	src:  "package: p\ninput: 3\nlayers:\n  - dense: 4\n  - dense: 2\n  activation: relu\nloss: mse\n",
	want: "x.yaml:6:3: invalid YAML: this line is indented 2 spaces, but the keys of layer 2 above, from line 5, are indented 4 spaces",
}, {
	name: "top-level key after the layers",
	src:  "package: p\ninput: 3\nlayers:\n  - dense: 4\n    activation: relu\n  loss: mse\n",
	want: "x.yaml:6:3: invalid YAML: this line is indented 2 spaces, but the top-level keys above, from line 1, are not indented",
}, {
	name: "top-level key continuing a value",
	src:  "package: p\n input: 3\nlayers:\n  - dense: 4\nloss: mse\n",
	want: "x.yaml:2:2: invalid YAML: this line is indented 1 space, but the top-level keys above, from line 1, are not indented",
}, {
	name: "first line indented",
	src:  "  package: p\ninput: 3\nlayers:\n  - dense: 4\nloss: mse\n",
	want: "x.yaml:2:1: invalid YAML: this line is not indented, but the top-level keys above, from line 1, are indented 2 spaces",
}, {
	name: "adam key too shallow",
	src:  "package: p\ninput: 3\nlayers: [{dense: 2}]\nloss: mse\noptimizer:\n  adam:\n    lr: 0.1\n   beta1: 0.9\n",
	want: "x.yaml:8:4: invalid YAML: this line is indented 3 spaces, but the keys of adam above, from line 7, are indented 4 spaces",
}, {
	name: "adam key under a deeper adam",
	src:  "package: p\ninput: 3\nlayers: [{dense: 2}]\nloss: mse\noptimizer:\n    adam:\n  lr: 0.1\n",
	want: "x.yaml:7:3: invalid YAML: this line is indented 2 spaces, but the keys of adam must be indented more than adam, which is indented 4 spaces",
}, {
	name: "after comments, blank lines, a block scalar and CRLF",
	src:  "# net\r\npackage: p\r\n\r\ninput: 3   # width\r\nlayers:\r\n  # first\r\n  - dense: 4\r\n    bias: true\r\n     activation: relu\r\nloss: mse\r\n",
	want: "x.yaml:9:6: invalid YAML: this line is indented 5 spaces, but the keys of layer 1 above, from line 7, are indented 4 spaces",
}}

func TestParseIndentation(t *testing.T) {
	for _, tt := range indentCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := spec.Parse("x.yaml", []byte(tt.src))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}

// TestParseIndentationKeepsOtherMessages checks that syntax errors other than
// bad indentation keep the decoder's message, also when a line with bad
// indentation follows them.
func TestParseIndentationKeepsOtherMessages(t *testing.T) {
	tests := []struct{ src, want string }{
		{"package: p\ninput: 3 layers: 4\n  loss: mse\n", "x.yaml:2:1: invalid YAML: mapping values are not allowed in this context"},
		{"package: p\nlayers: [{dense: 4},\n   {dense: 2}\nloss: mse\n", "x.yaml:2:1: invalid YAML: did not find expected ',' or ']'"},
		{"package: p\ninput: 3\nlayers:\n  - dense: 4\n\tactivation: relu\n", "x.yaml:5:1: invalid YAML: found a tab character that violates indentation (indent with spaces, not tabs)"},
		{"package: \"p\ninput: 3\n  layers: []\n", "x.yaml:4:1: invalid YAML: found unexpected end of stream"},
	}
	for _, tt := range tests {
		_, err := spec.Parse("x.yaml", []byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q):\n%v\nwant:\n%s", tt.src, err, tt.want)
		}
	}
}

// TestParseIndentationBlamesTheShiftedLine shifts each line of the valid
// specs of this repository by -1, 1 and 2 spaces. Where that breaks the YAML,
// the message must be about indentation, at the shifted line or, when the
// shifted line starts a block, at the next line, whose message then names the
// shifted line.
func TestParseIndentationBlamesTheShiftedLine(t *testing.T) {
	srcs := map[string]string{"tinySpec": tinySpec}
	for _, pattern := range []string{"../generated/*/*.yaml", "../examples/*/*/*.yaml", "../bench/nets/*/*.yaml", "../internal/graphgold/nets/*/*.yaml"} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			srcs[path] = string(src)
		}
	}
	if len(srcs) < 5 {
		t.Fatalf("found %d specs, want more", len(srcs))
	}
	broken := 0
	for name, src := range srcs {
		lines := strings.Split(src, "\n")
		for i, line := range lines {
			if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, shift := range []int{-1, 1, 2} {
				shifted := slices.Clone(lines)
				switch {
				case shift > 0:
					shifted[i] = strings.Repeat(" ", shift) + line
				case strings.HasPrefix(line, " "):
					shifted[i] = line[1:]
				default:
					continue
				}
				_, err := spec.Parse("x.yaml", []byte(strings.Join(shifted, "\n")))
				if err == nil || !strings.Contains(err.Error(), "invalid YAML") {
					continue
				}
				broken++
				at := fmt.Sprintf("x.yaml:%d:", i+1)
				next := fmt.Sprintf("from line %d,", i+1)
				if msg := err.Error(); !strings.Contains(msg, "indented") || !strings.HasPrefix(msg, at) && !strings.Contains(msg, next) {
					t.Errorf("%s with line %d shifted by %d:\n%s\ngives\n%s", name, i+1, shift, strings.Join(shifted, "\n"), msg)
				}
			}
		}
	}
	if broken < 100 {
		t.Errorf("only %d shifted lines broke the YAML; the test tests little", broken)
	}
}
