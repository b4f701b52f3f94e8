// Command listfiles writes, as a JSON list, the files of the module in the
// current directory that `go build` can read: the non-test Go, cgo, assembly
// and embedded files of every package of the module, with go.mod, go.sum,
// go.work and vendor/; with a go.work, those of every module it uses.
// gobuild runs it inside the build so that only those files invalidate the
// compile step.
//
// With -imports, it also writes, for each configuration given (main
// packages, environment such as GOOS and GOARCH, and build flags such as
// -tags), the packages outside the main modules that the main modules'
// packages import in a build of those mains, and the module graph of their
// closure: what gobuild compiles into the dependency layers.
//
// It is embedded in the frontend and compiled in the builder image, so it
// uses only the standard library. Usage:
// listfiles -root CONTEXT -dir MODULE -o FILE [-imports CONFIGS -imports-out FILE].
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
	"sync"
)

type pkg struct {
	Dir    string
	Module *struct{ Main bool }
	// Every kind of file go build may read for some platform.
	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles, SFiles, SwigFiles, SwigCXXFiles, SysoFiles, EmbedFiles, IgnoredGoFiles, IgnoredOtherFiles []string
}

type module struct {
	Path, Dir string
}

// config is one configuration -imports lists the imports of.
type config struct {
	Key   string   `json:"key"`
	Mains []string `json:"mains"`
	Env   []string `json:"env"`
	Flags []string `json:"flags"`
}

func main() {
	out := flag.String("o", "", "write the list to this file")
	dir := flag.String("dir", ".", "the main module's directory")
	root := flag.String("root", "", "paths are written relative to this directory (the build context); default: -dir")
	configs := flag.String("imports", "", "a JSON list of configurations ({key, mains, env, flags}) to list the imports of")
	importsOut := flag.String("imports-out", "", "write the imports of each configuration, a JSON object by key, to this file")
	flag.Parse()
	if *root == "" {
		*root = *dir
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "listfiles:", err)
		os.Exit(1)
	}
	var cs []config
	if *importsOut != "" {
		if err := json.Unmarshal([]byte(*configs), &cs); err != nil {
			fail(fmt.Errorf("-imports: %v", err))
		}
	}
	// The files and each configuration's imports are separate go list
	// runs: they run at once, each on a core of its own where there are.
	// (This file is also compiled on its own by the builder's Go, which may
	// be old and outside any module: no loop variable is captured, and no
	// API newer than Go 1.16 is used.)
	var files []string
	lists := make([]depGraph, len(cs))
	errs := make([]error, len(cs)+1)
	var wg sync.WaitGroup
	wg.Add(len(cs) + 1)
	go func() {
		defer wg.Done()
		files, errs[len(cs)] = list(*root, *dir)
	}()
	for i := range cs {
		go func(i int) {
			defer wg.Done()
			lists[i], errs[i] = imports(*dir, cs[i])
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fail(err)
		}
	}
	dt, _ := json.Marshal(files)
	if err := os.WriteFile(*out, dt, 0o644); err != nil {
		fail(err)
	}
	if *importsOut == "" {
		return
	}
	m := map[string]depGraph{}
	for i, c := range cs {
		m[c.Key] = lists[i]
	}
	dt, _ = json.Marshal(m)
	if err := os.WriteFile(*importsOut, dt, 0o644); err != nil {
		fail(err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// goCmd runs go with args in dir, with env added to the environment, and
// returns its standard output.
func goCmd(dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// list returns the files, relative to root, that go build run in dir can
// read: those of the main module, or of every module of the go.work
// workspace dir belongs to.
func list(root, dir string) ([]string, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	add := func(p string) {
		if _, err := os.Lstat(p); err != nil {
			return
		}
		if rel, err := filepath.Rel(root, p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			set[filepath.ToSlash(rel)] = true
		}
	}
	// The main modules: the one in dir, or each module a go.work uses.
	work, err := goCmd(dir, nil, "env", "GOWORK")
	if err != nil {
		return nil, err
	}
	modules := []module{{Path: ".", Dir: dir}}
	if w := strings.TrimSpace(string(work)); w != "" && w != "off" {
		add(w)
		add(w + ".sum")
		add(filepath.Join(filepath.Dir(w), "vendor"))
		out, err := goCmd(dir, nil, "list", "-m", "-json")
		if err != nil {
			return nil, err
		}
		modules = nil
		for dec := json.NewDecoder(bytes.NewReader(out)); ; {
			var m module
			if err := dec.Decode(&m); err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
			if m.Dir != "" {
				modules = append(modules, m)
			}
		}
	}
	var patterns []string
	for _, m := range modules {
		for _, f := range []string{"go.mod", "go.sum", "vendor"} {
			add(filepath.Join(m.Dir, f))
		}
		patterns = append(patterns, m.Path+"/...")
	}
	// Only the fields read here: go list then skips the work the others need.
	out, err := goCmd(dir, nil, append([]string{"list", "-e", "-json=Dir,Module,GoFiles,CgoFiles,CFiles,CXXFiles,MFiles,HFiles,FFiles,SFiles,SwigFiles,SwigCXXFiles,SysoFiles,EmbedFiles,IgnoredGoFiles,IgnoredOtherFiles"}, patterns...)...)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(out))
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
		for _, names := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles, p.FFiles, p.SFiles, p.SwigFiles, p.SwigCXXFiles, p.SysoFiles, p.EmbedFiles, p.IgnoredGoFiles, p.IgnoredOtherFiles} {
			for _, n := range names {
				if !strings.HasSuffix(n, "_test.go") {
					add(filepath.Join(p.Dir, n))
				}
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
