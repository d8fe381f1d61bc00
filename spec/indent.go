package spec

import (
	"fmt"
	"slices"
	"strings"
)

// The YAML decoder reports bad indentation where the enclosing block starts,
// often lines above the mistake, and in its own terms ("did not find expected
// '-' indicator"). misindented follows the block structure of the source
// lines to find the line whose indentation fits no block open above it, and
// says which indentation the blocks above have.

// misindent is a line whose indentation fits no block open above it.
type misindent struct {
	line, col int // of the line's first character other than a space, from 1
	msg       string
}

// block is a block collection open at some line: a mapping, at the
// indentation of its keys, or a sequence, at the indentation of its dashes.
type block struct {
	indent int
	seq    bool
	line   int    // where it starts, from 1
	owner  string // what it is the value of: a key, "layer 2", or "" at the top
	path   string // its place in a spec: "", "layers", "layers[]", "optimizer.adam"
	items  int    // the items of a sequence so far
}

// opening is a key or list item with no value on its line: its value may be a
// block on the lines below it, indented more than indent.
type opening struct {
	indent int
	owner  string
	path   string
	key    bool // a key, whose value may also be a sequence at indent itself
}

// indentTracker follows the blocks of YAML source, line by line.
type indentTracker struct {
	n       int // the number of the line being taken, from 1
	blocks  []block
	open    *opening
	started bool // a line with content has been seen
	// scalarAbove is the indentation that lines of a block scalar (| or >)
	// being skipped exceed, or -1.
	scalarAbove int
	// plainAbove is the indentation that the lines going on with the plain
	// scalar of the last key or item exceed, or -1.
	plainAbove int
}

// lineStatus is what indentTracker.line makes of a line.
type lineStatus int

const (
	lineFits    lineStatus = iota // the line fits the blocks above
	lineBad                       // the line's indentation fits no block above
	lineUnknown                   // the line holds a construct the tracker does not follow
)

// misindented returns the first of lines whose indentation fits no block open
// above it, or false when there is none or when a line before it holds a
// construct that misindented does not follow: a tab in indentation, a flow
// collection or quoted scalar spanning lines, a nested sequence on one line, a
// complex key, a document marker after the content.
func misindented(lines []string) (misindent, bool) {
	// The top level is the value of an opening before the first line.
	t := &indentTracker{open: &opening{indent: -1}, scalarAbove: -1, plainAbove: -1}
	for i, line := range lines {
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		t.n = i + 1
		status, msg := t.line(line)
		switch status {
		case lineBad:
			s := strings.TrimLeft(line, " ")
			return misindent{line: i + 1, col: len(line) - len(s) + 1, msg: msg}, true
		case lineUnknown:
			return misindent{}, false
		}
	}
	return misindent{}, false
}

// line takes the next line of the source. For a line that fits no block, it
// also returns the message.
func (t *indentTracker) line(line string) (lineStatus, string) {
	s := strings.TrimLeft(line, " ")
	c := len(line) - len(s)
	if status, done := t.skip(s, c); done {
		return status, ""
	}
	t.started = true

	item := isItem(s)
	key, _, isKey := splitKey(s)
	switch {
	case !item && !isKey && t.plainAbove >= 0 && c > t.plainAbove:
		return lineFits, "" // more of a plain scalar
	case !item && !isKey:
		return lineUnknown, ""
	}
	t.plainAbove = -1
	if t.open != nil && t.opens(c, item) {
		t.push(block{indent: c, seq: item, line: t.n, owner: t.open.owner, path: t.open.path})
		t.open = nil
		return t.content(c, s), ""
	}
	before := slices.Clone(t.blocks)
	op := t.open
	t.open = nil
	if !t.fits(c, item) {
		msg, ok := expected(before, op, c, item, key)
		if !ok {
			return lineUnknown, ""
		}
		return lineBad, msg
	}
	return t.content(c, s), ""
}

// skip takes the line s, indented c, if it holds no key or list item: it is
// blank, a comment, a document marker or directive, the text of a block
// scalar, or starts with a tab. It reports whether it took the line.
func (t *indentTracker) skip(s string, c int) (lineStatus, bool) {
	blank := strings.TrimSpace(s) == ""
	if t.scalarAbove >= 0 {
		if blank || c > t.scalarAbove {
			return lineFits, true
		}
		t.scalarAbove = -1
	}
	switch {
	case blank || s[0] == '#':
		return lineFits, true
	case s[0] == '\t':
		return lineUnknown, true
	case c == 0 && (s == "---" || s == "..." || s[0] == '%'):
		if t.started {
			return lineUnknown, true
		}
		return lineFits, true
	}
	return lineFits, false
}

// opens reports whether a line at indentation c, a list item or not, starts
// the block of t.open.
func (t *indentTracker) opens(c int, item bool) bool {
	return c > t.open.indent || c == t.open.indent && item && t.open.key
}

// fits closes the blocks indented more than c and reports whether a list
// item (item) or key at indentation c then continues the innermost block.
func (t *indentTracker) fits(c int, item bool) bool {
	for len(t.blocks) > 0 && t.top().indent > c {
		t.blocks = t.blocks[:len(t.blocks)-1]
	}
	if len(t.blocks) == 0 || t.top().indent != c {
		return false
	}
	if !item && t.top().seq && len(t.blocks) > 1 {
		// A sequence may be the value of a key at the key's own
		// indentation; the next key at that indentation ends it.
		if under := t.blocks[len(t.blocks)-2]; !under.seq && under.indent == c {
			t.blocks = t.blocks[:len(t.blocks)-1]
		}
	}
	return t.top().seq == item
}

// content takes the list item or key s at indentation c, which continues or
// starts the innermost block.
func (t *indentTracker) content(c int, s string) lineStatus {
	if !isItem(s) {
		key, rest, _ := splitKey(s)
		return t.value(t.top(), key, rest)
	}
	seq := t.top()
	seq.items++
	owner, path := itemName(seq), seq.path+"[]"
	rest := strings.TrimLeft(s[1:], " ")
	c2 := c + len(s) - len(rest)
	if isItem(rest) {
		return lineUnknown // a sequence in a sequence, which specs do not have
	}
	if key, after, ok := splitKey(rest); ok {
		t.push(block{indent: c2, line: t.n, owner: owner, path: path})
		return t.value(t.top(), key, after)
	}
	return t.after(shapeOf(rest), c, &opening{indent: c, owner: owner, path: path})
}

// value takes the value rest of key in the mapping m.
func (t *indentTracker) value(m *block, key, rest string) lineStatus {
	owner, path := key, joinPath(m.path, key)
	if m.path == "outputs" { // a head, named by its key
		owner, path = "head "+key, "outputs[]"
	}
	return t.after(shapeOf(rest), m.indent, &opening{indent: m.indent, owner: owner, path: path, key: true})
}

// after prepares for the lines after a key or list item whose value on its
// line has the given shape; parent is the indentation of the key's mapping or
// the item's sequence, and op the opening the key or item is when its value
// is empty.
func (t *indentTracker) after(shape valueShape, parent int, op *opening) lineStatus {
	switch shape {
	case valueEmpty:
		t.open = op
	case valuePlain:
		t.plainAbove = parent
	case valueBlockScalar:
		t.scalarAbove = parent
	case valueUnknown:
		return lineUnknown
	}
	return lineFits
}

func (t *indentTracker) push(b block) { t.blocks = append(t.blocks, b) }

func (t *indentTracker) top() *block { return &t.blocks[len(t.blocks)-1] }

// itemName is the owner of the next item of the sequence seq, whose count
// of items includes it.
func itemName(seq *block) string {
	switch seq.owner {
	case "layers":
		return fmt.Sprintf("layer %d", seq.items)
	case "":
		return fmt.Sprintf("item %d", seq.items)
	}
	return fmt.Sprintf("item %d of %s", seq.items, seq.owner)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// expected returns the message for a line at indentation c, a list item or
// the key key, that fits none of the blocks open above it nor the opening op,
// if any. It names the block the line most likely belongs to: one whose place
// in a spec allows the line, then the nearest in indentation, then the
// innermost. It returns false when no block takes such a line.
func expected(blocks []block, op *opening, c int, item bool, key string) (string, bool) {
	this := "this line is " + indented(c)
	if op != nil && belongs(op.path, item, key) {
		deeper := "more than"
		if item && op.key {
			deeper = "at least as far as"
		}
		return fmt.Sprintf("%s, but the %s of %s must be indented %s %s, which is %s",
			this, entries(item), op.owner, deeper, op.owner, indented(op.indent)), true
	}
	best := -1
	for i, b := range blocks {
		if b.seq != item {
			continue
		}
		if best < 0 || better(b, blocks[best], c, item, key) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	b := blocks[best]
	return fmt.Sprintf("%s, but %s above, from line %d, are %s", this, describeBlock(b), b.line, indented(b.indent)), true
}

// better reports whether the line at indentation c, a list item or the key
// key, belongs in block a rather than in block b, which is further out.
func better(a, b block, c int, item bool, key string) bool {
	if ba, bb := belongs(a.path, item, key), belongs(b.path, item, key); ba != bb {
		return ba
	}
	return abs(a.indent-c) <= abs(b.indent-c)
}

// belongs reports whether a spec has at path a sequence, if item, or a
// mapping with the key key.
func belongs(path string, item bool, key string) bool {
	if item {
		return path == "layers"
	}
	v, ok := keyVocab(path)
	return ok && slices.Contains(v.words, key)
}

// describeBlock names the entries of b in messages, as in "the keys of
// layer 2".
func describeBlock(b block) string {
	switch {
	case b.owner == "" && b.seq:
		return "the top-level list items"
	case b.owner == "":
		return "the top-level keys"
	}
	return "the " + entries(b.seq) + " of " + b.owner
}

func entries(seq bool) string {
	if seq {
		return "list items"
	}
	return "keys"
}

// indented says how far a line is indented, as in "indented 3 spaces".
func indented(n int) string {
	switch n {
	case 0:
		return "not indented"
	case 1:
		return "indented 1 space"
	}
	return fmt.Sprintf("indented %d spaces", n)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// isItem reports whether s, the text of a line after its indentation,
// starts a list item.
func isItem(s string) bool {
	return s == "-" || strings.HasPrefix(s, "- ")
}

// splitKey splits s, the text of a line after its indentation, into a key
// and the text after the key's colon, and reports whether s starts with a key.
func splitKey(s string) (key, rest string, ok bool) {
	if s == "" || isItem(s) {
		return "", "", false
	}
	var end int
	switch s[0] {
	case '"', '\'':
		n := quotedLen(s)
		if n < 0 {
			return "", "", false
		}
		end = n + len(s[n:]) - len(strings.TrimLeft(s[n:], " "))
		if end == len(s) || s[end] != ':' {
			return "", "", false
		}
		key = s[1 : n-1]
	case '[', ']', '{', '}', ',', '?', '&', '!', '*', '|', '>', '%', '@', '`', '#':
		return "", "", false
	default:
		if end = plainKeyEnd(s); end < 0 {
			return "", "", false
		}
		key = strings.TrimRight(s[:end], " ")
	}
	if rest = s[end+1:]; rest != "" && rest[0] != ' ' {
		return "", "", false
	}
	return key, rest, true
}

// plainKeyEnd returns the index of the colon that ends the plain key at the
// start of s, or -1 when s does not start with one.
func plainKeyEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '#' && i > 0 && s[i-1] == ' ':
			return -1
		case s[i] == ':' && (i+1 == len(s) || s[i+1] == ' '):
			return i
		}
	}
	return -1
}

// quotedLen returns the length of the quoted scalar at the start of s,
// quotes included, or -1 when it does not end on this line.
func quotedLen(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i + 1
		}
	}
	return -1
}

// valueShape is what the value of a key or list item is like on its line.
type valueShape int

// The shapes of values.
const (
	valueEmpty       valueShape = iota // nothing, or only an anchor or tag: a block may follow
	valuePlain                         // a plain scalar, which may go on in lines indented more than its parent
	valueDone                          // a quoted scalar, alias or flow collection that ends on the line
	valueBlockScalar                   // | or >: the lines indented more are its text
	valueUnknown                       // one that goes on past the line, or that the tracker does not follow
)

// shapeOf returns the shape of the value s.
func shapeOf(s string) valueShape {
	s = strings.TrimLeft(s, " ")
	for s != "" && (s[0] == '&' || s[0] == '!') {
		_, after, _ := strings.Cut(s, " ")
		s = strings.TrimLeft(after, " ")
	}
	switch {
	case s == "" || s[0] == '#':
		return valueEmpty
	case s[0] == '|' || s[0] == '>':
		return valueBlockScalar
	case s[0] == '"' || s[0] == '\'':
		if quotedLen(s) < 0 {
			return valueUnknown
		}
	case s[0] == '[' || s[0] == '{':
		if !flowEnds(s) {
			return valueUnknown
		}
	case isItem(s) || s[0] == '?':
		return valueUnknown
	case s[0] != '*':
		return valuePlain
	}
	return valueDone
}

// flowEnds reports whether the flow collection at the start of s ends on this
// line.
func flowEnds(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', '\'':
			n := quotedLen(s[i:])
			if n < 0 {
				return false
			}
			i += n - 1
		case '[', '{':
			depth++
		case ']', '}':
			if depth--; depth == 0 {
				return true
			}
		case '#':
			if i > 0 && s[i-1] == ' ' {
				return false
			}
		}
	}
	return false
}
