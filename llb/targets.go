// Target and step names: gobuild's own targets, the step names
// --no-cache-filter accepts, the options every step gets from them, and
// the selection of the target to build.

package llb

import (
	"fmt"
	"slices"
	"strings"

	bk "github.com/moby/buildkit/client/llb"

	"github.com/gobuild/gobuild/spec"
)

// Targets are gobuild's own targets, beside the file's images.
var Targets = []string{BinariesTarget, TestTarget, VulncheckTarget}

// TargetName is the target --target target names in f (resolved),
// case-insensitively: one of Targets or an image; by default the first image.
func TargetName(f *spec.File, target, filename string) (string, error) {
	if i := slices.IndexFunc(Targets, func(t string) bool { return strings.EqualFold(t, target) }); i >= 0 {
		return Targets[i], nil
	}
	if target == "" {
		return f.Images[0].Name, nil
	}
	if im := f.Image(target); im != nil {
		return im.Name, nil
	}
	names := make([]string, 0, len(f.Images)+len(Targets))
	for _, im := range f.Images {
		names = append(names, im.Name)
	}
	return "", fmt.Errorf("target %q not found in %s; targets: %s", target, filename, strings.Join(append(names, Targets...), ", "))
}

// Target builds the graph of the target name (from TargetName) for
// in.Target; vulnDB is the database the vulncheck target reads.
func buildTarget(in input, name, vulnDB string) (*Result, error) {
	if err := CheckTarget(name, in.Target); err != nil {
		return nil, err
	}
	switch name {
	case BinariesTarget:
		return buildBinaries(in)
	case TestTarget:
		return buildTests(in)
	case VulncheckTarget:
		return buildVulncheck(in, vulnDB)
	}
	return buildImage(in, name)
}

// Step names, for --no-cache-filter. Each build's compile is named by the
// build's id, and a target's name covers all its steps.
const (
	DownloadStep = "download" // go mod download
	ListStep     = "list"     // the go list of the files go build reads
	CgoStep      = "cgo"      // installing a cross C toolchain
)

// Steps are the step names of f (resolved) other than its targets: the
// ones --no-cache-filter accepts besides target names.
func Steps(f *spec.File) []string {
	steps := []string{DownloadStep, ListStep, CgoStep, DepsStep}
	for _, b := range f.Builds {
		steps = append(steps, b.ID)
	}
	return steps
}

// step is what every exec of the named step gets: the lines of field (when
// known) and IgnoreCache when --no-cache-filter names the step.
func (in input) step(name string, field spec.Path) []bk.RunOption {
	var opts []bk.RunOption
	if in.Locate != nil && field != "" {
		if loc := in.Locate(string(field)); loc != nil {
			opts = append(opts, loc)
		}
	}
	if in.NoCache != nil && in.NoCache(name) {
		opts = append(opts, bk.IgnoreCache)
	}
	return opts
}
