// The test target: go vet and go test on the build platform, which an
// image with tests: true waits for.

package llb

import (
	"strings"

	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// TestTarget is the target that runs the module's tests.
const TestTarget = "test"

// tests runs go vet (unless test.vet is false) and then go test on the
// build platform, in the module with all its files (tests and testdata
// included), with the downloaded modules and the build cache, and no network
// (loopback only). A failing vet or test fails
// the build and its output shows in BuildKit's progress. The returned
// state is empty; depending on it orders a step after the tests passed.
func (in input) tests() bk.State {
	t := in.File.Test
	run := func(root bk.State, name string, args []string) bk.ExecState {
		opts := []bk.RunOption{
			bk.Args(args),
			bk.Dir(in.workdir()),
			bk.AddMount(srcDir, in.Context, bk.ForceNoOutput),
			in.cacheMount(buildCache, BuildCacheID),
			bk.WithCustomName(name),
		}
		opts = append(opts, in.offline()...)
		opts = append(opts, in.step(TestTarget, "test")...)
		return root.Run(opts...)
	}
	root := in.Builder
	pkgs := strings.Join(t.Packages, " ")
	args := append(append([]string{"go", "test"}, t.Flags...), t.Packages...)
	test := run(root, "[test] go test "+pkgs, args)
	out := bk.Scratch()
	if *t.Vet {
		// go test writes into vet's (empty) output, which orders it after vet.
		out = run(root, "[test] go vet "+pkgs, append([]string{"go", "vet"}, t.Packages...)).AddMount(outDir, bk.Scratch())
	}
	return test.AddMount(outDir, out)
}

// Tests builds the test target's graph: an empty result that exists only
// when vet and the tests pass.
func buildTests(in input) (*Result, error) {
	in, _, err := in.forPlatform()
	if err != nil {
		return nil, err
	}
	var c dockerspec.DockerOCIImage
	c.Platform = in.platform()
	c.RootFS.Type = "layers"
	return &Result{Rootfs: in.tests(), Config: c}, nil
}
