// The package's input and output types (Input, Result, Binary, Base), the
// paths inside the builder, and the helpers every step uses; each other file
// holds one step or target.

// Package llb turns a resolved gobuild.yaml into a BuildKit LLB graph for one
// target platform. It is pure construction: states in, states out, no gateway
// client, so it is tested without a daemon.
package llb

import (
	"path"
	"time"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// Paths inside the builder.
const (
	srcDir     = "/src"
	toolDir    = "/gobuild"
	outDir     = "/out"
	modCache   = "/go/pkg/mod"
	buildCache = "/root/.cache/go-build"
	caBundle   = "/etc/ssl/certs/ca-certificates.crt"
	zoneinfo   = "/usr/share/zoneinfo"
)

// Input is everything one platform's graph is made from.
type Input struct {
	File    *spec.File // resolved (spec.File.Resolve)
	Context bk.State   // the build context: the module (at File.Go.Dir) and the sources
	Builder bk.State   // the Go builder image, on the build platform, with its image config applied

	// Work is the go.work the module belongs to, when there is one.
	Work *Work
	// Vendor is set when the module vendors its dependencies (vendor/modules.txt
	// is there and GOFLAGS does not ask for -mod=mod): nothing is downloaded.
	Vendor bool
	// GoEnv is added to every go command (spec.File.GoEnv).
	GoEnv map[string]string
	// Base is the image's base on the target platform; nil for scratch.
	Base *Base

	BuildPlatform  ocispecs.Platform
	TargetPlatform ocispecs.Platform

	Values     spec.Values       // template values; Os, Arch and Variant are set per platform
	Epoch      *time.Time        // SOURCE_DATE_EPOCH: the time of files gobuild writes (else the Unix epoch)
	AutoLabels map[string]string // labels gobuild knows (org.opencontainers.image.*); the file's labels win over them
	Labels     map[string]string // labels from --label; they win over the file's
	CacheNS    string            // prefix for cache mount ids (BUILDKIT_CACHE_MOUNT_NS)

	// SourceFiles, when set, are the only files of Context the compile
	// steps see (from ListSources), so editing any other file does not
	// recompile.
	SourceFiles []string
	// Imports, when set, are the packages the builds import from outside
	// the module, by configuration (from ListSources): the dependency step
	// compiles them into the layer the compile's build cache starts from.
	Imports map[string][]string
	// Tools, when set, is a state holding the list step's tool, prebuilt,
	// in ToolsPath: the frontend's own image (see the Dockerfile and
	// gobuild.yaml at the repository's root). Without
	// it the list step compiles the tool from its embedded source first,
	// which on a cold cache costs the build that compile.
	Tools *bk.State
	// List is the list step (ListSources) the frontend read SourceFiles and
	// Imports from. The compile mounts it, so that the list step is part of
	// the image's graph and a remote cache carries it too.
	List *bk.State

	// Locate, when set, gives the source location of a gobuild.yaml field
	// (nil when unknown) so that steps made for it show those lines when they fail.
	Locate func(field string) bk.ConstraintsOpt
	// NoCache, when set, reports whether the step of that name (see Steps)
	// runs again instead of coming from the cache (--no-cache-filter).
	NoCache func(step string) bool
}

// Work is a go.work file.
type Work = spec.Workspace

// Base is a base image: its root file system and its config.
type Base struct {
	State  bk.State
	Config *dockerspec.DockerOCIImage
}

// Result is one platform's image.
type Result struct {
	Rootfs      bk.State
	Config      dockerspec.DockerOCIImage
	Annotations map[string]string // of the manifest
	// Binaries are the compile steps' outputs, for the frontend to check
	// before the image is assembled.
	Binaries []Binary
}

// Binary is one build's compiled binary.
type Binary struct {
	Build *spec.Build
	State bk.State // the compile's output
	File  string   // the binary's path in State: /<Build.Binary>, or in a shared compile the name go build gave it
	// Shared is set when State is a compile shared with other builds, so
	// that it holds their binaries too.
	Shared bool
}

// forPlatform expands the file's templates for the target platform and
// returns its GOOS/GOARCH environment.
func (in Input) forPlatform() (Input, []string, error) {
	genv, err := GoEnv(in.TargetPlatform)
	if err != nil {
		return in, nil, err
	}
	v := in.Values
	p := platforms.Normalize(in.TargetPlatform)
	v.Os, v.Arch, v.Variant = p.OS, p.Architecture, p.Variant
	f, err := in.File.Render(in.File.Filename(), v)
	if err != nil {
		return in, nil, err
	}
	in.File = f
	return in, genv, nil
}

func (in Input) platform() ocispecs.Platform {
	return ocispecs.Platform{OS: in.TargetPlatform.OS, Architecture: in.TargetPlatform.Architecture, Variant: in.TargetPlatform.Variant}
}

// epoch is the time given to the files gobuild writes.
func (in Input) epoch() time.Time {
	if in.Epoch != nil {
		return *in.Epoch
	}
	return time.Unix(0, 0)
}

// dir is the module's directory relative to the build context.
func (in Input) dir() string { return spec.ModuleDir(in.File.Go.Dir) }

// workdir is where go commands run: the module's directory in the builder.
func (in Input) workdir() string { return path.Join(srcDir, in.dir()) }

func ptr[T any](v T) *T { return &v }
