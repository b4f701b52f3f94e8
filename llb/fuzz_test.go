package llb

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// FuzzDefinition feeds arbitrary gobuild.yaml text through the frontend's
// whole pure path: parse, resolve, lint, outline, then the LLB definition of
// every target for three platforms (with the list step's results, a base
// image and --no-cache-filter set), marshalled as the frontend sends it. Bad
// input must come back as an error, never a panic. The seeds are the
// examples and the golden files' sources; hack/test runs it for a bounded
// time, and crashes it finds are kept under testdata/fuzz.
func FuzzDefinition(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	targets := []ocispecs.Platform{amd64, arm64, platforms.MustParse("linux/arm/v7")}
	f.Fuzz(func(t *testing.T, src string) {
		file, err := spec.Parse("gobuild.yaml", []byte(src))
		if err != nil {
			return
		}
		r, err := file.Resolve("gobuild.yaml", spec.Module{Path: "example.com/fuzz/v2", Go: "1.26.1"})
		if err != nil {
			return
		}
		spec.Lint("gobuild.yaml", r)
		names := append([]string{""}, Targets...)
		for _, im := range r.Images {
			names = append(names, im.Name)
		}
		for _, n := range names {
			r.Args(n)
		}
		v, epoch, err := spec.NewValues(map[string]string{"VERSION": "1.0.0", "SOURCE_DATE_EPOCH": "1700000000"}, "abc123")
		if err != nil {
			t.Fatal(err)
		}
		builder := bk.Image(r.Go.Image, bk.Platform(amd64))
		plan, err := NewPlan(Config{
			File: r, Context: bk.Local("context"), Builder: builder,
			BuildPlatform: amd64, Values: v, Epoch: epoch,
			Env:     r.GoEnv(nil),
			NoCache: func(step string) bool { return step == r.Builds[0].ID },
			CacheNS: "ns",
		})
		if err != nil {
			t.Fatalf("a resolved file's plan: %v", err)
		}
		list := plan.ListStep(targets)
		if _, err := list.Marshal(context.Background()); err != nil {
			t.Fatalf("marshal the list step: %v", err)
		}
		deps := map[string]DepGraph{}
		for _, p := range targets {
			deps[importsKey(&r.Builds[0], p)] = DepGraph{Packages: []string{"fmt"}}
		}
		plan = plan.WithListing(&Listing{Sources: []string{"go.mod", "main.go"}, Deps: deps, State: &list})
		for _, p := range targets {
			pl := Platform{Target: p, Base: &Base{State: bk.Image("docker.io/library/alpine:3"), Config: &dockerspec.DockerOCIImage{}}}
			for _, n := range names {
				name, err := TargetName(r, n, "gobuild.yaml")
				if err != nil {
					t.Fatalf("target %q of the file's own names: %v", n, err)
				}
				res, err := plan.Target(pl, name, "https://vuln.go.dev")
				if err != nil {
					continue // a platform the builds leave out, a pie on arm, ...
				}
				if _, err := res.Rootfs.Marshal(context.Background(), bk.Platform(p)); err != nil {
					t.Fatalf("marshal %s for %s: %v", name, platforms.Format(p), err)
				}
			}
		}
	})
}

// seeds are the examples' gobuild.yaml files and the golden tests' sources.
func seeds(f *testing.F) []string {
	paths, err := filepath.Glob("../examples/*/gobuild.yaml")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no example files: %v", err)
	}
	var out []string
	for _, p := range paths {
		dt, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, string(dt))
	}
	return append(out, serviceYAML,
		"builds:\n  - main: ./cmd/server\n  - main: ./cmd/worker\n    binary: work\nimages:\n  - cmd: [--port, \"8080\"]\n",
		"builds:\n  - cgo: true\n    pie: true\n    tags: [sqlite_omit_load_extension, netgo]\n",
		"builds:\n  - main: ./cmd/a\n    platforms: [linux/arm64]\n  - main: ./cmd/b\n",
		"test:\n  packages: [./internal/...]\n  flags: [-count=1]\nimages:\n  - tests: true\n    base: distroless\n",
		"go:\n  private: [git.example.com/*]\n  ssh: true\nvulncheck:\n  packages: [./...]\n",
		"builds:\n  - ldflags: [\"-X main.v={{.Version}}-{{.Args.X}}\"]\nimages:\n  - labels: {a: \"{{.Arch}}\"}\n    files: [{src: a, dst: /a, mode: \"0444\"}]\n")
}
