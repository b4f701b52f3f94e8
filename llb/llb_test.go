package llb

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/internal/llbtree"
	"github.com/gobuild/gobuild/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
var arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}

func testInput(t *testing.T, src string, target ocispecs.Platform) input {
	t.Helper()
	f, err := spec.Parse("gobuild.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Resolve("gobuild.yaml", spec.Module{Path: "example.com/hello", Go: "1.26"})
	if err != nil {
		t.Fatal(err)
	}
	builder := bk.Image(r.Go.Image, bk.Platform(amd64)).
		AddEnv("PATH", "/go/bin:/usr/local/go/bin:/usr/bin:/bin").
		AddEnv("GOPATH", "/go")
	p, err := NewPlan(Config{
		File:          r,
		Context:       bk.Local("context", bk.SessionID("golden"), bk.SharedKeyHint("context")),
		Builder:       builder,
		BuildPlatform: amd64,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p.input(Platform{Target: target})
}

func marshal(t *testing.T, res *Result, target ocispecs.Platform) *bk.Definition {
	t.Helper()
	def, err := res.Rootfs.Marshal(context.Background(), bk.Platform(target))
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// digestOf is the digest of the whole definition.
func digestOf(def *bk.Definition) digest.Digest {
	var all []byte
	for _, dt := range def.Def {
		all = append(all, dt...)
	}
	return digest.FromBytes(all)
}

const serviceYAML = `# syntax=ghcr.io/gobuild/gobuild:1
builds:
  - main: ./cmd/server
    ldflags: ["-X main.version={{.Version}} -X main.commit={{.Commit}}", "-X main.date={{.Date}}"]
    tags: [netgo, osusergo]
    gcflags: [-B]
    flags: [-mod=mod]
    env:
      GOEXPERIMENT: "{{.Args.EXP}}"
  - main: ./cmd/migrate
    strip: false
    trimpath: false
images:
  - name: service
    workdir: /app
    cmd: [--addr, ":8080"]
    env:
      APP_ENV: production
    expose: ["8080", 9090/udp]
    labels:
      org.opencontainers.image.title: service {{.Version}}
    files:
      - src: static/
        dst: /app/static/
        mode: "0444"
      - src: config/app.json
        dst: /app/config/
        owner: "65532:65532"
    tzdata: true
  - name: migrate
    builds: [migrate]
    user: "0:0"
    certs: false
`

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name, src, image, platform string
	}{
		{"empty", "# syntax=ghcr.io/gobuild/gobuild:1\n", "hello", "linux/amd64"},
		{"empty-arm64", "", "hello", "linux/arm64"},
		{"empty-armv7", "", "hello", "linux/arm/v7"},
		{"two-builds", "builds:\n  - main: ./cmd/server\n  - main: ./cmd/worker\n    binary: work\nimages:\n  - cmd: [--port, \"8080\"]\n", "server", "linux/amd64"},
		{"second-image", "builds:\n  - main: ./cmd/server\n  - main: ./cmd/worker\nimages:\n  - name: server\n    builds: [server]\n  - name: worker\n    builds: [worker]\n", "worker", "linux/amd64/v3"},
		{"service", serviceYAML, "service", "linux/arm64"},
		{"binaries", serviceYAML, BinariesTarget, "linux/amd64"},
		{"cgo-arm64", "builds:\n  - cgo: true\n", "hello", "linux/arm64"},
		{"cgo-pie-native", "builds:\n  - cgo: true\n    pie: true\n    tags: [sqlite_omit_load_extension, netgo]\n", "hello", "linux/amd64"},
		{"platforms", "builds:\n  - main: ./cmd/a\n    platforms: [linux/arm64]\n  - main: ./cmd/b\n", "a", "linux/amd64"},
		{"tested-image", "test:\n  packages: [./internal/...]\n  flags: [-count=1]\nimages:\n  - tests: true\n", "hello", "linux/amd64"},
		{"test", "test:\n  vet: false\n", TestTarget, "linux/amd64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, err := platforms.Parse(tc.platform)
			if err != nil {
				t.Fatal(err)
			}
			in := testInput(t, tc.src, target)
			in.Values = spec.Values{Version: "1.2.3", Commit: "abc123", Date: "2023-11-14T22:13:20Z", Args: map[string]string{"EXP": "arenas"}}
			epoch := time.Unix(1700000000, 0)
			in.Epoch = &epoch
			if tc.name == "service" {
				in.list = &Listing{Sources: []string{"cmd/migrate/main.go", "cmd/server/main.go", "go.mod", "go.sum", "internal/x/[odd]*.go"}}
			}
			var res *Result
			if tc.image == BinariesTarget {
				res, err = buildBinaries(in)
			} else if tc.image == TestTarget {
				res, err = buildTests(in)
			} else {
				res, err = buildImage(in, tc.image)
			}
			if err != nil {
				t.Fatal(err)
			}
			tree, err := llbtree.Render(marshal(t, res, target))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", tc.name+".golden"), tree)
		})
	}
}

// checkGolden compares tree with the golden file, which -update rewrites.
func checkGolden(t *testing.T, golden, tree string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(tree), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./llb -update to create it)", err)
	}
	if tree != string(want) {
		t.Errorf("LLB differs from %s (go test ./llb -update rewrites it):\n%s", golden, tree)
	}
}

// The same input gives the same definition, byte for byte, every time.
func TestDeterministic(t *testing.T) {
	src := "builds:\n  - main: ./cmd/a\n  - main: ./cmd/b\n  - main: ./cmd/c\n"
	var first digest.Digest
	for i := 0; i < 20; i++ {
		in := testInput(t, src, amd64)
		in.Labels = map[string]string{"z": "1", "a": "2", "m": "3"}
		res, err := buildImage(in, "a")
		if err != nil {
			t.Fatal(err)
		}
		d := digestOf(marshal(t, res, amd64))
		if i == 0 {
			first = d
		} else if d != first {
			t.Fatalf("run %d: digest %s, first run %s", i, d, first)
		}
	}
}

// Both platforms share one module download: it has no target-specific input.
func TestDownloadSharedAcrossPlatforms(t *testing.T) {
	ops := map[string]map[digest.Digest]bool{}
	for _, p := range []ocispecs.Platform{amd64, {OS: "linux", Architecture: "arm64"}} {
		res, err := buildImage(testInput(t, "", p), "hello")
		if err != nil {
			t.Fatal(err)
		}
		def := marshal(t, res, p)
		ops[p.Architecture] = map[digest.Digest]bool{}
		for _, dt := range def.Def {
			ops[p.Architecture][digest.FromBytes(dt)] = true
		}
		tree, _ := llbtree.Render(def)
		if !strings.Contains(tree, `"go mod download"`) {
			t.Fatalf("no download step in\n%s", tree)
		}
	}
	shared := 0
	for d := range ops["amd64"] {
		if ops["arm64"][d] {
			shared++
		}
	}
	// builder image, context, go.mod copy, download, CA copy
	if shared < 5 {
		t.Errorf("only %d ops shared between platforms", shared)
	}
}

func TestCacheNamespace(t *testing.T) {
	in := testInput(t, "", amd64)
	in.CacheNS = "team-a"
	res, err := buildImage(in, "hello")
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := llbtree.Render(marshal(t, res, amd64))
	for _, id := range []string{"id=team-a/gobuildcache"} {
		if !strings.Contains(tree, id) {
			t.Errorf("no %s in\n%s", id, tree)
		}
	}
}

func TestListSources(t *testing.T) {
	in := testInput(t, "", amd64)
	def, err := listStep(in, []ocispecs.Platform{amd64, arm64}).Marshal(context.Background(), bk.Platform(amd64))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := llbtree.Render(def)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"list the files go build reads"`, "args: /gobuild/listfiles -root /src -dir /src -o /out/files.json -imports",
		`linux/amd64 CGO_ENABLED=0 -trimpath -buildvcs=false\",\"mains\":[\".\"],\"env\":[\"GOARCH=amd64\",\"GOOS=linux\",\"CGO_ENABLED=0\"]`,
		`linux/arm64 CGO_ENABLED=0 -trimpath -buildvcs=false\"`, "-imports-out /out/imports.json", "args: go build -o /out/listfiles listfiles.go listfiles_imports.go", "mount /gobuild readonly", `"go mod download"`} {
		if !strings.Contains(tree, want) {
			t.Errorf("no %q in\n%s", want, tree)
		}
	}
	// The step that compiles listfiles writes its source, as it is in
	// llb/listfiles, into the build: a stale or empty embed fails here.
	for file, name := range map[string]string{"main.go": "/listfiles.go", "imports.go": "/listfiles_imports.go"} {
		src, err := os.ReadFile("listfiles/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if got := mkfileData(t, def, name); !bytes.Equal(got, src) {
			t.Errorf("the definition writes %d bytes to %s, not the %d of llb/listfiles/%s", len(got), name, len(src), file)
		}
	}

	// With Tools (the frontend's own image), the list step mounts listfiles
	// from it, and nothing compiles it.
	tools := bk.Image("example.com/gobuild:1")
	in.Tools = &tools
	def, err = listStep(in, []ocispecs.Platform{amd64}).Marshal(context.Background(), bk.Platform(amd64))
	if err != nil {
		t.Fatal(err)
	}
	ex := execs(t, def)
	if _, ok := ex["[internal] build listfiles"]; ok {
		t.Error("listfiles is compiled although Tools holds it")
	}
	list := ex["list the files go build reads"]
	if list == nil {
		t.Fatalf("no list step in %v", ex)
	}
	var tool *pb.Mount
	for _, m := range list.Mounts {
		if m.Dest == "/gobuild/listfiles" {
			tool = m
		}
	}
	if want := "/usr/local/bin/listfiles"; tool == nil || tool.Selector != want || !tool.Readonly {
		t.Errorf("the tool's mount is %+v, want %s of Tools, read-only", tool, want)
	}
}

func TestServiceConfig(t *testing.T) {
	in := testInput(t, serviceYAML, ocispecs.Platform{OS: "linux", Architecture: "arm64"})
	in.Values = spec.Values{Version: "1.2.3", Args: map[string]string{"EXP": "x"}}
	in.AutoLabels = map[string]string{"org.opencontainers.image.version": "1.2.3", "org.opencontainers.image.title": "auto"}
	in.Labels = map[string]string{"team": "a"}
	res, err := buildImage(in, "service")
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config.Config
	if c.WorkingDir != "/app" || !reflect.DeepEqual(c.Cmd, []string{"--addr", ":8080"}) {
		t.Errorf("workdir %q cmd %q", c.WorkingDir, c.Cmd)
	}
	if want := []string{"PATH=" + DefaultPath, "APP_ENV=production"}; !reflect.DeepEqual(c.Env, want) {
		t.Errorf("env %q, want %q", c.Env, want)
	}
	if len(c.ExposedPorts) != 2 {
		t.Errorf("ports %v", c.ExposedPorts)
	}
	for _, p := range []string{"8080/tcp", "9090/udp"} {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("port %s not exposed: %v", p, c.ExposedPorts)
		}
	}
	want := map[string]string{"org.opencontainers.image.version": "1.2.3", "org.opencontainers.image.title": "service 1.2.3", "team": "a"}
	if !reflect.DeepEqual(c.Labels, want) {
		t.Errorf("labels %v, want %v", c.Labels, want)
	}
	// A template needing a build arg nobody passed fails, naming the field.
	in.Values.Args = nil
	if _, err := buildImage(in, "service"); err == nil || !strings.Contains(err.Error(), "builds[0].env.GOEXPERIMENT: build arg EXP is not set") {
		t.Errorf("missing build arg: %v", err)
	}
}

func TestBuildArgs(t *testing.T) {
	f := false
	tr := true
	got := buildFlags(&spec.Build{Main: "./cmd/x", Binary: "x", Strip: &f, Trimpath: &f})
	if want := []string{"-buildvcs=false", "-ldflags=-buildid="}; !reflect.DeepEqual(got, want) {
		t.Errorf("no strip, no trimpath: %q", got)
	}
	got = buildFlags(&spec.Build{Main: ".", Binary: "y", Strip: &tr, Trimpath: &tr, Tags: []string{"a", "b"}, Gcflags: []string{"-N", "-l"},
		Ldflags: []string{"-X 'main.v=a b'", "-extldflags=-static"}, Flags: []string{"-race", "-v"}})
	want := []string{"-trimpath", "-buildvcs=false", "-tags=a,b", "-gcflags=-N -l", "-ldflags=-s -w -buildid= -X 'main.v=a b' -extldflags=-static", "-race", "-v"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestSymbolicMode(t *testing.T) {
	for m, want := range map[uint32]string{
		0o444: "u=r,g=r,o=r,u+X,g+X,o+X",
		0o640: "u=rw,g=r,o=,u+X,g+X",
		0o755: "u=rwx,g=rx,o=rx,u+X,g+X,o+X",
		0o000: "u=,g=,o=",
	} {
		if got := symbolicMode(m); got != want {
			t.Errorf("%o: %s, want %s", m, got, want)
		}
	}
}

func TestConfig(t *testing.T) {
	in := testInput(t, "images:\n  - cmd: [serve]\n    user: \"1000\"\n", ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"})
	in.Labels = map[string]string{"org.example": "x"}
	res, err := buildImage(in, "hello")
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config
	if c.OS != "linux" || c.Architecture != "arm" || c.Variant != "v7" {
		t.Errorf("platform %+v", c.Platform)
	}
	if !reflect.DeepEqual(c.Config.Entrypoint, []string{"/usr/local/bin/hello"}) || !reflect.DeepEqual(c.Config.Cmd, []string{"serve"}) {
		t.Errorf("entrypoint %q cmd %q", c.Config.Entrypoint, c.Config.Cmd)
	}
	if c.Config.User != "1000" || c.Config.WorkingDir != "/" || c.RootFS.Type != "layers" {
		t.Errorf("config %+v", c.Config)
	}
	if c.Config.Labels["org.example"] != "x" {
		t.Errorf("labels %v", c.Config.Labels)
	}
}

func TestUnknownImage(t *testing.T) {
	if _, err := buildImage(testInput(t, "", amd64), "nope"); err == nil {
		t.Fatal("no error for an unknown image")
	}
}

func TestGoEnv(t *testing.T) {
	for in, want := range map[string]string{
		"linux/amd64":    "GOARCH=amd64 GOOS=linux",
		"linux/amd64/v3": "GOAMD64=v3 GOARCH=amd64 GOOS=linux",
		"linux/arm64":    "GOARCH=arm64 GOOS=linux",
		"linux/arm64/v8": "GOARCH=arm64 GOOS=linux",
		"linux/arm":      "GOARCH=arm GOARM=7 GOOS=linux",
		"linux/arm/v6":   "GOARCH=arm GOARM=6 GOOS=linux",
		"linux/riscv64":  "GOARCH=riscv64 GOOS=linux",
		"darwin/arm64":   "GOARCH=arm64 GOOS=darwin",
		"windows/amd64":  "GOARCH=amd64 GOOS=windows",
		"freebsd/arm/v6": "GOARCH=arm GOARM=6 GOOS=freebsd",
	} {
		p, err := platforms.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		env, err := platformEnv(p)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := strings.Join(env, " "); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"plan9/amd64", "darwin/386", "linux/mips", "linux/arm/v8", "linux/amd64/v9"} {
		p, _ := platforms.Parse(in)
		if _, err := platformEnv(p); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}

// certs: false leaves the CA bundle out; tzdata: true adds the zoneinfo copy.
func TestCertsAndTzdataSwitches(t *testing.T) {
	in := testInput(t, serviceYAML, amd64)
	in.Values = spec.Values{Args: map[string]string{"EXP": "x"}}
	for name, want := range map[string]map[string]bool{
		"service": {`"copy CA certificates"`: true, `"copy time zone database"`: true},
		"migrate": {`"copy CA certificates"`: false, `"copy time zone database"`: false},
	} {
		res, err := buildImage(in, name)
		if err != nil {
			t.Fatal(err)
		}
		tree, _ := llbtree.Render(marshal(t, res, amd64))
		for step, present := range want {
			if strings.Contains(tree, step) != present {
				t.Errorf("image %s: step %s present=%v, want %v", name, step, !present, present)
			}
		}
	}
}

// A base image's config is kept: its env, labels, ports, history and layers,
// with the image's own settings on top; its cmd goes with a new entrypoint.
func TestBaseImageConfig(t *testing.T) {
	src := "images:\n  - base: distroless\n    env:\n      APP: x\n    labels:\n      own: y\n    expose: [\"8080\"]\n    annotations:\n      org.opencontainers.image.title: t {{.Arch}}\n"
	in := testInput(t, src, amd64)
	in.Values = spec.Values{Version: "1"}
	base := &dockerspec.DockerOCIImage{}
	base.Config.Env = []string{"PATH=/base/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	base.Config.Labels = map[string]string{"base": "1", "own": "base"}
	base.Config.ExposedPorts = map[string]struct{}{"53/udp": {}}
	base.Config.Cmd = []string{"/bin/sh"}
	base.Config.WorkingDir = "/home/nonroot"
	base.RootFS.DiffIDs = []digest.Digest{digest.FromString("layer")}
	base.History = []ocispecs.History{{CreatedBy: "base"}}
	in.Base = &Base{State: bk.Image("gcr.io/distroless/static-debian13@sha256:" + strings.Repeat("a", 64)), Config: base}
	res, err := buildImage(in, "hello")
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config
	if want := []string{"PATH=/base/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "APP=x"}; !reflect.DeepEqual(c.Config.Env, want) {
		t.Errorf("env %q, want %q", c.Config.Env, want)
	}
	if want := map[string]string{"base": "1", "own": "y"}; !reflect.DeepEqual(c.Config.Labels, want) {
		t.Errorf("labels %v, want %v", c.Config.Labels, want)
	}
	if len(c.Config.ExposedPorts) != 2 || c.Config.Cmd != nil || c.Config.User != spec.DefaultUser || c.Config.WorkingDir != "/home/nonroot" {
		t.Errorf("ports %v cmd %q user %q workdir %q", c.Config.ExposedPorts, c.Config.Cmd, c.Config.User, c.Config.WorkingDir)
	}
	if len(c.RootFS.DiffIDs) != 1 || len(c.History) != 2 || c.History[0].CreatedBy != "base" || c.History[1].CreatedBy != "gobuild: /usr/local/bin/hello, built from ." {
		t.Errorf("base layers and history not kept, with one entry for the binary after them: %v %v", c.RootFS.DiffIDs, c.History)
	}
	if base.Config.Labels["own"] != "base" || len(base.Config.Env) != 2 {
		t.Errorf("the base config was modified")
	}
	if want := map[string]string{"org.opencontainers.image.title": "t amd64"}; !reflect.DeepEqual(res.Annotations, want) {
		t.Errorf("annotations %v, want %v", res.Annotations, want)
	}
	tree, err := llbtree.Render(marshal(t, res, amd64))
	if err != nil {
		t.Fatal(err)
	}
	// No passwd, group or CA bundle on a base that brings its own.
	for _, s := range []string{"/etc/passwd", "copy CA certificates"} {
		if strings.Contains(tree, s) {
			t.Errorf("%q in a distroless-based image:\n%s", s, tree)
		}
	}
	if !strings.Contains(tree, "distroless/static-debian13@sha256") {
		t.Errorf("the base is not merged in:\n%s", tree)
	}
	in.Base = nil
	if _, err := buildImage(in, "hello"); err == nil {
		t.Error("no error for a base that was not loaded")
	}
}

// A module in a subdirectory of a go.work workspace: go runs in its
// directory, the download sees every used module's go.mod and go.sum, and
// go.env reaches every go command.
func TestWorkspace(t *testing.T) {
	in := testInput(t, "go:\n  dir: services/api\n  env:\n    GOFLAGS: -mod=readonly\n", amd64)
	in.Module.Work = &spec.Workspace{Dir: ".", Uses: []string{"services/api", "lib"}}
	in.Env = in.File.GoEnv(map[string]string{"GOPROXY": "https://proxy.example"})
	res, err := buildImage(in, "hello")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := llbtree.Render(marshal(t, res, amd64))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"include=go.work,go.work.sum,lib/go.mod,lib/go.sum,services/api/go.mod,services/api/go.sum",
		"cwd: /src/services/api",
		"env: GOFLAGS=-mod=readonly",
		"env: GOPROXY=https://proxy.example",
	} {
		if !strings.Contains(tree, s) {
			t.Errorf("no %q in\n%s", s, tree)
		}
	}
	if n := strings.Count(tree, "env: GOFLAGS=-mod=readonly"); n != 2 {
		t.Errorf("GOFLAGS on %d steps, want 2 (download and compile)", n)
	}
	// Only the download goes through the proxy; the compile is offline.
	if n := strings.Count(tree, "env: GOPROXY=https://proxy.example"); n != 1 {
		t.Errorf("GOPROXY on %d steps, want 1 (download)", n)
	}
}

// execs are the exec ops of def, by their custom name.
// mkfileData is what the file op of def that makes name writes to it.
// packageGraphs are the dependency graphs of the list step as an older
// listfiles wrote them: the packages only, no module graph.
func packageGraphs(imports map[string][]string) map[string]DepGraph {
	deps := map[string]DepGraph{}
	for k, pkgs := range imports {
		deps[k] = DepGraph{Packages: pkgs}
	}
	return deps
}

func mkfileData(t *testing.T, def *bk.Definition, name string) []byte {
	t.Helper()
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		for _, a := range op.GetFile().GetActions() {
			if mk := a.GetMkfile(); mk != nil && mk.Path == name {
				return mk.Data
			}
		}
	}
	t.Fatalf("no file op makes %s", name)
	return nil
}

func execs(t *testing.T, def *bk.Definition) map[string]*pb.ExecOp {
	t.Helper()
	m := map[string]*pb.ExecOp{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		e := op.GetExec()
		if e == nil {
			continue
		}
		name := def.Metadata[digest.FromBytes(dt)].Description["llb.customname"]
		m[name] = e
	}
	return m
}

// Only the module download reaches the network and sees the netrc secret;
// every other go command runs with no network and GOPROXY=off, reading the
// downloaded modules from the download's output, not from a cache mount.
func TestOffline(t *testing.T) {
	in := testInput(t, "test: {}\nimages:\n  - name: hello\n    tests: true\n", amd64)
	res, err := buildImage(in, "hello")
	if err != nil {
		t.Fatal(err)
	}
	ex := execs(t, marshal(t, res, amd64))
	var names []string
	for name, e := range ex {
		names = append(names, name)
		var secrets, ssh []string
		modcache := ""
		for _, m := range e.Mounts {
			switch m.MountType {
			case pb.MountType_SECRET:
				secrets = append(secrets, m.Dest+"="+m.SecretOpt.ID)
			case pb.MountType_SSH:
				ssh = append(ssh, m.Dest)
			case pb.MountType_CACHE:
				if m.Dest == "/go/pkg/mod" {
					t.Errorf("%s: the module cache is a cache mount", name)
				}
			default:
				if m.Dest == "/go/pkg/mod" {
					modcache = fmt.Sprintf("readonly=%v output=%d", m.Readonly, m.Output)
				}
			}
		}
		if len(ssh) > 0 {
			t.Errorf("%s: ssh mounts %v without go.ssh", name, ssh)
		}
		if name == "go mod download" {
			if e.Network == pb.NetMode_NONE {
				t.Errorf("the download has no network")
			}
			if want := []string{"/root/.netrc=netrc"}; !slices.Equal(secrets, want) {
				t.Errorf("download secrets %v, want %v", secrets, want)
			}
			if modcache != "readonly=false output=1" {
				t.Errorf("download's module cache mount: %s", modcache)
			}
			continue
		}
		if len(secrets) > 0 {
			t.Errorf("%s: secrets %v", name, secrets)
		}
		if !strings.HasPrefix(name, "[internal]") {
			if e.Network != pb.NetMode_NONE {
				t.Errorf("%s: network %v, want NONE", name, e.Network)
			}
			if modcache != "readonly=true output=-1" {
				t.Errorf("%s: module cache mount %q, want a read-only mount of the download", name, modcache)
			}
			if !slices.Contains(e.Meta.Env, "GOPROXY=off") {
				t.Errorf("%s: env %v lacks GOPROXY=off", name, e.Meta.Env)
			}
		}
	}
	slices.Sort(names)
	want := []string{"[hello linux/amd64] go build .", "[test] go test ./...", "[test] go vet ./...", "go mod download"}
	if !slices.Equal(names, want) {
		t.Errorf("exec steps %q, want %q", names, want)
	}
}

// go.ssh gives the download the ssh agent, the known_hosts secret, strict
// host key checking and git URL rewrites for the private patterns' prefixes.
func TestSSH(t *testing.T) {
	in := testInput(t, "go:\n  private: [github.com/acme/*, gitlab.example.com, github.com/acme/tools]\n  ssh: true\n", amd64)
	in.Env = in.File.GoEnv(nil)
	res, err := buildImage(in, "hello")
	if err != nil {
		t.Fatal(err)
	}
	e := execs(t, marshal(t, res, amd64))["go mod download"]
	if e == nil {
		t.Fatal("no download step")
	}
	var mounts []string
	for _, m := range e.Mounts {
		switch m.MountType {
		case pb.MountType_SECRET:
			mounts = append(mounts, fmt.Sprintf("secret %s %s optional=%v", m.Dest, m.SecretOpt.ID, m.SecretOpt.Optional))
		case pb.MountType_SSH:
			mounts = append(mounts, fmt.Sprintf("ssh %s optional=%v", m.SSHOpt.ID, m.SSHOpt.Optional))
		}
	}
	wantMounts := []string{
		"secret /root/.netrc netrc optional=true",
		"secret /run/secrets/known_hosts known_hosts optional=true",
		"ssh default optional=false",
	}
	if !slices.Equal(mounts, wantMounts) {
		t.Errorf("mounts\n%q\nwant\n%q", mounts, wantMounts)
	}
	for _, kv := range []string{
		"GIT_CONFIG_COUNT=3",
		"GIT_CONFIG_KEY_0=url.ssh://git@github.com/acme/.insteadOf", "GIT_CONFIG_VALUE_0=https://github.com/acme/",
		"GIT_CONFIG_KEY_1=url.ssh://git@github.com/acme/tools/.insteadOf", "GIT_CONFIG_VALUE_1=https://github.com/acme/tools/",
		"GIT_CONFIG_KEY_2=url.ssh://git@gitlab.example.com/.insteadOf", "GIT_CONFIG_VALUE_2=https://gitlab.example.com/",
		"GIT_SSH_COMMAND=ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/run/secrets/known_hosts -o BatchMode=yes",
		"GOPRIVATE=github.com/acme/*,gitlab.example.com,github.com/acme/tools",
	} {
		if !slices.Contains(e.Meta.Env, kv) {
			t.Errorf("no %s in %q", kv, e.Meta.Env)
		}
	}
}

// A vendored module downloads nothing.
func TestVendorSkipsDownload(t *testing.T) {
	in := testInput(t, "", amd64)
	in.Module.Vendor = true
	res, err := buildImage(in, "hello")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := llbtree.Render(marshal(t, res, amd64))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tree, "go mod download") || !strings.Contains(tree, "go build") {
		t.Errorf("vendored build:\n%s", tree)
	}
}

// Every example's gobuild.yaml has golden trees: each image and the
// binaries target, for linux/amd64, with fixed template values.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*/gobuild.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, yml := range dirs {
		dir := filepath.Dir(yml)
		name := filepath.Base(dir)
		src, err := os.ReadFile(yml)
		if err != nil {
			t.Fatal(err)
		}
		f, err := spec.Parse(yml, src)
		if err != nil {
			t.Fatal(err)
		}
		modDir := spec.ModuleDir(f.Go.Dir)
		gomod, err := os.ReadFile(filepath.Join(dir, modDir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		mod, err := spec.ParseGoMod("go.mod", gomod)
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.Resolve(yml, mod)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{
			File:          r,
			Context:       bk.Local("context", bk.SessionID("golden"), bk.SharedKeyHint("context")),
			Builder:       bk.Image(r.Go.Image, bk.Platform(amd64)).AddEnv("PATH", "/go/bin:/usr/local/go/bin:/usr/bin:/bin"),
			BuildPlatform: amd64,
			Values:        spec.Values{Version: "1.2.3", Commit: "abc123", Date: "2023-11-14T22:13:20Z"},
			Env:           r.GoEnv(nil),
		}
		if work, err := os.ReadFile(filepath.Join(dir, "go.work")); err == nil {
			uses, err := spec.ParseGoWork("go.work", work)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Module.Work = &spec.Workspace{Dir: ".", Uses: uses}
		}
		plan, err := NewPlan(cfg)
		if err != nil {
			t.Fatal(err)
		}
		targets := []string{BinariesTarget}
		for _, im := range r.Images {
			targets = append(targets, im.Name)
		}
		for _, target := range targets {
			t.Run(name+"/"+target, func(t *testing.T) {
				pl := Platform{Target: amd64}
				if im := r.Image(target); im != nil && im.BaseRef() != "" {
					pl.Base = &Base{State: bk.Image(im.BaseRef(), bk.Platform(amd64)), Config: &dockerspec.DockerOCIImage{}}
				}
				res, err := plan.Target(pl, target, "")
				if err != nil {
					t.Fatal(err)
				}
				tree, err := llbtree.Render(marshal(t, res, amd64))
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, filepath.Join("testdata", "examples", name+"-"+target+".golden"), tree)
			})
		}
	}
}

// cgo and pie fail clearly where gobuild has no C toolchain or static-pie,
// naming the field; an image none of whose builds is for the platform too.
func TestCgoAndPlatformErrors(t *testing.T) {
	for _, tc := range []struct{ src, platform, want string }{
		{"builds:\n  - cgo: true\n", "linux/arm/v6", "gobuild.yaml:2:10: builds[0].cgo: cgo needs a C toolchain for linux/arm/v6, and gobuild has none for it; cgo: true builds for linux/386, linux/amd64, linux/arm/v7, linux/arm64, linux/ppc64le, linux/riscv64, linux/s390x; restrict the build with platforms"},
		{"builds:\n  - pie: true\n", "linux/s390x", "gobuild.yaml:2:10: builds[0].pie: pie is supported for linux/amd64, linux/arm64, not linux/s390x; restrict the build with platforms"},
		{"builds:\n  - platforms: [linux/arm64]\n", "linux/amd64", `image "hello" has no build for linux/amd64: the platforms of builds hello leave it out`},
	} {
		p, err := platforms.Parse(tc.platform)
		if err != nil {
			t.Fatal(err)
		}
		_, err = buildImage(testInput(t, tc.src, p), "hello")
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s on %s:\n got  %v\n want %s", tc.src, tc.platform, err, tc.want)
		}
	}
}

// The errors the graph code finds name the file the user gave, not
// gobuild.yaml: gobuild llb ci/custom.yaml, or a Dockerfile frontend's
// filename opt.
func TestErrorsNameTheUsersFile(t *testing.T) {
	src := "builds:\n  - cgo: true\n"
	in := testInput(t, src, ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v6"})
	f, err := spec.Parse("ci/custom.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if in.File, err = f.Resolve("ci/custom.yaml", spec.Module{Path: "example.com/hello", Go: "1.26"}); err != nil {
		t.Fatal(err)
	}
	_, err = buildImage(in, "hello")
	if err == nil || !strings.HasPrefix(err.Error(), "ci/custom.yaml:2:10: builds[0].cgo: ") {
		t.Errorf("got %v, want an error at ci/custom.yaml:2:10", err)
	}
}

// The vulncheck target installs govulncheck in a cached step and runs it
// on every build (the database changes, the code may not) over the
// downloaded modules, with the database URL it is given.
func TestVulncheck(t *testing.T) {
	in := testInput(t, "vulncheck:\n  packages: [./cmd/...]\n  version: v1.8.0\n", amd64)
	in.Env = map[string]string{"GOPROXY": "https://proxy.example", "GOFLAGS": "-mod=mod"}
	res, err := buildVulncheck(in, "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	def := marshal(t, res, amd64)
	ex := execs(t, def)
	install := ex["[vulncheck] go install golang.org/x/vuln/cmd/govulncheck@v1.8.0"]
	scan := ex["[vulncheck] govulncheck ./cmd/..."]
	if install == nil || scan == nil {
		t.Fatalf("steps %v", slices.Collect(maps.Keys(ex)))
	}
	if got := strings.Join(scan.Meta.Args, " "); got != "/gobuild/govulncheck -db http://127.0.0.1:8080 ./cmd/..." {
		t.Errorf("scan args %q", got)
	}
	if !slices.Contains(install.Meta.Env, "GOPROXY=https://proxy.example") || slices.Contains(install.Meta.Env, "GOFLAGS=-mod=mod") {
		t.Errorf("install env %q: want the proxy and not the module's GOFLAGS", install.Meta.Env)
	}
	if !slices.Contains(scan.Meta.Env, "GOFLAGS=-mod=mod") || !slices.Contains(scan.Meta.Env, "GOPROXY=off") {
		t.Errorf("scan env %q: want the module's GOFLAGS and GOPROXY=off", scan.Meta.Env)
	}
	ignored := 0
	for dgst, m := range def.Metadata {
		if m.IgnoreCache {
			ignored++
			for _, dt := range def.Def {
				var op pb.Op
				if digest.FromBytes(dt) == dgst && op.UnmarshalVT(dt) == nil && op.GetExec() != nil && op.GetExec().Meta.Args[0] != "/gobuild/govulncheck" {
					t.Errorf("step %v ignores the cache", op.GetExec().Meta.Args)
				}
			}
		}
	}
	if ignored != 1 {
		t.Errorf("%d steps ignore the cache, want 1 (the scan)", ignored)
	}
}

// --no-cache-filter names steps: the download, a build by its id, cgo;
// only the execs of the named steps ignore the cache.
func TestNoCacheFilter(t *testing.T) {
	src := "builds:\n  - main: ./cmd/a\n  - main: ./cmd/b\n    cgo: true\ntest: {}\nimages:\n  - name: x\n    tests: true\n"
	for _, tc := range []struct {
		filter []string
		want   []string // custom names of the execs that ignore the cache
	}{
		{nil, nil},
		{[]string{"download"}, []string{"go mod download"}},
		{[]string{"a"}, []string{"[a linux/arm64] go build ./cmd/a"}},
		{[]string{"b", "test"}, []string{"[b linux/arm64] go build ./cmd/b", "[test] go test ./...", "[test] go vet ./..."}},
		{[]string{"cgo"}, []string{"[cgo linux/arm64] apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross", "[cgo linux/arm64] apt-get update"}},
	} {
		in := testInput(t, src, arm64)
		in.NoCache = func(step string) bool { return slices.Contains(tc.filter, step) }
		res, err := buildImage(in, "x")
		if err != nil {
			t.Fatal(err)
		}
		def := marshal(t, res, arm64)
		var got []string
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			md := def.Metadata[digest.FromBytes(dt)]
			if op.GetExec() != nil && md.IgnoreCache {
				got = append(got, md.Description["llb.customname"])
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("filter %v: execs ignoring the cache %q, want %q", tc.filter, got, tc.want)
		}
	}
	in := testInput(t, src, arm64)
	if got, want := Steps(in.File), []string{"download", "list", "cgo", "deps", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("Steps = %v, want %v", got, want)
	}
}

// The dependency step compiles the listed imports into a layer the compile's
// build cache mount starts from. It sees go.mod and go.sum, not the code, has
// no network, and does not change with the code, the ldflags or the version;
// it changes with the imports, the compile flags and the platform.
func TestDeps(t *testing.T) {
	src := "builds:\n  - main: ./cmd/a\n    ldflags: ['-X main.v={{.Version}}']\n  - main: ./cmd/b\n    tags: [x]\n    gcflags: ['-N']\n"
	build := func(version string, sources []string, imports map[string][]string, p ocispecs.Platform) map[string]string {
		in := testInput(t, src, p)
		in.Values.Version = version
		in.list = &Listing{Sources: sources, Deps: packageGraphs(imports)}
		res, err := buildBinaries(in)
		if err != nil {
			t.Fatal(err)
		}
		def := marshal(t, res, p)
		ds := map[string]string{}
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			if op.GetExec() != nil {
				ds[def.Metadata[digest.FromBytes(dt)].Description["llb.customname"]] = digest.FromBytes(dt).String()
			}
		}
		return ds
	}
	keyA := "linux/arm64 CGO_ENABLED=0 -trimpath -buildvcs=false"
	keyB := "linux/arm64 CGO_ENABLED=0 -trimpath -buildvcs=false -tags=x"
	imports := map[string][]string{keyA: {"example.com/dep", "fmt"}, keyB: {"net/http"}}
	one := build("1.0", []string{"cmd/a/main.go"}, imports, arm64)
	depsA, depsB := one["[deps linux/arm64] go build 2 packages"], one["[deps linux/arm64] go build 1 packages"]
	if depsA == "" || depsB == "" {
		t.Fatalf("no dependency steps in %v", one)
	}
	two := build("2.0", []string{"cmd/a/main.go", "cmd/a/more.go"}, imports, arm64)
	if two["[deps linux/arm64] go build 2 packages"] != depsA || two["[deps linux/arm64] go build 1 packages"] != depsB {
		t.Errorf("the dependency steps changed with the code or the version")
	}
	if two["[a linux/arm64] go build ./cmd/a"] == one["[a linux/arm64] go build ./cmd/a"] {
		t.Errorf("the compile did not change with the code")
	}
	three := build("1.0", nil, map[string][]string{keyA: {"example.com/dep", "fmt", "strings"}, keyB: {"net/http"}}, arm64)
	if three["[deps linux/arm64] go build 3 packages"] == "" || three["[deps linux/arm64] go build 1 packages"] != depsB {
		t.Errorf("a new import did not change just its dependency step: %v", three)
	}
	for name := range build("1.0", nil, nil, arm64) {
		if strings.HasPrefix(name, "[deps ") {
			t.Errorf("with no imports listed there should be no dependency step: %s", name)
		}
	}

	in := testInput(t, src, arm64)
	in.list = &Listing{Deps: packageGraphs(imports)}
	res, err := buildBinaries(in)
	if err != nil {
		t.Fatal(err)
	}
	ex := execs(t, marshal(t, res, arm64))
	deps := ex["[deps linux/arm64] go build 1 packages"]
	if got, want := strings.Join(deps.Meta.Args, " "), "go build -trimpath -buildvcs=false -tags=x net/http"; got != want {
		t.Errorf("deps args %q, want %q (no -gcflags without a pattern, no -ldflags)", got, want)
	}
	if deps.Network != pb.NetMode_NONE {
		t.Errorf("the dependency step has network %v", deps.Network)
	}
	var env []string
	for _, kv := range deps.Meta.Env {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "CGO") {
			env = append(env, kv)
		}
	}
	for _, want := range []string{"GOARCH=arm64", "GOOS=linux", "CGO_ENABLED=0", "GOPROXY=off", "GOCACHE=/root/.cache/go-build"} {
		if !slices.Contains(env, want) {
			t.Errorf("deps env %v lacks %s", env, want)
		}
	}
	compile := ex["[b linux/arm64] go build ./cmd/b"]
	var cache *pb.Mount
	for _, m := range compile.Mounts {
		if m.Dest == "/root/.cache/go-build" {
			cache = m
		}
	}
	if cache == nil || cache.MountType != pb.MountType_CACHE || cache.Input < 0 || cache.CacheOpt.ID != "gobuildcache" {
		t.Fatalf("the compile's build cache is not a cache mount with a base: %+v", cache)
	}
	if got := strings.Join(compile.Meta.Args, " "); !strings.Contains(got, "-gcflags=-N") {
		t.Errorf("the compile lost its gcflags: %s", got)
	}
}

// Flags that change only what go prints leave the dependency step (and its
// imports key) as it was: adding -x or -v to a build compiles no dependency
// again. Other flags still key it.
func TestDepsIgnoreOutputFlags(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, "-trimpath -buildvcs=false"},
		{[]string{"-x", "-v", "--json", "-work=true"}, "-trimpath -buildvcs=false"},
		{[]string{"-x", "-race"}, "-trimpath -buildvcs=false -race"},
		{[]string{"-mod=vendor", "-vet=off"}, "-trimpath -buildvcs=false -mod=vendor -vet=off"},
	} {
		b := &spec.Build{Trimpath: ptr(true), Flags: tc.flags}
		if got := strings.Join(depsFlags(b), " "); got != tc.want {
			t.Errorf("depsFlags with flags %q = %q, want %q", tc.flags, got, tc.want)
		}
	}
}

// Builds that differ only in main, id and binary compile in one go build
// (their shared packages once); a different flag, a cgo build, a main of "."
// or a binary name go build would give twice compiles alone. Each build's
// binary still lands at /usr/local/bin/<binary>.
func TestCompileGroups(t *testing.T) {
	src := `builds:
  - {id: api, main: ./cmd/api, ldflags: ["-X main.v={{.Version}}"]}
  - {id: worker, main: ./cmd/worker, binary: work, ldflags: ["-X main.v={{.Version}}"]}
  - {id: debug, main: ./cmd/debug, ldflags: ["-X main.v={{.Version}}"], gcflags: ["-N"]}
  - {id: root, main: ., ldflags: ["-X main.v={{.Version}}"]}
  - {id: other, main: ./tools/api, ldflags: ["-X main.v={{.Version}}"]}
  - {id: c, main: ./cmd/c, cgo: true, ldflags: ["-X main.v={{.Version}}"]}
images:
  - name: all
    builds: [api, worker, debug, root, other, c]
`
	in := testInput(t, src, arm64)
	res, err := buildImage(in, "all")
	if err != nil {
		t.Fatal(err)
	}
	ex := execs(t, marshal(t, res, arm64))
	var compiles []string
	for name := range ex {
		if strings.Contains(name, "] go build ./") || strings.HasSuffix(name, "] go build .") {
			compiles = append(compiles, name)
		}
	}
	slices.Sort(compiles)
	want := []string{
		"[api, worker linux/arm64] go build ./cmd/api ./cmd/worker",
		"[c linux/arm64] go build ./cmd/c",
		"[debug linux/arm64] go build ./cmd/debug",
		"[other linux/arm64] go build ./tools/api",
		"[root linux/arm64] go build .",
	}
	if !reflect.DeepEqual(compiles, want) {
		t.Fatalf("compile steps\n got %q\nwant %q", compiles, want)
	}
	args := ex[want[0]].Meta.Args
	if !reflect.DeepEqual(args[len(args)-4:], []string{"-o", "/out/", "./cmd/api", "./cmd/worker"}) {
		t.Errorf("grouped go build args end %q", args[len(args)-4:])
	}
	if got := ex["[other linux/arm64] go build ./tools/api"].Meta.Args; !slices.Contains(got, "/out/other") {
		t.Errorf("a lone build writes -o /out/<binary>: %q", got)
	}
	// The copies into the image take each binary by the name go build gave
	// it; the binaries target renames it to the build's binary.
	copies := func(def *bk.Definition) []string {
		var cs []string
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			for _, a := range op.GetFile().GetActions() {
				if c := a.GetCopy(); c != nil && slices.Contains([]string{"/api", "/worker"}, c.Src) {
					cs = append(cs, c.Src+" -> "+c.Dest)
				}
			}
		}
		slices.Sort(cs)
		return cs
	}
	def := marshal(t, res, arm64)
	if got, want := copies(def), []string{"/api -> /usr/local/bin/api", "/worker -> /usr/local/bin/work"}; !reflect.DeepEqual(got, want) {
		t.Errorf("image copies %q, want %q", got, want)
	}
	bins, err := buildBinaries(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := copies(marshal(t, bins, arm64)), []string{"/api -> /api", "/worker -> /work"}; !reflect.DeepEqual(got, want) {
		t.Errorf("binaries target copies %q, want %q", got, want)
	}
	for _, b := range bins.Binaries {
		if want := map[string]string{"api": "/api", "worker": "/worker"}[b.Build.ID]; want != "" && b.File != want {
			t.Errorf("binary %s is at %s in its compile's output, want %s", b.Build.ID, b.File, want)
		}
	}
	// Grouping is deterministic: each graph built anew from the file (Go
	// iterates the maps behind the groups in a new order each time) gives
	// the same definition.
	first := digestOf(def)
	for i := 0; i < 20; i++ {
		again, err := buildImage(testInput(t, src, arm64), "all")
		if err != nil {
			t.Fatal(err)
		}
		if d := digestOf(marshal(t, again, arm64)); d != first {
			t.Fatalf("build %d from scratch: digest %s, the first %s", i+2, d, first)
		}
	}
}

// An image's history has one entry for each layer gobuild adds, in the
// order of the layers, with the epoch and no step name: the exporter would
// otherwise describe a cached layer by the step that first made it, maybe
// another image's, and the digest would depend on the daemon's cache.
func TestImageHistory(t *testing.T) {
	src := "images:\n  - name: app\n    tzdata: true\n    files:\n      - src: a.txt\n        dst: /etc/a.txt\n"
	in := testInput(t, src, amd64)
	epoch := time.Unix(1700000000, 0)
	in.Epoch = &epoch
	res, err := buildImage(in, "app")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range res.Config.History {
		if h.Created == nil || !h.Created.Equal(epoch) || h.Comment != "gobuild" || h.EmptyLayer {
			t.Errorf("history entry %+v: want the epoch, comment gobuild, a layer", h)
		}
		got = append(got, h.CreatedBy)
	}
	want := []string{
		"gobuild: /etc/passwd, /etc/group, /tmp and /",
		"gobuild: copy /etc/ssl/certs/ca-certificates.crt from the builder image",
		"gobuild: copy /usr/share/zoneinfo from the builder image",
		"gobuild: /usr/local/bin/hello, built from .",
		"gobuild: copy a.txt to /etc/a.txt",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("history\n%q\nwant\n%q", got, want)
	}
	def, err := res.Rootfs.Marshal(context.Background(), bk.Platform(amd64))
	if err != nil {
		t.Fatal(err)
	}
	var merge *pb.MergeOp
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		if m := op.GetMerge(); m != nil {
			merge = m
		}
	}
	if merge == nil || len(merge.Inputs) != len(want) {
		t.Fatalf("the image merges %v layers, its history has %d entries", merge, len(want))
	}
}
