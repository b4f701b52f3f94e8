package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// cli runs the command line args and returns its exit code, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runCLI(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeProject writes files (name -> content) into a new directory and returns it.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goMod = "module example.com/hello\n\ngo 1.26\n"

func TestValidateGood(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"go.mod": goMod,
		"gobuild.yaml": `# syntax=ghcr.io/gobuild/gobuild:1
builds:
  - id: server
    main: ./cmd/server
  - id: migrate
    main: ./cmd/migrate
`,
	})
	file := filepath.Join(dir, "gobuild.yaml")
	code, stdout, stderr := cli(t, "validate", file)
	if code != 0 || stdout != file+": ok (2 builds, 1 image)\n" || stderr != "" {
		t.Errorf("validate: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// A directory means its gobuild.yaml; flags may follow the file.
	code, stdout, _ = cli(t, "validate", dir, "--context", dir)
	if code != 0 || !strings.HasSuffix(stdout, ": ok (2 builds, 1 image)\n") {
		t.Errorf("validate DIR: exit %d, stdout %q", code, stdout)
	}
	// The examples are good files.
	for _, ex := range []string{"hello", "service", "workspace", "sqlite", "ginserver"} {
		if code, _, stderr := cli(t, "validate", filepath.Join("..", "..", "examples", ex, "gobuild.yaml")); code != 0 {
			t.Errorf("examples/%s: exit %d: %s", ex, code, stderr)
		}
	}
}

func TestValidateBad(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"go.mod":       goMod,
		"gobuild.yaml": "# syntax=ghcr.io/gobuild/gobuild:1\nbuilds:\n  - mian: ./cmd/x\n",
	})
	file := filepath.Join(dir, "gobuild.yaml")
	code, stdout, stderr := cli(t, "validate", file)
	want := file + `:3:5: builds[0].mian: unknown field "mian" (did you mean "main"?)`
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, want) {
		t.Errorf("validate: exit %d, stdout %q, stderr %q; want exit 1 and stderr starting %q", code, stdout, stderr, want)
	}

	// Resolve's errors, after go.mod is read: as in a build.
	dir = writeProject(t, map[string]string{
		"go.mod":       goMod,
		"gobuild.yaml": "images:\n  - name: a\n    builds: [nope]\n",
	})
	code, _, stderr = cli(t, "validate", filepath.Join(dir, "gobuild.yaml"))
	want = filepath.Join(dir, "gobuild.yaml") + `:3:14: images[0].builds[0]: no build has id "nope"; builds: hello` + "\n"
	if code != 1 || stderr != want {
		t.Errorf("validate: exit %d, stderr %q, want %q", code, stderr, want)
	}
}

func TestValidateModule(t *testing.T) {
	// No go.mod: named as the field that says where it is.
	dir := writeProject(t, map[string]string{"gobuild.yaml": "go:\n  dir: api\n"})
	code, _, stderr := cli(t, "validate", filepath.Join(dir, "gobuild.yaml"))
	want := filepath.Join(dir, "gobuild.yaml") + ":2:8: go.dir: no go.mod in api/ of the build context"
	if code != 1 || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr %q, want it to start %q", code, stderr, want)
	}

	// The module in api/ of a workspace, the file elsewhere with --context.
	ctxDir := writeProject(t, map[string]string{
		"go.work":    "go 1.26\n\nuse (\n\t./api\n\t./lib\n)\n",
		"api/go.mod": "module example.com/api\n\ngo 1.26.3\n",
		"lib/go.mod": "module example.com/lib\n\ngo 1.26\n",
	})
	fileDir := writeProject(t, map[string]string{"gobuild.yaml": "go:\n  dir: api\n"})
	p, err := loadProject(filepath.Join(fileDir, "gobuild.yaml"), ctxDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := p.Module.Work; w == nil || w.Dir != "." || !slices.Equal(w.Uses, []string{"api", "lib"}) {
		t.Errorf("work %+v, want the go.work at the root using api and lib", w)
	}
	if p.Resolved.Go.Version != "1.26" || p.Resolved.Builds[0].ID != "api" {
		t.Errorf("resolved go version %q, build id %q; want 1.26 and api", p.Resolved.Go.Version, p.Resolved.Builds[0].ID)
	}

	// vendor/modules.txt: vendored unless GOFLAGS says -mod=mod.
	dir = writeProject(t, map[string]string{"go.mod": goMod, "vendor/modules.txt": "", "gobuild.yaml": ""})
	if p, err := loadProject(filepath.Join(dir, "gobuild.yaml"), "", nil); err != nil || !p.Module.Vendor {
		t.Errorf("vendor: %v %v", p.Module.Vendor, err)
	}
	if p, err := loadProject(filepath.Join(dir, "gobuild.yaml"), "", map[string]string{"GOFLAGS": "-mod=mod"}); err != nil || p.Module.Vendor {
		t.Errorf("vendor with GOFLAGS=-mod=mod: %v %v", p.Module.Vendor, err)
	}
}

// Bad input of any kind gives exit 1 and a message, never a panic.
func TestValidateNeverPanics(t *testing.T) {
	inputs := []string{
		"\x00\x01\x02", "[", "{", "- - -", "builds: 3", "builds: [[]]", "images: {a: b}",
		"go: {dir: ../x}", "go: {dir: /abs}", "go: {env: {GOOS: linux}}", "---\n---\n",
		"builds:\n\t- id: x\n", "version: 2", "a: &a [*a]", strings.Repeat("[", 10000),
		"images:\n  - files: [{src: a}]\n", "builds:\n  - ldflags: ['{{.Nope']\n",
	}
	for _, in := range inputs {
		dir := writeProject(t, map[string]string{"go.mod": goMod, "gobuild.yaml": in})
		code, _, stderr := cli(t, "validate", filepath.Join(dir, "gobuild.yaml"))
		if code != 1 || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q", in, code, stderr)
		}
	}
	// A bad go.mod is the module's error.
	dir := writeProject(t, map[string]string{"go.mod": "modul x\n", "gobuild.yaml": ""})
	if code, _, stderr := cli(t, "validate", filepath.Join(dir, "gobuild.yaml")); code != 1 || !strings.Contains(stderr, "go.mod") {
		t.Errorf("bad go.mod: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := cli(t, "validate", filepath.Join(t.TempDir(), "missing.yaml")); code != 1 || !strings.Contains(stderr, "missing.yaml") {
		t.Errorf("missing file: exit %d, stderr %q", code, stderr)
	}
}

// llbOps runs gobuild llb and returns its ops, exec ops by step name.
func llbOps(t *testing.T, args ...string) (all []*pb.Op, execs map[string]*pb.ExecOp) {
	t.Helper()
	code, stdout, stderr := cli(t, append([]string{"llb"}, args...)...)
	if code != 0 {
		t.Fatalf("llb %q: exit %d: %s", args, code, stderr)
	}
	def, err := bk.ReadFrom(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	execs = map[string]*pb.ExecOp{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		all = append(all, &op)
		if e := op.GetExec(); e != nil {
			name := def.Metadata[digest.FromBytes(dt)].Description["llb.customname"]
			execs[name] = e
		}
	}
	return all, execs
}

func TestLLB(t *testing.T) {
	hello := filepath.Join("..", "..", "examples", "hello", "gobuild.yaml")
	ops, execs := llbOps(t, "--platform", "linux/arm64", hello)
	build := execs["[hello linux/arm64] go build ."]
	if build == nil {
		t.Fatalf("no go build step; steps: %v", keys(execs))
	}
	args := build.Meta.Args
	if len(args) < 3 || args[0] != "go" || args[1] != "build" || !slices.Contains(args, "-trimpath") || args[len(args)-1] != "." || args[len(args)-2] != "/out/hello" {
		t.Errorf("go build args %q", args)
	}
	for _, kv := range []string{"GOARCH=arm64", "GOOS=linux", "CGO_ENABLED=0", "GOPROXY=off"} {
		if !slices.Contains(build.Meta.Env, kv) {
			t.Errorf("go build env %q lacks %s", build.Meta.Env, kv)
		}
	}
	if !slices.ContainsFunc(build.Meta.Env, func(kv string) bool {
		return strings.HasPrefix(kv, "PATH=") && strings.Contains(kv, "/usr/local/go/bin")
	}) {
		t.Errorf("go build env %q: no PATH with the golang image's /usr/local/go/bin", build.Meta.Env)
	}
	if execs["go mod download"] == nil {
		t.Errorf("no go mod download step: %v", keys(execs))
	}
	var sources []string
	for _, op := range ops {
		if s := op.GetSource(); s != nil {
			sources = append(sources, s.Identifier)
		}
	}
	slices.Sort(sources)
	if want := []string{"docker-image://docker.io/library/golang:1.26", "local://context"}; !slices.Equal(sources, want) {
		t.Errorf("sources %q, want %q", sources, want)
	}

	// gobuild's own targets, and images by name.
	service := filepath.Join("..", "..", "examples", "service")
	for target, step := range map[string]string{
		"binaries":  "[migrate linux/amd64] go build ./cmd/migrate",
		"test":      "[test] go test ./...",
		"vulncheck": "[vulncheck] govulncheck ./...",
		"MIGRATE":   "[migrate linux/amd64] go build ./cmd/migrate",
	} {
		_, execs := llbOps(t, "--target", target, "--platform", "linux/amd64", service)
		if execs[step] == nil {
			t.Errorf("--target %s: no step %q: %v", target, step, keys(execs))
		}
	}
	_, execs = llbOps(t, "--target", "migrate", "--platform", "linux/amd64", service)
	if execs["[server linux/amd64] go build ./cmd/server"] != nil {
		t.Errorf("--target migrate compiles the server")
	}

	// A base image is referenced, unresolved.
	ops, _ = llbOps(t, "--platform", "linux/amd64", filepath.Join("..", "..", "examples", "workspace"))
	if !slices.ContainsFunc(ops, func(op *pb.Op) bool {
		return op.GetSource() != nil && op.GetSource().Identifier == "docker-image://gcr.io/distroless/static-debian13:latest"
	}) {
		t.Errorf("no distroless base image source")
	}

	for _, args := range [][]string{
		{"--target", "nope", service},
		{"--platform", "linux/amd64,linux/arm64", hello},
		{"--platform", "windows/amd64", hello},
		{filepath.Join(t.TempDir(), "missing.yaml")},
	} {
		if code, stdout, stderr := cli(t, append([]string{"llb"}, args...)...); code != 1 || stdout != "" || stderr == "" {
			t.Errorf("llb %q: exit %d, stdout %d bytes, stderr %q", args, code, len(stdout), stderr)
		}
	}
}

func TestSchema(t *testing.T) {
	code, stdout, stderr := cli(t, "schema")
	if code != 0 || stderr != "" {
		t.Fatalf("schema: exit %d: %s", code, stderr)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("schema is not JSON: %v\n%s", err, stdout)
	}
	if code, _, _ := cli(t, "schema", "extra"); code != 2 {
		t.Errorf("schema extra: exit %d, want 2", code)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, stdout, _ := cli(t, args...)
		if code != 0 || !strings.Contains(stdout, "Commands:") {
			t.Errorf("%q: exit %d, stdout %q", args, code, stdout)
		}
	}
	for _, c := range []string{"validate", "llb", "schema", "build"} {
		code, stdout, _ := cli(t, "help", c)
		if code != 0 || !strings.HasPrefix(stdout, "Usage: gobuild "+c) {
			t.Errorf("help %s: exit %d, stdout %q", c, code, stdout)
		}
		code, stdout2, _ := cli(t, c, "-h")
		if code != 0 || stdout2 != stdout {
			t.Errorf("%s -h: exit %d, stdout %q", c, code, stdout2)
		}
		if code, _, stderr := cli(t, c, "--bogus"); code != 2 || !strings.Contains(stderr, "-bogus") {
			t.Errorf("%s --bogus: exit %d, stderr %q", c, code, stderr)
		}
	}
	if code, _, stderr := cli(t, "frob"); code != 2 || !strings.Contains(stderr, `unknown command "frob"`) {
		t.Errorf("frob: exit %d, stderr %q", code, stderr)
	}
}

// The daemon is --addr, else $BUILDKIT_HOST, else BuildKit's default.
func TestDaemonAddr(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, c := range []struct {
		flag, host, addr, from string
	}{
		{"tcp://flag:1", "tcp://env:1", "tcp://flag:1", "from --addr"},
		{"", "tcp://env:1", "tcp://env:1", "from $BUILDKIT_HOST"},
		{"", "", "unix:///run/buildkit/buildkitd.sock", "BuildKit's default address"},
	} {
		addr, from := daemonAddr(c.flag, env(map[string]string{"BUILDKIT_HOST": c.host}))
		if addr != c.addr || from != c.from {
			t.Errorf("--addr %q, BUILDKIT_HOST %q: %q (%s), want %q (%s)", c.flag, c.host, addr, from, c.addr, c.from)
		}
	}
}

// A daemon out of reach is named with where its address came from, and
// the message says how to give another.
func TestBuildWithoutDaemon(t *testing.T) {
	hello := filepath.Join("..", "..", "examples", "hello")
	gone := "unix://" + filepath.Join(t.TempDir(), "buildkitd.sock")
	t.Setenv("BUILDKIT_HOST", gone)
	for _, c := range []struct {
		args       []string
		addr, from string
	}{
		{nil, gone, "(from $BUILDKIT_HOST)"},
		{[]string{"--addr", "tcp://127.0.0.1:1"}, "tcp://127.0.0.1:1", "(from --addr)"},
	} {
		code, stdout, stderr := cli(t, append(append([]string{"build"}, c.args...), hello)...)
		for _, want := range []string{"cannot reach BuildKit at " + c.addr + " " + c.from, "set BUILDKIT_HOST or --addr", "source .testbed/env"} {
			if code != 1 || stdout != "" || !strings.Contains(stderr, want) {
				t.Errorf("build %q: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.args, code, stdout, stderr, want)
			}
		}
	}
	if code, _, _ := cli(t, "build"); code != 2 {
		t.Errorf("build with no DIR: exit %d, want 2", code)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
