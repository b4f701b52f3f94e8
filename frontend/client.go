package frontend

import (
	"context"
	"fmt"
	"maps"
	"path"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"

	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/spec"
)

// The gateway client as gobuild reads it: its default file name, and the
// frontend's own image.

// filenameOpt is the build opt that names the file to read (-f).
const filenameOpt = "filename"

// withDefaultFilename makes gobuild.yaml the file read when no filename opt
// is given (the Dockerfile frontend's default is Dockerfile).
func withDefaultFilename(c client.Client) client.Client {
	opts := c.BuildOpts()
	if _, ok := opts.Opts[filenameOpt]; ok {
		return c
	}
	opts.Opts = maps.Clone(opts.Opts)
	if opts.Opts == nil {
		opts.Opts = map[string]string{}
	}
	opts.Opts[filenameOpt] = spec.DefaultFilename
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

// prebuiltTools returns the frontend's own image when it holds the tools
// gobuild runs in the builder (llb.Tools), prebuilt (see the Dockerfile),
// so that no step compiles them; nil when the frontend runs in-process
// (gobuild build) or from an image without one of them.
func prebuiltTools(ctx context.Context, c client.Client) (*bk.State, error) {
	st, err := currentFrontend(c)
	if err != nil || st == nil {
		return nil, err
	}
	ref, err := solve(ctx, c, *st, nil)
	if err != nil {
		return nil, fmt.Errorf("the frontend's own image: %w", err)
	}
	for _, tool := range gbllb.Tools {
		if _, err := ref.StatFile(ctx, client.StatRequest{Path: path.Join(gbllb.ToolsPath, tool)}); err != nil {
			return nil, nil
		}
	}
	return st, nil
}
