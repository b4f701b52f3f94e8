// The plan: what a build knows once (Config), what the list step found
// (Listing) and what one platform needs (Platform), put together by NewPlan
// so that no half-filled value reaches the graph code.

package llb

import (
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// Config is what a build knows once, for every platform it builds.
type Config struct {
	File    *spec.File // resolved (spec.File.Resolve)
	Context bk.State   // the build context: the module (at File.Go.Dir) and the sources
	Builder bk.State   // the Go builder image, on the build platform, with its image config applied
	// Module is what the build read of the module: its go.work, and
	// whether it vendors its dependencies (then nothing is downloaded).
	Module spec.ModuleInfo
	// Env is added to every go command: go.env with the build args that
	// override it (spec.File.GoEnv).
	Env           map[string]string
	BuildPlatform ocispecs.Platform

	Values     spec.Values       // template values; Os, Arch and Variant are set per platform
	Epoch      *time.Time        // SOURCE_DATE_EPOCH: the time of files gobuild writes (else the Unix epoch)
	AutoLabels map[string]string // labels gobuild knows (org.opencontainers.image.*); the file's labels win over them
	Labels     map[string]string // labels from --label; they win over the file's
	CacheNS    string            // prefix for cache mount ids (BUILDKIT_CACHE_MOUNT_NS)

	// Tools, when set, is a state holding the list step's tool, prebuilt,
	// in ToolsPath: the frontend's own image (see the Dockerfile and
	// gobuild.yaml at the repository's root). Without it the list step
	// compiles the tool from its embedded source first, which on a cold
	// cache costs the build that compile.
	Tools *bk.State

	// Locate, when set, gives the source location of a gobuild.yaml field
	// (nil when unknown) so that steps made for it show those lines when they fail.
	Locate func(field string) bk.ConstraintsOpt
	// NoCache, when set, reports whether the step of that name (see Steps)
	// runs again instead of coming from the cache (--no-cache-filter).
	NoCache func(step string) bool
}

// Platform is what one platform's graph needs besides the Config.
type Platform struct {
	Target ocispecs.Platform
	Base   *Base // the image's base on Target; nil for scratch (and for targets that are not images)
}

// Plan is a build's graph maker: the Config, and the Listing once the list
// step has run.
type Plan struct {
	cfg  Config
	list *Listing
}

// NewPlan checks that cfg holds what every graph needs.
func NewPlan(cfg Config) (*Plan, error) {
	var missing []string
	if cfg.File == nil {
		missing = append(missing, "File")
	} else if cfg.File.Go.Image == "" {
		return nil, errors.New("llb: the file is not resolved (spec.File.Resolve)")
	}
	if cfg.Context.Output() == nil {
		missing = append(missing, "Context")
	}
	if cfg.Builder.Output() == nil {
		missing = append(missing, "Builder")
	}
	if cfg.BuildPlatform.OS == "" || cfg.BuildPlatform.Architecture == "" {
		missing = append(missing, "BuildPlatform")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("llb: the plan lacks %v", missing)
	}
	return &Plan{cfg: cfg}, nil
}

// WithListing is p with the list step's findings: the compile steps then
// see only the files go build reads, and the dependency step compiles the
// packages the builds import.
func (p *Plan) WithListing(l *Listing) *Plan {
	q := *p
	q.list = l
	return &q
}

// ListStep is the list step for the target platforms (see listStep); the
// caller solves it and reads its Listing with ReadListing.
func (p *Plan) ListStep(targets []ocispecs.Platform) bk.State {
	return listStep(p.input(Platform{Target: p.cfg.BuildPlatform}), targets)
}

// Target builds the graph of the target name (from TargetName) for pl;
// vulnDB is the database the vulncheck target reads.
func (p *Plan) Target(pl Platform, name, vulnDB string) (*Result, error) {
	if pl.Target.OS == "" || pl.Target.Architecture == "" {
		return nil, errors.New("llb: no target platform")
	}
	return buildTarget(p.input(pl), name, vulnDB)
}

func (p *Plan) input(pl Platform) input {
	return input{Config: p.cfg, list: p.list, Platform: pl}
}

// input is what the graph code reads: one platform's view of a plan.
type input struct {
	Config
	list *Listing // nil without a list step
	Platform
}

// sourceFiles are the only files of Context the compile steps see (nil:
// all of them), so editing any other file does not recompile.
func (in input) sourceFiles() []string {
	if in.list == nil {
		return nil
	}
	return in.list.Sources
}

// depGraph is what the list step found of the imports of builds compiled
// like b on the target platform (zero without a list step).
func (in input) depGraph(b *spec.Build) DepGraph {
	if in.list == nil {
		return DepGraph{}
	}
	return in.list.Deps[importsKey(b, in.Target)]
}

// listState is the list step the Listing was read from, which the compile
// mounts so that it is part of the image's graph and a remote cache
// carries it too; nil when unknown.
func (in input) listState() *bk.State {
	if in.list == nil {
		return nil
	}
	return in.list.State
}

// forPlatform expands the file's templates for the target platform and
// returns its GOOS/GOARCH environment.
func (in input) forPlatform() (input, []string, error) {
	genv, err := platformEnv(in.Target)
	if err != nil {
		return in, nil, err
	}
	v := in.Values
	p := platforms.Normalize(in.Target)
	v.Os, v.Arch, v.Variant = p.OS, p.Architecture, p.Variant
	f, err := in.File.Render(in.File.Filename(), v)
	if err != nil {
		return in, nil, err
	}
	in.File = f
	return in, genv, nil
}

func (in input) platform() ocispecs.Platform {
	return ocispecs.Platform{OS: in.Target.OS, Architecture: in.Target.Architecture, Variant: in.Target.Variant}
}

// epoch is the time given to the files gobuild writes.
func (in input) epoch() time.Time { return spec.EpochOr(in.Epoch) }

// stepEpoch is the time of the files gobuild writes for its own steps
// (the listfiles source, vendor/), not for the image: the default epoch
// whatever SOURCE_DATE_EPOCH is, so that setting it leaves those steps'
// cache keys alone.
var stepEpoch = spec.EpochOr(nil)

// dir is the module's directory relative to the build context.
func (in input) dir() string { return spec.ModuleDir(in.File.Go.Dir) }

// workdir is where go commands run: the module's directory in the builder.
func (in input) workdir() string { return path.Join(srcDir, in.dir()) }
