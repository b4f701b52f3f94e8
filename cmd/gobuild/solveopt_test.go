package main

import (
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/client"
)

func TestSolveOpt(t *testing.T) {
	dir := writeProject(t, map[string]string{"go.mod": goMod, "gobuild.yaml": "", "ci/release.yaml": "", "lib/x.go": ""})
	env := map[string]string{"FROM_ENV": "e", "SOURCE_DATE_EPOCH": "10"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	out := filepath.Join(t.TempDir(), "image.tar")
	o := buildOptions{
		file:      filepath.Join(dir, "ci", "release.yaml"),
		target:    "binaries",
		noCache:   true,
		platforms: listFlag{"linux/amd64,linux/arm64", "linux/arm/v7"},
		buildArgs: listFlag{"A=1", "FROM_ENV", "UNSET"},
		labels:    listFlag{"l=v"},
		outputs:   listFlag{"type=oci,dest=" + out, "type=registry,name=r.example/x", filepath.Join(t.TempDir(), "dist")},
		cacheFrom: listFlag{"type=local,src=/c"},
		cacheTo:   listFlag{"type=local,dest=/c,mode=max"},
		contexts:  listFlag{"golang:1.26=docker-image://mirror/golang:1.26", "lib=" + filepath.Join(dir, "lib"), "context=" + dir},
	}
	opt, err := solveOpt(dir, o, lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"filename":                    "release.yaml",
		"target":                      "binaries",
		"no-cache":                    "",
		"platform":                    "linux/amd64,linux/arm64,linux/arm/v7",
		"build-arg:A":                 "1",
		"build-arg:FROM_ENV":          "e",
		"build-arg:SOURCE_DATE_EPOCH": "10",
		"label:l":                     "v",
		"context:golang:1.26":         "docker-image://mirror/golang:1.26",
		"context:lib":                 "local:lib",
		"context:context":             "local:_context",
		"frontend.caps":               "moby.buildkit.frontend.contexts+forward",
	}
	for k, v := range want {
		if got, ok := opt.FrontendAttrs[k]; !ok || got != v {
			t.Errorf("attr %s = %q (set %v), want %q", k, got, ok, v)
		}
	}
	if len(opt.FrontendAttrs) != len(want) {
		t.Errorf("attrs %v, want only %v", opt.FrontendAttrs, want)
	}
	filtered, err := solveOpt(dir, buildOptions{noCacheFilter: listFlag{"download,server", "migrate"}}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if got := filtered.FrontendAttrs["no-cache"]; got != "download,server,migrate" {
		t.Errorf("--no-cache-filter gave no-cache=%q", got)
	}
	for _, l := range []string{"context", "dockerfile", "lib", "_context"} {
		if opt.LocalMounts[l] == nil {
			t.Errorf("no local %s", l)
		}
	}
	if len(opt.Exports) != 3 || opt.Exports[0].Type != client.ExporterOCI || opt.Exports[0].Output == nil ||
		opt.Exports[1].Type != client.ExporterImage || opt.Exports[1].Attrs["push"] != "true" || opt.Exports[1].Attrs["name"] != "r.example/x" ||
		opt.Exports[2].Type != client.ExporterLocal || opt.Exports[2].OutputDir == "" {
		t.Errorf("exports %+v", opt.Exports)
	}
	if len(opt.CacheImports) != 1 || opt.CacheImports[0].Attrs["src"] != "/c" || len(opt.CacheExports) != 1 || opt.CacheExports[0].Attrs["mode"] != "max" {
		t.Errorf("cache imports %+v, exports %+v", opt.CacheImports, opt.CacheExports)
	}

	// --call asks the frontend a subrequest and exports nothing.
	opt, err = solveOpt(dir, buildOptions{call: "targets", outputs: listFlag{"type=local,dest=x"}}, lookup)
	if err != nil || opt.FrontendAttrs["requestid"] != "frontend.targets" || len(opt.Exports) != 0 ||
		opt.FrontendAttrs["frontend.caps"] != "moby.buildkit.frontend.subrequests+forward" || opt.FrontendAttrs["filename"] != "gobuild.yaml" {
		t.Errorf("--call targets: %v %+v", err, opt)
	}

	for name, o := range map[string]buildOptions{
		"call":      {call: "frob"},
		"output":    {outputs: listFlag{"type=local"}},
		"cache":     {cacheFrom: listFlag{"type="}},
		"label":     {labels: listFlag{"novalue"}},
		"context":   {contexts: listFlag{"x=" + filepath.Join(dir, "missing")}},
		"file":      {file: filepath.Join(dir, "missing.yaml")},
		"secret":    {secrets: listFlag{"id=x,bogus=1"}},
		"build-arg": {buildArgs: listFlag{"=v"}},
	} {
		if _, err := solveOpt(dir, o, lookup); err == nil {
			t.Errorf("%s: no error for %+v", name, o)
		}
	}
	if _, err := solveOpt(filepath.Join(dir, "gobuild.yaml"), buildOptions{}, lookup); err == nil {
		t.Errorf("a file as the build context: no error")
	}
}
