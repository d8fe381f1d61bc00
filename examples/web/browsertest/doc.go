// Package browsertest tests the browser demo of examples/web in a real
// headless Chromium, driven by chromedp: it builds the page, serves it,
// draws digits on it with mouse events and corrects one, and takes a
// screenshot. It is a module of its own so that chromedp stays out of
// gradgen's go.mod. Run it with `make test-web`, or here:
//
//	go test [-update]
//
// -update writes the screenshot to docs/web.png; without it, the screenshot
// goes to the temporary directory. The test uses $CHROMIUM, or the first of
// chromium, chromium-browser and google-chrome on PATH, and skips without
// one (make test-web fails instead).
package browsertest
