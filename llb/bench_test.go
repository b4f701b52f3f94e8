package llb

import (
	"context"
	"fmt"
	"strings"
	"testing"

	bk "github.com/moby/buildkit/client/llb"

	"github.com/gobuild/gobuild/spec"
)

// hundredBuilds is a gobuild.yaml with 100 builds (in five flag sets, so
// that some compile together and some alone), each stamped by templates,
// and two images: one with every build, one with the first ten.
func hundredBuilds() string {
	var b strings.Builder
	b.WriteString("builds:\n")
	for i := range 100 {
		fmt.Fprintf(&b, "  - id: svc%03d\n    main: ./cmd/svc%03d\n    ldflags: [\"-X main.version={{.Version}}\", \"-X main.commit={{.Commit}}\"]\n    tags: [t%d]\n", i, i, i%5)
		if i%10 == 0 {
			b.WriteString("    env: {GOEXPERIMENT: loopvar}\n")
		}
	}
	b.WriteString("images:\n  - name: all\n    builds: [")
	for i := range 100 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "svc%03d", i)
	}
	b.WriteString("]\n    labels: {version: \"{{.Version}}\"}\n  - name: some\n    builds: [")
	for i := range 10 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "svc%03d", i)
	}
	b.WriteString("]\n")
	return b.String()
}

// BenchmarkDefinition100Builds is the frontend's own cost for a file with
// 100 builds: parse, resolve, and the marshalled LLB definition of the image
// with all of them for linux/amd64, as a build asks for it. hack/test runs
// it, prints its time and memory, and holds the memory to 50 MB per
// definition (docs/frontend-cost.md).
func BenchmarkDefinition100Builds(b *testing.B) {
	src := []byte(hundredBuilds())
	v, epoch, err := spec.NewValues(map[string]string{"VERSION": "1.2.3", "SOURCE_DATE_EPOCH": "1700000000"}, "abc123")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var ops int
	for b.Loop() {
		f, err := spec.Parse("gobuild.yaml", src)
		if err != nil {
			b.Fatal(err)
		}
		r, err := f.Resolve("gobuild.yaml", spec.Module{Path: "example.com/big", Go: "1.26"})
		if err != nil {
			b.Fatal(err)
		}
		p, err := NewPlan(Config{
			File: r, Context: bk.Local("context"), Builder: bk.Image(r.Go.Image, bk.Platform(amd64)),
			BuildPlatform: amd64, Values: v, Epoch: epoch, Env: r.GoEnv(nil),
		})
		if err != nil {
			b.Fatal(err)
		}
		res, err := p.Target(Platform{Target: amd64}, "all", "")
		if err != nil {
			b.Fatal(err)
		}
		def, err := res.Rootfs.Marshal(context.Background(), bk.Platform(amd64))
		if err != nil {
			b.Fatal(err)
		}
		ops = len(def.Def)
	}
	b.ReportMetric(float64(ops), "ops/def")
}
