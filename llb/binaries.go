// The binaries target: every build's binary for one platform, in one
// directory, with no image around them.

package llb

import (
	"fmt"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// BinariesTarget is the target that exports just the binaries.
const BinariesTarget = "binaries"

// Binaries builds every binary for in.Target into one directory.
func buildBinaries(in input) (*Result, error) {
	in, genv, err := in.forPlatform()
	if err != nil {
		return nil, err
	}
	var builds []*spec.Build
	for i := range in.File.Builds {
		if b := &in.File.Builds[i]; in.forTarget(b) {
			builds = append(builds, b)
		}
	}
	bins, err := in.compileAll(builds, genv, false)
	if err != nil {
		return nil, err
	}
	var outs []bk.State
	for _, bin := range bins {
		if !bin.Shared {
			outs = append(outs, bin.State)
		} else {
			outs = append(outs, bk.Scratch().File(bk.Copy(bin.State, bin.File, "/"+bin.Build.Binary),
				bk.WithCustomNamef("[%s %s] %s", bin.Build.ID, platforms.FormatAll(in.Target), bin.Build.Binary)))
		}
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("no build is for %s: their platforms leave it out", platforms.FormatAll(in.Target))
	}
	var c dockerspec.DockerOCIImage
	c.Platform = in.platform()
	c.RootFS.Type = "layers"
	return &Result{
		Rootfs:   bk.Merge(outs, bk.WithCustomNamef("[%s %s] collect binaries", BinariesTarget, platforms.FormatAll(in.Target))),
		Config:   c,
		Binaries: bins,
	}, nil
}
