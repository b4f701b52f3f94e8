package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher/ignorefile"

	"github.com/gobuild/gobuild/spec"
)

// project is a gobuild.yaml and its build context on disk, read and
// resolved as a build does before it builds anything.
type project struct {
	Filename   string     // FILE as given: the name in messages
	ContextDir string     // the build context
	File       *spec.File // as parsed
	Resolved   *spec.File // with every default filled in
	Module     spec.ModuleInfo
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
		return p, spec.FieldError(file, p.File, "go.dir", err)
	}
	if err := checkLinks(p.ContextDir, file, p.File); err != nil {
		return p, err
	}
	p.Resolved, err = p.File.Resolve(file, p.Module.Module)
	return p, err
}

// readModule reads the module in dir of the context root on disk (see
// spec.ReadModule). Nothing outside root is read, symbolic links included.
func readModule(root, dir string, goEnv map[string]string) (spec.ModuleInfo, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return spec.ModuleInfo{}, fmt.Errorf("opening the build context: %w", err)
	}
	defer r.Close()
	return spec.ReadModule(rootFiles{r}, dir, goEnv)
}

// checkLinks fails when a path of f leaves the build context root through
// a symbolic link, as the frontend does (see spec.File.CheckLinks).
func checkLinks(root, file string, f *spec.File) error {
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("opening the build context: %w", err)
	}
	defer r.Close()
	return f.CheckLinks(file, rootFiles{r})
}

// rootFiles reads a build context on disk.
type rootFiles struct{ r *os.Root }

func (f rootFiles) ReadFile(name string) ([]byte, error) {
	dt, err := f.r.ReadFile(filepath.FromSlash(name))
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the context root and name are said by the caller
	}
	return dt, err
}

func (f rootFiles) Exists(name string) bool {
	_, err := f.r.Stat(filepath.FromSlash(name))
	return err == nil
}

func (f rootFiles) Readlink(name string) (string, bool) {
	t, err := f.r.Readlink(filepath.FromSlash(name))
	return filepath.ToSlash(t), err == nil
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
