package integration

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// writeApp copies examples/hello and replaces its gobuild.yaml with yaml
// (after the syntax line naming the frontend under test).
func writeApp(t *testing.T, yaml string) string {
	t.Helper()
	dir := copyDir(t, example("hello"))
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte("# syntax="+frontendImage+"\n"+yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func containsAll(t *testing.T, what string, out []byte, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("%s lacks %q:\n%s", what, want, out)
		}
	}
}

// --call outline lists the build args with their defaults (the ones gobuild
// reads and those the file's templates name), the secrets and the ssh agent.
func TestCallOutline(t *testing.T) {
	dir := writeApp(t, `go:
  private: [git.example.com/acme/*]
  ssh: true
  env:
    GOPROXY: https://proxy.golang.org
builds:
  - main: .
    ldflags: ["-X main.tier={{ .Args.TIER }}"]
`)
	out := mustRun(t, dir, "docker", "buildx", "build", "--call", "outline", "-f", "gobuild.yaml", ".")
	lines := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = strings.Join(f, " ")
		}
	}
	for name, want := range map[string]string{
		"TARGET:":     "TARGET: hello",
		"VERSION":     "VERSION dev the version:",
		"GOPROXY":     "GOPROXY https://proxy.golang.org go environment GOPROXY",
		"GOPRIVATE":   "GOPRIVATE git.example.com/acme/*",
		"TIER":        "TIER read by builds[0].ldflags[0] (.Args.TIER)",
		"netrc":       "netrc",
		"known_hosts": "known_hosts",
		"default":     "default true",
	} {
		if !strings.HasPrefix(lines[name], want) {
			t.Errorf("outline line for %s is %q, want it to start with %q\n%s", name, lines[name], want, out)
		}
	}
	containsAll(t, "--call outline", out, "BUILD ARG", "SECRET", "SSH")
}

// --call check reports risky settings with their lines and fails; a file
// that would not build is reported as such, every problem with its line; a
// clean file passes. Nothing is built.
func TestCallCheck(t *testing.T) {
	check := func(yaml string) ([]byte, error) {
		dir := writeApp(t, yaml)
		return run(context.Background(), dir, "docker", "buildx", "build", "--call", "check", "-f", "gobuild.yaml", ".")
	}
	out, err := check("images:\n  - name: hello\n    user: \"0\"\n    base: gcr.io/distroless/static-debian13:nonroot\n")
	if err == nil {
		t.Errorf("check with warnings exited 0:\n%s", out)
	}
	containsAll(t, "check of risky settings", out,
		"WARNING: RootUser", "gobuild.yaml:4:11: images[0].user: user 0 is root",
		"WARNING: MutableBaseTag", "images[0].base: gcr.io/distroless/static-debian13:nonroot is a tag",
		`>>>     user: "0"`, // BuildKit's snippet of the line
	)

	out, err = check("builds:\n  - mian: .\n    trimpath: yes please\n")
	if err == nil {
		t.Errorf("check of a broken file exited 0:\n%s", out)
	}
	containsAll(t, "check of a broken file", out,
		"WARNING: UnknownField", `gobuild.yaml:3:5: builds[0].mian: unknown field "mian" (did you mean "main"?)`,
		"WARNING: InvalidValue", "gobuild.yaml:4:15: builds[0].trimpath:",
		"a build of gobuild.yaml would fail",
	)

	out, err = check("builds:\n  - main: .\n")
	if err != nil {
		t.Errorf("check of a clean file failed: %v\n%s", err, out)
	}
	containsAll(t, "check of a clean file", out, "Check complete, no warnings found.")
}

// A step that fails (here the compile) shows the lines of gobuild.yaml that
// made it, through LLB source maps.
func TestCompileErrorShowsYAML(t *testing.T) {
	dir := writeApp(t, "builds:\n  - main: .\n    ldflags: [\"-X main.x=y\"]\n")
	appendTo(t, dir, "main.go", "\nfunc broken() { undefinedThing() }\n")
	out, err := run(context.Background(), dir, "docker", "buildx", "build", "-f", "gobuild.yaml", ".")
	if err == nil {
		t.Fatalf("a build of broken code succeeded:\n%s", out)
	}
	containsAll(t, "the failed build's output", out,
		"undefined: undefinedThing",
		"gobuild.yaml:3", // the file and the line of builds[0]
		">>>   - main: .",
	)
}

// pushImage builds dockerfile (with files beside it) with the Dockerfile
// frontend and pushes it to the test bed registry under a fresh name.
func pushImage(t *testing.T, repo, dockerfile string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["Dockerfile"] = dockerfile
	writeFiles(t, dir, files)
	name := os.Getenv("GOBUILD_REGISTRY") + "/gobuild-test/" + repo + ":" + randomHex(t, 4)
	mustRun(t, dir, "docker", "buildx", "build", "--provenance=false", "-o", "type=image,name="+name+",push=true,registry.insecure=true", ".")
	return name
}

// Named contexts replace the builder and the base image: the CA bundle
// gobuild copies from the builder and the base's files come from the
// images --build-context names.
func TestNamedContexts(t *testing.T) {
	builder := pushImage(t, "golang-marked", "FROM golang:1.26\nRUN echo '# gobuild-test-builder-marker' >> /etc/ssl/certs/ca-certificates.crt\n", map[string]string{})
	base := pushImage(t, "base-marked", "FROM gcr.io/distroless/static-debian13\nCOPY marker /gobuild-base-marker\n", map[string]string{"marker": "from the named context\n"})
	dir := writeApp(t, "images:\n  - name: hello\n    base: distroless\n    certs: true\n")
	path, out := ociDest(t)
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "-o", out,
		"--build-context", "golang:1.26=docker-image://"+builder,
		"--build-context", "gcr.io/distroless/static-debian13=docker-image://"+base, ".")
	img := openImage(t, path, hostPlatform)
	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(ca, []byte("# gobuild-test-builder-marker")) {
		t.Errorf("the image's CA bundle is not the named builder's")
	}
	if m, err := os.ReadFile(filepath.Join(root, "gobuild-base-marker")); err != nil || string(m) != "from the named context\n" {
		t.Errorf("the image's base is not the named context: %q, %v", m, err)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/local/bin/hello")); err != nil {
		t.Errorf("no binary: %v", err)
	}
}

// --no-cache-filter runs the steps it names again: the module download by
// its step name, a compile by its build id; other steps stay cached. An
// unknown name fails, listing the names.
func TestNoCacheFilter(t *testing.T) {
	dir := copyDir(t, example("hello"))
	first := gatewayBuild(t, dir) // everything cached from here on
	// Run from its image, the frontend mounts the list step's tool from
	// that image: nothing compiles it.
	if _, ok := first["list the files go build reads"]; !ok {
		t.Errorf("no list step: %v", first)
	}
	if _, ok := first["[internal] build listfiles"]; ok {
		t.Errorf("the list step's tool was compiled, not taken from the frontend image: %v", first)
	}
	build := func(filter string) map[string]bool {
		out := mustRun(t, dir, "buildctl", "--debug=false", "build", "--progress=rawjson",
			"--frontend", "gateway.v0", "--opt", "source="+frontendImage, "--opt", "no-cache="+filter,
			"--local", "context=.", "--local", "dockerfile=.")
		return cachedSteps(t, out)
	}
	steps := build("download")
	if cached, ok := steps["go mod download"]; !ok || cached {
		t.Errorf("--no-cache-filter download: go mod download cached=%v ran=%v", cached, ok)
	}
	if !steps["copy CA certificates"] {
		t.Errorf("--no-cache-filter download ran other steps again: %v", steps)
	}
	out, err := run(context.Background(), dir, "buildctl", "build", "--frontend", "gateway.v0", "--opt", "source="+frontendImage,
		"--opt", "no-cache=downlaod", "--local", "context=.", "--local", "dockerfile=.")
	if err == nil || !bytes.Contains(out, []byte("--no-cache-filter downlaod: no target or step of that name; the names are hello, binaries, test, vulncheck, download, list, cgo")) {
		t.Errorf("an unknown --no-cache-filter name: err %v\n%s", err, tail(out, 10))
	}
}

// A frontend image that holds only the frontend (one rebuilt by hand, say)
// still builds: the list step compiles its tool instead.
func TestFrontendImageWithoutListTool(t *testing.T) {
	fe := pushImage(t, "frontend-bare", "FROM "+frontendImage+" AS fe\nFROM scratch\nCOPY --from=fe /usr/local/bin/gobuild /usr/local/bin/gobuild\nENTRYPOINT [\"/usr/local/bin/gobuild\"]\n", map[string]string{})
	path, out := ociDest(t)
	log := mustRun(t, example("hello"), "buildctl", "--debug=false", "build", "--progress=rawjson",
		"--frontend", "gateway.v0", "--opt", "source="+fe, "--local", "context=.", "--local", "dockerfile=.", "--output", out)
	if _, ok := cachedSteps(t, log)["[internal] build listfiles"]; !ok {
		t.Errorf("the list step's tool was not compiled, and the image has none")
	}
	checkHello(t, path, hostPlatform)
}

// BUILDKIT_MULTI_PLATFORM=1 makes an index of a one-platform build, as with
// Dockerfiles, and --label adds to the image's labels, winning over the file's.
func TestMultiPlatformArgAndLabels(t *testing.T) {
	dir := writeApp(t, "images:\n  - name: hello\n    labels:\n      team: from-the-file\n      keep: yes\n")
	top := func(args ...string) (string, string) {
		path, out := ociDest(t)
		mustRun(t, dir, append([]string{"docker", "buildx", "build", "-f", "gobuild.yaml", "-o", out, "--platform", "linux/amd64"}, append(args, ".")...)...)
		l, err := imagetest.OpenLayout(path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ms, err := l.Manifests()
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Index.Manifests) != 1 || len(ms) != 1 || ms[0].Platform != "linux/amd64" {
			t.Fatalf("layout %+v holds %+v, want one image for linux/amd64", l.Index, ms)
		}
		return l.Index.Manifests[0].MediaType, path
	}
	if mt, _ := top(); mt != ocispec.MediaTypeImageManifest {
		t.Errorf("a one-platform build gave a %s, want an image manifest", mt)
	}
	mt, path := top("--build-arg", "BUILDKIT_MULTI_PLATFORM=1", "--label", "team=from-the-cli")
	if mt != ocispec.MediaTypeImageIndex {
		t.Errorf("with BUILDKIT_MULTI_PLATFORM=1 the build gave a %s, want an index", mt)
	}
	img := openImage(t, path, "linux/amd64")
	labels := img.Config.Config.Labels
	if labels["team"] != "from-the-cli" || labels["keep"] != "yes" {
		t.Errorf("labels %v: want team=from-the-cli (--label wins) and keep=yes", labels)
	}
}
