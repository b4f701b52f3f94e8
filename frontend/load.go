package frontend

import (
	"context"
	"fmt"
	"os"
	"path"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/gobuild/gobuild/spec"
)

// load is spec.Load through the gateway: the build context is solved, and
// go.mod, go.work and the links are read from it. The main context is
// returned for the graph; the project as far as the load got, for --call
// check.
func load(ctx context.Context, c client.Client, bc *dockerui.Client, src *dockerui.Source) (*spec.Project, *bk.State, error) {
	mainCtx, err := bc.MainContext(ctx)
	if err != nil {
		return &spec.Project{}, nil, err
	}
	ref, err := solve(ctx, c, *mainCtx, nil)
	if err != nil {
		return &spec.Project{}, mainCtx, fmt.Errorf("loading the build context: %w", err)
	}
	p, err := spec.Load(src.Filename, src.Data, refFiles{ctx, ref}, bc.BuildArgs)
	return p, mainCtx, err
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
