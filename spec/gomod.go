package spec

import (
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
)

// ParseGoMod reads what gobuild needs from a go.mod file.
func ParseGoMod(filename string, data []byte) (Module, error) {
	mf, err := modfile.Parse(filename, data, nil)
	if err != nil {
		return Module{}, err
	}
	var m Module
	if mf.Module == nil || mf.Module.Mod.Path == "" {
		return m, &Error{File: filename, Msg: "no module directive"}
	}
	m.Path = mf.Module.Mod.Path
	if mf.Go != nil {
		m.Go = mf.Go.Version
	}
	if mf.Toolchain != nil {
		m.Toolchain = strings.TrimPrefix(mf.Toolchain.Name, "go")
	}
	return m, nil
}

// GoVersion is the Go version the module asks for: the toolchain line,
// else the go line, else 1.16 (what the go command assumes without one).
func (m Module) GoVersion() string {
	switch {
	case m.Toolchain != "" && m.Toolchain != "default":
		return m.Toolchain
	case m.Go != "":
		return m.Go
	}
	return "1.16"
}

// MinorVersion cuts a Go version to major.minor: 1.26.8 and 1.26rc1 give 1.26.
func MinorVersion(v string) string {
	major, rest, ok := strings.Cut(v, ".")
	if !ok {
		return v
	}
	end := len(rest)
	for i, r := range rest {
		if r < '0' || r > '9' {
			end = i
			break
		}
	}
	return major + "." + rest[:end]
}

// ParseGoWork returns the directories a go.work file uses, cleaned and
// relative to the go.work file's directory.
func ParseGoWork(filename string, data []byte) ([]string, error) {
	wf, err := modfile.ParseWork(filename, data, nil)
	if err != nil {
		return nil, err
	}
	var uses []string
	for _, u := range wf.Use {
		uses = append(uses, path.Clean(filepath.ToSlash(u.Path)))
	}
	return uses, nil
}
