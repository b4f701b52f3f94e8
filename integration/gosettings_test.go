package integration

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// go.experiment, go.fips140 and builds[].cover reach the compile: the
// binary records GOEXPERIMENT, GOFIPS140 and -cover as go build on a laptop
// does, and, run with GOCOVERDIR, it writes coverage data there.
func TestGoSettings(t *testing.T) {
	dir := copyDir(t, example("hello"))
	yaml := "# syntax=" + frontendImage + "\ngo:\n  experiment: [jsonv2]\n  fips140: latest\nbuilds:\n  - cover: true\n"
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--target", "binaries",
		"--platform", hostPlatform, "-o", "type=local,dest="+out, ".")
	bin := filepath.Join(out, "hello")
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var settings []string
	for _, s := range info.Settings {
		settings = append(settings, s.Key+"="+s.Value)
	}
	for _, want := range []string{"GOEXPERIMENT=jsonv2", "GOFIPS140=latest", "-cover=true", "CGO_ENABLED=0"} {
		if !slices.Contains(settings, want) {
			t.Errorf("the binary's build settings lack %s: %v", want, settings)
		}
	}
	if !strings.Contains(info.GoVersion, "X:jsonv2") {
		t.Errorf("go version %q does not name the experiment", info.GoVersion)
	}
	covdir := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "GOCOVERDIR="+covdir)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running hello: %v\n%s", err, o)
	}
	files, _ := filepath.Glob(filepath.Join(covdir, "cov*"))
	if len(files) < 2 {
		t.Errorf("hello run with GOCOVERDIR wrote %v, want its covmeta and covcounters files", files)
	}
}
