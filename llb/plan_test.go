package llb

import (
	"strings"
	"testing"

	bk "github.com/moby/buildkit/client/llb"

	"github.com/gobuild/gobuild/spec"
)

// A half-filled plan does not reach the graph code: NewPlan names what is
// missing, and Target refuses a platform with none.
func TestNewPlanRefusesHalfFilled(t *testing.T) {
	f, err := spec.Parse("gobuild.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Resolve("gobuild.yaml", spec.Module{Path: "example.com/hello", Go: "1.26"})
	if err != nil {
		t.Fatal(err)
	}
	full := Config{File: r, Context: bk.Local("context"), Builder: bk.Image(r.Go.Image), BuildPlatform: amd64}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no file", func(c *Config) { c.File = nil }, "[File]"},
		{"unresolved", func(c *Config) { c.File = f }, "not resolved"},
		{"no context or builder", func(c *Config) { c.Context, c.Builder = bk.State{}, bk.State{} }, "[Context Builder]"},
		{"no build platform", func(c *Config) { c.BuildPlatform.OS = "" }, "[BuildPlatform]"},
	} {
		cfg := full
		tc.edit(&cfg)
		if _, err := NewPlan(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
	p, err := NewPlan(full)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Target(Platform{}, "hello", ""); err == nil {
		t.Error("a target with no platform was built")
	}
	if _, err := p.Target(Platform{Target: arm64}, "hello", ""); err != nil {
		t.Error(err)
	}
}
