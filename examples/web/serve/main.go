// Command serve serves the files of a directory over HTTP, for the browser
// demo: `make web` builds the page (main.wasm, wasm_exec.js, index.html,
// app.js) into a temporary directory and runs
//
//	go run ./examples/web/serve -dir DIR [-addr localhost:8080]
//
// It builds nothing itself. It prints the page's URL, serves main.wasm as
// application/wasm (which WebAssembly.instantiateStreaming wants), and tells
// browsers not to cache, so that a reload after a rebuild gets the new
// files. Interrupt it to stop.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	dir := flag.String("dir", ".", "the `directory` to serve")
	addr := flag.String("addr", "localhost:8080", "the `host:port` to listen on")
	flag.Parse()
	if err := run(*dir, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

// run serves dir on addr until it fails.
func run(dir, addr string) error {
	if fi, err := os.Stat(dir); err != nil {
		return err
	} else if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("serving %s at %s (interrupt to stop)\n", dir, pageURL(addr, ln.Addr()))
	err = http.Serve(ln, handler(dir))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// pageURL returns the URL of the page served on the address addr was
// asked for and ln got: the host asked for, or localhost, and the port got.
func pageURL(addr string, got net.Addr) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(got.String())
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// handler serves the files of dir, to be fetched again on every load.
func handler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		files.ServeHTTP(w, r)
	})
}
