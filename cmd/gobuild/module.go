package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher/ignorefile"

	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/spec"
)

// project is a gobuild.yaml and its build context on disk, read and
// resolved as a build does before it builds anything.
type project struct {
	Filename   string     // FILE as given: the name in messages
	ContextDir string     // the build context
	File       *spec.File // as parsed
	Resolved   *spec.File // with every default filled in
	Module     module
	Warnings   []spec.Warning
}

// loadProject reads file, parses and lints it, reads the module in the
// context dir (default: file's directory) and resolves the file, as
// frontend.Build does. args are build args (the GO* ones apply to the go
// environment, as in a build). Errors name the file, line, column and field.
// The project is returned with its warnings even when err is set.
func loadProject(file, contextDir string, args map[string]string) (*project, error) {
	p := &project{Filename: file, ContextDir: contextDir}
	if p.ContextDir == "" {
		p.ContextDir = filepath.Dir(file)
	}
	if fi, err := os.Stat(p.ContextDir); err != nil {
		return p, fmt.Errorf("build context: %w", err)
	} else if !fi.IsDir() {
		return p, fmt.Errorf("build context %s is not a directory", p.ContextDir)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return p, fmt.Errorf("reading %s: %w", file, err)
	}
	if p.File, err = spec.Parse(file, data); err != nil {
		return p, err
	}
	p.Warnings = spec.Lint(file, p.File)
	if p.Module, err = readModule(p.ContextDir, spec.ModuleDir(p.File.Go.Dir), p.File.GoEnv(args)); err != nil {
		return p, fieldError(file, p.File, "go.dir", err)
	}
	p.Resolved, err = p.File.Resolve(file, p.Module.Module)
	return p, err
}

// module is what a build reads of the module before building (frontend's
// module type, read from disk).
type module struct {
	spec.Module
	Work   *gbllb.Work
	Vendor bool
}

// readModule is frontend.readModule on disk: it reads go.mod in dir (a
// slash path relative to the context root), the go.work in dir or above it
// (unless GOWORK=off) and whether the module is built from vendor/. Nothing
// outside root is read, symbolic links included.
func readModule(root, dir string, goEnv map[string]string) (module, error) {
	var m module
	r, err := os.OpenRoot(root)
	if err != nil {
		return m, fmt.Errorf("opening the build context: %w", err)
	}
	defer r.Close()
	exists := func(p string) bool {
		_, err := r.Stat(filepath.FromSlash(p))
		return err == nil
	}
	readFile := func(p string) ([]byte, error) {
		dt, err := r.ReadFile(filepath.FromSlash(p))
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the context root and p are said by the caller
		}
		return dt, err
	}
	gomod := path.Join(dir, "go.mod")
	dt, err := readFile(gomod)
	if err != nil {
		if dir == "." {
			return m, fmt.Errorf("no go.mod at the root of the build context: gobuild builds a Go module, so run it in the directory that holds go.mod or set go.dir (%w)", err)
		}
		return m, fmt.Errorf("no go.mod in %s/ of the build context (%w)", dir, err)
	}
	if m.Module, err = spec.ParseGoMod(gomod, dt); err != nil {
		return m, err
	}
	vendorDir := dir
	if goEnv["GOWORK"] != "off" {
		for d := dir; ; d = path.Dir(d) {
			p := path.Join(d, "go.work")
			if exists(p) {
				dt, err := readFile(p)
				if err != nil {
					return m, fmt.Errorf("%s: %w", p, err)
				}
				uses, err := spec.ParseGoWork(p, dt)
				if err != nil {
					return m, err
				}
				m.Work = &gbllb.Work{Dir: d, Uses: uses}
				vendorDir = d
				break
			}
			if d == "." {
				break
			}
		}
	}
	flags := " " + goEnv["GOFLAGS"] + " "
	m.Vendor = exists(path.Join(vendorDir, "vendor", "modules.txt")) &&
		!strings.Contains(flags, " -mod=mod ") && !strings.Contains(flags, " -mod=readonly ")
	return m, nil
}

// fieldError turns err into a spec error naming field of f, so that it
// carries the file, line and column (as frontend.fieldError).
func fieldError(filename string, f *spec.File, field string, err error) error {
	if _, ok := err.(spec.Errors); ok {
		return err
	}
	return spec.Errors{&spec.Error{File: filename, Pos: f.Pos(field), Field: field, Msg: err.Error()}}
}

// dockerignore returns the exclude patterns a build applies to the context:
// those of <file>.dockerignore next to file when it exists, else of
// .dockerignore at the context root (as dockerui reads them).
func dockerignore(file, contextDir string) ([]string, error) {
	for _, p := range []string{file + ".dockerignore", filepath.Join(contextDir, ".dockerignore")} {
		dt, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		excludes, err := ignorefile.ReadAll(bytes.NewReader(dt))
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", p, err)
		}
		return excludes, nil
	}
	return nil, nil
}
