package integration

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/tonistiigi/fsutil"

	"github.com/gobuild/gobuild/frontend"
)

// The frontend's Build function run in this process against the daemon (the
// client.Build path a developer CLI uses), with no frontend image at all.
func TestInProcess(t *testing.T) {
	ctx := context.Background()
	c, err := client.New(ctx, os.Getenv("BUILDKIT_HOST"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fs, err := fsutil.NewFS(example("hello"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "image.tar")
	_, err = c.Build(ctx, client.SolveOpt{
		LocalMounts:   map[string]fsutil.FS{"context": fs, "dockerfile": fs},
		FrontendAttrs: map[string]string{"platform": "linux/amd64,linux/arm64"},
		Exports: []client.ExportEntry{{
			Type:   client.ExporterOCI,
			Output: func(map[string]string) (io.WriteCloser, error) { return os.Create(path) },
		}},
	}, "", frontend.Build, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkHello(t, path, "linux/amd64")
	checkHello(t, path, "linux/arm64")
}
