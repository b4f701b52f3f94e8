// Profile-guided optimisation: a build's profile (spec.Build.Profile)
// reaches its dependency steps, which compile every package the way the
// compile will look them up.

package llb

import (
	"path"

	bk "github.com/moby/buildkit/client/llb"

	"github.com/gobuild/gobuild/spec"
)

// pgoFile is where a dependency step sees the build's profile.
const pgoFile = toolDir + "/pgo/" + spec.DefaultProfile

// pgoOptions are the go build flag and mount a dependency step of b needs
// for b's profile (none without one). PGO changes how every package
// compiles, and Go's build cache keys an entry on the profile's content, not
// its path, so the step's entries are those the compile looks up.
func (in input) pgoOptions(b *spec.Build) ([]string, []bk.RunOption) {
	if b.Profile == "" {
		return nil, nil
	}
	file := path.Join(in.dir(), b.Profile)
	st := bk.Scratch().File(bk.Copy(in.Context, file, path.Base(pgoFile), &bk.CopyInfo{CreatedTime: ptr(stepEpoch)}),
		bk.WithCustomNamef("[%s] PGO profile %s", b.ID, b.Profile))
	return []string{"-pgo=" + pgoFile}, []bk.RunOption{bk.AddMount(path.Dir(pgoFile), st, bk.Readonly)}
}

// profileFiles are the context paths of the builds' profiles, which the
// compile sees besides the files the list step found.
func (in input) profileFiles() []string {
	var files []string
	for _, b := range in.File.Builds {
		if b.Profile != "" {
			files = append(files, path.Join(in.dir(), b.Profile))
		}
	}
	return files
}
