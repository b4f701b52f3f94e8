package spec

import (
	"fmt"
	"path"
	"strings"
)

// ContextFiles reads a build context: names are slash paths relative to
// its root. The frontend reads through BuildKit, the gobuild command from
// disk.
type ContextFiles interface {
	ReadFile(name string) ([]byte, error)
	Exists(name string) bool
}

// Workspace is a go.work file.
type Workspace struct {
	Dir  string   // its directory, relative to the build context
	Uses []string // the modules it uses, relative to Dir
}

// ModuleInfo is what a build reads of the module before building.
type ModuleInfo struct {
	Module
	Work   *Workspace  // the go.work the module belongs to, if any
	Vendor bool        // built from vendor/
	Sums   []ModuleSum // its go.sum (none when it has no go.sum)
}

// ReadModule reads go.mod and go.sum in dir (relative to the context root),
// the go.work in dir or above it (unless GOWORK=off), and whether the module
// is built from vendor/ (vendor/modules.txt is there and GOFLAGS does not ask
// for -mod=mod or -mod=readonly).
func ReadModule(files ContextFiles, dir string, goEnv map[string]string) (ModuleInfo, error) {
	var m ModuleInfo
	gomod := path.Join(dir, "go.mod")
	dt, err := files.ReadFile(gomod)
	if err != nil {
		if dir == "." {
			return m, fmt.Errorf("no go.mod at the root of the build context: gobuild builds a Go module, so run it in the directory that holds go.mod or set go.dir (%w)", err)
		}
		return m, fmt.Errorf("no go.mod in %s/ of the build context (%w)", dir, err)
	}
	if m.Module, err = ParseGoMod(gomod, dt); err != nil {
		return m, err
	}
	if gosum := path.Join(dir, "go.sum"); files.Exists(gosum) {
		dt, err := files.ReadFile(gosum)
		if err != nil {
			return m, fmt.Errorf("%s: %w", gosum, err)
		}
		if m.Sums, err = ParseGoSum(gosum, dt); err != nil {
			return m, err
		}
	}
	vendorDir := dir
	if goEnv["GOWORK"] != "off" {
		for d := dir; ; d = path.Dir(d) {
			p := path.Join(d, "go.work")
			if files.Exists(p) {
				dt, err := files.ReadFile(p)
				if err != nil {
					return m, fmt.Errorf("%s: %w", p, err)
				}
				uses, err := ParseGoWork(p, dt)
				if err != nil {
					return m, err
				}
				m.Work = &Workspace{Dir: d, Uses: uses}
				vendorDir = d
				break
			}
			if d == "." {
				break
			}
		}
	}
	flags := " " + goEnv["GOFLAGS"] + " "
	m.Vendor = files.Exists(path.Join(vendorDir, "vendor", "modules.txt")) &&
		!strings.Contains(flags, " -mod=mod ") && !strings.Contains(flags, " -mod=readonly ")
	return m, nil
}
