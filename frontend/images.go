package frontend

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/distribution/reference"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// gatewayImages is the frontend's ImageSource: a named context
// (--build-context) of the image's name wins over the registry, and a
// registry image is pinned to the digest its config was resolved from.
type gatewayImages struct {
	c  client.Client
	bc *dockerui.Client
}

func (g gatewayImages) Image(ctx context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	nc, err := g.bc.NamedContext(ref, dockerui.ContextOpt{Platform: &p, ResolveMode: g.bc.ImageResolveMode.String()})
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
	_, dgst, dt, err := g.c.ResolveImageConfig(ctx, named.String(), sourceresolver.Opt{
		LogName:  "[internal] load metadata for " + named.String(),
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p, ResolveMode: g.bc.ImageResolveMode.String()},
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
	st := bk.Image(pinned, bk.Platform(p), g.bc.ImageResolveMode, bk.WithCustomName("[internal] load "+named.String()))
	return st, &cfg, nil
}

// TagImages is the ImageSource of a graph made without a daemon (gobuild
// llb): each image by its tag, not pinned, with no config.
type TagImages struct{}

func (TagImages) Image(_ context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	name := ref
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		name = reference.TagNameOnly(named).String()
	}
	return bk.Image(name, bk.Platform(p), bk.WithCustomName("[internal] load "+name)), nil, nil
}
