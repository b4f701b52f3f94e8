// Command listfiles writes, as a JSON list, the files of the module in the
// current directory that `go build` can read: the non-test Go, cgo, assembly
// and embedded files of every package of the module, with go.mod, go.sum,
// go.work and vendor/. gobuild runs it inside the build so that only those
// files invalidate the compile step.
//
// It is embedded in the frontend and compiled in the builder image, so it
// uses only the standard library. Usage: listfiles -dir DIR -o FILE.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

type pkg struct {
	Dir    string
	Module *struct{ Main bool }
	// Every kind of file go build may read for some platform.
	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles, SFiles, SwigFiles, SwigCXXFiles, SysoFiles, EmbedFiles, IgnoredGoFiles, IgnoredOtherFiles []string
}

func main() {
	out := flag.String("o", "", "write the list to this file")
	dir := flag.String("dir", ".", "the module's directory")
	flag.Parse()
	files, err := list(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listfiles:", err)
		os.Exit(1)
	}
	dt, _ := json.Marshal(files)
	if err := os.WriteFile(*out, dt, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "listfiles:", err)
		os.Exit(1)
	}
}

func list(dir string) ([]string, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.String())
	}
	set := map[string]bool{}
	for _, f := range []string{"go.mod", "go.sum", "go.work", "go.work.sum", "vendor"} {
		if _, err := os.Lstat(filepath.Join(root, f)); err == nil {
			set[f] = true
		}
	}
	dec := json.NewDecoder(&stdout)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		for _, names := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles, p.FFiles, p.SFiles, p.SwigFiles, p.SwigCXXFiles, p.SysoFiles, p.EmbedFiles, p.IgnoredGoFiles, p.IgnoredOtherFiles} {
			for _, n := range names {
				if strings.HasSuffix(n, "_test.go") {
					continue
				}
				set[filepath.ToSlash(filepath.Join(rel, n))] = true
			}
		}
	}
	files := make([]string, 0, len(set))
	for f := range set {
		files = append(files, f)
	}
	sort.Strings(files)
	return files, nil
}
