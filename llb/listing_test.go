package llb

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	bk "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The list step's contract, end to end: listfiles, compiled alone from the
// embedded source as the list step compiles it, takes the configurations
// importsArg writes and writes what ReadListing reads, under the keys the
// dependency step looks up (importsKey).
func TestListingFormat(t *testing.T) {
	tool := t.TempDir()
	build := exec.Command("go", "build", "-o", "listfiles")
	for _, f := range listfiles {
		if err := os.WriteFile(filepath.Join(tool, f.name), f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		build.Args = append(build.Args, f.name)
	}
	build.Dir = tool
	build.Env = append(os.Environ(), "GO111MODULE=auto", "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the embedded listfiles does not compile alone: %v\n%s", err, out)
	}

	mod := t.TempDir()
	for name, data := range map[string]string{
		"go.mod":    "module example.com/hello\n\ngo 1.26\n",
		"main.go":   "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println() }\n",
		"README.md": "not read by go build\n",
	} {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := testInput(t, "", amd64)
	targets := []ocispecs.Platform{amd64, arm64}
	out := t.TempDir()
	run := exec.Command(filepath.Join(tool, "listfiles"), "-root", mod, "-dir", mod, "-o", filepath.Join(out, SourcesFile),
		"-imports", importsArg(in.File, targets), "-imports-out", filepath.Join(out, ImportsFile))
	run.Dir = mod
	run.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local")
	if b, err := run.CombinedOutput(); err != nil {
		t.Fatalf("listfiles: %v\n%s", err, b)
	}

	l, err := ReadListing(bk.Scratch(), func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(out, name)) })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"go.mod", "main.go"}; !reflect.DeepEqual(l.Sources, want) {
		t.Errorf("sources %q, want %q", l.Sources, want)
	}
	for _, p := range targets {
		key := importsKey(&in.File.Builds[0], p)
		g := l.Deps[key]
		if !reflect.DeepEqual(g.Packages, []string{"fmt"}) {
			t.Errorf("imports of %q: %q, want [fmt] (all: %+v)", key, g.Packages, l.Deps)
		}
		if len(g.Modules) != 1 || g.Modules[0].Path != StdModule || !slices.Contains(g.Modules[0].Packages, "fmt") {
			t.Errorf("modules of %q: %+v, want std alone, with fmt", key, g.Modules)
		}
	}
	if l.State == nil {
		t.Error("the listing does not carry its list step")
	}
}
