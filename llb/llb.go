// Package llb turns a resolved gobuild.yaml into a BuildKit LLB graph for one
// target platform. It is pure construction: states in, states out, no gateway
// client, so it is tested without a daemon.
package llb

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// Paths inside the builder.
const (
	srcDir     = "/src"
	outDir     = "/out"
	modCache   = "/go/pkg/mod"
	buildCache = "/root/.cache/go-build"
	caBundle   = "/etc/ssl/certs/ca-certificates.crt"
)

// DefaultPath is PATH in the images gobuild makes.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Input is everything one platform's graph is made from.
type Input struct {
	File    *spec.File // resolved (spec.File.Resolve)
	Context bk.State   // the module root: go.mod and the sources
	Builder bk.State   // the Go builder image, on the build platform, with its image config applied

	BuildPlatform  ocispecs.Platform
	TargetPlatform ocispecs.Platform

	Labels  map[string]string // image labels (from --label)
	CacheNS string            // prefix for cache mount ids (BUILDKIT_CACHE_MOUNT_NS)

	// Locate, when set, gives the source location of a gobuild.yaml field
	// (nil when unknown) so that steps made for it show those lines when they fail.
	Locate func(field string) bk.ConstraintsOpt
}

// Result is one platform's image.
type Result struct {
	Rootfs bk.State
	Config dockerspec.DockerOCIImage
}

// Image builds the graph of the image named name for in.TargetPlatform.
func Image(in Input, name string) (*Result, error) {
	img := in.File.Image(name)
	if img == nil {
		return nil, fmt.Errorf("no image named %q", name)
	}
	genv, err := GoEnv(in.TargetPlatform)
	if err != nil {
		return nil, err
	}
	download := in.download()
	layers := []bk.State{in.certs()}
	for _, id := range img.Builds {
		b := in.File.Build(id)
		if b == nil {
			return nil, fmt.Errorf("image %q lists unknown build %q", img.Name, id)
		}
		out := in.compile(download, b, genv)
		dst := path.Join(spec.BinDir, b.Binary)
		layers = append(layers, bk.Scratch().File(
			bk.Copy(out, "/"+b.Binary, dst, &bk.CopyInfo{CreateDestPath: true}),
			bk.WithCustomNamef("[%s %s] copy %s", b.ID, platforms.FormatAll(in.TargetPlatform), dst),
		))
	}
	return &Result{
		Rootfs: bk.Merge(layers, bk.WithCustomNamef("[%s %s] assemble image", img.Name, platforms.FormatAll(in.TargetPlatform))),
		Config: in.config(img),
	}, nil
}

// modFiles holds only what `go mod download` reads, so only these files
// invalidate it.
func (in Input) modFiles() bk.State {
	return bk.Scratch().File(bk.Copy(in.Context, "/", "/", &bk.CopyInfo{
		IncludePatterns:     []string{"go.mod", "go.sum", "go.work", "go.work.sum"},
		CopyDirContentsOnly: true,
		AllowEmptyWildcard:  true,
	}), bk.WithCustomName("go.mod and go.sum"))
}

// download fetches every module into the shared module cache. It runs on the
// build platform with no target-specific input, so all platforms share it.
func (in Input) download() bk.ExecState {
	opts := []bk.RunOption{
		bk.Args([]string{"go", "mod", "download"}),
		bk.Dir(srcDir),
		bk.AddMount(srcDir, in.modFiles(), bk.Readonly),
		in.cacheMount(modCache, "gomodcache"),
		bk.WithCustomName("go mod download"),
	}
	opts = append(opts, toolEnv()...)
	return in.Builder.Run(opts...)
}

// compile builds one binary for the target platform; the result holds it at /<binary>.
func (in Input) compile(download bk.ExecState, b *spec.Build, genv []string) bk.State {
	args := []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", path.Join(outDir, b.Binary), b.Main}
	opts := []bk.RunOption{
		bk.Args(args),
		bk.Dir(srcDir),
		bk.AddMount(srcDir, in.Context, bk.Readonly),
		in.cacheMount(modCache, "gomodcache"),
		in.cacheMount(buildCache, "gobuildcache"),
		bk.WithCustomNamef("[%s %s] go build %s", b.ID, platforms.FormatAll(in.TargetPlatform), b.Main),
	}
	opts = append(opts, toolEnv()...)
	for _, kv := range genv {
		k, v, _ := strings.Cut(kv, "=")
		opts = append(opts, bk.AddEnv(k, v))
	}
	if in.Locate != nil {
		if i := slices.IndexFunc(in.File.Builds, func(x spec.Build) bool { return x.ID == b.ID }); i >= 0 {
			if loc := in.Locate(fmt.Sprintf("builds[%d]", i)); loc != nil {
				opts = append(opts, loc)
			}
		}
	}
	// The root of download is the builder after `go mod download`: building
	// on it orders the compile after the download without copying anything.
	return download.Root().Run(opts...).AddMount(outDir, bk.Scratch())
}

// certs is the builder's CA bundle, for TLS clients in the image.
func (in Input) certs() bk.State {
	return bk.Scratch().File(
		bk.Copy(in.Builder, caBundle, caBundle, &bk.CopyInfo{CreateDestPath: true}),
		bk.WithCustomName("copy CA certificates"),
	)
}

func (in Input) cacheMount(dest, id string) bk.RunOption {
	if in.CacheNS != "" {
		id = in.CacheNS + "/" + id
	}
	return bk.AddMount(dest, bk.Scratch(), bk.AsPersistentCacheDir(id, bk.CacheMountShared))
}

// toolEnv is the environment of every go command gobuild runs.
func toolEnv() []bk.RunOption {
	return []bk.RunOption{
		bk.AddEnv("GOMODCACHE", modCache),
		bk.AddEnv("GOCACHE", buildCache),
		bk.AddEnv("GOTOOLCHAIN", "local"),
		bk.AddEnv("CGO_ENABLED", "0"),
	}
}

// config is the image config for img on the target platform.
func (in Input) config(img *spec.Image) dockerspec.DockerOCIImage {
	var c dockerspec.DockerOCIImage
	c.Platform = ocispecs.Platform{OS: in.TargetPlatform.OS, Architecture: in.TargetPlatform.Architecture, Variant: in.TargetPlatform.Variant}
	c.RootFS.Type = "layers"
	c.Config.Env = []string{"PATH=" + DefaultPath}
	c.Config.Entrypoint = slices.Clone(img.Entrypoint)
	c.Config.Cmd = slices.Clone(img.Cmd)
	c.Config.User = img.User
	c.Config.WorkingDir = "/"
	if len(in.Labels) > 0 {
		c.Config.Labels = maps.Clone(in.Labels)
	}
	return c
}
