package runtime

import (
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes path atomically: write fills a temporary file in
// the same directory, which is synced and renamed over path. A failed or
// interrupted write leaves the previous file intact and no temporary file
// behind. Checkpoints and safetensors files are saved through it.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	err = write(tmp)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rename(tmp.Name(), path)
	}
	if err == nil {
		syncDir(filepath.Dir(path))
	}
	return err
}

// rename is os.Rename; tests replace it to make a save fail at the last step.
var rename = os.Rename

// syncDir flushes the directory entry of a renamed file to disk, where the
// system allows it; a failure only weakens durability, not atomicity.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
