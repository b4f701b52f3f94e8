// The list step: listfiles (embedded, or prebuilt in the frontend image)
// lists the files go build reads and the packages the builds import, and
// the compile steps see only those files of the context.

package llb

import (
	_ "embed"
	"path"
	"strings"
	"time"

	bk "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

//go:embed listfiles/main.go
var listfiles []byte

// ToolsPath is the directory of Input.Tools that holds listfiles: where a
// gobuild image puts its binaries, since the frontend image is one (built
// by gobuild.yaml, or the Dockerfile, which puts them in the same place).
const ToolsPath = spec.BinDir

// SourcesFile is where the state ListSources returns holds its JSON list.
const SourcesFile = "/files.json"

// ListSources returns a state whose SourcesFile lists, as JSON, the files of
// the module that go build can read (see llb/listfiles), and whose
// ImportsFile lists the packages the builds import from outside the module
// for each of the target platforms. The frontend reads them and passes them
// back as Input.SourceFiles and Input.Imports.
func ListSources(in Input, targets []ocispecs.Platform) bk.State {
	var toolMount bk.RunOption
	if in.Tools != nil {
		// Only the tool, not the frontend beside it: a new frontend
		// with the same listfiles leaves the step's cache key alone.
		tool := path.Join(ToolsPath, "listfiles")
		toolMount = bk.AddMount(path.Join(toolDir, "listfiles"), *in.Tools, bk.SourcePath(tool), bk.Readonly)
	} else {
		toolMount = bk.AddMount(toolDir, in.listTool(), bk.Readonly)
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

// listTool compiles listfiles from its embedded source, in a step of its
// own that only the builder image and the tool's source invalidate.
func (in Input) listTool() bk.State {
	t := bk.WithCreatedTime(time.Unix(0, 0))
	src := bk.Scratch().File(bk.Mkfile("/listfiles.go", 0o644, listfiles, t), bk.WithCustomName("[internal] listfiles.go"))
	opts := []bk.RunOption{
		bk.Args([]string{"go", "build", "-o", path.Join(outDir, "listfiles"), "listfiles.go"}),
		bk.Dir(toolDir),
		bk.AddMount(toolDir, src, bk.Readonly),
		in.cacheMount(buildCache, BuildCacheID),
		bk.WithCustomName("[internal] build listfiles"),
	}
	opts = append(opts, ownEnv()...)
	opts = append(opts, in.step(ListStep, "")...)
	return in.Builder.Run(opts...).AddMount(outDir, bk.Scratch())
}

// sources is the part of the context the compile steps see.
func (in Input) sources() bk.State {
	if in.SourceFiles == nil {
		return in.Context
	}
	patterns := make([]string, len(in.SourceFiles))
	for i, f := range in.SourceFiles {
		patterns[i] = escapePattern(f)
	}
	return bk.Scratch().File(bk.Copy(in.Context, "/", "/", &bk.CopyInfo{
		IncludePatterns:     patterns,
		CopyDirContentsOnly: true,
		AllowEmptyWildcard:  true,
	}), bk.WithCustomNamef("%d files go build reads", len(in.SourceFiles)))
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
