package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"index.html": "<!doctype html>page", "main.wasm": "\x00asm", "app.js": "'use strict';"}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ path, body, contentType string }{
		{"/", files["index.html"], "text/html"},
		{"/main.wasm", files["main.wasm"], "application/wasm"},
		{"/app.js", files["app.js"], "javascript"},
	} {
		w := httptest.NewRecorder()
		handler(dir).ServeHTTP(w, httptest.NewRequest(http.MethodGet, c.path, nil))
		if w.Code != http.StatusOK || w.Body.String() != c.body {
			t.Errorf("GET %s: %d %q, want 200 %q", c.path, w.Code, w.Body, c.body)
		}
		if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, c.contentType) {
			t.Errorf("GET %s: Content-Type %q, want %s", c.path, ct, c.contentType)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", c.path, cc)
		}
	}
	w := httptest.NewRecorder()
	handler(dir).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/missing.js", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /missing.js: %d, want 404", w.Code)
	}
}

func TestPageURL(t *testing.T) {
	got := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	for addr, want := range map[string]string{
		"localhost:8080": "http://localhost:8080/",
		":8080":          "http://localhost:8080/",
		"127.0.0.1:0":    "http://127.0.0.1:8080/",
		"[::1]:8080":     "http://[::1]:8080/",
	} {
		if u := pageURL(addr, got); u != want {
			t.Errorf("pageURL(%q, %v) = %q, want %q", addr, got, u, want)
		}
	}
}

func TestRunRefusesAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(f, "localhost:0"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("run(a file) = %v, want an error saying it is not a directory", err)
	}
	if err := run(filepath.Join(t.TempDir(), "missing"), "localhost:0"); err == nil {
		t.Error("run(a missing directory) returned no error")
	}
}
