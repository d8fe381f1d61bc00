package explain

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// doc writes structured text as Markdown or LaTeX. Inline math is $…$ in
// both; text outside math is escaped for LaTeX.
type doc struct {
	w      io.Writer
	format Format
	err    error
}

func newDoc(w io.Writer, f Format) *doc { return &doc{w: w, format: f} }

func (d *doc) printf(format string, args ...any) {
	if d.err == nil {
		_, d.err = fmt.Fprintf(d.w, format, args...)
	}
}

func (d *doc) begin(title string) {
	if d.format == TeX {
		d.printf("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amsmath,amssymb}\n\\usepackage[margin=2cm]{geometry}\n\\setlength{\\parindent}{0pt}\n\\setlength{\\parskip}{0.6em}\n\\begin{document}\n\\section*{%s}\n\n", d.text(title))
		return
	}
	d.printf("# %s\n\n", title)
}

func (d *doc) end() {
	if d.format == TeX {
		d.printf("\\end{document}\n")
	}
}

func (d *doc) heading(s string) {
	if d.format == TeX {
		d.printf("\\subsection*{%s}\n\n", d.text(s))
		return
	}
	d.printf("## %s\n\n", s)
}

func (d *doc) subheading(s string) {
	if d.format == TeX {
		d.printf("\\subsubsection*{%s}\n\n", d.text(s))
		return
	}
	d.printf("### %s\n\n", s)
}

func (d *doc) para(s string) { d.printf("%s\n\n", d.text(s)) }

func (d *doc) display(math string) {
	if d.format == TeX {
		d.printf("\\[\n%s\n\\]\n\n", math)
		return
	}
	d.printf("$$\n%s\n$$\n\n", math)
}

func (d *doc) list(items []string) {
	if d.format == TeX {
		d.printf("\\begin{itemize}\n")
		for _, it := range items {
			d.printf("\\item %s\n", d.text(it))
		}
		d.printf("\\end{itemize}\n\n")
		return
	}
	for _, it := range items {
		d.printf("- %s\n", it)
	}
	d.printf("\n")
}

// code marks s as code: `s` in Markdown, \texttt{s} in LaTeX (where the
// generated comments' Unicode names are spelled in ASCII: z̄1 → zbar1).
func (d *doc) code(s string) string {
	if d.format != TeX {
		return "`" + s + "`"
	}
	return "\\texttt{" + texEscape(asciiNames.Replace(s)) + "}"
}

// text escapes LaTeX's special characters outside $…$ and \texttt{…} spans;
// Markdown passes through.
func (d *doc) text(s string) string {
	if d.format != TeX {
		return s
	}
	var b strings.Builder
	math := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '$':
			math = !math
			b.WriteRune(r)
		case !math && strings.HasPrefix(s[i:], "\\texttt{"):
			size = group(s[i:])
			b.WriteString(s[i : i+size])
		case math:
			b.WriteRune(r)
		default:
			b.WriteString(texEscape(string(r)))
		}
		i += size
	}
	return textUnicode.Replace(b.String())
}

var asciiNames = strings.NewReplacer("\u0304", "bar", "ᵀ", "T", "α", "alpha", "⊙", "*", "·", "*", "−", "-", "Σ", "sum ", "σ", "sigma", "²", "^2", "→", "->", "≤", "<=")

// textUnicode spells the Unicode of running text for pdflatex.
var textUnicode = strings.NewReplacer("→", `$\to$`, "—", "---", "’", "'")

func texEscape(s string) string {
	return strings.NewReplacer(`\`, `\textbackslash{}`, "_", `\_`, "#", `\#`, "%", `\%`, "&", `\&`, "{", `\{`, "}", `\}`, "~", `\~{}`, "^", `\^{}`).Replace(s)
}

// group returns the length of the \texttt{…} at the start of s, through
// its closing brace: braces nest, and a backslash escapes the next byte.
func group(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}
