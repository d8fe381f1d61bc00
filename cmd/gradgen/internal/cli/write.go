package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteFile writes data to path atomically: it writes a temporary file in
// the same directory and renames it over path, so a failed or interrupted
// write leaves the previous file intact. A file that already holds data is
// not touched, so its modification time stays.
func WriteFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("cannot write %s: it is a directory", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// ShortDiff describes how want differs from have: the first differing line
// and a few lines after it on each side.
func ShortDiff(name string, have, want []byte) string {
	a := strings.Split(string(have), "\n")
	b := strings.Split(string(want), "\n")
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	const context = 5
	var s strings.Builder
	fmt.Fprintf(&s, "--- %s (on disk)\n+++ %s (generated)\n@@ line %d @@\n", name, name, i+1)
	for j := i; j < len(a) && j < i+context; j++ {
		fmt.Fprintf(&s, "-%s\n", a[j])
	}
	for j := i; j < len(b) && j < i+context; j++ {
		fmt.Fprintf(&s, "+%s\n", b[j])
	}
	return s.String()
}
