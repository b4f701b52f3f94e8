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

// project is a gobuild.yaml and its build context on disk, loaded as a
// build loads it (spec.Load) before it builds anything.
type project struct {
	*spec.Project
	ContextDir string // the build context
	Warnings   []spec.Warning
}

// loadProject reads file and loads it against the context dir (default:
// file's directory) through spec.Load, as frontend.Build does, and lints
// it. args are build args (the GO* ones apply to the go environment, as in
// a build). Errors name the file, line, column and field. The project is
// returned with its warnings even when err is set. Nothing outside the
// context is read, symbolic links included.
func loadProject(file, contextDir string, args map[string]string) (*project, error) {
	p := &project{Project: &spec.Project{}, ContextDir: contextDir}
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
	r, err := os.OpenRoot(p.ContextDir)
	if err != nil {
		return p, fmt.Errorf("opening the build context: %w", err)
	}
	defer r.Close()
	p.Project, err = spec.Load(file, data, rootFiles{r}, args)
	if p.File != nil {
		p.Warnings = spec.Lint(file, p.File)
	}
	return p, err
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
