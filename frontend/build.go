// Package frontend is the BuildKit gateway glue: it reads gobuild.yaml and the
// build options through frontend/dockerui, hands the resolved spec to package
// llb and returns the images to BuildKit.
package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/spec"
)

// Caps are the frontend capabilities gobuild supports. The frontend image
// declares the same list in its moby.buildkit.frontend.caps label.
var Caps = []string{
	"moby.buildkit.frontend.inputs",
	"moby.buildkit.frontend.subrequests",
	"moby.buildkit.frontend.contexts",
}

// Build is the frontend: a gateway BuildFunc, run by the frontend image
// through grpcclient.RunFromEnvironment or in-process by client.Build.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	c = withDefaultFilename(c)
	if err := validateCaps(c.BuildOpts().Opts["frontend.caps"]); err != nil {
		return nil, err
	}
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, "yaml")
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", c.BuildOpts().Opts["filename"], err)
	}
	f, err := spec.Parse(src.Filename, src.Data)
	if err != nil {
		return nil, withSource(err, src.SourceMap)
	}
	mainCtx, err := bc.MainContext(ctx)
	if err != nil {
		return nil, err
	}
	mod, err := readGoMod(ctx, c, *mainCtx)
	if err != nil {
		return nil, err
	}
	rf, err := f.Resolve(src.Filename, mod)
	if err != nil {
		return nil, withSource(err, src.SourceMap)
	}

	if res, ok, err := bc.HandleSubrequest(ctx, dockerui.RequestHandler{
		ListTargets: func(ctx context.Context) (*targets.List, error) { return listTargets(rf), nil },
	}); err != nil || ok {
		return res, err
	}

	name := rf.Images[0].Name
	if strings.EqualFold(bc.Target, gbllb.BinariesTarget) {
		name = gbllb.BinariesTarget
	} else if bc.Target != "" {
		if rf.Image(bc.Target) == nil {
			return nil, fmt.Errorf("target %q not found in %s; targets: %s", bc.Target, src.Filename, strings.Join(append(imageNames(rf), gbllb.BinariesTarget), ", "))
		}
		name = rf.Image(bc.Target).Name
	}
	values, epoch, err := templateValues(bc.BuildArgs, c.BuildOpts().Opts)
	if err != nil {
		return nil, err
	}

	buildPlatform := bc.BuildPlatforms[0]
	builder, err := loadImage(ctx, bc, c, rf.Go.Image, buildPlatform)
	if err != nil {
		return nil, err
	}

	sources, err := listSources(ctx, c, bc, gbllb.Input{
		File: rf, Context: *mainCtx, Builder: builder,
		BuildPlatform: buildPlatform, TargetPlatform: buildPlatform, CacheNS: bc.CacheIDNamespace,
	})
	if err != nil {
		return nil, err
	}

	rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		target := buildPlatform
		if platform != nil {
			target = *platform
		}
		in := gbllb.Input{
			File:           rf,
			Context:        *mainCtx,
			Builder:        builder,
			BuildPlatform:  buildPlatform,
			TargetPlatform: target,
			Values:         values,
			Epoch:          epoch,
			AutoLabels:     autoLabels(values, bc.BuildArgs, c.BuildOpts().Opts),
			Labels:         maps.Clone(bc.Labels),
			CacheNS:        bc.CacheIDNamespace,
			SourceFiles:    sources,
			Locate:         locator(rf, src.SourceMap),
		}
		var res *gbllb.Result
		if name == gbllb.BinariesTarget {
			res, err = gbllb.Binaries(in)
		} else {
			res, err = gbllb.Image(in, name)
		}
		if err != nil {
			return nil, withSource(err, src.SourceMap)
		}
		ref, err := solve(ctx, c, res.Rootfs, bc.CacheImports, bk.Platform(target))
		if err != nil {
			return nil, err
		}
		return &dockerui.BuildResult{Reference: ref, Image: &res.Config, Epoch: epoch}, nil
	})
	if err != nil {
		return nil, err
	}
	return rb.Finalize()
}

// templateValues are the values of gobuild.yaml templates, from the build
// args and what buildx reports of the context's git checkout, and the
// SOURCE_DATE_EPOCH time when one is given. Nothing comes from the clock.
func templateValues(args, opts map[string]string) (spec.Values, *time.Time, error) {
	v := spec.Values{Version: "dev", Commit: opts["vcs:revision"], Args: maps.Clone(args)}
	if s := args["VERSION"]; s != "" {
		v.Version = s
	}
	if s := args["COMMIT"]; s != "" {
		v.Commit = s
	}
	var epoch *time.Time
	if s := args["SOURCE_DATE_EPOCH"]; s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return v, nil, fmt.Errorf("build arg SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s)
		}
		t := time.Unix(n, 0).UTC()
		epoch = &t
		v.Date = t.Format(time.RFC3339)
	}
	return v, epoch, nil
}

// autoLabels are the org.opencontainers.image.* labels gobuild knows.
func autoLabels(v spec.Values, args, opts map[string]string) map[string]string {
	l := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			l["org.opencontainers.image."+k] = v
		}
	}
	set("version", args["VERSION"])
	set("revision", v.Commit)
	set("created", v.Date)
	set("source", opts["vcs:source"])
	return l
}

// withDefaultFilename makes gobuild.yaml the file read when no filename opt
// is given (the Dockerfile frontend's default is Dockerfile).
func withDefaultFilename(c client.Client) client.Client {
	opts := c.BuildOpts()
	if _, ok := opts.Opts["filename"]; ok {
		return c
	}
	opts.Opts = maps.Clone(opts.Opts)
	if opts.Opts == nil {
		opts.Opts = map[string]string{}
	}
	opts.Opts["filename"] = spec.DefaultFilename
	return &optsClient{Client: c, opts: opts}
}

type optsClient struct {
	client.Client
	opts client.BuildOpts
}

func (c *optsClient) BuildOpts() client.BuildOpts { return c.opts }

// validateCaps fails for a requested frontend capability gobuild lacks,
// unless the client marked it +forward (optional).
func validateCaps(req string) error {
	if req == "" {
		return nil
	}
	for _, c := range strings.Split(req, ",") {
		name, _, _ := strings.Cut(c, "+")
		known := false
		for _, k := range Caps {
			known = known || k == name
		}
		if !known && !strings.Contains(c, "+forward") {
			return errdefs.NewUnsupportedFrontendCapError(name)
		}
	}
	return nil
}

// listSources runs llb.ListSources and returns the files go build reads.
func listSources(ctx context.Context, c client.Client, bc *dockerui.Client, in gbllb.Input) ([]string, error) {
	ref, err := solve(ctx, c, gbllb.ListSources(in), bc.CacheImports, bk.Platform(in.BuildPlatform))
	if err != nil {
		return nil, err
	}
	dt, err := ref.ReadFile(ctx, client.ReadRequest{Filename: gbllb.SourcesFile})
	if err != nil {
		return nil, err
	}
	var files []string
	if err := json.Unmarshal(dt, &files); err != nil {
		return nil, fmt.Errorf("reading the list of source files: %w", err)
	}
	return files, nil
}

// solve marshals st and solves it, importing cache from cacheImports.
func solve(ctx context.Context, c client.Client, st bk.State, cacheImports []client.CacheOptionsEntry, opts ...bk.ConstraintsOpt) (client.Reference, error) {
	def, err := st.Marshal(ctx, append(opts, bk.WithCaps(c.BuildOpts().LLBCaps))...)
	if err != nil {
		return nil, err
	}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: cacheImports})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}

// readGoMod reads go.mod at the root of the build context.
func readGoMod(ctx context.Context, c client.Client, st bk.State) (spec.Module, error) {
	ref, err := solve(ctx, c, st, nil)
	if err != nil {
		return spec.Module{}, fmt.Errorf("loading the build context: %w", err)
	}
	dt, err := ref.ReadFile(ctx, client.ReadRequest{Filename: "go.mod"})
	if err != nil {
		return spec.Module{}, fmt.Errorf("no go.mod at the root of the build context: gobuild builds a Go module, so run it in the directory that holds go.mod (%w)", err)
	}
	return spec.ParseGoMod("go.mod", dt)
}

// loadImage returns the image ref on platform p, with its config applied: a
// named context (--build-context) of that name wins over the registry.
func loadImage(ctx context.Context, bc *dockerui.Client, c client.Client, ref string, p ocispecs.Platform) (bk.State, error) {
	nc, err := bc.NamedContext(ref, dockerui.ContextOpt{Platform: &p, ResolveMode: bc.ImageResolveMode.String()})
	if err != nil {
		return bk.State{}, err
	}
	if nc != nil {
		st, img, err := nc.Load(ctx)
		if err != nil {
			return bk.State{}, err
		}
		if st != nil {
			s := *st
			if img != nil {
				for _, kv := range img.Config.Env {
					k, v, _ := strings.Cut(kv, "=")
					s = s.AddEnv(k, v)
				}
			}
			return s, nil
		}
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return bk.State{}, fmt.Errorf("builder image %q: %w", ref, err)
	}
	named = reference.TagNameOnly(named)
	_, dgst, cfg, err := c.ResolveImageConfig(ctx, named.String(), sourceresolver.Opt{
		LogName:  "[internal] load metadata for " + named.String(),
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p, ResolveMode: bc.ImageResolveMode.String()},
	})
	if err != nil {
		return bk.State{}, fmt.Errorf("builder image %s: %w", named, err)
	}
	pinned := named.String()
	if _, ok := named.(reference.Digested); !ok {
		if d, err := reference.WithDigest(named, dgst); err == nil {
			pinned = d.String()
		}
	}
	st := bk.Image(pinned, bk.Platform(p), bc.ImageResolveMode, bk.WithCustomName("[internal] builder "+named.String()))
	return st.WithImageConfig(cfg)
}

// locator maps a gobuild.yaml field to its lines, for BuildKit's source maps.
func locator(f *spec.File, sm *bk.SourceMap) func(string) bk.ConstraintsOpt {
	return func(field string) bk.ConstraintsOpt {
		pos := f.Pos(field)
		if sm == nil || pos.Line == 0 {
			return nil
		}
		return sm.Location([]*pb.Range{{Start: &pb.Position{Line: int32(pos.Line)}, End: &pb.Position{Line: int32(pos.Line)}}})
	}
}

// withSource attaches gobuild.yaml and the error's lines, so BuildKit clients
// print the offending lines under the message.
func withSource(err error, sm *bk.SourceMap) error {
	errs, ok := err.(spec.Errors)
	if !ok || sm == nil {
		return err
	}
	s := &errdefs.Source{Info: &pb.SourceInfo{Data: sm.Data, Filename: sm.Filename, Language: sm.Language, Definition: sm.Definition.ToPB()}}
	for _, e := range errs {
		if e.Pos.Line > 0 {
			s.Ranges = append(s.Ranges, &pb.Range{Start: &pb.Position{Line: int32(e.Pos.Line)}, End: &pb.Position{Line: int32(e.Pos.Line)}})
		}
	}
	if len(s.Ranges) == 0 {
		return err
	}
	return errdefs.WithSource(err, s)
}

func listTargets(f *spec.File) *targets.List {
	l := &targets.List{}
	for i, im := range f.Images {
		l.Targets = append(l.Targets, targets.Target{
			Name:        im.Name,
			Default:     i == 0,
			Description: "image with " + strings.Join(im.Builds, ", "),
		})
	}
	l.Targets = append(l.Targets, targets.Target{
		Name:        gbllb.BinariesTarget,
		Description: "just the binaries, for -o type=local",
	})
	return l
}

func imageNames(f *spec.File) []string {
	var names []string
	for _, im := range f.Images {
		names = append(names, im.Name)
	}
	return names
}
