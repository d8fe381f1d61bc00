package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gradgen/gradgen/internal/testmod"
)

// TestReadmeQuickStart runs the README's quick start as written, in an
// empty directory: it writes each file the section shows (a fenced block
// whose first line is a comment naming the file) and runs each command of
// its sh blocks in order, with the clone at ../gradgen being this
// checkout. go mod tidy resolves modules as a user's would, through the
// module proxy the environment names, so on an empty cache the test needs
// the proxy, as make test itself does.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go command")
	}
	readme, err := os.ReadFile(filepath.Join(testmod.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, commands := quickStart(t, string(readme))
	dir := t.TempDir()
	for name, src := range files {
		write(t, filepath.Join(dir, name), src)
	}
	env := append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=")
	for _, line := range commands {
		line = strings.ReplaceAll(line, "../gradgen", testmod.Root())
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		t.Logf("%s\n%s", line, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "net_gen.go")); err != nil {
		t.Errorf("the quick start did not generate net_gen.go: %v", err)
	}
}

var fence = regexp.MustCompile("(?s)```(\\w+)\n(.*?)```")

// quickStart returns the files and the commands of the README's Quick start
// section.
func quickStart(t *testing.T, readme string) (files map[string]string, commands []string) {
	_, section, ok := strings.Cut(readme, "\n## Quick start\n")
	if !ok {
		t.Fatal("README.md has no Quick start section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	files = make(map[string]string)
	for _, m := range fence.FindAllStringSubmatch(section, -1) {
		lang, body := m[1], m[2]
		first, _, _ := strings.Cut(body, "\n")
		switch {
		case lang == "sh":
			for line := range strings.Lines(body) {
				if cmd, _, _ := strings.Cut(line, "#"); strings.TrimSpace(cmd) != "" {
					commands = append(commands, strings.TrimSpace(cmd))
				}
			}
		case strings.HasPrefix(first, "# ") || strings.HasPrefix(first, "// "):
			name := strings.TrimSpace(strings.TrimLeft(first, "#/ "))
			if filepath.Ext(name) != "" && !strings.ContainsAny(name, " :") {
				files[name] = body
			}
		}
	}
	if len(files) < 2 || len(commands) < 4 {
		t.Fatalf("the Quick start shows %d files and %d commands; want net.yaml, net_test.go and the set-up commands", len(files), len(commands))
	}
	return files, commands
}
