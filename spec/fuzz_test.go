package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse and, when it parses, to Resolve,
// Lint, Args and Render. Bad input must come back as errors that name the
// file, never as a panic; a file that parses must render.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("../examples/*/gobuild.yaml")
	for _, p := range paths {
		dt, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(dt))
	}
	for _, s := range []string{
		"", "version: 1\n", "builds: [{main: ., ldflags: ['-X main.v={{.Version}}']}]\n",
		"images:\n  - name: a\n    expose: [\"80/tcp\"]\n    env: {A: \"{{.Args.A}}\"}\n",
		"a: &a [x]\nbuilds: [{tags: *a}]\n", "go:\n  env:\n    GOFLAGS: -mod=vendor\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		file, err := Parse("gobuild.yaml", []byte(src))
		if err != nil {
			checkNamed(t, err)
			return
		}
		r, err := file.Resolve("gobuild.yaml", hello)
		if err != nil {
			checkNamed(t, err)
			return
		}
		Lint("gobuild.yaml", r)
		for _, im := range r.Images {
			r.Args(im.Name)
		}
		r.Args("")
		if _, err := r.Render("gobuild.yaml", Values{Version: "1", Os: "linux", Arch: "arm64"}); err != nil {
			checkNamed(t, err)
		}
	})
}

// checkNamed fails unless every error names the file.
func checkNamed(t *testing.T, err error) {
	t.Helper()
	es, ok := AsErrors(err)
	if !ok {
		t.Fatalf("error of type %T, not spec.Errors: %v", err, err)
	}
	for _, e := range es {
		if e.File != "gobuild.yaml" {
			t.Fatalf("error without the file name: %v", e)
		}
	}
}
