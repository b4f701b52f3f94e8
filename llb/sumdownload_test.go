package llb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/gobuild/gobuild/spec"
)

// testSums is a go.sum of twenty modules, three versions go reads only the
// go.mod of, and a toolchain; bumped gives module bumped another version.
func testSums(bumped int) []spec.ModuleSum {
	var sums []spec.ModuleSum
	for i := range 20 {
		v := "v1.0.0"
		if i == bumped {
			v = "v1.0.1"
		}
		p := fmt.Sprintf("example.com/m%02d", i)
		sums = append(sums, spec.ModuleSum{Path: p, Version: v, Zip: "h1:zip" + p + v + "=", GoMod: "h1:mod" + p + v + "="})
	}
	for i := range 3 {
		p := fmt.Sprintf("example.com/old%d", i)
		sums = append(sums, spec.ModuleSum{Path: p, Version: "v0.1.0", GoMod: "h1:mod" + p + "="})
	}
	return append(sums, spec.ModuleSum{Path: toolchainModule, Version: "v0.0.1-go1.26.8.linux-amd64", Zip: "h1:tc="})
}

// downloadSteps are the execs of the module download of a module with
// sums, by name up to its first colon, with their digests.
func downloadSteps(t *testing.T, sums []spec.ModuleSum, work *spec.Workspace) (map[string]*pb.ExecOp, map[string]digest.Digest) {
	t.Helper()
	in := testInput(t, "go:\n  version: \"1.26\"\n", amd64)
	in.Module.Sums, in.Module.Work = sums, work
	def, err := in.download().Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ex := map[string]*pb.ExecOp{}
	ds := map[string]digest.Digest{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		if e := op.GetExec(); e != nil {
			name, _, _ := strings.Cut(def.Metadata[digest.FromBytes(dt)].Description["llb.customname"], ":")
			if ex[name] != nil {
				t.Fatalf("two download steps named %q", name)
			}
			ex[name], ds[name] = e, digest.FromBytes(dt)
		}
	}
	return ex, ds
}

// Every module version with a zip hash is fetched in exactly one share,
// the go.mod-only versions in one step with go list, the toolchain never;
// each step runs with the network and checks against a go.sum of its own.
func TestSumDownloads(t *testing.T) {
	ex, _ := downloadSteps(t, testSums(-1), nil)
	fetched := map[string]int{}
	for name, e := range ex {
		args := e.Meta.Args
		switch {
		case strings.HasPrefix(name, "go mod download, share "):
			if !slices.Equal(args[:4], []string{"sh", "-c", downloadScript, "sh"}) {
				t.Errorf("%s runs %q", name, args)
			}
		case strings.HasPrefix(name, "go.mod files of the module graph (3)"):
			if !slices.Equal(args[:3], []string{"go", "list", "-m"}) {
				t.Errorf("%s runs %q", name, args)
			}
		default:
			t.Errorf("unexpected download step %q", name)
			continue
		}
		for _, a := range args {
			if strings.Contains(a, "@") {
				fetched[a]++
			}
		}
		if e.Network == pb.NetMode_NONE || env(e, "GOPROXY") == "off" {
			t.Errorf("%s has no network", name)
		}
		if env(e, "GOFLAGS") != "-mod=mod" || env(e, "GOWORK") != "off" || env(e, "GOMODCACHE") != modCache {
			t.Errorf("%s env %q", name, e.Meta.Env)
		}
		if m := mountAt(e, sumDir); m == nil || m.Output != -1 {
			t.Errorf("%s: its go.mod and go.sum are not a mount without output: %+v", name, m)
		}
		if m := mountAt(e, modCache); m == nil || m.Output < 0 || m.Input != -1 {
			t.Errorf("%s does not write an empty module cache: %+v", name, m)
		}
	}
	if n := len(ex); n < 8 || n > downloadShares+1 {
		t.Errorf("%d download steps for 20 modules in %d shares", n, downloadShares)
	}
	for _, s := range testSums(-1) {
		want := 1
		if s.Path == toolchainModule {
			want = 0
		}
		if got := fetched[s.Path+"@"+s.Version]; got != want {
			t.Errorf("%s@%s fetched %d times, want %d", s.Path, s.Version, got, want)
		}
	}
}

// A bump of one module fetches again only its share: every other step
// keeps its digest. A change of a hash changes the step that checks it.
func TestSumDownloadBump(t *testing.T) {
	_, before := downloadSteps(t, testSums(-1), nil)
	for _, bumped := range []int{3, 11} {
		_, after := downloadSteps(t, testSums(bumped), nil)
		var changed []string
		for name, d := range after {
			if before[name] != d {
				changed = append(changed, name)
			}
		}
		want := fmt.Sprintf("go mod download, share %d/%d", share(fmt.Sprintf("example.com/m%02d", bumped))+1, downloadShares)
		if !slices.Equal(changed, []string{want}) {
			t.Errorf("bump of m%02d changed %q, want only %q", bumped, changed, want)
		}
	}
	sums := testSums(-1)
	sums[20].GoMod = "h1:other="
	_, after := downloadSteps(t, sums, nil)
	if after["go.mod files of the module graph (3)"] == before["go.mod files of the module graph (3)"] {
		t.Error("the go.mod step does not change with a hash it checks")
	}
}

// A workspace (several go.sum files and go.work.sum) and a module without
// go.sum keep the one go mod download step.
func TestSumDownloadFallBack(t *testing.T) {
	for name, c := range map[string]struct {
		sums []spec.ModuleSum
		work *spec.Workspace
	}{"workspace": {testSums(-1), &spec.Workspace{Dir: ".", Uses: []string{"."}}}, "no go.sum": {nil, nil}} {
		ex, _ := downloadSteps(t, c.sums, c.work)
		if len(ex) != 1 || ex["go mod download"] == nil {
			t.Errorf("%s: download steps %v", name, keys(ex))
		}
	}
}
