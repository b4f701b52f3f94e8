// The dependency layer: the packages the module imports from outside
// itself, compiled per platform and compile flags into a Go build cache
// layer that the compile's cache mount starts from.

package llb

import (
	"path"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// The dependency layer. Cache mounts stay on the machine that made them, so
// behind a plain Dockerfile a fresh CI runner importing registry cache
// compiles every dependency again. gobuild compiles the packages the
// module imports from outside itself (third-party and standard library) in
// a step of its own, into an ordinary layer holding a Go build cache:
//
//   - it sees only go.mod and go.sum (and vendor/), the downloaded modules and
//     the list of those packages, so it is keyed on them, the builder (the Go
//     version), the build's compile flags and environment and the platform,
//     not on the module's own code;
//   - a remote cache (--cache-to/--cache-from) carries it like any layer;
//   - the compile's build cache mount starts from it: BuildKit makes a cache
//     mount with a base per base layer, so the mount of a fresh daemon holds
//     every dependency already, and on a warm machine the mount keeps the
//     module's own packages from one edit to the next as before.
//
// The list of packages comes from the list step (listStep), computed per
// platform and compile flags, so the dependency step runs again only when an
// import, go.mod or go.sum changes. It is only a cache: a package it misses
// is compiled by the compile step.

// DepsStep names the dependency steps, for --no-cache-filter.
const DepsStep = "deps"

// depsFlags are the go build flags of b that change how packages are
// compiled, so the dependency step compiles them as the build does. Flags
// that only the main package or the link sees (-ldflags, -o, and -gcflags
// without a package pattern, which apply to the packages named on the
// command line) are left out.
func depsFlags(b *spec.Build) []string {
	args := packageFlags(b)
	if len(b.Gcflags) > 0 && patternFlags(b.Gcflags[0]) {
		args = append(args, "-gcflags="+strings.Join(b.Gcflags, " "))
	}
	for _, f := range b.Flags {
		if !outputFlag(f) {
			args = append(args, f)
		}
	}
	return args
}

// outputFlag reports whether a go build flag changes only what go prints
// (-x, -v, -json, -work), not what it compiles: the dependency step leaves
// it out, so that adding -x to a build does not compile every dependency
// again.
func outputFlag(f string) bool {
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-"), "=")
	return strings.HasPrefix(f, "-") && slices.Contains([]string{"x", "v", "json", "work"}, name)
}

// patternFlags reports whether a -gcflags value starts with a package
// pattern (all=..., ./...=..., example.com/x=...), which applies it beyond the
// packages on the command line.
func patternFlags(v string) bool {
	pat, _, ok := strings.Cut(v, "=")
	return ok && pat != "" && !strings.HasPrefix(pat, "-")
}

// importsKey names the imports of builds compiled like b for platform p.
func importsKey(b *spec.Build, p ocispecs.Platform) string {
	cgo := "0"
	if externalLink(b) {
		cgo = "1"
	}
	return platforms.FormatAll(platforms.Normalize(p)) + " CGO_ENABLED=" + cgo + " " + strings.Join(depsFlags(b), " ")
}

// importsConfigs are the configurations whose imports the list step lists:
// one per target platform and set of compile flags, with the main packages
// of every build compiled so.
func importsConfigs(f *spec.File, targets []ocispecs.Platform) []importsConfig {
	var cs []importsConfig
	for _, p := range targets {
		genv, err := platformEnv(p)
		if err != nil {
			continue // the platform's build reports it
		}
		in := input{Config: Config{File: f}, Platform: Platform{Target: p}}
		for i := range f.Builds {
			b := &f.Builds[i]
			if !in.forTarget(b) {
				continue
			}
			key := importsKey(b, p)
			j := slices.IndexFunc(cs, func(c importsConfig) bool { return c.Key == key })
			if j < 0 {
				cgo := "CGO_ENABLED=0"
				if externalLink(b) {
					cgo = "CGO_ENABLED=1"
				}
				cs = append(cs, importsConfig{Key: key, Env: append(slices.Clone(genv), cgo), Flags: depsFlags(b)})
				j = len(cs) - 1
			}
			if !slices.Contains(cs[j].Mains, b.Main) {
				cs[j].Mains = append(cs[j].Mains, b.Main)
			}
		}
	}
	return cs
}

// deps returns the dependency layer of b on the target platform: a Go
// build cache holding the packages the list step found b imports, compiled on root
// with the options of b's compile (common) and b's compile flags. With no
// imports listed it is empty.
func (in input) deps(b *spec.Build, root bk.State, common []bk.RunOption) bk.State {
	pkgs := in.depGraph(b).Packages
	if len(pkgs) == 0 {
		return bk.Scratch()
	}
	pgoFlags, pgoMounts := in.pgoOptions(b)
	args := append(append(append([]string{"go", "build"}, depsFlags(b)...), pgoFlags...), pkgs...)
	opts := []bk.RunOption{
		bk.Args(args),
		bk.AddMount(srcDir, in.depsSources(), bk.ForceNoOutput),
		bk.WithCustomNamef("[deps %s] go build %d packages", platforms.FormatAll(in.Target), len(pkgs)),
	}
	opts = append(opts, pgoMounts...)
	opts = append(opts, common...)
	opts = append(opts, in.step(DepsStep, "")...)
	return root.Run(opts...).AddMount(buildCache, bk.Scratch())
}

// depsSources is what the dependency step sees of the context: go.mod and
// go.sum (with a go.work, those of its modules), and vendor/ when the
// module vendors.
func (in input) depsSources() bk.State {
	if !in.Module.Vendor {
		return in.modFiles()
	}
	vendor := path.Join(in.dir(), "vendor")
	if in.Module.Work != nil {
		vendor = path.Join(in.Module.Work.Dir, "vendor")
	}
	return bk.Merge([]bk.State{in.modFiles(), bk.Scratch().File(bk.Copy(in.Context, vendor, vendor, &bk.CopyInfo{
		CopyDirContentsOnly: true, CreateDestPath: true, CreatedTime: ptr(stepEpoch),
	}), bk.WithCustomName("vendor/"))}, bk.WithCustomName("go.mod, go.sum and vendor/"))
}
