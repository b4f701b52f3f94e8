// The dependency layers shaped like the module graph: the packages of each
// module the builds import (or of each cycle of modules, which compile
// together) compile in a step of their own into a layer of their own, and
// the compile reads them all.

package llb

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"

	"github.com/gobuild/gobuild/spec"
)

// A bump of one module (the change CI sees most after an edit) changes
// go.mod, go.sum and the downloaded modules, so the single dependency layer
// (deps.go) compiles every dependency again. Here each step sees only what
// its modules' compile reads:
//
//   - a go.mod of its own that requires exactly the modules of its closure
//     (the step's modules and every module they import, at the versions the
//     build selected), so the module's go.mod and go.sum are not inputs;
//   - those modules' directories of the module cache, each mounted on its
//     own from the download step, so BuildKit keys the step on their
//     content, not on the whole download;
//   - the layers of the modules it imports, read through gocacheprog
//     (a GOCACHEPROG), and a layer of its own that gocacheprog writes:
//     the Go build cache entries of its modules' packages and no others.
//
// Go's build cache is content-addressed: an entry's key is the hash of
// everything its compile reads (sources, flags, the keys of its imports),
// so the entries a step writes are the ones the compile of the module looks
// up, and a bump recompiles the bumped module and those that import it.
// The compile reads every layer and writes the module's own packages to its
// cache mount, which has no base, so dependency changes do not multiply it.
//
// The steps need GOCACHEPROG (Go 1.24 and later); for older Go, a vendored
// module, or a list step that wrote no module graph, the single layer of
// deps.go is used.

// Paths of the dependency steps inside the builder.
const (
	depModDir   = toolDir + "/mod"         // the step's own go.mod
	depCacheIn  = toolDir + "/cache"       // the layers it reads
	depCacheOut = toolDir + "/cache-out"   // the layer it writes
	cacheProg   = toolDir + "/gocacheprog" // the GOCACHEPROG
	depGOCACHE  = "/tmp/gobuild-gocache"   // what go keeps outside GOCACHEPROG
)

// minCacheProgGo is the first Go whose go command takes a GOCACHEPROG.
const minCacheProgGo = 24

// depGroup is the unit of one dependency step: a module, or the modules of
// an import cycle.
type depGroup struct {
	modules []DepModule
	imports []int // the groups its packages import, by index, sorted
}

// moduleLayers returns, when the module graph applies to b, the dependency
// layers of b's configuration in dependency order (each after those it
// reads), built on root with env (the platform's and b's environment).
func (in input) moduleLayers(b *spec.Build, root bk.State, env []bk.RunOption) ([]bk.State, bool) {
	g := in.depGraph(b)
	if len(g.Modules) == 0 || in.Module.Vendor || !cacheProgGo(in.File.Go.Version) {
		return nil, false
	}
	groups := depGroups(g.Modules)
	if len(groups) == 0 {
		return nil, false
	}
	layers := make([]bk.State, len(groups))
	for i := range groups {
		layers[i] = in.moduleStep(b, root, env, groups, i, layers)
	}
	return layers, true
}

// cacheProgGo reports whether Go version v (major.minor) has GOCACHEPROG.
func cacheProgGo(v string) bool {
	major, minor, ok := strings.Cut(spec.MinorVersion(v), ".")
	n, err := strconv.Atoi(minor)
	return ok && err == nil && (major != "1" || n >= minCacheProgGo)
}

// moduleStep is group i's step: its packages compiled with the layers of
// the groups it imports, transitively, which layers holds already.
func (in input) moduleStep(b *spec.Build, root bk.State, env []bk.RunOption, groups []depGroup, i int, layers []bk.State) bk.State {
	closure := groupClosure(groups, i)
	var mods []DepModule
	var reads []bk.State
	for _, j := range closure {
		mods = append(mods, groups[j].modules...)
		if j != i {
			reads = append(reads, layers[j])
		}
	}
	var pkgs, names []string
	for _, m := range groups[i].modules {
		pkgs = append(pkgs, m.Packages...)
		names = append(names, moduleName(m))
	}
	pgoFlags, pgoMounts := in.pgoOptions(b)
	args := append(append(append([]string{"go", "build"}, depsFlags(b)...), pgoFlags...), pkgs...)
	opts := []bk.RunOption{
		bk.Args(args),
		bk.Dir(depModDir),
		bk.Network(bk.NetModeNone),
		bk.AddMount(depModDir, in.depGoMod(mods), bk.ForceNoOutput),
		in.cacheProgMount(),
		bk.WithCustomNamef("[deps %s] %s", platforms.FormatAll(in.Target), strings.Join(names, ", ")),
	}
	opts = append(opts, in.moduleMounts(mods)...)
	opts = append(opts, pgoMounts...)
	opts = append(opts, in.toolEnv()...)
	opts = append(opts, env...)
	prog := cacheProg + " -w " + depCacheOut
	if len(reads) > 0 {
		opts = append(opts, bk.AddMount(depCacheIn, mergeOf(reads), bk.Readonly))
		prog += " -r " + depCacheIn
	}
	opts = append(opts,
		bk.AddEnv("GOPROXY", "off"),
		bk.AddEnv("GOFLAGS", depGoFlags(b, in.Env)),
		bk.AddEnv("GOWORK", "off"),
		bk.AddEnv("GOSUMDB", "off"),
		bk.AddEnv("GOCACHE", depGOCACHE),
		bk.AddEnv("GOCACHEPROG", prog))
	opts = append(opts, in.step(DepsStep, "")...)
	return root.Run(opts...).AddMount(depCacheOut, bk.Scratch())
}

// moduleCacheReads are the options of the compile that reads the module
// layers: the merge of all of them, through gocacheprog, with the compile's
// cache mount as the tier it writes.
func (in input) moduleCacheReads(layers []bk.State) []bk.RunOption {
	return []bk.RunOption{
		in.cacheProgMount(),
		bk.AddMount(depCacheIn, mergeOf(layers), bk.Readonly),
		bk.AddEnv("GOCACHEPROG", cacheProg+" -w "+buildCache+" -r "+depCacheIn),
	}
}

// mergeOf is the states merged, or the one state.
func mergeOf(states []bk.State) bk.State {
	if len(states) == 1 {
		return states[0]
	}
	return bk.Merge(states, bk.WithCustomNamef("%d dependency layers", len(states)))
}

// depGoMod is the go.mod of a dependency step that compiles with mods: it
// requires each at the version the build selected, with its replacement.
func (in input) depGoMod(mods []DepModule) bk.State {
	var b strings.Builder
	fmt.Fprintf(&b, "module gobuild.invalid/deps\n\ngo %s\n", in.File.Go.Version)
	var reqs, reps []string
	for _, m := range mods {
		if m.Path == StdModule {
			continue
		}
		reqs = append(reqs, "\t"+m.Path+" "+m.Version+"\n")
		if m.Replace != nil {
			reps = append(reps, "\t"+m.Path+" "+m.Version+" => "+m.Replace.Path+" "+m.Replace.Version+"\n")
		}
	}
	slices.Sort(reqs)
	slices.Sort(reps)
	if len(reqs) > 0 {
		b.WriteString("\nrequire (\n" + strings.Join(reqs, "") + ")\n")
	}
	if len(reps) > 0 {
		b.WriteString("\nreplace (\n" + strings.Join(reps, "") + ")\n")
	}
	return bk.Scratch().File(bk.Mkfile("/go.mod", 0o644, []byte(b.String()), bk.WithCreatedTime(stepEpoch)),
		bk.WithCustomName("[internal] go.mod of a dependency step"))
}

// moduleMounts are, from the download step, the source directories of
// mods and the download directories (.mod, .info, .zip, .ziphash files) of
// mods and of every module they require, whose go.mod files go reads.
func (in input) moduleMounts(mods []DepModule) []bk.RunOption {
	dl := in.download()
	var dirs, downloads []string
	for _, m := range mods {
		if m.Path == StdModule {
			continue
		}
		dirs = append(dirs, m.Dir)
		downloads = append(downloads, path.Dir(m.GoMod))
		for _, r := range m.Requires {
			if inModCacheDir(r) {
				downloads = append(downloads, r)
			}
		}
	}
	slices.Sort(downloads)
	var opts []bk.RunOption
	for _, dir := range append(dirs, slices.Compact(downloads)...) {
		opts = append(opts, bk.AddMount(dir, dl, bk.SourcePath(strings.TrimPrefix(dir, modCache)), bk.Readonly))
	}
	return opts
}

// moduleName is how a step's name shows m.
func moduleName(m DepModule) string {
	if m.Path == StdModule {
		return fmt.Sprintf("std (%d packages)", len(m.Packages))
	}
	return m.Path + " " + m.Version
}

// depGoFlags is GOFLAGS for a dependency step: b's (else go.env's) without
// a -mod flag, with -mod=mod, so that go writes the step's go.sum from the
// downloaded modules' hashes.
func depGoFlags(b *spec.Build, env map[string]string) string {
	v, ok := b.Env["GOFLAGS"]
	if !ok {
		v = env["GOFLAGS"]
	}
	return modModFlags(v)
}

// modModFlags is GOFLAGS v without a -mod flag, with -mod=mod.
func modModFlags(v string) string {
	var flags []string
	for _, f := range strings.Fields(v) {
		if !strings.HasPrefix(strings.TrimLeft(f, "-"), "mod=") {
			flags = append(flags, f)
		}
	}
	return strings.Join(append(flags, "-mod=mod"), " ")
}

// inModCache reports whether m's directories are where the download step
// put them, so that a step can mount them.
func inModCache(m DepModule) bool {
	if m.Path == StdModule {
		return true
	}
	return !m.Local && m.Version != "" && inModCacheDir(m.Dir) && inModCacheDir(m.GoMod)
}

// inModCacheDir reports whether p is a clean path inside the module cache.
func inModCacheDir(p string) bool {
	return strings.HasPrefix(p, modCache+"/") && path.Clean(p) == p
}

// depGroups groups modules into the dependency steps, in dependency order:
// each group after the groups it imports. A module that is not in the
// module cache, or that imports one, is left out: the compile compiles it.
// Modules that import each other form one group.
func depGroups(modules []DepModule) []depGroup {
	index := map[string]int{}
	for i, m := range modules {
		index[m.Path] = i
	}
	// Left out: not in the module cache, or importing, transitively, a
	// module left out (or one the graph does not hold).
	out := make([]bool, len(modules))
	for changed := true; changed; {
		changed = false
		for i, m := range modules {
			if out[i] {
				continue
			}
			bad := !inModCache(m)
			for _, imp := range m.Imports {
				j, ok := index[imp]
				bad = bad || !ok || out[j]
			}
			if bad {
				out[i], changed = true, true
			}
		}
	}
	// Tarjan's strongly connected components, visited in path order, give
	// each component after every component it reaches.
	var (
		groups  []depGroup
		groupOf = make([]int, len(modules))
		order   = make([]int, len(modules)) // visit order + 1; 0 = not visited
		low     = make([]int, len(modules))
		onStack = make([]bool, len(modules))
		stack   []int
		next    = 1
	)
	var visit func(v int)
	visit = func(v int) {
		order[v], low[v], next = next, next, next+1
		stack = append(stack, v)
		onStack[v] = true
		for _, imp := range modules[v].Imports {
			w := index[imp]
			if order[w] == 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], order[w])
			}
		}
		if low[v] != order[v] {
			return
		}
		var g depGroup
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			groupOf[w] = len(groups)
			g.modules = append(g.modules, modules[w])
			if w == v {
				break
			}
		}
		slices.SortFunc(g.modules, func(a, b DepModule) int { return strings.Compare(a.Path, b.Path) })
		groups = append(groups, g)
	}
	for v := range modules {
		if !out[v] && order[v] == 0 {
			visit(v)
		}
	}
	for gi := range groups {
		for _, m := range groups[gi].modules {
			for _, imp := range m.Imports {
				if j := groupOf[index[imp]]; j != gi && !slices.Contains(groups[gi].imports, j) {
					groups[gi].imports = append(groups[gi].imports, j)
				}
			}
		}
		slices.Sort(groups[gi].imports)
	}
	return groups
}

// groupClosure is group i and every group it reaches, by index, sorted.
func groupClosure(groups []depGroup, i int) []int {
	seen := map[int]bool{i: true}
	todo := []int{i}
	for len(todo) > 0 {
		g := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, j := range groups[g].imports {
			if !seen[j] {
				seen[j] = true
				todo = append(todo, j)
			}
		}
	}
	out := make([]int, 0, len(seen))
	for j := range seen {
		out = append(out, j)
	}
	slices.Sort(out)
	return out
}
