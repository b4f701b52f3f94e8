// The binaries target: every build's binary for one platform, in one
// directory with a checksums.txt, and no image around them. It builds for
// every OS of spec.BinaryArches, not only linux.

package llb

import (
	"fmt"
	"path"
	"slices"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// BinariesTarget is the target that exports just the binaries.
const BinariesTarget = "binaries"

// ChecksumsFile is the file of the binaries target that lists the sha256
// of each binary beside it, in the format of sha256sum (and GoReleaser).
const ChecksumsFile = "checksums.txt"

// Binaries builds every binary for in.Target into one directory, with
// their checksums.
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
	plat := platforms.FormatAll(in.Target)
	var outs []bk.State
	var names []string
	for _, bin := range bins {
		names = append(names, bin.Name)
		if !bin.Shared {
			outs = append(outs, bin.State)
		} else {
			outs = append(outs, bk.Scratch().File(bk.Copy(bin.State, bin.File, "/"+bin.Name),
				bk.WithCustomNamef("[%s %s] %s", bin.Build.ID, plat, bin.Name)))
		}
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("no build is for %s: their platforms leave it out", plat)
	}
	dist := bk.Merge(outs, bk.WithCustomNamef("[%s %s] collect binaries", BinariesTarget, plat))
	var c dockerspec.DockerOCIImage
	c.Platform = in.platform()
	c.RootFS.Type = "layers"
	return &Result{
		Rootfs:   bk.Merge([]bk.State{dist, in.checksums(dist, names)}, bk.WithCustomNamef("[%s %s] binaries and %s", BinariesTarget, plat, ChecksumsFile)),
		Config:   c,
		Binaries: bins,
	}, nil
}

// checksums is a directory holding ChecksumsFile for the binaries called
// names in dist, sorted by name: sha256sum in the builder, its output
// redirected by a fixed script (the names are its arguments, never part of
// the script).
func (in input) checksums(dist bk.State, names []string) bk.State {
	names = slices.Sorted(slices.Values(names))
	const binDir = toolDir + "/dist"
	script := `cd "$1" && shift && exec sha256sum "$@" > ` + path.Join(outDir, ChecksumsFile)
	st := in.Builder.Run(
		bk.Args(append([]string{"/bin/sh", "-c", script, "sh", binDir}, names...)),
		bk.AddMount(binDir, dist, bk.Readonly),
		bk.Network(bk.NetModeNone),
		bk.WithCustomNamef("[%s %s] %s", BinariesTarget, platforms.FormatAll(in.Target), ChecksumsFile),
	)
	return st.AddMount(outDir, bk.Scratch())
}
