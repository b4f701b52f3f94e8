// The vulncheck target: govulncheck, installed in a step of its own and
// run over the module's packages.

package llb

import (
	"path"
	"strings"

	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// VulncheckTarget is the target that runs govulncheck on the module.
const VulncheckTarget = "vulncheck"

// govulncheck installs golang.org/x/vuln/cmd/govulncheck at the file's
// version (see goInstall). It returns a state holding /govulncheck.
func (in input) govulncheck() bk.State {
	return in.goInstall(VulncheckTarget, "golang.org/x/vuln/cmd/govulncheck", in.File.Vulncheck.Version)
}

// Vulncheck builds the vulncheck target's graph: govulncheck, run on the
// build platform over the module's packages with all its files, the
// downloaded modules and the build cache. It reads the vulnerability
// database db (the file's, or the GOVULNDB build arg) over the network, so
// it runs again on every build: the database changes while the code does
// not. Known vulnerabilities in code the module calls fail the build, with
// govulncheck's report in the output.
func buildVulncheck(in input, db string) (*Result, error) {
	in, _, err := in.forPlatform()
	if err != nil {
		return nil, err
	}
	vc := in.File.Vulncheck
	tool := path.Join(toolDir, "govulncheck")
	args := append([]string{tool, "-db", db}, vc.Packages...)
	opts := []bk.RunOption{
		bk.Args(args),
		bk.Dir(in.workdir()),
		bk.AddMount(srcDir, in.Context, bk.ForceNoOutput),
		bk.AddMount(toolDir, in.govulncheck(), bk.Readonly),
		in.cacheMount(buildCache, BuildCacheID),
		bk.IgnoreCache,
		bk.WithCustomNamef("[vulncheck] govulncheck %s", strings.Join(vc.Packages, " ")),
	}
	// The network stays: govulncheck reads the database.
	opts = append(opts, in.downloaded()...)
	opts = append(opts, in.step(VulncheckTarget, "vulncheck")...)
	out := in.Builder.Run(opts...).AddMount(outDir, bk.Scratch())
	var c dockerspec.DockerOCIImage
	c.Platform = in.platform()
	c.RootFS.Type = "layers"
	return &Result{Rootfs: out, Config: c}, nil
}
