// The list step: listfiles (see tools.go)
// lists the files go build reads and the packages the builds import, and
// the compile steps see only those files of the context.

package llb

import (
	"path"
	"slices"
	"strings"

	bk "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// ToolsPath is the directory of Config.Tools that holds listfiles: where a
// gobuild image puts its binaries, since the frontend image is one (built
// by gobuild.yaml, or the Dockerfile, which puts them in the same place).
const ToolsPath = spec.BinDir

// listStep returns the list step: a state whose Listing (see ReadListing)
// holds the files of the module that go build can read (see llb/listfiles)
// and the packages the builds import from outside the module for each of
// the target platforms.
func listStep(in input, targets []ocispecs.Platform) bk.State {
	var toolMount bk.RunOption
	if in.Tools != nil {
		// Only the tool, not the frontend beside it: a new frontend
		// with the same listfiles leaves the step's cache key alone.
		tool := path.Join(ToolsPath, "listfiles")
		toolMount = bk.AddMount(path.Join(toolDir, "listfiles"), *in.Tools, bk.SourcePath(tool), bk.Readonly)
	} else {
		toolMount = bk.AddMount(toolDir, in.compileTool("listfiles", listfiles, ListStep), bk.Readonly)
	}
	opts := []bk.RunOption{
		bk.Args([]string{path.Join(toolDir, "listfiles"), "-root", srcDir, "-dir", in.workdir(), "-o", path.Join(outDir, SourcesFile),
			"-imports", importsArg(in.File, targets), "-imports-out", path.Join(outDir, ImportsFile)}),
		bk.Dir(in.workdir()),
		toolMount,
		bk.AddMount(srcDir, in.Context, bk.ForceNoOutput),
		in.cacheMount(buildCache, BuildCacheID),
		bk.WithCustomName("list the files go build reads"),
	}
	opts = append(opts, in.offline()...)
	opts = append(opts, in.step(ListStep, "")...)
	return in.Builder.Run(opts...).AddMount(outDir, bk.Scratch())
}

// sources is the part of the context the compile steps see.
func (in input) sources() bk.State {
	if in.sourceFiles() == nil {
		return in.Context
	}
	files := in.sourceFiles()
	for _, f := range in.profileFiles() {
		if !slices.Contains(files, f) {
			files = append(slices.Clip(files), f)
		}
	}
	patterns := make([]string, len(files))
	for i, f := range files {
		patterns[i] = escapePattern(f)
	}
	return bk.Scratch().File(bk.Copy(in.Context, "/", "/", &bk.CopyInfo{
		IncludePatterns:     patterns,
		CopyDirContentsOnly: true,
		AllowEmptyWildcard:  true,
	}), bk.WithCustomNamef("%d files go build reads", len(files)))
}

// escapePattern makes a file name match only itself as an include pattern.
func escapePattern(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
