// Package frontend is the BuildKit gateway glue: it reads gobuild.yaml and the
// build options through frontend/dockerui, hands the resolved spec to package
// llb and returns the images to BuildKit.
package frontend

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/internal/version"
	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/sbom"
	"github.com/gobuild/gobuild/spec"
)

// Build opts BuildKit's clients set that BuildKit exports no name for
// (dockerui reads them under the same names).
const (
	noCacheOpt     = "no-cache"     // --no-cache (empty) and --no-cache-filter (names)
	vcsRevisionOpt = "vcs:revision" // the git revision of the context, when the client knows it
	vcsSourceOpt   = "vcs:source"   // the repository of the context
)

// Build is the frontend: a gateway BuildFunc, run by the frontend image
// through grpcclient.RunFromEnvironment or in-process by client.Build. Its
// steps are those of BuildKit's Dockerfile builder: capabilities, the
// entrypoint (gobuild.yaml), the load, the subrequests, the build of each
// platform, and the result. An error that names lines of the file carries
// them for the client to show.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	c = withDefaultFilename(c)
	if err := validateCaps(c.BuildOpts().Opts); err != nil {
		return nil, err
	}
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, "yaml")
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", c.BuildOpts().Opts[filenameOpt], err)
	}
	res, err := build(ctx, c, bc, src)
	return res, withSource(err, src.SourceMap)
}

func build(ctx context.Context, c client.Client, bc *dockerui.Client, src *dockerui.Source) (*client.Result, error) {
	p, mainCtx, loadErr := load(ctx, c, bc, src)
	// --call check answers for a file that does not load, too; the other
	// subrequests and the build stop at the load's error.
	handlers := dockerui.RequestHandler{
		Lint:       func(context.Context) (*lint.LintResults, error) { return check(src, p, loadErr), nil },
		AllowOther: loadErr != nil,
	}
	var name string
	var targetErr error
	if loadErr == nil {
		name, targetErr = gbllb.TargetName(p.Resolved, bc.Target, src.Filename)
		handlers.ListTargets = func(context.Context) (*targets.List, error) { return listTargets(p.Resolved), nil }
		handlers.Outline = func(context.Context) (*outline.Outline, error) {
			if targetErr != nil {
				return nil, targetErr
			}
			return outlineOf(p.Resolved, name, p.Module.Vendor, src.Data, bc.CacheIDNamespace), nil
		}
	}
	if res, ok, err := bc.HandleSubrequest(ctx, handlers); err != nil || ok {
		return res, err
	}
	if loadErr != nil {
		return nil, loadErr
	}
	if targetErr != nil {
		return nil, targetErr
	}
	rf := p.Resolved
	if err := checkNoCacheFilter(c.BuildOpts().Opts[noCacheOpt], rf); err != nil {
		return nil, err
	}
	vulnDB, err := rf.VulnDB(bc.BuildArgs)
	if err != nil {
		return nil, err
	}
	s := solver{c: c, cacheImports: bc.CacheImports}
	// --no-cache (all steps), or --no-cache-filter naming the target, runs
	// every step again.
	if bc.IsNoCache(name) {
		s.noCache = append(s.noCache, bk.IgnoreCache)
	}
	tools, err := prebuiltTools(ctx, c)
	if err != nil {
		return nil, err
	}
	buildPlatform := bc.BuildPlatforms[0]
	targetPlatforms := bc.TargetPlatforms
	if len(targetPlatforms) == 0 {
		targetPlatforms = []ocispecs.Platform{buildPlatform}
	}
	opts := c.BuildOpts().Opts
	plan, err := NewPlan(ctx, PlanOptions{
		Project:       p,
		Context:       *mainCtx,
		BuildArgs:     bc.BuildArgs,
		BuildPlatform: buildPlatform,
		Images:        gatewayImages{c: c, bc: bc},
		Revision:      opts[vcsRevisionOpt],
		Source:        opts[vcsSourceOpt],
		Labels:        maps.Clone(bc.Labels),
		CacheNS:       bc.CacheIDNamespace,
		Tools:         tools,
		Locate:        locator(rf, src.SourceMap),
		NoCache:       bc.IsNoCache,
		List:          s.listing(buildPlatform),
		ListTargets:   targetPlatforms,
	})
	if err != nil {
		return nil, err
	}

	out := newOutputs()
	rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		target := buildPlatform
		if platform != nil {
			target = *platform
		}
		return buildPlatformImage(ctx, c, bc, s, plan, name, vulnDB, target, out)
	})
	if err != nil {
		return nil, err
	}
	res, err := rb.Finalize()
	if err != nil {
		return nil, err
	}
	out.addTo(res)
	return res, nil
}

// buildPlatformImage builds target name for platform target: the graph,
// its binaries checked, the root file system solved, its SBOM.
func buildPlatformImage(ctx context.Context, c client.Client, bc *dockerui.Client, s solver, plan *Plan, name, vulnDB string, target ocispecs.Platform, out *outputs) (*dockerui.BuildResult, error) {
	pl, err := plan.Platform(ctx, name, target)
	if err != nil {
		return nil, err
	}
	res, err := plan.Target(pl, name, vulnDB)
	if err != nil {
		return nil, err
	}
	bins, err := s.checkBinaries(ctx, res.Binaries, target)
	if err != nil {
		return nil, err
	}
	ref, err := s.solve(ctx, res.Rootfs, target)
	if err != nil {
		return nil, err
	}
	out.annotations.set(target, res.Annotations)
	epoch := spec.EpochOr(plan.Epoch)
	if ownSBOM(bc) {
		if plan.image(name) != nil {
			for i := range bins { // else the binaries target's layout: /<binary>
				bins[i].Path = path.Join(spec.BinDir, bins[i].Path)
			}
		}
		att, err := sbomAttestation(ctx, c, sbom.Image{
			Name: name, Platform: platforms.FormatAll(target), Version: plan.Values.Version,
			Created: epoch, Creator: version.Tool(),
		}, bins)
		if err != nil {
			return nil, err
		}
		out.setSBOM(target, att)
	}
	return &dockerui.BuildResult{Reference: ref, Image: &res.Config, Epoch: &epoch}, nil
}

// outputs collects what the platforms' builds, which run at once, add to
// the result besides their images: manifest annotations and SBOMs.
type outputs struct {
	annotations *annotations
	mu          sync.Mutex
	sboms       map[string]result.Attestation[client.Reference] // by platform id
}

func newOutputs() *outputs {
	return &outputs{annotations: newAnnotations(), sboms: map[string]result.Attestation[client.Reference]{}}
}

func (o *outputs) setSBOM(p ocispecs.Platform, att result.Attestation[client.Reference]) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sboms[platforms.FormatAll(platforms.Normalize(p))] = att
}

func (o *outputs) addTo(res *client.Result) {
	o.annotations.addTo(res)
	for _, id := range slices.Sorted(maps.Keys(o.sboms)) {
		res.AddAttestation(id, o.sboms[id])
	}
}

// checkNoCacheFilter fails for a --no-cache-filter name that is neither a
// target of f nor one of its steps, so a typo does not go unnoticed.
func checkNoCacheFilter(filter string, f *spec.File) error {
	if filter == "" {
		return nil
	}
	var known []string
	for _, n := range slices.Concat(imageNames(f), gbllb.Targets, gbllb.Steps(f)) {
		if !slices.Contains(known, n) {
			known = append(known, n) // a build and its image often share a name
		}
	}
	for _, n := range strings.Split(filter, ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, n) }) {
			return fmt.Errorf("--no-cache-filter %s: no target or step of that name; the names are %s", n, strings.Join(known, ", "))
		}
	}
	return nil
}

func imageNames(f *spec.File) []string {
	var names []string
	for _, im := range f.Images {
		names = append(names, im.Name)
	}
	return names
}
