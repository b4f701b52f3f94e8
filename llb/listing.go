// The list step's output, defined and read here only. llb/listfiles writes
// it; it is compiled alone in the builder from the standard library, so it
// cannot import this package: TestListingFormat compiles it as the list step
// does and checks that it reads the configurations importsArg writes and
// writes what ReadListing reads.

package llb

import (
	"encoding/json"
	"fmt"

	bk "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// The files of the list step's output (listfiles -o and -imports-out).
const (
	// SourcesFile holds a JSON list of the context's files go build reads,
	// relative to the context's root, sorted.
	SourcesFile = "/files.json"
	// ImportsFile holds a JSON object: for each configuration's key (see
	// importsKey), its DepGraph.
	ImportsFile = "/imports.json"
)

// Listing is what the list step found.
type Listing struct {
	Sources []string            // SourcesFile
	Deps    map[string]DepGraph // ImportsFile, by importsKey
	// State is the list step itself, which the compile mounts so that it
	// is part of the image's graph and a remote cache carries it too.
	State *bk.State
}

// ReadListing reads the output of the list step st through read, which
// returns a file of st's solved result.
func ReadListing(st bk.State, read func(name string) ([]byte, error)) (*Listing, error) {
	l := &Listing{State: &st}
	for _, f := range []struct {
		name string
		v    any
	}{{SourcesFile, &l.Sources}, {ImportsFile, &l.Deps}} {
		dt, err := read(f.name)
		if err != nil {
			return nil, fmt.Errorf("reading %s of the list step: %w", f.name, err)
		}
		if err := json.Unmarshal(dt, f.v); err != nil {
			return nil, fmt.Errorf("reading %s of the list step: %w", f.name, err)
		}
	}
	return l, nil
}

// DepGraph is what the list step found of one configuration's imports.
type DepGraph struct {
	// Packages are the packages outside the main modules that the main
	// modules' packages import: what the single dependency layer builds.
	Packages []string `json:"packages"`
	// Modules are the modules providing every package of the closure of
	// Packages, and the standard library (StdModule), sorted by path: what
	// the dependency steps follow.
	Modules []DepModule `json:"modules"`
}

// StdModule is the standard library's DepModule.Path.
const StdModule = "std"

// DepModule is one module of a DepGraph.
type DepModule struct {
	Path    string `json:"path"`
	Version string `json:"version,omitempty"`
	// Dir and GoMod are where the module's source and its go.mod are in
	// the module cache (of the replacement, for a replaced module).
	Dir     string      `json:"dir,omitempty"`
	GoMod   string      `json:"gomod,omitempty"`
	Replace *DepReplace `json:"replace,omitempty"`
	// Local is set for a module that is not in the module cache (replaced
	// by a directory) or that imports a main module: the compile step
	// compiles it, with the module's own packages.
	Local    bool     `json:"local,omitempty"`
	Packages []string `json:"packages"`          // its packages in the closure, sorted
	Imports  []string `json:"imports,omitempty"` // the modules they import (Path), sorted
	// Requires are the download directories of every module its go.mod
	// requires, transitively (go mod graph), whose go.mod files go reads to
	// load its requirements: a module whose go.mod predates graph pruning
	// (go 1.17) makes go read those of all its requirements.
	Requires []string `json:"requires,omitempty"`
}

// DepReplace is a module's replacement by another module version.
type DepReplace struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// importsConfig is one configuration for listfiles -imports.
type importsConfig struct {
	Key   string   `json:"key"`
	Mains []string `json:"mains"`
	Env   []string `json:"env"`
	Flags []string `json:"flags"`
}

// importsArg is listfiles' -imports argument: the configurations whose
// imports the list step lists.
func importsArg(f *spec.File, targets []ocispecs.Platform) string {
	dt, _ := json.Marshal(importsConfigs(f, targets))
	return string(dt)
}
