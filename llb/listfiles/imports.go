package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

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
	stdout, err := goCmd(dir, c.Env, append(append(args, "--"), c.Mains...)...)
	if err != nil {
		return depGraph{}, fmt.Errorf("for %s: %v", c.Key, err)
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
	for dec := json.NewDecoder(bytes.NewReader(stdout)); ; {
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
	out, err := goCmd(dir, env, "env", "GOMODCACHE")
	if err != nil {
		return nil, "", err
	}
	modcache := strings.TrimSpace(string(out))
	if out, err = goCmd(dir, env, "mod", "graph"); err != nil {
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
