package frontend

import (
	"context"
	"slices"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/spec"
)

// solver solves the states of one build: with the build's cache imports
// and, under --no-cache, ignoring the cache.
type solver struct {
	c            client.Client
	cacheImports []client.CacheOptionsEntry
	noCache      []bk.ConstraintsOpt
}

// solve solves st for platform p.
func (s solver) solve(ctx context.Context, st bk.State, p ocispecs.Platform) (client.Reference, error) {
	return solve(ctx, s.c, st, s.cacheImports, slices.Concat(s.noCache, []bk.ConstraintsOpt{bk.Platform(p)})...)
}

// listing solves the list step on the build platform and reads it.
func (s solver) listing(buildPlatform ocispecs.Platform) func(context.Context, bk.State) (*gbllb.Listing, error) {
	return func(ctx context.Context, st bk.State) (*gbllb.Listing, error) {
		ref, err := s.solve(ctx, st, buildPlatform)
		if err != nil {
			return nil, err
		}
		return gbllb.ReadListing(st, func(name string) ([]byte, error) {
			return ref.ReadFile(ctx, client.ReadRequest{Filename: name})
		})
	}
}

// checkBinaries compiles the binaries and checks, before any image holds
// them, that each is built for the target platform and, for linux, static. It returns
// them in order.
func (s solver) checkBinaries(ctx context.Context, bins []gbllb.Binary, target ocispecs.Platform) ([]builtBinary, error) {
	out := make([]builtBinary, len(bins))
	eg, ctx := errgroup.WithContext(ctx)
	for i, b := range bins {
		eg.Go(func() error {
			ref, err := s.solve(ctx, b.State, target)
			if err != nil {
				return err
			}
			out[i] = builtBinary{Ref: ref, File: b.File, Path: "/" + b.Name}
			// Only linux binaries can be static: Go links darwin's,
			// windows', openbsd's and solaris' system libraries.
			return checkBinary(ctx, ref, b.File, b.Name, target, target.OS == spec.ImageOS)
		})
	}
	return out, eg.Wait()
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
