// The small programs gobuild runs in the builder: listfiles (the list
// step) and gocacheprog (the dependency steps' GOCACHEPROG). Each is
// prebuilt in the frontend image (Config.Tools) or compiled from its source,
// embedded here, in a step of its own.

package llb

import (
	_ "embed"
	"path"

	bk "github.com/moby/buildkit/client/llb"
)

var (
	//go:embed listfiles/main.go
	listfilesMain []byte
	//go:embed listfiles/imports.go
	listfilesImports []byte
	//go:embed gocacheprog/main.go
	gocacheprogMain []byte
)

// sourceFile is one file of a tool's source, as compileTool writes it.
type sourceFile struct {
	name string
	data []byte
}

// The tools' sources, each the files of one package main that compiles
// alone, with the standard library only.
var (
	listfiles   = []sourceFile{{"listfiles.go", listfilesMain}, {"listfiles_imports.go", listfilesImports}}
	gocacheprog = []sourceFile{{"gocacheprog.go", gocacheprogMain}}
)

// Tools are the programs a frontend image holds in ToolsPath, for
// Config.Tools.
var Tools = []string{"listfiles", "gocacheprog"}

// cacheProgMount mounts gocacheprog at cacheProg.
func (in input) cacheProgMount() bk.RunOption {
	if in.Tools != nil {
		return bk.AddMount(cacheProg, *in.Tools, bk.SourcePath(path.Join(ToolsPath, "gocacheprog")), bk.Readonly)
	}
	return bk.AddMount(cacheProg, in.compileTool("gocacheprog", gocacheprog, DepsStep), bk.SourcePath("/gocacheprog"), bk.Readonly)
}

// compileTool compiles the tool name from its source files, alone, in a
// step of its own that only the builder image and the source invalidate;
// the result holds /<name>. step is the step whose --no-cache-filter runs
// it again.
func (in input) compileTool(name string, src []sourceFile, step string) bk.State {
	t := bk.WithCreatedTime(stepEpoch)
	args := []string{"go", "build", "-o", path.Join(outDir, name)}
	var files *bk.FileAction
	for _, f := range src {
		files = files.Mkfile("/"+f.name, 0o644, f.data, t)
		args = append(args, f.name)
	}
	srcState := bk.Scratch().File(files, bk.WithCustomName("[internal] "+name+" source"))
	opts := []bk.RunOption{
		bk.Args(args),
		bk.Dir(toolDir),
		bk.AddMount(toolDir, srcState, bk.Readonly),
		in.cacheMount(buildCache, BuildCacheID),
		bk.WithCustomName("[internal] build " + name),
	}
	opts = append(opts, ownEnv()...)
	opts = append(opts, in.step(step, "")...)
	return in.Builder.Run(opts...).AddMount(outDir, bk.Scratch())
}
