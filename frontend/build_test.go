package frontend

import (
	"errors"
	"os"
	"path"
	"reflect"
	"strings"
	"testing"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"

	gbllb "github.com/gobuild/gobuild/llb"
	"github.com/gobuild/gobuild/spec"
)

type fakeClient struct {
	client.Client
	opts map[string]string
}

func (c fakeClient) BuildOpts() client.BuildOpts { return client.BuildOpts{Opts: c.opts} }

func TestDefaultFilename(t *testing.T) {
	orig := map[string]string{"target": "x"}
	c := withDefaultFilename(fakeClient{opts: orig})
	if got := c.BuildOpts().Opts["filename"]; got != "gobuild.yaml" {
		t.Errorf("filename %q, want gobuild.yaml", got)
	}
	if _, ok := orig["filename"]; ok {
		t.Error("the caller's opts were changed")
	}
	c = withDefaultFilename(fakeClient{opts: map[string]string{"filename": "Dockerfile"}})
	if got := c.BuildOpts().Opts["filename"]; got != "Dockerfile" {
		t.Errorf("an explicit filename was replaced by %q", got)
	}
}

func TestValidateCaps(t *testing.T) {
	for req, ok := range map[string]bool{
		"": true,
		"moby.buildkit.frontend.contexts+forward":                                  true,
		"moby.buildkit.frontend.subrequests+forward,moby.buildkit.frontend.inputs": true,
		"moby.buildkit.frontend.unknown+forward":                                   true,
		"moby.buildkit.frontend.unknown":                                           false,
		"moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring":    false,
	} {
		err := validateCaps(map[string]string{"frontend.caps": req})
		if (err == nil) != ok {
			t.Errorf("%q: err %v", req, err)
		}
		var capErr *errdefs.UnsupportedFrontendCapError
		if err != nil && !errors.As(err, &capErr) {
			t.Errorf("%q: %T is not an UnsupportedFrontendCapError", req, err)
		}
	}
}

// Schema errors carry gobuild.yaml and their lines, so BuildKit clients can
// print the offending lines.
func TestWithSource(t *testing.T) {
	data := []byte("# syntax=x\nbuilds:\n  - mian: .\n")
	_, err := spec.Parse("gobuild.yaml", data)
	if err == nil {
		t.Fatal("no error")
	}
	st := bk.Scratch()
	def, _ := st.Marshal(t.Context())
	sm := bk.NewSourceMap(&st, "gobuild.yaml", "yaml", data)
	sm.Definition = def
	wrapped := withSource(err, sm)
	srcs := errdefs.Sources(wrapped)
	if len(srcs) != 1 || srcs[0].Info.Filename != "gobuild.yaml" || len(srcs[0].Ranges) != 1 || srcs[0].Ranges[0].Start.Line != 3 {
		t.Fatalf("sources %+v", srcs)
	}
	if wrapped.Error() != err.Error() {
		t.Errorf("message changed: %q", wrapped)
	}
}

func TestListTargets(t *testing.T) {
	f, err := spec.Parse("gobuild.yaml", []byte("builds:\n  - main: ./cmd/a\n  - main: ./cmd/b\nimages:\n  - name: a\n    builds: [a]\n  - name: all\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Resolve("gobuild.yaml", spec.Module{Path: "m", Go: "1.26"})
	if err != nil {
		t.Fatal(err)
	}
	l := listTargets(r)
	if len(l.Targets) != 5 || l.Targets[2].Name != "binaries" || l.Targets[3].Name != "test" || l.Targets[4].Name != "vulncheck" || l.Targets[0].Name != "a" || !l.Targets[0].Default || l.Targets[1].Default || l.Targets[1].Description != "image with a, b" {
		t.Errorf("targets %+v", l.Targets)
	}
}

// The frontend image declares exactly the caps the frontend accepts.
func TestDockerfileCapsLabel(t *testing.T) {
	dt, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	want := `LABEL moby.buildkit.frontend.caps="` + strings.Join(Caps, ",") + `"`
	if !strings.Contains(string(dt), want) {
		t.Errorf("Dockerfile lacks %s", want)
	}
	if !strings.Contains(string(dt), `LABEL moby.buildkit.frontend.network.none="true"`) {
		t.Error("Dockerfile lacks the network.none label")
	}
}

// gobuild.yaml, which builds the frontend image with gobuild, makes the
// Dockerfile's image: the same labels, and the list step's tool where the
// frontend mounts it from (gobuild puts binaries in spec.BinDir).
func TestGobuildYAMLFrontendImage(t *testing.T) {
	dt, err := os.ReadFile("../gobuild.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := spec.Parse("gobuild.yaml", dt)
	if err == nil {
		f, err = f.Resolve("gobuild.yaml", spec.Module{Path: "github.com/gobuild/gobuild", Go: "1.26"})
	}
	if err != nil {
		t.Fatal(err)
	}
	im := f.Images[0]
	want := map[string]string{"moby.buildkit.frontend.network.none": "true", "moby.buildkit.frontend.caps": strings.Join(Caps, ",")}
	if !reflect.DeepEqual(im.Labels, want) {
		t.Errorf("gobuild.yaml's labels %v, want %v", im.Labels, want)
	}
	var bins []string
	for _, b := range f.Builds {
		bins = append(bins, path.Join(spec.BinDir, b.Binary))
	}
	wantBins := []string{"/usr/local/bin/gobuild"}
	copyLine := "COPY --from=build /out/gobuild"
	for _, tool := range gbllb.Tools {
		wantBins = append(wantBins, path.Join(gbllb.ToolsPath, tool))
		copyLine += " /out/" + tool
	}
	if !reflect.DeepEqual(bins, wantBins) || !reflect.DeepEqual(im.Entrypoint, bins[:1]) {
		t.Errorf("gobuild.yaml's binaries %v, entrypoint %v", bins, im.Entrypoint)
	}
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{copyLine + " " + gbllb.ToolsPath + "/", `ENTRYPOINT ["/usr/local/bin/gobuild"]`, "USER " + im.User} {
		if !strings.Contains(string(df), line+"\n") {
			t.Errorf("Dockerfile lacks %s", line)
		}
	}
}
