package llb

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gobuild/gobuild/spec"
)

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
// in.TargetPlatform; vulnDB is the database the vulncheck target reads.
func Target(in Input, name, vulnDB string) (*Result, error) {
	switch name {
	case BinariesTarget:
		return Binaries(in)
	case TestTarget:
		return Tests(in)
	case VulncheckTarget:
		return Vulncheck(in, vulnDB)
	}
	return Image(in, name)
}
