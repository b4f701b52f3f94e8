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

// depGraph is what -imports-out holds for one configuration: the packages
// outside the main modules that the main modules' packages import, and the
// modules (and the standard library, "std") providing every package of
// their closure, with the imports between them: the module graph gobuild's
// dependency steps follow. llb/listing.go reads it (llb.DepGraph).
type depGraph struct {
	Packages []string    `json:"packages"`
	Modules  []depModule `json:"modules"`
}

type depModule struct {
	Path    string      `json:"path"`
	Version string      `json:"version,omitempty"`
	Dir     string      `json:"dir,omitempty"`
	GoMod   string      `json:"gomod,omitempty"`
	Replace *depReplace `json:"replace,omitempty"`
	// Local is set for a module not in the module cache: replaced by a
	// directory.
	Local    bool     `json:"local,omitempty"`
	Packages []string `json:"packages"`
	Imports  []string `json:"imports,omitempty"`
	// Requires are the download directories (GOMODCACHE/cache/download/
	// <path>/@v) of every module its go.mod requires, transitively, in
	// the module graph (go mod graph): the go.mod files go reads to load
	// the module's requirements.
	Requires []string `json:"requires,omitempty"`
}

type depReplace struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// stdModule names the standard library in depGraph.
const stdModule = "std"

// imports returns the graph of the packages outside the main modules that
// a build of c's main packages compiles, each list sorted. Packages go list
// cannot load are left out: the build itself reports them.
func imports(dir string, c config) (depGraph, error) {
	args := append([]string{"list", "-e", "-deps", "-json=ImportPath,Module,Imports,Standard,Error"}, c.Flags...)
	cmd := exec.Command("go", append(append(args, "--"), c.Mains...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), c.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return depGraph{}, fmt.Errorf("go list for %s: %v\n%s", c.Key, err, stderr.String())
	}
	type mod struct {
		Path, Version, Dir, GoMod string
		Main                      bool
		Replace                   *struct{ Path, Version, Dir, GoMod string }
	}
	type listed struct {
		ImportPath string
		Module     *mod
		Imports    []string
		Standard   bool
		Error      *struct{ Err string }
	}
	var pkgs []listed
	main := map[string]bool{}
	broken := map[string]bool{}
	for dec := json.NewDecoder(&stdout); ; {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return depGraph{}, err
		}
		pkgs = append(pkgs, p)
		main[p.ImportPath] = p.Module != nil && p.Module.Main
		broken[p.ImportPath] = p.Error != nil
	}
	// The module of each package outside the main modules; "" for a
	// package of no module that is not the standard library's.
	modOf := map[string]string{}
	mods := map[string]*depModule{}
	for _, p := range pkgs {
		if main[p.ImportPath] || broken[p.ImportPath] {
			continue
		}
		name := stdModule
		if !p.Standard {
			if p.Module == nil {
				continue
			}
			name = p.Module.Path
		}
		modOf[p.ImportPath] = name
		m := mods[name]
		if m == nil {
			m = &depModule{Path: name}
			if name != stdModule {
				m.Version, m.Dir, m.GoMod = p.Module.Version, p.Module.Dir, p.Module.GoMod
				if r := p.Module.Replace; r != nil {
					if r.Version == "" {
						m.Local = true
					} else {
						m.Replace = &depReplace{Path: r.Path, Version: r.Version}
						m.Dir, m.GoMod = r.Dir, r.GoMod
					}
				}
			}
			mods[name] = m
		}
		m.Packages = append(m.Packages, p.ImportPath)
	}
	set := map[string]bool{}
	for _, p := range pkgs {
		from, dep := modOf[p.ImportPath]
		for _, imp := range p.Imports {
			if imp == "C" || broken[imp] {
				continue
			}
			if main[p.ImportPath] && !main[imp] {
				if _, known := main[imp]; known {
					set[imp] = true
				}
			}
			if to, ok := modOf[imp]; dep && ok && to != from && !contains(mods[from].Imports, to) {
				mods[from].Imports = append(mods[from].Imports, to)
			}
			if dep && main[imp] {
				mods[from].Local = true // a dependency importing a main module compiles with it
			}
		}
	}
	g := depGraph{Packages: make([]string, 0, len(set)), Modules: []depModule{}}
	for p := range set {
		g.Packages = append(g.Packages, p)
	}
	sort.Strings(g.Packages)
	names := make([]string, 0, len(mods))
	for n := range mods {
		names = append(names, n)
	}
	sort.Strings(names)
	// A vendored module has no module cache to read the graph from, and
	// builds no dependency step: without the graph, no module requires
	// anything more than its closure.
	graph, modcache, err := modGraph(dir, c.Env)
	if err != nil {
		fmt.Fprintf(os.Stderr, "listfiles: no module graph, so the dependency steps mount only their closure's go.mod files: %v\n", err)
	}
	for _, n := range names {
		m := mods[n]
		sort.Strings(m.Packages)
		sort.Strings(m.Imports)
		if n != stdModule && !m.Local {
			m.Requires = requiredDirs(graph, modcache, n+"@"+m.Version)
		}
		g.Modules = append(g.Modules, *m)
	}
	return g, nil
}

// modGraph returns the requirement graph of the main module (go mod
// graph: path@version to the path@versions it requires) and GOMODCACHE.
func modGraph(dir string, env []string) (map[string][]string, string, error) {
	run := func(args ...string) ([]byte, error) {
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
	out, err := run("env", "GOMODCACHE")
	if err != nil {
		return nil, "", err
	}
	modcache := strings.TrimSpace(string(out))
	if out, err = run("mod", "graph"); err != nil {
		return nil, "", err
	}
	graph := map[string][]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			graph[f[0]] = append(graph[f[0]], f[1])
		}
	}
	return graph, modcache, nil
}

// requiredDirs are the download directories of the modules reachable from
// node (path@version) in graph whose go.mod the module cache holds (a
// pruned graph names modules whose go.mod go never read), sorted.
func requiredDirs(graph map[string][]string, modcache, node string) []string {
	seen := map[string]bool{node: true}
	todo := []string{node}
	paths := map[string]bool{}
	for len(todo) > 0 {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, r := range graph[n] {
			if !seen[r] {
				seen[r] = true
				todo = append(todo, r)
				// go@1.21 and toolchain@go1.21.0 are the Go versions
				// a go.mod asks for, not modules.
				if i := strings.LastIndex(r, "@"); i > 0 && r[:i] != "go" && r[:i] != "toolchain" {
					dir := filepath.Join(modcache, "cache", "download", escapePath(r[:i]), "@v")
					if _, err := os.Stat(filepath.Join(dir, r[i+1:]+".mod")); err == nil {
						paths[dir] = true
					}
				}
			}
		}
	}
	out := make([]string, 0, len(paths))
	for p := range paths {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// escapePath is a module path as the module cache names it: each upper
// case letter as '!' and its lower case.
func escapePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// goCmd runs go with args in dir and returns its standard output.
func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
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
	work, err := goCmd(dir, "env", "GOWORK")
	if err != nil {
		return nil, err
	}
	modules := []module{{Path: ".", Dir: dir}}
	if w := strings.TrimSpace(string(work)); w != "" && w != "off" {
		add(w)
		add(w + ".sum")
		add(filepath.Join(filepath.Dir(w), "vendor"))
		out, err := goCmd(dir, "list", "-m", "-json")
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
	out, err := goCmd(dir, append([]string{"list", "-e", "-json=Dir,Module,GoFiles,CgoFiles,CFiles,CXXFiles,MFiles,HFiles,FFiles,SFiles,SwigFiles,SwigCXXFiles,SysoFiles,EmbedFiles,IgnoredGoFiles,IgnoredOtherFiles"}, patterns...)...)
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
