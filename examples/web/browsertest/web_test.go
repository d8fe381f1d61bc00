package browsertest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/gradgen/gradgen/examples/web/ink"
	"github.com/gradgen/gradgen/examples/web/ink/inktest"
)

var update = flag.Bool("update", false, "write the screenshot to docs/web.png")

// root is the directory of gradgen's main module.
const root = "../../.."

// TestDrawDigits draws digits on the page with the mouse and checks what
// the network reads, then corrects a drawing and checks that the network
// learned: the probability of the digit given rises.
func TestDrawDigits(t *testing.T) {
	chromium := findChromium(t)
	site := buildSite(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(site)))
	defer srv.Close()
	p := newPage(t, chromium, srv.URL)
	if s := p.state(); s.State != "ready" {
		t.Fatalf("the page is %q, not ready: %s", s.State, s.Error)
	}

	for i, d := range []int{1, 0, 4, 7} {
		if i > 0 {
			p.do(chromedp.Click(chromedp.CSS("#clear")))
		}
		s := p.draw(inktest.Digits()[d])
		t.Logf("drew a %d: the page reads %d, probabilities %.3f", d, s.Digit, s.Proba)
		if s.Digit != d {
			t.Errorf("drew a %d; the page reads %d (probabilities %.3f)", d, s.Digit, s.Proba)
		}
		if n := sum(s.Image); n < ink.TargetInk-60 || n > ink.TargetInk+60 {
			t.Errorf("drew a %d: the 8×8 image shown sums to %d, want about %d", d, n, ink.TargetInk)
		}
	}
	p.screenshot()

	const label = 1 // the drawing is a 7: teach the network it is a 1
	before := p.state()
	p.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#proba button[data-digit="%d"]`, label))))
	p.wait(`document.getElementById("status").dataset.corrections === "1"`)
	after := p.state()
	t.Logf("clicked %d: P(%d) %.4f → %.4f; %s", label, label, before.Proba[label], after.Proba[label], after.Status)
	if after.Proba[label] <= before.Proba[label] {
		t.Errorf("after the correction to %d, its probability went from %.4f to %.4f; want it higher", label, before.Proba[label], after.Proba[label])
	}
	if !strings.Contains(after.Status, "Learned that this is a 1") {
		t.Errorf("status after the correction: %q", after.Status)
	}
	if after.Error != "" {
		t.Errorf("the page shows an error: %s", after.Error)
	}

	// The Go program answers a bad call with an Error, which the page shows.
	msg, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(() => {
		const r = api.classify(42);
		return r instanceof Error ? r.message : "not an Error: " + r;
	})()`))
	if err != nil || msg != "strokes: got number, want an array" {
		t.Errorf("api.classify(42) = %q, %v; want an Error saying strokes must be an array", msg, err)
	}
}

// TestErrorShows: a page whose main.wasm cannot be fetched says so.
func TestErrorShows(t *testing.T) {
	chromium := findChromium(t)
	site := t.TempDir()
	copyPage(t, site)
	srv := httptest.NewServer(http.FileServer(http.Dir(site)))
	defer srv.Close()
	s := newPage(t, chromium, srv.URL).state()
	if s.State != "error" || !strings.Contains(s.Error, "fetching main.wasm: HTTP 404") {
		t.Errorf("without main.wasm the page is %q and shows %q; want an error naming main.wasm and HTTP 404", s.State, s.Error)
	}
}

// findChromium returns the path of the browser, or skips the test.
func findChromium(t *testing.T) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: none of chromium, chromium-browser, google-chrome on PATH and $CHROMIUM unset; " +
		"apt-get install chromium (make test-web fails without it)")
	return ""
}

// buildSite builds the page into a temporary directory, as make web does:
// main.wasm, Go's wasm_exec.js, index.html and app.js.
func buildSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	start := time.Now()
	goCmd(t, []string{"GOOS=js", "GOARCH=wasm"}, "build", "-o", filepath.Join(dir, "main.wasm"), "./examples/web")
	t.Logf("built main.wasm in %.1f s", time.Since(start).Seconds())
	copyPage(t, dir)
	return dir
}

// copyPage copies the page's files but main.wasm into dir.
func copyPage(t *testing.T, dir string) {
	t.Helper()
	goroot := strings.TrimSpace(goCmd(t, nil, "env", "GOROOT"))
	for _, f := range []string{
		filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"),
		filepath.Join(root, "examples", "web", "index.html"),
		filepath.Join(root, "examples", "web", "app.js"),
	} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// goCmd runs the go command in the main module with the environment
// variables env added, and returns its output.
func goCmd(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s go %s: %v\n%s", strings.Join(env, " "), strings.Join(args, " "), err, &stderr)
	}
	return string(out)
}

// page is the demo's page in a browser tab.
type page struct {
	t   *testing.T
	ctx context.Context
}

// newPage starts chromium headless, opens url and waits until the page has
// loaded the network or failed to. The browser stops at the end of the
// test; the page's console is logged if the test fails.
func newPage(t *testing.T, chromium, url string) *page {
	t.Helper()
	var output lockedBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // as root in a container
		chromedp.CombinedOutput(&output),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	p := &page{t: t, ctx: ctx}
	p.do(chromedp.EmulateViewport(1000, 540))
	var console lockedBuffer
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			fmt.Fprintf(&console, "console %s: %s\n", m.Type, m)
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the page's console:\n%s\nchromium's output:\n%s", &console, &output)
		}
	})
	p.do(chromedp.Navigate(url))
	p.wait(`document.body.dataset.state !== "loading"`)
	return p
}

// do runs actions in the tab, failing the test if one fails.
func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits until the JavaScript expression cond is true.
func (p *page) wait(cond string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		p.t.Fatalf("waiting for %s: %v (page: %+v)", cond, err, p.state())
	}
}

// state is what the page shows.
type state struct {
	State       string    `json:"state"`       // loading, ready or error
	Digit       int       `json:"digit"`       // the digit read, or -1
	Proba       []float64 `json:"proba"`       // the probability of each digit
	Image       []int     `json:"image"`       // the 8×8 image the network reads
	Strokes     int       `json:"strokes"`     // the strokes of the drawing read
	Drawing     bool      `json:"drawing"`     // whether a stroke was under way when it was read
	Corrections int       `json:"corrections"` // the corrections since the page loaded
	Status      string    `json:"status"`      // the status line
	Error       string    `json:"error"`       // the text of the error box
}

// stateJS reads the page's state.
const stateJS = `(() => {
	const $ = (id) => document.getElementById(id);
	const p = $("prediction");
	return {
		state: document.body.dataset.state,
		digit: p.dataset.digit === "" ? -1 : Number(p.dataset.digit),
		proba: [...document.querySelectorAll("#proba .pct")].map((e) => Number(e.dataset.proba)),
		image: [...$("image").children].map((e) => Number(e.dataset.value)),
		strokes: Number(p.dataset.strokes),
		drawing: p.dataset.drawing === "true",
		corrections: Number($("status").dataset.corrections),
		status: $("status").textContent,
		error: $("error").textContent,
	};
})()`

// state returns what the page shows.
func (p *page) state() state {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[state](stateJS))
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// draw draws strokes, on a surface of inktest.Size units, on the pad with
// the left mouse button, and returns the page once it has read them.
func (p *page) draw(strokes []ink.Stroke) state {
	p.t.Helper()
	pad, err := chromedp.Run(p.ctx, chromedp.Evaluate[struct{ X, Y, Size float64 }](`(() => {
		const pad = document.getElementById("pad"), r = pad.getBoundingClientRect();
		return {X: r.left + pad.clientLeft, Y: r.top + pad.clientTop, Size: pad.clientWidth};
	})()`))
	if err != nil {
		p.t.Fatal(err)
	}
	const margin = 30 // pixels between the drawing and the pad's edges
	f := (pad.Size - 2*margin) / inktest.Size
	var actions []chromedp.Action[chromedp.Void]
	for _, s := range strokes {
		for i, pt := range s {
			x, y := pad.X+margin+f*pt.X, pad.Y+margin+f*pt.Y
			switch i {
			case 0:
				actions = append(actions,
					chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y),
					chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, pressed, chromedp.ClickCount(1)))
			default:
				actions = append(actions, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft, pressed))
			}
			if i == len(s)-1 {
				actions = append(actions, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
			}
		}
	}
	p.do(actions...)
	p.wait(fmt.Sprintf(`(() => {
		const p = document.getElementById("prediction");
		return p.dataset.strokes === "%d" && p.dataset.drawing === "false";
	})()`, len(strokes)))
	return p.state()
}

// pressed marks a mouse event as one with the left button held down.
func pressed(e *input.DispatchMouseEventParams) { e.Buttons = 1 }

// screenshot saves the page as a PNG: to docs/web.png with -update, else
// to the temporary directory.
func (p *page) screenshot() {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), "gradgen-web.png")
	if *update {
		path = filepath.Join(root, "docs", "web.png")
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// sum returns the sum of xs.
func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
