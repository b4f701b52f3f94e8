// Compile: the go build flags and tags of a build, the grouping of builds
// that share one go build, and the compile step of each group.

package llb

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"

	"github.com/gobuild/gobuild/spec"
)

// buildFlags are the go build flags of b: everything but -o and the package.
func buildFlags(b *spec.Build) []string {
	args := packageFlags(b)
	if len(b.Gcflags) > 0 {
		args = append(args, "-gcflags="+strings.Join(b.Gcflags, " "))
	}
	ldflags := []string{"-buildid="}
	if *b.Strip {
		ldflags = append([]string{"-s", "-w"}, ldflags...)
	}
	if externalLink(b) {
		static := "-static"
		if b.Pie {
			static = "-static-pie"
		}
		ldflags = append(ldflags, "-linkmode=external", "-extldflags="+static)
	}
	ldflags = append(ldflags, b.Ldflags...)
	args = append(args, "-ldflags="+strings.Join(ldflags, " "))
	if b.Cover {
		args = append(args, "-cover")
	}
	switch {
	case b.PGO == spec.PGOOff:
		args = append(args, "-pgo=off")
	case b.PGO != "":
		args = append(args, "-pgo="+b.Profile)
	}
	// The main package's default.pgo needs no flag: go build finds it.
	return append(args, b.Flags...)
}

// packageFlags are the go build flags of b that apply to every package it
// compiles: -trimpath, -buildvcs, -buildmode and -tags.
func packageFlags(b *spec.Build) []string {
	var args []string
	if *b.Trimpath {
		args = append(args, "-trimpath")
	}
	args = append(args, "-buildvcs=false")
	if b.Pie {
		args = append(args, "-buildmode=pie")
	}
	if tags := buildTags(b); len(tags) > 0 {
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	return args
}

// buildTags are b's build tags; cgo adds netgo and osusergo.
func buildTags(b *spec.Build) []string {
	tags := slices.Clone(b.Tags)
	if b.Cgo {
		// Pure-Go name and user lookups: glibc's NSS cannot be linked statically.
		for _, t := range []string{"netgo", "osusergo"} {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	return tags
}

// compileAll compiles builds for the target platform and returns their
// binaries, in order. Builds that differ only in main, id and binary share
// one go build, as `go build -o dir/ ./cmd/a ./cmd/b` would: their common
// packages compile once and the links run in parallel, where separate go
// builds would each compile them.
func (in input) compileAll(builds []*spec.Build, genv []string, tested bool) ([]Binary, error) {
	outs := make([]Binary, len(builds))
	for _, g := range compileGroups(builds) {
		group := make([]*spec.Build, len(g))
		for j, i := range g {
			group[j] = builds[i]
		}
		out, err := in.compile(group, genv, tested)
		if err != nil {
			return nil, err
		}
		for _, i := range g {
			b := builds[i]
			exe := spec.ExeName(b.Binary, in.Target)
			file := "/" + exe
			if len(g) > 1 {
				name, _ := spec.PackageExecName(b.Main)
				file = "/" + spec.ExeName(name, in.Target)
			}
			outs[i] = Binary{Build: b, State: out, File: file, Name: exe, Shared: len(g) > 1}
		}
	}
	return outs, nil
}

// compileGroups partitions builds (by index, in order) into the sets that
// compile together. A build joins another's set when their flags and
// environment are the same, neither is linked by the C toolchain (each of
// those checks its own toolchain), and go build names their binaries
// differently; a build whose binary go would name after the module path
// (main "." or ./v2), or whose name is taken in its set, compiles alone.
func compileGroups(builds []*spec.Build) [][]int {
	var groups [][]int
	sets := map[string]int{}              // key -> index in groups
	names := map[string]map[string]bool{} // key -> binary names go gives its set
	for i, b := range builds {
		key := groupKey(b)
		name, ok := spec.PackageExecName(b.Main)
		if key == "" || !ok || names[key][name] {
			groups = append(groups, []int{i})
			continue
		}
		g, seen := sets[key]
		if !seen {
			g, sets[key], names[key] = len(groups), len(groups), map[string]bool{}
			groups = append(groups, nil)
		}
		names[key][name] = true
		groups[g] = append(groups[g], i)
	}
	return groups
}

// groupKey is what builds compiled together share, or "" for a build that
// compiles alone.
func groupKey(b *spec.Build) string {
	if externalLink(b) {
		return ""
	}
	// Each profile compiles the dependencies its own way (their layers
	// are the build's), so builds with different profiles compile apart.
	key := append(buildFlags(b), "pgo:"+b.Profile)
	for _, k := range slices.Sorted(maps.Keys(b.Env)) {
		key = append(key, "env:"+k+"="+b.Env[k])
	}
	return strings.Join(key, "\x00")
}

// compile runs one go build for group (see compileGroups) on the target
// platform. The result holds a lone build's binary at /<binary>, and a
// group's binaries by the names go build gives them. With tested, the
// compile waits for the test target and runs only when it passed. Its build
// cache mount starts from the dependency layer (see deps).
func (in input) compile(group []*spec.Build, genv []string, tested bool) (bk.State, error) {
	b := group[0]
	root, common, env, err := in.goBuild(b, genv)
	if err != nil {
		return bk.State{}, err
	}
	// The go build cache: the dependency layers, one per module (modgraph.go)
	// or one for all (deps.go).
	var cache []bk.RunOption
	if layers, ok := in.moduleLayers(b, root, env); ok {
		cache = append([]bk.RunOption{in.cacheMount(buildCache, BuildCacheID)}, in.moduleCacheReads(layers)...)
	} else {
		cache = []bk.RunOption{in.cacheMountFrom(buildCache, BuildCacheID, in.deps(b, root, common))}
	}
	var ids, mains []string
	for _, m := range group {
		ids, mains = append(ids, m.ID), append(mains, m.Main)
	}
	args := append([]string{"go", "build"}, buildFlags(b)...)
	if len(group) == 1 {
		args = append(args, "-o", path.Join(outDir, spec.ExeName(b.Binary, in.Target)), b.Main)
	} else {
		args = append(append(args, "-o", outDir+"/"), mains...)
	}
	opts := []bk.RunOption{
		bk.Args(args),
		bk.AddMount(srcDir, in.sources(), bk.ForceNoOutput),
	}
	opts = append(opts, cache...)
	opts = append(opts, bk.WithCustomNamef("[%s %s] go build %s", strings.Join(ids, ", "), platforms.FormatAll(in.Target), strings.Join(mains, " ")))
	opts = append(opts, common...)
	if tested {
		opts = append(opts, bk.AddMount(path.Join(toolDir, "tested"), in.tests(), bk.Readonly))
	}
	if list := in.listState(); list != nil {
		opts = append(opts, bk.AddMount(path.Join(toolDir, "list"), *list, bk.Readonly))
	}
	for _, m := range group {
		opts = append(opts, in.step(m.ID, m.Path())...)
	}
	return root.Run(opts...).AddMount(outDir, bk.Scratch()), nil
}

// goBuild returns the root file system go build runs on for b (the builder,
// or it with a cross C toolchain), the options every go build of b's
// packages shares: the working directory, the downloaded modules with no
// network, and env (the platform's and the build's environment), which it
// also returns alone.
func (in input) goBuild(b *spec.Build, genv []string) (root bk.State, common, env []bk.RunOption, err error) {
	root = in.Builder
	for _, kv := range genv {
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, bk.AddEnv(k, v))
	}
	if externalLink(b) {
		if err := in.checkExternal(b); err != nil {
			return root, nil, nil, err
		}
		var cc string
		root, cc = in.cToolchain()
		env = append(env, bk.AddEnv("CGO_ENABLED", "1"), bk.AddEnv("CC", cc))
	}
	for _, k := range slices.Sorted(maps.Keys(b.Env)) {
		env = append(env, bk.AddEnv(k, b.Env[k]))
	}
	common = append([]bk.RunOption{bk.Dir(in.workdir())}, in.offline()...)
	return root, append(common, env...), env, nil
}
