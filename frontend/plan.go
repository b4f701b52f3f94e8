package frontend

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/spec"
)

// ImageSource gives the images a build starts from: the builder (go.image)
// and the images' bases. The frontend's resolves them through BuildKit and
// pins them to a digest; gobuild llb's, which has no daemon, references
// them by tag with no config.
type ImageSource interface {
	// Image is ref on platform p, and its config when known (else nil).
	Image(ctx context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error)
}

// PlanOptions are what NewPlan makes a plan from. The frontend and
// gobuild llb differ only in them: gobuild llb has no List (the compile
// steps see the whole context), no Tools, and an ImageSource that does not
// pin.
type PlanOptions struct {
	Project       *spec.Project // loaded (spec.Load)
	Context       bk.State      // the build context
	BuildArgs     map[string]string
	BuildPlatform ocispecs.Platform
	Images        ImageSource
	// BuilderEnv is the builder's environment when its config is unknown
	// (gobuild llb's: the official golang image's PATH and GOPATH).
	BuilderEnv []string
	// Revision is the git revision of the context when known (vcs:revision),
	// the default of COMMIT; Source its repository (vcs:source).
	Revision, Source string
	Labels           map[string]string // --label
	CacheNS          string            // BUILDKIT_CACHE_MOUNT_NS
	Tools            *bk.State         // see llb.Config.Tools
	Locate           func(field string) bk.ConstraintsOpt
	NoCache          func(step string) bool
	// List, when set, solves the list step for ListTargets and reads what
	// it found (llb.ReadListing).
	List        func(ctx context.Context, st bk.State) (*gbllb.Listing, error)
	ListTargets []ocispecs.Platform
}

// Plan is a build's llb.Plan with what the frontend needs besides it.
type Plan struct {
	*gbllb.Plan
	Values spec.Values
	Epoch  *time.Time // SOURCE_DATE_EPOCH, when set
	file   *spec.File
	images ImageSource
}

// NewPlan makes the plan of o.Project's build: the template values, the
// builder image with its environment, the list step when o.List is set.
func NewPlan(ctx context.Context, o PlanOptions) (*Plan, error) {
	rf := o.Project.Resolved
	values, epoch, err := spec.NewValues(o.BuildArgs, o.Revision)
	if err != nil {
		return nil, err
	}
	builder, cfg, err := o.Images.Image(ctx, rf.Go.Image, o.BuildPlatform)
	if err != nil {
		return nil, fmt.Errorf("builder image: %w", err)
	}
	env := o.BuilderEnv
	if cfg != nil {
		env = cfg.Config.Env
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		builder = builder.AddEnv(k, v)
	}
	plan, err := gbllb.NewPlan(gbllb.Config{
		File:          rf,
		Context:       o.Context,
		Builder:       builder,
		Module:        o.Project.Module,
		Env:           o.Project.Env,
		BuildPlatform: o.BuildPlatform,
		Values:        values,
		Epoch:         epoch,
		AutoLabels:    autoLabels(values, o.BuildArgs["VERSION"], o.Source),
		Labels:        o.Labels,
		CacheNS:       o.CacheNS,
		Tools:         o.Tools,
		Locate:        o.Locate,
		NoCache:       o.NoCache,
	})
	if err != nil {
		return nil, err
	}
	if o.List != nil {
		l, err := o.List(ctx, plan.ListStep(o.ListTargets))
		if err != nil {
			return nil, err
		}
		plan = plan.WithListing(l)
	}
	return &Plan{Plan: plan, Values: values, Epoch: epoch, file: rf, images: o.Images}, nil
}

// Platform is what target (from llb.TargetName) needs on platform p: the
// image's base, for an image that has one.
func (p *Plan) Platform(ctx context.Context, target string, tp ocispecs.Platform) (gbllb.Platform, error) {
	pl := gbllb.Platform{Target: tp}
	if err := gbllb.CheckTarget(target, tp); err != nil {
		return pl, err
	}
	img := p.image(target)
	if img == nil || img.Scratch() {
		return pl, nil
	}
	st, cfg, err := p.images.Image(ctx, img.BaseRef(), tp)
	if err != nil {
		return pl, spec.FieldError(p.file.Filename(), p.file, img.Path().Dot("base"), fmt.Errorf("base image %s: %w", img.BaseRef(), err))
	}
	pl.Base = &gbllb.Base{State: st, Config: cfg}
	return pl, nil
}

// image is target's image; nil for the targets that are not images.
func (p *Plan) image(target string) *spec.Image {
	if slices.Contains(gbllb.Targets, target) {
		return nil
	}
	return p.file.Image(target)
}

// autoLabels are the org.opencontainers.image.* labels gobuild knows.
func autoLabels(v spec.Values, version, source string) map[string]string {
	l := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			l["org.opencontainers.image."+k] = v
		}
	}
	set("version", version)
	set("revision", v.Commit)
	set("created", v.Date)
	set("source", source)
	return l
}
