package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLinkerSetsVersion builds a program that prints the version with and
// without the -X flag a release build passes.
func TestLinkerSetsVersion(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "gobuild")
	for _, tc := range []struct {
		ldflags, want string
	}{
		{"-X github.com/gobuild/gobuild/internal/version.Version=v1.2.3", "gobuild v1.2.3"},
		{"", "gobuild dev"},
	} {
		cmd := exec.Command("go", "build", "-o", exe, "-ldflags", tc.ldflags, "../../cmd/gobuild")
		cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		out, err := exec.Command(exe, "version").Output()
		if err != nil {
			t.Fatalf("gobuild version: %v", err)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("ldflags %q: gobuild version printed %q, want %q", tc.ldflags, got, tc.want)
		}
	}
}

func TestTool(t *testing.T) {
	old := Version
	defer func() { Version = old }()
	Version = "v1.2.3"
	if got := Tool(); got != "gobuild-v1.2.3" {
		t.Errorf("Tool() = %q, want gobuild-v1.2.3", got)
	}
}
