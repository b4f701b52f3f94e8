package spec

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// mapContext is a build context in memory: files, and links by name.
type mapContext struct {
	files map[string]string
	links map[string]string
}

func (m mapContext) ReadFile(name string) ([]byte, error) {
	if dt, ok := m.files[name]; ok {
		return []byte(dt), nil
	}
	return nil, fs.ErrNotExist
}

func (m mapContext) Exists(name string) bool { _, ok := m.files[name]; return ok }

func (m mapContext) Readlink(name string) (string, bool) { t, ok := m.links[name]; return t, ok }

// Load runs every stage once, names the user's file in every error, and
// returns the project as far as it got.
func TestLoad(t *testing.T) {
	ctx := mapContext{files: map[string]string{
		"svc/go.mod":             "module example.com/svc\n\ngo 1.25\n",
		"svc/vendor/modules.txt": "",
	}}
	p, err := Load("custom.yaml", []byte("go:\n  dir: svc\n  env:\n    GOFLAGS: -tags=x\nbuilds:\n  - main: ./cmd/api\n"), ctx, map[string]string{"GOPROXY": "off"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Resolved == nil || p.Resolved.Filename() != "custom.yaml" || p.Resolved.Builds[0].ID != "api" || p.Resolved.Go.Version != "1.25" {
		t.Fatalf("resolved %+v", p.Resolved)
	}
	if p.Module.Path != "example.com/svc" || !p.Module.Vendor {
		t.Errorf("module %+v", p.Module)
	}
	if p.Env["GOPROXY"] != "off" || p.Env["GOFLAGS"] != "-tags=x" {
		t.Errorf("env %v", p.Env)
	}

	for _, tc := range []struct {
		name, src string
		ctx       mapContext
		want      string
		parsed    bool
	}{
		{"parse", "builds:\n  - mian: .\n", ctx, "custom.yaml:2:5: builds[0].mian: unknown field \"mian\"", false},
		{"module", "go:\n  dir: nope\n", ctx, "custom.yaml:2:8: go.dir: no go.mod in nope/", true},
		{"links", "go:\n  dir: svc\nbuilds:\n  - main: ./out\n", mapContext{files: ctx.files, links: map[string]string{"svc/out": "/etc"}}, "custom.yaml:4:11: builds[0].main: \"./out\" leaves the build context", true},
		{"resolve", "go:\n  dir: svc\nimages:\n  - builds: [nope]\n", ctx, "custom.yaml:4:14: images[0].builds[0]: no build has id \"nope\"", true},
	} {
		p, err := Load("custom.yaml", []byte(tc.src), tc.ctx, nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one starting %q", tc.name, err, tc.want)
		}
		var errs Errors
		if !errors.As(err, &errs) {
			t.Errorf("%s: %T is not Errors", tc.name, err)
		}
		if (p.File != nil) != tc.parsed || p.Resolved != nil {
			t.Errorf("%s: parsed %v, resolved %v", tc.name, p.File != nil, p.Resolved != nil)
		}
	}
}
