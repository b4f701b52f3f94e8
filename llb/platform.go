// Platforms: the GOOS/GOARCH (GOARM, GOAMD64) environment of a target
// platform, and the targets that build for linux only.

package llb

import (
	"fmt"
	"sort"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// platformEnv is the GOOS/GOARCH (and GOARM/GOAMD64) environment that makes the Go
// compiler on the build platform target p, sorted by name.
func platformEnv(p ocispecs.Platform) ([]string, error) {
	p = platforms.Normalize(p)
	if err := spec.CheckPlatform(p); err != nil {
		return nil, fmt.Errorf("platform %s is not supported: %w", platforms.FormatAll(p), err)
	}
	env := []string{}
	switch p.Architecture {
	case "amd64":
		switch p.Variant {
		case "", "v1", "v2", "v3", "v4":
			if p.Variant != "" {
				env = append(env, "GOAMD64="+p.Variant)
			}
		default:
			return nil, fmt.Errorf("platform %s: unknown amd64 variant %q (want v1, v2, v3 or v4)", platforms.FormatAll(p), p.Variant)
		}
	case "arm":
		switch p.Variant {
		case "v5", "v6", "v7":
			env = append(env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
		default:
			return nil, fmt.Errorf("platform %s: unknown arm variant %q (want v5, v6 or v7)", platforms.FormatAll(p), p.Variant)
		}
	}
	env = append(env, "GOARCH="+p.Architecture, "GOOS="+p.OS)
	sort.Strings(env)
	return env, nil
}

// CheckTarget returns why target name (from TargetName) cannot be built for
// p, or nil: only the binaries target builds for an OS other than linux.
func CheckTarget(name string, p ocispecs.Platform) error {
	p = platforms.Normalize(p)
	if err := spec.CheckPlatform(p); err != nil {
		return fmt.Errorf("platform %s is not supported: %w", platforms.FormatAll(p), err)
	}
	if p.OS == spec.ImageOS || name == BinariesTarget {
		return nil
	}
	what := "image " + name + " is built"
	switch name {
	case TestTarget, VulncheckTarget:
		what = "the " + name + " target runs in the builder,"
	}
	return fmt.Errorf("platform %s: %s for %s only; --target %s builds binaries for %s",
		platforms.FormatAll(p), what, spec.ImageOS, BinariesTarget, platforms.FormatAll(p))
}
