// Package integration builds the examples with a real BuildKit, through every
// way users invoke a frontend, and checks the images: static binaries, image
// config, and a container that runs under runc.
//
// It needs the test bed (hack/testbed/up), whose environment hack/test loads.
package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// frontendImage is the name the examples' syntax line uses. The test bed's
// buildkitd mirrors ghcr.io to the local registry, where TestMain pushes the
// frontend built from this checkout.
const frontendImage = "ghcr.io/gobuild/gobuild:1"

// frontendVersion is the version TestMain stamps into the frontend it builds
// (the Dockerfile's VERSION build arg), so that tests can look for it.
const frontendVersion = "v0.0.0-integration"

var repoRoot, _ = filepath.Abs("..")

func TestMain(m *testing.M) {
	if os.Getenv("BUILDKIT_HOST") == "" || os.Getenv("GOBUILD_REGISTRY") == "" {
		msg := "integration: BUILDKIT_HOST and GOBUILD_REGISTRY are not set; run hack/test, or source the env file hack/testbed/up prints"
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "FAIL: "+msg)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "SKIP: "+msg)
		os.Exit(0)
	}
	if err := pushFrontend(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: building the frontend image: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// pushFrontend builds the frontend image from the repo's Dockerfile and pushes
// it to the local registry as the name the syntax lines use.
func pushFrontend() error {
	ref := os.Getenv("GOBUILD_REGISTRY") + "/gobuild/gobuild:1"
	out, err := run(context.Background(), "", "buildctl", "build",
		"--frontend", "dockerfile.v0",
		"--local", "context="+repoRoot, "--local", "dockerfile="+repoRoot,
		"--opt", "build-arg:VERSION="+frontendVersion,
		"--output", "type=image,name="+ref+",push=true,registry.insecure=true")
	if err != nil {
		return fmt.Errorf("%v\n%s", err, tail(out, 40))
	}
	return nil
}

// run runs argv in dir with the test bed's environment and returns its
// combined output.
func run(ctx context.Context, dir string, argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

func mustRun(t *testing.T, dir string, argv ...string) []byte {
	t.Helper()
	out, err := run(context.Background(), dir, argv...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, tail(out, 60))
	}
	return out
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// setSyntax replaces the first line of dir's gobuild.yaml, its syntax line,
// with one that names ref.
func setSyntax(t *testing.T, dir, ref string) {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(dir, "gobuild.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(dt), "\n")
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte("# syntax="+ref+"\n"+rest), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the example src into a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), dt, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func example(name string) string { return filepath.Join(repoRoot, "examples", name) }

// ociDest is a fresh path for an OCI layout tarball, and the output flag for it.
func ociDest(t *testing.T) (string, string) {
	p := filepath.Join(t.TempDir(), "image.tar")
	return p, "type=oci,dest=" + p
}

// wantHello is what examples/hello prints in its image on the host platform.
var wantHello = fmt.Sprintf("hello from gobuild: linux/%s, uid 65532, gid 65532, CA bundle loaded\n", runtime.GOARCH)

// checkHello checks the hello image for platform in the layout at path: its
// config, its binary (static, stripped, of the platform's architecture) and,
// on the host architecture, what it prints when it runs under runc.
func checkHello(t *testing.T, path, platform string) {
	t.Helper()
	l, err := imagetest.OpenLayout(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	img, err := l.Image(platform)
	if err != nil {
		t.Fatal(err)
	}
	c := img.Config
	os_, arch, _ := strings.Cut(platform, "/")
	arch, _, _ = strings.Cut(arch, "/")
	if c.OS != os_ || c.Architecture != arch {
		t.Errorf("image platform %s/%s, want %s", c.OS, c.Architecture, platform)
	}
	if want := []string{"/usr/local/bin/hello"}; !reflect.DeepEqual(c.Config.Entrypoint, want) {
		t.Errorf("entrypoint %q, want %q", c.Config.Entrypoint, want)
	}
	if c.Config.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.Config.User)
	}
	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	info := imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin/hello"), arch)
	if info.HasSymtab {
		t.Errorf("binary has a symbol table: not stripped")
	}
	if _, err := os.Stat(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil {
		t.Errorf("no CA bundle in the image: %v", err)
	}
	entries, _ := os.ReadDir(root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"etc", "tmp", "usr"}; !reflect.DeepEqual(names, want) {
		t.Errorf("image root holds %v, want only %v", names, want)
	}
	// Nothing else: no shell, no package manager, no libraries.
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != root {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return err
	})
	if want := []string{"etc", "etc/group", "etc/passwd", "etc/ssl", "etc/ssl/certs", "etc/ssl/certs/ca-certificates.crt",
		"tmp", "usr", "usr/local", "usr/local/bin", "usr/local/bin/hello"}; !reflect.DeepEqual(files, want) {
		t.Errorf("the image holds %q, want only %q", files, want)
	}
	if fi, err := os.Stat(filepath.Join(root, "tmp")); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("/tmp is not a world-writable sticky directory: %v %v", fi.Mode(), err)
	}
	if dt, err := os.ReadFile(filepath.Join(root, "etc/passwd")); err != nil || !strings.Contains(string(dt), ":65532:65532:") {
		t.Errorf("/etc/passwd does not name the image's user 65532: %q %v", dt, err)
	}
	t.Logf("image %s: %d bytes compressed, %d layers", platform, img.CompressedSize, len(img.Layers))
	if arch != runtime.GOARCH {
		return
	}
	if stdout := runImage(t, img, imagetest.RunOpts{}); stdout != wantHello {
		t.Errorf("image printed %q, want %q", stdout, wantHello)
	}
}

// runImage runs img to its end under runc (a minute at most) and returns
// what it printed; it fails the test when the image does not run or exits
// with an error.
func runImage(t *testing.T, img *imagetest.Image, opts imagetest.RunOpts) string {
	t.Helper()
	imagetest.RequireRunc(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stdout, stderr, err := imagetest.Run(ctx, img, opts)
	if err != nil {
		t.Fatalf("running the image: %v\n%s", err, stderr)
	}
	return string(stdout)
}

var hostPlatform = "linux/" + runtime.GOARCH

// docker buildx build -f gobuild.yaml . with the syntax line on line 1.
func TestBuildxSyntaxLine(t *testing.T) {
	path, out := ociDest(t)
	mustRun(t, example("hello"), "docker", "buildx", "build", "-f", "gobuild.yaml", "-o", out, ".")
	checkHello(t, path, hostPlatform)
}

// The same file saved as Dockerfile, with a plain docker buildx build.
func TestBuildxDockerfileName(t *testing.T) {
	dir := copyDir(t, example("hello"))
	if err := os.Rename(filepath.Join(dir, "gobuild.yaml"), filepath.Join(dir, "Dockerfile")); err != nil {
		t.Fatal(err)
	}
	path, out := ociDest(t)
	mustRun(t, dir, "docker", "buildx", "build", "-o", out, ".")
	checkHello(t, path, hostPlatform)
}

// BUILDKIT_SYNTAX picks the frontend for a file without a syntax line.
func TestBuildxBuildkitSyntaxArg(t *testing.T) {
	dir := copyDir(t, example("hello"))
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path, out := ociDest(t)
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--build-arg", "BUILDKIT_SYNTAX="+frontendImage, "-o", out, ".")
	checkHello(t, path, hostPlatform)
}

// buildctl with the gateway frontend and no filename: gobuild.yaml is read.
func TestBuildctlGateway(t *testing.T) {
	dir := example("hello")
	path, out := ociDest(t)
	mustRun(t, dir, "buildctl", "build", "--frontend", "gateway.v0", "--opt", "source="+frontendImage,
		"--local", "context=.", "--local", "dockerfile=.", "--output", out)
	checkHello(t, path, hostPlatform)
}

// buildctl with the Dockerfile frontend, which forwards on the syntax line.
func TestBuildctlDockerfileFrontend(t *testing.T) {
	dir := example("hello")
	path, out := ociDest(t)
	mustRun(t, dir, "buildctl", "build", "--frontend", "dockerfile.v0", "--opt", "filename=gobuild.yaml",
		"--local", "context=.", "--local", "dockerfile=.", "--output", out)
	checkHello(t, path, hostPlatform)
}

// buildctl with the Dockerfile frontend and BUILDKIT_SYNTAX as a build arg.
func TestBuildctlBuildkitSyntaxArg(t *testing.T) {
	dir := copyDir(t, example("hello"))
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path, out := ociDest(t)
	mustRun(t, dir, "buildctl", "build", "--frontend", "dockerfile.v0", "--opt", "filename=gobuild.yaml",
		"--opt", "build-arg:BUILDKIT_SYNTAX="+frontendImage,
		"--local", "context=.", "--local", "dockerfile=.", "--output", out)
	checkHello(t, path, hostPlatform)
}

// docker buildx bake, the default group CI calls: the frontend image for
// two platforms, and every example built with the frontend from this
// checkout in the same run (target: context), nothing pushed.
func TestBake(t *testing.T) {
	hello, helloOut := ociDest(t)
	fe, feOut := ociDest(t)
	// VERSION as TestRelease publishes it: the frontend's compile steps are
	// the release's, so hack/release --dry-run finds them cached.
	r := runArgvFor(t, 15*time.Minute, repoRoot, append(os.Environ(), "VERSION="+releaseVersion), nil,
		"docker", "buildx", "bake", "--allow=fs.write="+filepath.Dir(hello), "--allow=fs.write="+filepath.Dir(fe),
		"-f", "docker-bake.hcl", "--set", "hello.output="+helloOut, "--set", "frontend.output="+feOut).mustSucceed(t, "docker buildx bake")
	out := r.stderr // the progress
	checkHello(t, hello, hostPlatform)
	for _, want := range []string{"[ginserver ginserver linux/", "[service-service service ", "[service-migrate migrate ", "[sqlite sqlite linux/", "[workspace api linux/"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("bake's output lacks %q: an example was not built", want)
		}
	}
	l, err := imagetest.OpenLayout(fe)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got, err := l.Platforms()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(got, want) {
		t.Errorf("the frontend image holds %v, want %v", got, want)
	}
}

// Two platforms give a two-entry index, both compiled natively on the build
// platform (no emulation is installed on the test bed, so an emulated
// compile would fail).
func TestTwoPlatforms(t *testing.T) {
	path, out := ociDest(t)
	mustRun(t, example("hello"), "docker", "buildx", "build", "-f", "gobuild.yaml",
		"--platform", "linux/amd64,linux/arm64", "-o", out, ".")
	l, err := imagetest.OpenLayout(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got, err := l.Platforms()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"linux/amd64", "linux/arm64"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("index holds %v, want %v", got, want)
	}
	checkHello(t, path, "linux/amd64")
	checkHello(t, path, "linux/arm64")
}

// A bad gobuild.yaml fails before anything runs, naming file, line, column
// and field, and BuildKit shows the offending line.
func TestErrorNamesLine(t *testing.T) {
	buildFails(t, "builds:\n  - mian: ./cmd/x\n",
		`gobuild.yaml:3:5: builds[0].mian: unknown field "mian" (did you mean "main"?)`,
		"  - mian: ./cmd/x", // BuildKit's source snippet
	)
}

// buildFails builds examples/hello with yaml (after the syntax line) as its
// gobuild.yaml through buildx, and checks that it fails printing each of wants.
func buildFails(t *testing.T, yaml string, wants ...string) {
	t.Helper()
	dir := copyDir(t, example("hello"))
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte("# syntax="+frontendImage+"\n"+yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(context.Background(), dir, "docker", "buildx", "build", "-f", "gobuild.yaml", ".")
	if err == nil {
		t.Fatalf("build of a bad file succeeded:\n%s", out)
	}
	for _, want := range wants {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, tail(out, 30))
		}
	}
}

// The module download is a step of its own that only go.mod and go.sum
// invalidate, and the compile sees only the files go build reads: editing
// docs changes nothing, editing a source file recompiles but does not
// download again.
func TestDownloadCachedAcrossSourceEdits(t *testing.T) {
	dir := copyDir(t, example("hello"))
	build := func() map[string]bool { return gatewayBuild(t, dir) }
	edit := func(file, text string) { appendTo(t, dir, file, text) }
	download := "go mod download"
	compile := "[hello " + hostPlatform + "] go build ."
	// A unique comment makes this copy's sources new to the daemon's cache.
	edit("main.go", fmt.Sprintf("\n// %s %d\n", t.Name(), time.Now().UnixNano()))
	edit("go.mod", fmt.Sprintf("\n// %d\n", time.Now().UnixNano()))
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := build()
	if first[download] || first[compile] {
		t.Fatalf("first build reused cache: %v", first)
	}
	// Only the files go build reads invalidate the compile: not README.md,
	// not gobuild.yaml.
	edit("README.md", "\nmore docs\n")
	edit("gobuild.yaml", "# a comment\n")
	docs := build()
	if !docs[compile] || !docs[download] {
		t.Errorf("editing README.md and gobuild.yaml recompiled or downloaded again: %v", docs)
	}
	edit("main.go", "\n// an edit\n")
	second := build()
	if !second[download] {
		t.Errorf("editing main.go ran %q again: %v", download, second)
	}
	if second[compile] {
		t.Errorf("editing main.go did not recompile: %v", second)
	}
	edit("go.mod", "\n// another edit\n")
	third := build()
	if third[download] {
		t.Errorf("editing go.mod did not run %q again: %v", download, third)
	}
}

// gatewayBuild builds dir with buildctl through the frontend image and
// returns which steps were answered from cache (see cachedSteps).
func gatewayBuild(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := mustRun(t, dir, "buildctl", "--debug=false", "build", "--progress=rawjson",
		"--frontend", "gateway.v0", "--opt", "source="+frontendImage,
		"--local", "context=.", "--local", "dockerfile=.")
	return cachedSteps(t, out)
}

// appendTo appends text to the file dir/name.
func appendTo(t *testing.T, dir, name, text string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprint(f, text); err != nil {
		t.Fatal(err)
	}
}

// cachedSteps reads buildctl's rawjson progress: step name -> whether it was
// answered from cache. Steps that never completed are absent.
func cachedSteps(t *testing.T, out []byte) map[string]bool {
	steps := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var st struct {
			Vertexes []struct {
				Name      string
				Cached    bool
				Completed *time.Time
			}
		}
		if json.Unmarshal(sc.Bytes(), &st) != nil {
			continue
		}
		for _, v := range st.Vertexes {
			if v.Completed != nil || v.Cached {
				steps[v.Name] = steps[v.Name] || v.Cached
			}
		}
	}
	if len(steps) == 0 {
		t.Fatalf("no steps in the progress output:\n%s", tail(out, 20))
	}
	return steps
}

// --call targets lists the images and the binaries target.
func TestCallTargets(t *testing.T) {
	out := mustRun(t, example("service"), "docker", "buildx", "build", "--call", "targets", "-f", "gobuild.yaml", ".")
	for _, want := range []string{"service (default)", "migrate", "binaries", "image with server, migrate", "just the binaries"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("--call targets output lacks %q:\n%s", want, out)
		}
	}
}
