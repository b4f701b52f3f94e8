// cgo and static-pie: the cross C toolchains, the checks that a build can
// be linked externally for the target, and whether a build is for the
// target platform.

package llb

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// crossCC is a Debian cross C toolchain: the gcc-<Triplet> and
// libc6-dev-<DebArch>-cross packages.
type crossCC struct{ Triplet, DebArch string }

// crossCCs are the targets cgo and pie can be cross-compiled for, by
// architecture (arm also by variant). arm v5 and v6 are missing: Debian's
// armhf C library is built for ARMv7, so linking it statically into an ARMv6
// binary would crash a Raspberry Pi Zero.
var crossCCs = map[string]crossCC{
	"amd64":   {"x86_64-linux-gnu", "amd64"},
	"arm64":   {"aarch64-linux-gnu", "arm64"},
	"arm/v7":  {"arm-linux-gnueabihf", "armhf"},
	"386":     {"i686-linux-gnu", "i386"},
	"ppc64le": {"powerpc64le-linux-gnu", "ppc64el"},
	"s390x":   {"s390x-linux-gnu", "s390x"},
	"riscv64": {"riscv64-linux-gnu", "riscv64"},
}

// pieArches are the architectures gobuild makes static-pie binaries for.
var pieArches = []string{"amd64", "arm64"}

// ccKey is the crossCCs key of p.
func ccKey(p ocispecs.Platform) string {
	p = platforms.Normalize(p)
	if p.Architecture == "arm" {
		return "arm/" + p.Variant
	}
	return p.Architecture
}

// CgoPlatforms lists the platforms cgo: true builds for.
func CgoPlatforms() []string {
	var ps []string
	for _, k := range slices.Sorted(maps.Keys(crossCCs)) {
		ps = append(ps, "linux/"+k)
	}
	return ps
}

// native reports whether the target platform runs the build platform's code,
// so that the builder's own C compiler serves.
func (in input) native() bool {
	b, t := platforms.Normalize(in.BuildPlatform), platforms.Normalize(in.Target)
	if b.Architecture != t.Architecture {
		return false
	}
	// amd64 variants only restrict the Go code; arm variants change the C ABI.
	return t.Architecture != "arm" || b.Variant == t.Variant
}

// externalLink reports whether b is linked by the C toolchain.
func externalLink(b *spec.Build) bool { return b.Cgo || b.Pie }

// checkExternal returns why b cannot be linked externally for the target, or nil.
func (in input) checkExternal(b *spec.Build) error {
	target := platforms.FormatAll(platforms.Normalize(in.Target))
	what := "cgo"
	if !b.Cgo {
		what = "pie"
	}
	if in.Target.OS != spec.ImageOS {
		return in.fieldError(b.Path().Dot(what), fmt.Sprintf("%s needs a C toolchain for %s, and gobuild has one for linux only (%s); restrict the build with platforms", what, target, strings.Join(CgoPlatforms(), ", ")))
	}
	if b.Pie && !slices.Contains(pieArches, platforms.Normalize(in.Target).Architecture) {
		return in.fieldError(b.Path().Dot("pie"), fmt.Sprintf("pie is supported for linux/%s, not %s; restrict the build with platforms", strings.Join(pieArches, ", linux/"), target))
	}
	if _, ok := crossCCs[ccKey(in.Target)]; !ok && !in.native() {
		return in.fieldError(b.Path().Dot(what), fmt.Sprintf("%s needs a C toolchain for %s, and gobuild has none for it; %s: true builds for %s; restrict the build with platforms", what, target, what, strings.Join(CgoPlatforms(), ", ")))
	}
	return nil
}

func (in input) fieldError(field spec.Path, msg string) error {
	return spec.Errors{&spec.Error{File: in.File.Filename(), Pos: in.File.Pos(string(field)), Field: string(field), Msg: msg}}
}

// cToolchain is the builder with a C compiler for the target platform and
// the CC that names it: the builder's own gcc when the target is native,
// else Debian's cross gcc, installed in cached steps (shared by every build
// and independent of the module, so they run once per builder image).
func (in input) cToolchain() (bk.State, string) {
	if in.native() {
		return in.Builder, "gcc"
	}
	cc := crossCCs[ccKey(in.Target)]
	plat := platforms.FormatAll(platforms.Normalize(in.Target))
	apt := append([]bk.RunOption{bk.AddEnv("DEBIAN_FRONTEND", "noninteractive")}, in.step(CgoStep, "")...)
	update := in.Builder.Run(append(apt,
		bk.Args([]string{"apt-get", "update"}),
		bk.WithCustomNamef("[cgo %s] apt-get update", plat))...).Root()
	pkgs := []string{"gcc-" + cc.Triplet, "libc6-dev-" + cc.DebArch + "-cross"}
	install := update.Run(append(apt,
		bk.Args(append([]string{"apt-get", "install", "-y", "--no-install-recommends"}, pkgs...)),
		bk.WithCustomNamef("[cgo %s] apt-get install %s", plat, strings.Join(pkgs, " ")))...).Root()
	return install, cc.Triplet + "-gcc"
}

// forTarget reports whether b builds for the target platform.
func (in input) forTarget(b *spec.Build) bool {
	if len(b.Platforms) == 0 {
		return true
	}
	t := platforms.Normalize(in.Target)
	for _, s := range b.Platforms {
		p, err := platforms.Parse(s)
		if err != nil {
			continue
		}
		p = platforms.Normalize(p)
		if p.OS == t.OS && p.Architecture == t.Architecture && (p.Variant == "" || p.Variant == t.Variant) {
			return true
		}
	}
	return false
}
