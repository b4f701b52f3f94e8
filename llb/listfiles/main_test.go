package main

import (
	"os"
	"path/filepath"
	"reflect"
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
		got, err := imports(dir, tc.c)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: imports %q, want %q", tc.c, got, tc.want)
		}
	}
}
