package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
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
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %s", path, dirProblem(dir, err))
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	// The errors below leave out the temporary file's name, which means
	// nothing to the user.
	if _, err := writeTemp(tmp, data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, bare(err))
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, bare(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, bare(err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, bare(err))
	}
	return nil
}

// dirProblem says why no file can be created in dir, given the error of
// creating one.
func dirProblem(dir string, err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("directory %s does not exist", dir)
	}
	// A file where a directory should be: name it.
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && !fi.IsDir() {
			return fmt.Sprintf("%s is a file, not a directory", d)
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	return fmt.Sprintf("cannot create a file in %s: %v", dir, bare(err))
}

// bare returns the error of the system call behind err, without the path
// an *fs.PathError or *os.LinkError adds.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// writeTemp writes the data to the temporary file. Tests replace it to
// simulate a write that fails part-way.
var writeTemp = (*os.File).Write

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
