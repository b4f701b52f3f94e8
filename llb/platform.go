// Platforms: the GOOS/GOARCH (GOARM, GOAMD64) environment of a target
// platform.

package llb

import (
	"fmt"
	"sort"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

var goArches = spec.Arches

// platformEnv is the GOOS/GOARCH (and GOARM/GOAMD64) environment that makes the Go
// compiler on the build platform target p, sorted by name.
func platformEnv(p ocispecs.Platform) ([]string, error) {
	p = platforms.Normalize(p)
	if p.OS != "linux" {
		return nil, fmt.Errorf("platform %s is not supported: gobuild builds linux images (linux/%s)", platforms.FormatAll(p), strings.Join(goArches, ", linux/"))
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
	case "arm64", "386", "ppc64le", "s390x", "riscv64":
	default:
		return nil, fmt.Errorf("platform %s is not supported: gobuild builds linux/%s", platforms.FormatAll(p), strings.Join(goArches, ", linux/"))
	}
	env = append(env, "GOARCH="+p.Architecture, "GOOS="+p.OS)
	sort.Strings(env)
	return env, nil
}
