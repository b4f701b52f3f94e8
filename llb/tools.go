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

//go:embed listfiles/main.go
var listfiles []byte

//go:embed gocacheprog/main.go
var gocacheprog []byte

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

// compileTool compiles the tool name from its source src, alone, in a step
// of its own that only the builder image and the source invalidate; the
// result holds /<name>. step is the step whose --no-cache-filter runs it
// again.
func (in input) compileTool(name string, src []byte, step string) bk.State {
	t := bk.WithCreatedTime(stepEpoch)
	file := name + ".go"
	srcState := bk.Scratch().File(bk.Mkfile("/"+file, 0o644, src, t), bk.WithCustomName("[internal] "+file))
	opts := []bk.RunOption{
		bk.Args([]string{"go", "build", "-o", path.Join(outDir, name), file}),
		bk.Dir(toolDir),
		bk.AddMount(toolDir, srcState, bk.Readonly),
		in.cacheMount(buildCache, BuildCacheID),
		bk.WithCustomName("[internal] build " + name),
	}
	opts = append(opts, ownEnv()...)
	opts = append(opts, in.step(step, "")...)
	return in.Builder.Run(opts...).AddMount(outDir, bk.Scratch())
}
