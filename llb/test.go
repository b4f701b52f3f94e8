// The test target: go vet and go test on the build platform, which an
// image with tests: true waits for.

package llb

import (
	"path"
	"slices"
	"strings"

	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// TestTarget is the target that runs the module's tests.
const TestTarget = "test"

// The files of the test target's result.
const (
	CoverageFile = "coverage.out" // test.coverage: go test -coverprofile
	JunitFile    = "junit.xml"    // test.junit: gotestsum --junitfile
)

// tests runs go vet (unless test.vet is false) and then go test on the
// build platform, in the module with all its files (tests and testdata
// included), with the downloaded modules and the build cache, and no network
// (loopback only). A failing vet or test fails the build and its output
// shows in BuildKit's progress. The returned state holds the reports the
// file asks for (CoverageFile, JunitFile), else nothing; depending on it
// orders a step after the tests passed. With -race the tests are built
// with cgo, by the builder's C toolchain, as the race detector needs.
func (in input) tests() bk.State {
	t := in.File.Test
	run := func(root bk.State, name string, args []string, extra ...bk.RunOption) bk.ExecState {
		opts := []bk.RunOption{
			bk.Args(args),
			bk.Dir(in.workdir()),
			bk.AddMount(srcDir, in.Context, bk.ForceNoOutput),
			in.cacheMount(buildCache, BuildCacheID),
			bk.WithCustomName(name),
		}
		opts = append(opts, in.offline()...)
		if t.Race() {
			opts = append(opts, bk.AddEnv("CGO_ENABLED", "1"))
		}
		opts = append(opts, extra...)
		opts = append(opts, in.step(TestTarget, "test")...)
		return root.Run(opts...)
	}
	root := in.Builder
	pkgs := strings.Join(t.Packages, " ")
	flags := slices.Clone(t.Flags)
	if t.Coverage {
		flags = append(flags, "-coverprofile="+path.Join(outDir, CoverageFile))
	}
	flags = append(flags, t.Packages...)
	args := append([]string{"go", "test"}, flags...)
	var extra []bk.RunOption
	if t.Junit {
		gotestsum := in.goInstall(TestTarget, "gotest.tools/gotestsum", t.Gotestsum)
		extra = append(extra, bk.AddMount(path.Join(toolDir, "gotestsum"), gotestsum, bk.SourcePath("/gotestsum"), bk.Readonly))
		args = append([]string{path.Join(toolDir, "gotestsum"), "--format", "standard-quiet", "--junitfile", path.Join(outDir, JunitFile), "--"}, flags...)
	}
	test := run(root, "[test] go test "+pkgs, args, extra...)
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
