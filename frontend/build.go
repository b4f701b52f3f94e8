// Package frontend is the BuildKit gateway glue: it reads gobuild.yaml and the
// build options through frontend/dockerui, hands the resolved spec to package
// llb and returns the images to BuildKit.
package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/distribution/reference"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/internal/version"
	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/sbom"
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
	if c.BuildOpts().Opts[requestID] == lint.SubrequestLintDefinition.Name {
		// --call check answers for a file that does not parse, too.
		res, _, err := bc.HandleSubrequest(ctx, dockerui.RequestHandler{
			Lint: func(ctx context.Context) (*lint.LintResults, error) { return check(ctx, c, bc, src) },
		})
		return res, err
	}
	f, err := spec.Parse(src.Filename, src.Data)
	if err != nil {
		return nil, withSource(err, src.SourceMap)
	}
	mainCtx, err := bc.MainContext(ctx)
	if err != nil {
		return nil, err
	}
	goEnv := f.GoEnv(bc.BuildArgs)
	mod, files, err := readModule(ctx, c, *mainCtx, f, goEnv)
	if err != nil {
		return nil, withSource(spec.FieldError(src.Filename, f, "go.dir", err), src.SourceMap)
	}
	if err := f.CheckLinks(src.Filename, files); err != nil {
		return nil, withSource(err, src.SourceMap)
	}
	rf, err := f.Resolve(src.Filename, mod.Module)
	if err != nil {
		return nil, withSource(err, src.SourceMap)
	}

	name, targetErr := gbllb.TargetName(rf, bc.Target, src.Filename)
	if res, ok, err := bc.HandleSubrequest(ctx, dockerui.RequestHandler{
		ListTargets: func(ctx context.Context) (*targets.List, error) { return listTargets(rf), nil },
		Outline: func(ctx context.Context) (*outline.Outline, error) {
			if targetErr != nil {
				return nil, targetErr
			}
			return outlineOf(rf, name, mod.Vendor, src.Data, bc.CacheIDNamespace), nil
		},
		Lint: func(ctx context.Context) (*lint.LintResults, error) { return check(ctx, c, bc, src) },
	}); err != nil || ok {
		return res, err
	}
	if targetErr != nil {
		return nil, targetErr
	}
	if err := checkNoCacheFilter(c.BuildOpts().Opts["no-cache"], rf); err != nil {
		return nil, err
	}
	vulnDB, err := rf.VulnDB(bc.BuildArgs)
	if err != nil {
		return nil, err
	}
	// --no-cache (all steps), or --no-cache-filter naming the target, runs
	// every step again.
	var noCache []bk.ConstraintsOpt
	if bc.IsNoCache(name) {
		noCache = append(noCache, bk.IgnoreCache)
	}
	values, epoch, err := spec.NewValues(bc.BuildArgs, c.BuildOpts().Opts["vcs:revision"])
	if err != nil {
		return nil, err
	}

	buildPlatform := bc.BuildPlatforms[0]
	builder, builderConfig, err := loadImage(ctx, bc, c, rf.Go.Image, buildPlatform)
	if err != nil {
		return nil, fmt.Errorf("builder image: %w", err)
	}
	if builderConfig != nil {
		for _, kv := range builderConfig.Config.Env {
			k, v, _ := strings.Cut(kv, "=")
			builder = builder.AddEnv(k, v)
		}
	}

	targets := bc.TargetPlatforms
	if len(targets) == 0 {
		targets = []ocispecs.Platform{buildPlatform}
	}
	tools, err := listTool(ctx, c)
	if err != nil {
		return nil, err
	}
	list, sources, imports, err := listSources(ctx, c, bc, noCache, gbllb.Input{
		File: rf, Context: *mainCtx, Builder: builder, Work: mod.Work, Vendor: mod.Vendor, GoEnv: goEnv,
		BuildPlatform: buildPlatform, TargetPlatform: buildPlatform, CacheNS: bc.CacheIDNamespace,
		NoCache: bc.IsNoCache, Tools: tools,
	}, targets)
	if err != nil {
		return nil, err
	}
	var img *spec.Image
	if !slices.Contains(gbllb.Targets, name) {
		img = rf.Image(name)
	}
	annotations := newAnnotations()
	var attMu sync.Mutex
	sboms := map[string]result.Attestation[client.Reference]{} // by platform id

	rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		target := buildPlatform
		if platform != nil {
			target = *platform
		}
		in := gbllb.Input{
			File:           rf,
			Context:        *mainCtx,
			Builder:        builder,
			Work:           mod.Work,
			Vendor:         mod.Vendor,
			GoEnv:          goEnv,
			BuildPlatform:  buildPlatform,
			TargetPlatform: target,
			Values:         values,
			Epoch:          epoch,
			AutoLabels:     autoLabels(values, bc.BuildArgs, c.BuildOpts().Opts),
			Labels:         maps.Clone(bc.Labels),
			CacheNS:        bc.CacheIDNamespace,
			SourceFiles:    sources,
			Imports:        imports,
			List:           &list,
			Locate:         locator(rf, src.SourceMap),
			NoCache:        bc.IsNoCache,
		}
		if img != nil && !img.Scratch() {
			st, cfg, err := loadImage(ctx, bc, c, img.BaseRef(), target)
			if err != nil {
				return nil, withSource(spec.FieldError(src.Filename, rf, fmt.Sprintf("images[%d].base", slices.Index(imageNames(rf), img.Name)), fmt.Errorf("base image %s: %w", img.BaseRef(), err)), src.SourceMap)
			}
			in.Base = &gbllb.Base{State: st, Config: cfg}
		}
		res, err := gbllb.Target(in, name, vulnDB)
		if err != nil {
			return nil, withSource(err, src.SourceMap)
		}
		bins, err := checkBinaries(ctx, c, bc, noCache, res.Binaries, target)
		if err != nil {
			return nil, err
		}
		ref, err := solve(ctx, c, res.Rootfs, bc.CacheImports, slices.Concat(noCache, []bk.ConstraintsOpt{bk.Platform(target)})...)
		if err != nil {
			return nil, err
		}
		annotations.set(target, res.Annotations)
		exportEpoch := exportEpochOf(epoch)
		if ownSBOM(bc) {
			for i := range bins {
				if img != nil { // else the binaries target's layout: /<binary>
					bins[i].Path = path.Join(spec.BinDir, bins[i].Path)
				}
			}
			att, err := sbomAttestation(ctx, c, sbom.Image{
				Name: name, Platform: platforms.FormatAll(target), Version: values.Version,
				Created: exportEpoch, Creator: version.Tool(),
			}, bins)
			if err != nil {
				return nil, err
			}
			attMu.Lock()
			sboms[platforms.FormatAll(platforms.Normalize(target))] = att
			attMu.Unlock()
		}
		return &dockerui.BuildResult{Reference: ref, Image: &res.Config, Epoch: &exportEpoch}, nil
	})
	if err != nil {
		return nil, err
	}
	res, err := rb.Finalize()
	if err != nil {
		return nil, err
	}
	annotations.addTo(res)
	for _, id := range slices.Sorted(maps.Keys(sboms)) {
		res.AddAttestation(id, sboms[id])
	}
	return res, nil
}

// requestID is the build opt that names a subrequest (--call).
const requestID = "requestid"

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

// exportEpochOf is the time the exporter clamps the image's times to: the
// SOURCE_DATE_EPOCH, else 1970, so that nothing depends on the clock.
func exportEpochOf(epoch *time.Time) time.Time {
	if epoch != nil {
		return *epoch
	}
	return time.Unix(0, 0).UTC()
}

// checkBinaries compiles the binaries and checks, before any image holds
// them, that each is static and built for the target platform. It returns
// them in order.
func checkBinaries(ctx context.Context, c client.Client, bc *dockerui.Client, noCache []bk.ConstraintsOpt, bins []gbllb.Binary, target ocispecs.Platform) ([]builtBinary, error) {
	out := make([]builtBinary, len(bins))
	eg, ctx := errgroup.WithContext(ctx)
	for i, b := range bins {
		eg.Go(func() error {
			ref, err := solve(ctx, c, b.State, bc.CacheImports, slices.Concat(noCache, []bk.ConstraintsOpt{bk.Platform(target)})...)
			if err != nil {
				return err
			}
			out[i] = builtBinary{Ref: ref, File: b.File, Path: "/" + b.Build.Binary}
			return checkBinary(ctx, ref, b.File, b.Build.Binary, target, true)
		})
	}
	return out, eg.Wait()
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

func (c *optsClient) CurrentFrontend() (*bk.State, error) { return currentFrontend(c.Client) }

// currentFrontend is the frontend's own image, when c can tell: the gateway
// client of a frontend run from its image can, one run in-process cannot
// (nil).
func currentFrontend(c client.Client) (*bk.State, error) {
	cf, ok := c.(interface{ CurrentFrontend() (*bk.State, error) })
	if !ok {
		return nil, nil
	}
	return cf.CurrentFrontend()
}

// listTool returns the frontend's own image when it holds the list step's
// tool, prebuilt (see the Dockerfile), so that the list step need not
// compile it; nil when the frontend runs in-process (gobuild build) or
// from an image without it.
func listTool(ctx context.Context, c client.Client) (*bk.State, error) {
	st, err := currentFrontend(c)
	if err != nil || st == nil {
		return nil, err
	}
	ref, err := solve(ctx, c, *st, nil)
	if err != nil {
		return nil, fmt.Errorf("the frontend's own image: %w", err)
	}
	if _, err := ref.StatFile(ctx, client.StatRequest{Path: path.Join(gbllb.ToolsPath, "listfiles")}); err != nil {
		return nil, nil
	}
	return st, nil
}

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

// listSources runs llb.ListSources and returns the files go build reads and
// the packages the builds import from outside the module on targets.
func listSources(ctx context.Context, c client.Client, bc *dockerui.Client, noCache []bk.ConstraintsOpt, in gbllb.Input, targets []ocispecs.Platform) (bk.State, []string, map[string][]string, error) {
	st := gbllb.ListSources(in, targets)
	ref, err := solve(ctx, c, st, bc.CacheImports, slices.Concat(noCache, []bk.ConstraintsOpt{bk.Platform(in.BuildPlatform)})...)
	if err != nil {
		return st, nil, nil, err
	}
	var files []string
	var imports map[string][]string
	for name, v := range map[string]any{gbllb.SourcesFile: &files, gbllb.ImportsFile: &imports} {
		dt, err := ref.ReadFile(ctx, client.ReadRequest{Filename: name})
		if err != nil {
			return st, nil, nil, err
		}
		if err := json.Unmarshal(dt, v); err != nil {
			return st, nil, nil, fmt.Errorf("reading %s of the list step: %w", name, err)
		}
	}
	return st, files, imports, nil
}

// solve marshals st and solves it, importing cache from cacheImports.
func solve(ctx context.Context, c client.Client, st bk.State, cacheImports []client.CacheOptionsEntry, opts ...bk.ConstraintsOpt) (client.Reference, error) {
	def, err := marshal(ctx, c, st, opts...)
	if err != nil {
		return nil, err
	}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: cacheImports})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}

// readModule reads the module f builds from the build context st (see
// spec.ReadModule), and returns the context's files for more reading.
func readModule(ctx context.Context, c client.Client, st bk.State, f *spec.File, goEnv map[string]string) (spec.ModuleInfo, refFiles, error) {
	ref, err := solve(ctx, c, st, nil)
	if err != nil {
		return spec.ModuleInfo{}, refFiles{}, fmt.Errorf("loading the build context: %w", err)
	}
	files := refFiles{ctx, ref}
	mod, err := spec.ReadModule(files, spec.ModuleDir(f.Go.Dir), goEnv)
	return mod, files, err
}

// refFiles reads a solved build context through the gateway.
type refFiles struct {
	ctx context.Context
	ref client.Reference
}

func (r refFiles) ReadFile(name string) ([]byte, error) {
	return r.ref.ReadFile(r.ctx, client.ReadRequest{Filename: name})
}

func (r refFiles) Exists(name string) bool {
	_, err := r.ref.StatFile(r.ctx, client.StatRequest{Path: name})
	return err == nil
}

// Readlink lists name's directory: StatFile resolves links (within the
// context), so it cannot tell a link from its target.
func (r refFiles) Readlink(name string) (string, bool) {
	dir, base := path.Split(name)
	entries, err := r.ref.ReadDir(r.ctx, client.ReadDirRequest{Path: "/" + dir})
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if e.Path == base && os.FileMode(e.Mode)&os.ModeSymlink != 0 {
			return e.Linkname, true
		}
	}
	return "", false
}

// loadImage returns the image ref on platform p and its config: a named
// context (--build-context) of that name wins over the registry. A registry
// image is pinned to the digest its config was resolved from.
func loadImage(ctx context.Context, bc *dockerui.Client, c client.Client, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	nc, err := bc.NamedContext(ref, dockerui.ContextOpt{Platform: &p, ResolveMode: bc.ImageResolveMode.String()})
	if err != nil {
		return bk.State{}, nil, err
	}
	if nc != nil {
		st, img, err := nc.Load(ctx)
		if err != nil {
			return bk.State{}, nil, err
		}
		if st != nil {
			return *st, img, nil
		}
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return bk.State{}, nil, fmt.Errorf("%q: %w", ref, err)
	}
	named = reference.TagNameOnly(named)
	_, dgst, dt, err := c.ResolveImageConfig(ctx, named.String(), sourceresolver.Opt{
		LogName:  "[internal] load metadata for " + named.String(),
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p, ResolveMode: bc.ImageResolveMode.String()},
	})
	if err != nil {
		return bk.State{}, nil, fmt.Errorf("%s: %w", named, err)
	}
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(dt, &cfg); err != nil {
		return bk.State{}, nil, fmt.Errorf("%s: reading its config: %w", named, err)
	}
	pinned := named.String()
	if _, ok := named.(reference.Digested); !ok {
		if d, err := reference.WithDigest(named, dgst); err == nil {
			pinned = d.String()
		}
	}
	st := bk.Image(pinned, bk.Platform(p), bc.ImageResolveMode, bk.WithCustomName("[internal] load "+named.String()))
	return st, &cfg, nil
}

// annotations collects each platform's manifest annotations, as the build
// callbacks run concurrently.
type annotations struct {
	mu sync.Mutex
	m  map[string]map[string]string // platform -> key -> value
}

func newAnnotations() *annotations { return &annotations{m: map[string]map[string]string{}} }

func (a *annotations) set(p ocispecs.Platform, kv map[string]string) {
	if len(kv) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m[platforms.FormatAll(platforms.Normalize(p))] = kv
}

// addTo returns the annotations to the exporter through res's metadata: on
// the manifest of a single-platform image; on each platform's manifest, and
// on the index for those all platforms agree on, for an index.
func (a *annotations) addTo(res *client.Result) {
	if len(a.m) == 0 {
		return
	}
	if res.Ref != nil && len(res.Refs) == 0 {
		for _, kv := range a.m {
			for _, k := range slices.Sorted(maps.Keys(kv)) {
				res.AddMeta(exptypes.AnnotationManifestKey(nil, k), []byte(kv[k]))
			}
		}
		return
	}
	var common map[string]string
	for _, ps := range slices.Sorted(maps.Keys(a.m)) {
		kv := a.m[ps]
		p, err := platforms.Parse(ps)
		if err != nil {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(kv)) {
			res.AddMeta(exptypes.AnnotationManifestKey(&p, k), []byte(kv[k]))
		}
		if common == nil {
			common = maps.Clone(kv)
		} else {
			maps.DeleteFunc(common, func(k, v string) bool { return kv[k] != v })
		}
	}
	if len(a.m) == len(res.Refs) {
		for _, k := range slices.Sorted(maps.Keys(common)) {
			res.AddMeta(exptypes.AnnotationIndexKey(k), []byte(common[k]))
		}
	}
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

func imageNames(f *spec.File) []string {
	var names []string
	for _, im := range f.Images {
		names = append(names, im.Name)
	}
	return names
}
