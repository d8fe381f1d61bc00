// The browser test of the demo in examples/web: the page in Debian's
// headless Chromium, driven by chromedp. A separate module so that chromedp
// and its dependencies never enter gradgen's go.mod.
module github.com/gradgen/gradgen/examples/web/browsertest

go 1.26.0

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/gradgen/gradgen v0.0.0-00010101000000-000000000000
)

require github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect

replace github.com/gradgen/gradgen => ../../..
