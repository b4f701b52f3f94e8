// The platforms gobuild builds for: images for linux, binaries (the
// binaries target) for every OS Go compiles for without cgo whose
// executables gobuild can check.

package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageOS is the only OS of gobuild's images (and of the test and
// vulncheck targets, which run in the builder).
const ImageOS = "linux"

// Arches are the architectures gobuild builds linux images for (GOARCH and
// OCI names agree).
var Arches = []string{"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"}

// BinaryArches are, by OS, the architectures the binaries target builds
// for: the ports of `go tool dist list` that need no cgo and whose
// executables gobuild checks (ELF, Mach-O or PE). linux's are Arches.
var BinaryArches = map[string][]string{
	ImageOS:     Arches,
	"darwin":    {"amd64", "arm64"},
	"windows":   {"amd64", "arm64", "386"},
	"freebsd":   {"amd64", "arm64", "386", "arm"},
	"netbsd":    {"amd64", "arm64", "386", "arm"},
	"openbsd":   {"amd64", "arm64", "386", "arm", "ppc64", "riscv64"},
	"dragonfly": {"amd64"},
	"illumos":   {"amd64"},
	"solaris":   {"amd64"},
}

// CheckPlatform returns why gobuild cannot build binaries for p, or nil.
func CheckPlatform(p ocispecs.Platform) error {
	p = platforms.Normalize(p)
	arches, ok := BinaryArches[p.OS]
	if !ok {
		return fmt.Errorf("gobuild builds binaries for %s, not for %s", strings.Join(slices.Sorted(maps.Keys(BinaryArches)), ", "), p.OS)
	}
	if !slices.Contains(arches, p.Architecture) {
		return fmt.Errorf("gobuild builds %s/%s, not %s", p.OS, strings.Join(arches, ", "+p.OS+"/"), platforms.FormatAll(p))
	}
	return nil
}

// ExeName is the file name of the binary called binary on platform p: with
// .exe on windows, as go build names it.
func ExeName(binary string, p ocispecs.Platform) string {
	if p.OS == "windows" {
		return binary + ".exe"
	}
	return binary
}
