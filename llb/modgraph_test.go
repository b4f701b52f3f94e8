package llb

import (
	"bytes"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/gobuild/gobuild/internal/llbtree"
)

// shopGraph is a module graph like a service's: std; a leaf; a module
// that imports it; two modules that import each other; one replaced by
// another module; one replaced by a directory and one that imports that.
func shopGraph(leafVersion string) DepGraph {
	mod := func(path, version string, imports ...string) DepModule {
		esc := strings.ReplaceAll(path, "B", "!b")
		return DepModule{Path: path, Version: version, Dir: modCache + "/" + esc + "@" + version,
			GoMod: modCache + "/cache/download/" + esc + "/@v/" + version + ".mod", Packages: []string{path}, Imports: imports}
	}
	cycleA, cycleB := mod("example.com/cycle/a", "v1.0.0", "example.com/cycle/b", StdModule), mod("example.com/cycle/b", "v1.0.0", "example.com/cycle/a", StdModule)
	repl := mod("example.com/old", "v1.0.0", StdModule)
	repl.Replace = &DepReplace{Path: "example.com/new", Version: "v1.1.0"}
	repl.Dir, repl.GoMod = modCache+"/example.com/new@v1.1.0", modCache+"/cache/download/example.com/new/@v/v1.1.0.mod"
	local := DepModule{Path: "example.com/local", Local: true, Packages: []string{"example.com/local"}}
	mid := mod("example.com/mid", "v1.2.0", "example.com/Big/uuid", StdModule)
	// Its go.mod requires testify, which provides no package, and uuid,
	// whose download directory the step mounts anyway.
	mid.Requires = []string{modCache + "/cache/download/example.com/!big/uuid/@v", modCache + "/cache/download/example.com/testify/@v"}
	return DepGraph{
		Packages: []string{"example.com/Big/uuid", "example.com/cycle/a", "example.com/local/user", "example.com/mid", "example.com/old"},
		Modules: []DepModule{
			mod("example.com/Big/uuid", leafVersion, StdModule),
			cycleA, cycleB,
			local,
			mod("example.com/local/user", "v1.0.0", "example.com/local", StdModule),
			mid,
			repl,
			{Path: StdModule, Packages: []string{"fmt", "internal/abi", "runtime"}},
		},
	}
}

// moduleSteps builds src's binaries with graph as the list step's finding
// and returns the definition and its execs by name with their digests.
func moduleSteps(t *testing.T, src string, graph DepGraph, edits ...func(*input)) (*bk.Definition, map[string]*pb.ExecOp, map[string]digest.Digest) {
	t.Helper()
	in := testInput(t, src, arm64)
	in.Env = in.File.GoEnv(nil)
	tools := bk.Image("example.com/gobuild:1")
	in.Tools = &tools
	in.list = &Listing{Sources: []string{"go.mod", "main.go"}, Deps: map[string]DepGraph{importsKey(&in.File.Builds[0], arm64): graph}}
	for _, edit := range edits {
		edit(&in)
	}
	res, err := buildBinaries(in)
	if err != nil {
		t.Fatal(err)
	}
	def := marshal(t, res, arm64)
	ex := map[string]*pb.ExecOp{}
	ds := map[string]digest.Digest{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		if e := op.GetExec(); e != nil {
			name := def.Metadata[digest.FromBytes(dt)].Description["llb.customname"]
			ex[name], ds[name] = e, digest.FromBytes(dt)
		}
	}
	return def, ex, ds
}

func env(e *pb.ExecOp, k string) string {
	for _, kv := range e.Meta.Env {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

func mountAt(e *pb.ExecOp, dest string) *pb.Mount {
	for _, m := range e.Mounts {
		if m.Dest == dest {
			return m
		}
	}
	return nil
}

// One step per module, or per cycle of modules; none for a module outside
// the module cache or one that imports it (the compile compiles those).
// Each step sees its closure's module directories, its own go.mod, and the
// layers of what it imports; the compile reads them all and writes to a
// cache mount with no base.
func TestModuleSteps(t *testing.T) {
	def, ex, _ := moduleSteps(t, "go:\n  version: \"1.26\"\n", shopGraph("v1.6.0"))
	tree, err := llbtree.Render(def)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/module-graph.golden", tree)

	want := []string{
		"[deps linux/arm64] std (3 packages)",
		"[deps linux/arm64] example.com/Big/uuid v1.6.0",
		"[deps linux/arm64] example.com/cycle/a v1.0.0, example.com/cycle/b v1.0.0",
		"[deps linux/arm64] example.com/mid v1.2.0",
		"[deps linux/arm64] example.com/old v1.0.0",
	}
	var got []string
	for name := range ex {
		if strings.HasPrefix(name, "[deps ") {
			got = append(got, name)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("dependency steps %q, want %q", got, want)
	}
	for _, w := range want {
		if ex[w] == nil {
			t.Errorf("no step %q in %q", w, got)
		}
	}
	mid := ex["[deps linux/arm64] example.com/mid v1.2.0"]
	if !reflect.DeepEqual(mid.Meta.Args, []string{"go", "build", "-trimpath", "-buildvcs=false", "example.com/mid"}) || mid.Meta.Cwd != depModDir {
		t.Errorf("mid's step runs %q in %s", mid.Meta.Args, mid.Meta.Cwd)
	}
	for _, dir := range []string{modCache + "/example.com/!big/uuid@v1.6.0", modCache + "/cache/download/example.com/!big/uuid/@v", modCache + "/example.com/mid@v1.2.0"} {
		if m := mountAt(mid, dir); m == nil || !m.Readonly || m.Selector != strings.TrimPrefix(dir, modCache) {
			t.Errorf("mid's step does not mount %s read-only from the download: %+v", dir, m)
		}
	}
	n := 0
	for _, m := range mid.Mounts {
		if m.Dest == modCache+"/cache/download/example.com/!big/uuid/@v" {
			n++
		}
	}
	if n != 1 || mountAt(mid, modCache+"/cache/download/example.com/testify/@v") == nil {
		t.Errorf("mid's step mounts uuid's download directory %d times, and testify's (required, no package): %v", n, mountAt(mid, modCache+"/cache/download/example.com/testify/@v") != nil)
	}
	if m := mountAt(mid, modCache); m != nil {
		t.Error("mid's step mounts the whole module cache, so any bump runs it again")
	}
	if mountAt(mid, modCache+"/example.com/cycle/a@v1.0.0") != nil {
		t.Error("mid's step mounts a module it does not import")
	}
	if got := env(mid, "GOCACHEPROG"); got != cacheProg+" -w "+depCacheOut+" -r "+depCacheIn {
		t.Errorf("mid's GOCACHEPROG %q", got)
	}
	for k, v := range map[string]string{"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOWORK": "off", "GOSUMDB": "off", "GOCACHE": depGOCACHE} {
		if got := env(mid, k); got != v {
			t.Errorf("mid's %s=%q, want %q", k, got, v)
		}
	}
	if mid.Network != pb.NetMode_NONE {
		t.Error("a dependency step has network")
	}
	std := ex["[deps linux/arm64] std (3 packages)"]
	if got := env(std, "GOCACHEPROG"); got != cacheProg+" -w "+depCacheOut {
		t.Errorf("std, which reads no layer, has GOCACHEPROG %q", got)
	}
	if mountAt(std, depCacheIn) != nil {
		t.Error("std's step mounts layers it does not read")
	}
	for name := range ex {
		if strings.Contains(name, "local") && strings.HasPrefix(name, "[deps") {
			t.Errorf("a step for a module outside the module cache: %s", name)
		}
	}

	compile := ex["[hello linux/arm64] go build ."]
	if compile == nil {
		t.Fatalf("no compile in %v", ex)
	}
	cache := mountAt(compile, buildCache)
	if cache == nil || cache.MountType != pb.MountType_CACHE || cache.Input != -1 {
		t.Errorf("the compile's build cache is not a cache mount with no base: %+v", cache)
	}
	if got := env(compile, "GOCACHEPROG"); got != cacheProg+" -w "+buildCache+" -r "+depCacheIn {
		t.Errorf("the compile's GOCACHEPROG %q", got)
	}
	if m := mountAt(compile, depCacheIn); m == nil || !m.Readonly {
		t.Error("the compile does not read the dependency layers")
	}
	for _, want := range []string{
		"module gobuild.invalid/deps\\n\\ngo 1.26\\n\\nrequire (\\n\\texample.com/Big/uuid v1.6.0\\n\\texample.com/mid v1.2.0\\n)\\n",
		"require (\\n\\texample.com/old v1.0.0\\n)\\n\\nreplace (\\n\\texample.com/old v1.0.0 => example.com/new v1.1.0\\n)\\n",
		"-mod=mod",
	} {
		if !strings.Contains(tree, want) {
			t.Errorf("no %q in the definition", want)
		}
	}
}

// Without the frontend image's tools, a step compiles gocacheprog from its
// source, as it is in llb/gocacheprog, and the steps mount it from there.
func TestModuleStepsCompileCacheProg(t *testing.T) {
	in := testInput(t, "go:\n  version: \"1.26\"\n", arm64)
	in.list = &Listing{Deps: map[string]DepGraph{importsKey(&in.File.Builds[0], arm64): shopGraph("v1.6.0")}}
	res, err := buildBinaries(in)
	if err != nil {
		t.Fatal(err)
	}
	def := marshal(t, res, arm64)
	src, err := os.ReadFile("gocacheprog/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if got := mkfileData(t, def, "/gocacheprog.go"); !bytes.Equal(got, src) {
		t.Errorf("the definition writes %d bytes to /gocacheprog.go, not the %d of llb/gocacheprog/main.go", len(got), len(src))
	}
	ex := execs(t, def)
	tool := ex["[internal] build gocacheprog"]
	if tool == nil || !reflect.DeepEqual(tool.Meta.Args, []string{"go", "build", "-o", "/out/gocacheprog", "gocacheprog.go"}) {
		t.Fatalf("no step compiles gocacheprog: %v", keys(ex))
	}
	if m := mountAt(ex["[deps linux/arm64] example.com/mid v1.2.0"], cacheProg); m == nil || m.Selector != "/gocacheprog" || !m.Readonly {
		t.Errorf("mid's step does not mount the compiled gocacheprog: %+v", m)
	}
}

// go.experiment and go.fips140 reach every dependency step and the compile
// (their cache keys too), and cover: true only the compile's flags.
func TestGoSettingsReachEveryStep(t *testing.T) {
	src := "go:\n  version: \"1.26\"\n  experiment: [jsonv2, nogreenteagc]\n  fips140: latest\nbuilds:\n  - cover: true\n"
	_, ex, _ := moduleSteps(t, src, shopGraph("v1.6.0"))
	_, plain, _ := moduleSteps(t, "go:\n  version: \"1.26\"\n", shopGraph("v1.6.0"))
	var deps int
	for name, e := range ex {
		if !strings.HasPrefix(name, "[deps ") && !strings.Contains(name, "go build") {
			continue
		}
		deps++
		if env(e, "GOEXPERIMENT") != "jsonv2,nogreenteagc" || env(e, "GOFIPS140") != "latest" {
			t.Errorf("%s: GOEXPERIMENT=%q GOFIPS140=%q", name, env(e, "GOEXPERIMENT"), env(e, "GOFIPS140"))
		}
		cover := slices.Contains(e.Meta.Args, "-cover")
		if compile := strings.HasPrefix(name, "[hello "); cover != compile {
			t.Errorf("%s: -cover in its args is %v: %q", name, cover, e.Meta.Args)
		}
	}
	if deps < 3 {
		t.Errorf("only %d go build steps in %v", deps, keys(ex))
	}
	for name, e := range plain {
		if env(e, "GOEXPERIMENT") != "" || env(e, "GOFIPS140") != "" {
			t.Errorf("%s has GOEXPERIMENT or GOFIPS140 with neither set", name)
		}
	}
}

// A build's profile reaches every dependency step (-pgo and a mount of the
// profile alone) and the compile's sources; pgo: off and a profile named
// by pgo reach the compile's flags, the main package's default.pgo needs
// none.
func TestProfileReachesDependencySteps(t *testing.T) {
	src := "go:\n  version: \"1.26\"\n"
	for _, tc := range []struct {
		pgo, profile, flag string
	}{
		{"", "default.pgo", ""},
		{"prof/cpu.pprof", "prof/cpu.pprof", "-pgo=prof/cpu.pprof"},
		{"off", "", "-pgo=off"},
	} {
		def, ex, _ := moduleSteps(t, src, shopGraph("v1.6.0"), func(in *input) {
			in.File.Builds[0].PGO, in.File.Builds[0].Profile = tc.pgo, tc.profile
		})
		compile := ex["[hello linux/arm64] go build ."]
		var flags []string
		for _, a := range compile.Meta.Args {
			if strings.HasPrefix(a, "-pgo") {
				flags = append(flags, a)
			}
		}
		if want := []string{tc.flag}; tc.flag == "" && len(flags) > 0 || tc.flag != "" && !reflect.DeepEqual(flags, want) {
			t.Errorf("pgo %q: the compile's -pgo flags are %q, want %q", tc.pgo, flags, tc.flag)
		}
		for name, e := range ex {
			if !strings.HasPrefix(name, "[deps ") {
				continue
			}
			has := slices.Contains(e.Meta.Args, "-pgo="+pgoFile) && mountAt(e, path.Dir(pgoFile)) != nil
			if has != (tc.profile != "") {
				t.Errorf("pgo %q: %s has the profile: %v", tc.pgo, name, has)
			}
		}
		copied := false
		for _, dt := range def.Def {
			if bytes.Contains(dt, []byte("include="+tc.profile)) || tc.profile != "" && bytes.Contains(dt, []byte(tc.profile)) {
				copied = true
			}
		}
		if copied != (tc.profile != "") {
			t.Errorf("pgo %q: the definition copies the profile: %v", tc.pgo, copied)
		}
	}
}

// A bump of the leaf runs again only its step and the steps of the modules
// that import it, and the compile; every other step keeps its digest.
func TestModuleBumpRerunsImporters(t *testing.T) {
	_, _, before := moduleSteps(t, "go:\n  version: \"1.26\"\n", shopGraph("v1.6.0"))
	_, _, after := moduleSteps(t, "go:\n  version: \"1.26\"\n", shopGraph("v1.6.1"))
	changed := map[string]bool{}
	for name, d := range after {
		if before[strings.Replace(name, "v1.6.1", "v1.6.0", 1)] != d {
			changed[name] = true
		}
	}
	want := map[string]bool{
		"[deps linux/arm64] example.com/Big/uuid v1.6.1": true,
		"[deps linux/arm64] example.com/mid v1.2.0":      true,
		"[hello linux/arm64] go build .":                 true,
		// The binaries target's checksums read the new binary.
		"[binaries linux/arm64] checksums.txt": true,
	}
	if !reflect.DeepEqual(changed, want) {
		t.Errorf("steps changed by the bump: %v, want %v", changed, want)
	}
}

// Older Go has no GOCACHEPROG, and a vendored module reads its
// dependencies from vendor/: both keep the single dependency layer.
func TestModuleStepsFallBack(t *testing.T) {
	_, ex, _ := moduleSteps(t, "go:\n  version: \"1.23\"\n", shopGraph("v1.6.0"))
	if ex["[deps linux/arm64] go build 5 packages"] == nil {
		t.Errorf("Go 1.23 does not get the single dependency layer: %v", keys(ex))
	}
	for name := range ex {
		if strings.Contains(name, "std (") {
			t.Errorf("Go 1.23 gets a module step: %s", name)
		}
	}
	if !cacheProgGo("1.24") || !cacheProgGo("1.30") || !cacheProgGo("2.0") || cacheProgGo("1.23") || cacheProgGo("1") {
		t.Error("cacheProgGo")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Modules that import each other compile in one step; groups come in
// dependency order; a module importing one left out is left out too.
func TestDepGroups(t *testing.T) {
	g := shopGraph("v1.0.0")
	groups := depGroups(g.Modules)
	var names [][]string
	for _, gr := range groups {
		var ns []string
		for _, m := range gr.modules {
			ns = append(ns, m.Path)
		}
		names = append(names, ns)
	}
	pos := map[string]int{}
	for i, ns := range names {
		for _, n := range ns {
			pos[n] = i
		}
	}
	if _, ok := pos["example.com/local"]; ok {
		t.Error("a local module has a group")
	}
	if _, ok := pos["example.com/local/user"]; ok {
		t.Error("a module importing a local one has a group")
	}
	if pos["example.com/cycle/a"] != pos["example.com/cycle/b"] {
		t.Errorf("a cycle is split: %q", names)
	}
	for _, gr := range groups {
		for _, m := range gr.modules {
			for _, imp := range gr.imports {
				if imp >= pos[m.Path] {
					t.Errorf("%s comes before group %d it imports: %q", m.Path, imp, names)
				}
			}
		}
	}
	if again := depGroups(g.Modules); !reflect.DeepEqual(again, groups) {
		t.Error("depGroups is not deterministic")
	}
}
