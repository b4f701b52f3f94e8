// The module download split by go.sum: the module versions go.sum holds a
// zip hash for fetch in a fixed number of steps, each module always in the
// same one, so a bump fetches again only the bumped module's share and the
// other steps' layers stay what they were (on this machine and in a remote
// cache), and the go.mod files the module graph reads fetch in one step.

package llb

import (
	"hash/fnv"
	"strconv"
	"strings"

	bk "github.com/moby/buildkit/client/llb"

	"github.com/gobuild/gobuild/spec"
)

// downloadShares is how many steps the zips of the modules are fetched in.
// More shares fetch less again after a bump, and start more containers on
// a cold build.
const downloadShares = 16

// downloadScript is a share's command: go mod download of the module
// versions given as its arguments (never part of the script), then the
// zips go keeps beside the extracted files are deleted. No later step reads
// them (go checks an extracted module against its .ziphash), and they are
// a quarter of the layer's bytes and most of its compressed size, which a
// remote cache uploads.
const downloadScript = `go mod download "$@" && find "$GOMODCACHE/cache/download" -type f -name '*.zip' -delete`

// sumDir is where a download step's go.mod and go.sum are.
const sumDir = toolDir + "/download"

// toolchainModule is the module go fetches toolchains as, never a
// requirement of the module.
const toolchainModule = "golang.org/toolchain"

// splitDownload reports whether the download is split by go.sum: the
// module has a go.sum and no go.work (whose go.work.sum and other modules'
// go.sum files also count).
func (in input) splitDownload() bool {
	return len(in.Module.Sums) > 0 && in.Module.Work == nil
}

// sumDownloads is the module cache of the split download: the merge of
// the go.mod files' step and of each share's.
func (in input) sumDownloads() bk.State {
	var zips [downloadShares][]spec.ModuleSum
	var mods []spec.ModuleSum
	for _, s := range in.Module.Sums {
		switch {
		case s.Path == toolchainModule:
		case s.Zip != "":
			zips[share(s.Path)] = append(zips[share(s.Path)], s)
		case s.GoMod != "":
			mods = append(mods, s)
		}
	}
	var layers []bk.State
	if len(mods) > 0 {
		args := []string{"go", "list", "-m", "-f", "{{.Path}} {{.Version}} {{.GoMod}}"}
		layers = append(layers, in.sumStep(args, mods, "go.mod files of the module graph ("+strconv.Itoa(len(mods))+")"))
	}
	for i, sums := range zips {
		if len(sums) > 0 {
			name := "go mod download, share " + strconv.Itoa(i+1) + "/" + strconv.Itoa(downloadShares) + ": " + sumNames(sums)
			layers = append(layers, in.sumStep([]string{"sh", "-c", downloadScript, "sh"}, sums, name))
		}
	}
	if len(layers) == 1 {
		return layers[0]
	}
	return bk.Merge(layers, bk.WithCustomNamef("the module cache (%d downloads)", len(layers)))
}

// share is the download step a module path's versions are fetched in.
func share(modulePath string) int {
	h := fnv.New32a()
	h.Write([]byte(modulePath))
	return int(h.Sum32() % downloadShares)
}

// sumStep runs the command args on path@version of each of sums, in a
// module of its own whose go.sum holds only their hashes, so that go
// checks what it fetches against the user's go.sum and the step's inputs
// are those module versions and nothing else. It writes the module cache.
func (in input) sumStep(args []string, sums []spec.ModuleSum, name string) bk.State {
	for _, s := range sums {
		args = append(args, s.Path+"@"+s.Version)
	}
	opts := []bk.RunOption{
		bk.Args(args),
		bk.Dir(sumDir),
		bk.AddMount(sumDir, in.sumModule(sums), bk.ForceNoOutput),
		bk.WithCustomName(name),
	}
	opts = append(opts, in.fetchOpts()...)
	opts = append(opts, bk.AddEnv("GOWORK", "off"), bk.AddEnv("GOFLAGS", modModFlags(in.Env["GOFLAGS"])))
	return in.Builder.Run(opts...).AddMount(modCache, bk.Scratch())
}

// sumModule is the go.mod and go.sum of a download step.
func (in input) sumModule(sums []spec.ModuleSum) bk.State {
	gomod := "module gobuild.invalid/download\n\ngo " + in.File.Go.Version + "\n"
	var gosum strings.Builder
	for _, s := range sums {
		if s.Zip != "" {
			gosum.WriteString(s.Path + " " + s.Version + " " + s.Zip + "\n")
		}
		if s.GoMod != "" {
			gosum.WriteString(s.Path + " " + s.Version + "/go.mod " + s.GoMod + "\n")
		}
	}
	return bk.Scratch().
		File(bk.Mkfile("/go.mod", 0o644, []byte(gomod), bk.WithCreatedTime(stepEpoch)).
			Mkfile("/go.sum", 0o644, []byte(gosum.String()), bk.WithCreatedTime(stepEpoch)),
			bk.WithCustomName("[internal] go.mod and go.sum of a download step"))
}

// sumNames is how a step's name shows the modules it fetches.
func sumNames(sums []spec.ModuleSum) string {
	names := make([]string, len(sums))
	for i, s := range sums {
		names[i] = s.Path + " " + s.Version
	}
	return strings.Join(names, ", ")
}
