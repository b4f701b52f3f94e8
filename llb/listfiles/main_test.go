package main

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                  "module example.com/m\n\ngo 1.26\n",
		"main.go":                 "package main\n\nimport _ \"example.com/m/web\"\n\nfunc main() {}\n",
		"main_test.go":            "package main\n",
		"README.md":               "# docs\n",
		"docs/guide.md":           "guide\n",
		"web/web.go":              "package web\n\nimport \"embed\"\n\n//go:embed static\nvar FS embed.FS\n",
		"web/static/index.html":   "<h1>hi</h1>\n",
		"web/web_windows.go":      "package web\n",
		"web/testdata/golden.txt": "x\n",
		"asm/add_amd64.s":         "",
		"asm/add.go":              "package asm\n",
	}
	writeFiles(t, dir, files)
	got, err := list(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"asm/add.go", "asm/add_amd64.s", "go.mod", "main.go", "web/static/index.html", "web/web.go", "web/web_windows.go"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestListWorkspace(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.work":        "go 1.26\n\nuse (\n\t./svc/a\n\t./lib\n)\n",
		"README.md":      "# docs\n",
		"svc/a/go.mod":   "module example.com/a\n\ngo 1.26\n",
		"svc/a/main.go":  "package main\n\nimport _ \"example.com/lib\"\n\nfunc main() {}\n",
		"svc/a/notes.md": "x\n",
		"lib/go.mod":     "module example.com/lib\n\ngo 1.26\n",
		"lib/lib.go":     "package lib\n",
		"lib/sub/sub.go": "package sub\n",
		"other/go.mod":   "module example.com/other\n\ngo 1.26\n",
		"other/o.go":     "package other\n",
	}
	writeFiles(t, root, files)
	got, err := list(root, filepath.Join(root, "svc/a"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"go.work", "lib/go.mod", "lib/lib.go", "lib/sub/sub.go", "svc/a/go.mod", "svc/a/main.go"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// With GOWORK=off only the module in dir counts.
	t.Setenv("GOWORK", "off")
	got, err = list(root, filepath.Join(root, "svc/a"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"svc/a/go.mod", "svc/a/main.go"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GOWORK=off: got %q, want %q", got, want)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// -imports lists what the main module's packages import from outside it, for
// each configuration: its platform and tags decide which files count.
func TestImports(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":              "module example.com/m\n\ngo 1.26\n",
		"main.go":             "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/m/web\"\n)\n\nfunc main() { fmt.Println(web.X) }\n",
		"web/web.go":          "package web\n\nimport \"strings\"\n\nvar X = strings.ToUpper(\"x\")\n",
		"web/web_windows.go":  "package web\n\nimport _ \"syscall\"\n",
		"web/extra_tagged.go": "//go:build extra\n\npackage web\n\nimport _ \"encoding/json\"\n",
		"tool/tool.go":        "package main\n\nimport _ \"net/http\"\n\nfunc main() {}\n",
	})
	for _, tc := range []struct {
		c    config
		want []string
	}{
		{config{Mains: []string{"."}, Env: []string{"GOOS=linux", "GOARCH=arm64"}}, []string{"fmt", "strings"}},
		{config{Mains: []string{"."}, Env: []string{"GOOS=windows", "GOARCH=amd64"}}, []string{"fmt", "strings", "syscall"}},
		{config{Mains: []string{"."}, Env: []string{"GOOS=linux"}, Flags: []string{"-tags=extra"}}, []string{"encoding/json", "fmt", "strings"}},
		{config{Mains: []string{".", "./tool"}, Env: []string{"GOOS=linux"}}, []string{"fmt", "net/http", "strings"}},
	} {
		g, err := imports(dir, tc.c)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Packages; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: imports %q, want %q", tc.c, got, tc.want)
		}
	}
}

// The module graph of the closure: each module outside the main module
// with its packages, where it sits in the module cache, and the modules it
// imports; std for the standard library; a directory replacement is local.
func TestImportsModuleGraph(t *testing.T) {
	proxy := t.TempDir()
	writeModule(t, proxy, "example.com/leaf", "v1.0.0", map[string]string{
		"go.mod":  "module example.com/leaf\n\ngo 1.21\n",
		"leaf.go": "package leaf\n\nimport \"strings\"\n\nvar X = strings.ToUpper(\"x\")\n",
	})
	writeModule(t, proxy, "example.com/mid", "v1.0.0", map[string]string{
		"go.mod":     "module example.com/mid\n\ngo 1.21\n\nrequire example.com/leaf v1.0.0\n",
		"mid.go":     "package mid\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/leaf\"\n\t\"example.com/mid/inner\"\n)\n\nvar X = fmt.Sprint(leaf.X, inner.Y)\n",
		"inner/i.go": "package inner\n\nconst Y = 1\n",
	})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":     "module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/mid v1.0.0\n\texample.com/leaf v1.0.0\n\texample.com/loc v0.0.0\n)\n\nreplace example.com/loc => ./loc\n",
		"main.go":    "package main\n\nimport (\n\t\"example.com/loc\"\n\t\"example.com/mid\"\n)\n\nfunc main() { println(mid.X, loc.Z) }\n",
		"loc/go.mod": "module example.com/loc\n\ngo 1.21\n",
		"loc/loc.go": "package loc\n\nconst Z = 2\n",
	})
	modcache := t.TempDir()
	env := []string{"GOMODCACHE=" + modcache, "GOFLAGS=-mod=mod -modcacherw", "GOSUMDB=off", "GONOSUMDB=*", "GOWORK=off", "GOTOOLCHAIN=local"}
	dl := exec.Command("go", "mod", "download", "all")
	dl.Dir = dir
	dl.Env = append(os.Environ(), append(env, "GOPROXY=file://"+filepath.ToSlash(proxy))...)
	if out, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
	for _, kv := range append(env, "GOPROXY=off") {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	g, err := imports(dir, config{Mains: []string{"."}, Env: []string{"GOOS=linux", "GOARCH=amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"example.com/loc", "example.com/mid"}; !reflect.DeepEqual(g.Packages, want) {
		t.Errorf("packages %q, want %q", g.Packages, want)
	}
	byPath := map[string]depModule{}
	for _, m := range g.Modules {
		byPath[m.Path] = m
	}
	if len(byPath) != 4 {
		t.Fatalf("modules %+v, want leaf, loc, mid and std", g.Modules)
	}
	mid := byPath["example.com/mid"]
	if mid.Version != "v1.0.0" || !reflect.DeepEqual(mid.Packages, []string{"example.com/mid", "example.com/mid/inner"}) ||
		!reflect.DeepEqual(mid.Imports, []string{"example.com/leaf", "std"}) || mid.Local {
		t.Errorf("mid %+v", mid)
	}
	if want := filepath.Join(modcache, "example.com", "mid@v1.0.0"); mid.Dir != want {
		t.Errorf("mid's dir %s, want %s", mid.Dir, want)
	}
	if want := filepath.Join(modcache, "cache", "download", "example.com", "mid", "@v", "v1.0.0.mod"); mid.GoMod != want {
		t.Errorf("mid's go.mod %s, want %s", mid.GoMod, want)
	}
	if want := []string{filepath.Join(modcache, "cache", "download", "example.com", "leaf", "@v")}; !reflect.DeepEqual(mid.Requires, want) {
		t.Errorf("mid requires %q, want %q", mid.Requires, want)
	}
	if leaf := byPath["example.com/leaf"]; !reflect.DeepEqual(leaf.Imports, []string{"std"}) || leaf.Local {
		t.Errorf("leaf %+v", leaf)
	}
	if loc := byPath["example.com/loc"]; !loc.Local {
		t.Errorf("loc, replaced by a directory, is not local: %+v", loc)
	}
	if std := byPath["std"]; len(std.Imports) != 0 || !contains(std.Packages, "fmt") || !contains(std.Packages, "runtime") || std.Dir != "" {
		t.Errorf("std %+v", std)
	}
}

// writeModule writes module path at version into a GOPROXY directory.
func writeModule(t *testing.T, proxy, path, version string, files map[string]string) {
	t.Helper()
	dir := filepath.Join(proxy, filepath.FromSlash(path), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range sortedKeys(files) {
		w, err := zw.Create(path + "@" + version + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		version + ".zip":  buf.Bytes(),
		version + ".mod":  []byte(files["go.mod"]),
		version + ".info": []byte(`{"Version":"` + version + `","Time":"2024-01-01T00:00:00Z"}`),
		"list":            []byte(version + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
