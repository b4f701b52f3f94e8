package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// The build args TestService stamps into the service, and what they give.
var (
	serviceArgs = []string{"--build-arg", "VERSION=1.2.3", "--build-arg", "COMMIT=abc123", "--build-arg", "SOURCE_DATE_EPOCH=1700000000"}
	wantVersion = map[string]string{"version": "1.2.3", "commit": "abc123", "date": "2023-11-14T22:13:20Z"}
)

// examples/ginserver: a gin service with its port exposed and GIN_MODE set,
// which answers on /ping when it runs.
func TestGinServer(t *testing.T) {
	path, out := ociDest(t)
	mustRun(t, example("ginserver"), "docker", "buildx", "build", "-f", "gobuild.yaml", "-o", out, ".")
	img := openImage(t, path, hostPlatform)
	c := img.Config.Config
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 8080/tcp", c.ExposedPorts)
	}
	if !slices.Contains(c.Env, "GIN_MODE=release") {
		t.Errorf("env %q lacks GIN_MODE=release", c.Env)
	}
	if want := []string{"/usr/local/bin/ginserver"}; !reflect.DeepEqual(c.Entrypoint, want) {
		t.Errorf("entrypoint %q, want %q", c.Entrypoint, want)
	}
	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin/ginserver"), runtime.GOARCH)

	imagetest.RequireRunc(t)
	port := freePort(t)
	ctr := start(t, img, imagetest.RunOpts{HostNetwork: true, Env: []string{fmt.Sprintf("PORT=127.0.0.1:%d", port)}})
	status, body := waitGet(t, ctr, fmt.Sprintf("http://127.0.0.1:%d/ping", port))
	var got map[string]string
	if status != http.StatusOK || json.Unmarshal(body, &got) != nil || !reflect.DeepEqual(got, map[string]string{"message": "pong"}) {
		t.Errorf("GET /ping: %d %q, want 200 {\"message\":\"pong\"}", status, body)
	}
}

// examples/service: two stamped binaries, the app's files under /app, and a
// server that runs as the non-root user; --target migrate gives the other image.
func TestService(t *testing.T) {
	dir := example("service")
	path, out := ociDest(t)
	mustRun(t, dir, append([]string{"docker", "buildx", "build", "-f", "gobuild.yaml", "-o", out}, append(serviceArgs, ".")...)...)
	checkService(t, dir, path)

	path, out = ociDest(t)
	mustRun(t, dir, append([]string{"docker", "buildx", "build", "-f", "gobuild.yaml", "--target", "migrate", "-o", out}, append(serviceArgs, ".")...)...)
	checkMigrate(t, path)
}

// Dockerfile.handwritten, the comparison the example makes, gives images
// that pass the same checks. Its syntax line is dropped: the test bed's
// registry has no docker/dockerfile image, so BuildKit's built-in Dockerfile
// frontend builds it.
func TestServiceHandwrittenDockerfile(t *testing.T) {
	dir := copyDir(t, example("service"))
	df := filepath.Join(dir, "Dockerfile.handwritten")
	b, err := os.ReadFile(df)
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := bytes.CutPrefix(b, []byte("# syntax=docker/dockerfile:1\n"))
	if !ok {
		t.Fatalf("%s does not start with the docker/dockerfile:1 syntax line", df)
	}
	if err := os.WriteFile(df, rest, 0o644); err != nil {
		t.Fatal(err)
	}
	path, out := ociDest(t)
	mustRun(t, dir, append([]string{"docker", "buildx", "build", "-f", "Dockerfile.handwritten", "-o", out}, append(serviceArgs, ".")...)...)
	checkService(t, dir, path)

	path, out = ociDest(t)
	mustRun(t, dir, append([]string{"docker", "buildx", "build", "-f", "Dockerfile.handwritten", "--target", "migrate", "-o", out}, append(serviceArgs, ".")...)...)
	checkMigrate(t, path)
}

// checkService checks the service image built from the example in dir: its
// config, files and users, and the server it runs.
func checkService(t *testing.T, dir, path string) {
	t.Helper()
	img := openImage(t, path, hostPlatform)
	c := img.Config.Config
	if c.WorkingDir != "/app" {
		t.Errorf("working dir %q, want /app", c.WorkingDir)
	}
	if want := []string{"/usr/local/bin/server"}; !reflect.DeepEqual(c.Entrypoint, want) {
		t.Errorf("entrypoint %q, want %q", c.Entrypoint, want)
	}
	if want := []string{"--addr", ":8080"}; !reflect.DeepEqual(c.Cmd, want) {
		t.Errorf("cmd %q, want %q", c.Cmd, want)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 8080/tcp", c.ExposedPorts)
	}
	if got := c.Labels["org.opencontainers.image.title"]; got != "service" {
		t.Errorf("label org.opencontainers.image.title %q, want service (labels %v)", got, c.Labels)
	}

	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{"server", "migrate"} {
		if info := imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin", bin), runtime.GOARCH); info.HasSymtab {
			t.Errorf("%s has a symbol table: not stripped", bin)
		}
	}
	index := filepath.Join(root, "app/static/index.html")
	if fi, err := os.Stat(index); err != nil {
		t.Error(err)
	} else if fi.Mode() != 0o444 {
		t.Errorf("/app/static/index.html mode %v, want -r--r--r--", fi.Mode())
	}
	// The server runs as 65532: the directories must stay searchable.
	for _, d := range []string{"app", "app/static", "app/config"} {
		if fi, err := os.Stat(filepath.Join(root, d)); err != nil {
			t.Error(err)
		} else if !fi.IsDir() || fi.Mode()&0o005 != 0o005 {
			t.Errorf("/%s mode %v: not a directory others can read and search", d, fi.Mode())
		}
	}
	sameFile(t, filepath.Join(dir, "static/index.html"), index)
	sameFile(t, filepath.Join(dir, "config/app.json"), filepath.Join(root, "app/config/app.json"))
	if !hasID(t, filepath.Join(root, "etc/passwd"), "65532") {
		t.Errorf("/etc/passwd names no uid 65532")
	}
	if !hasID(t, filepath.Join(root, "etc/group"), "65532") {
		t.Errorf("/etc/group names no gid 65532")
	}
	if fi, err := os.Stat(filepath.Join(root, "tmp")); err != nil {
		t.Error(err)
	} else if want := os.ModeDir | os.ModeSticky | 0o777; fi.Mode() != want {
		t.Errorf("/tmp mode %v, want %v", fi.Mode(), want)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil {
		t.Errorf("no CA bundle in the image: %v", err)
	}

	imagetest.RequireRunc(t)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctr := start(t, img, imagetest.RunOpts{HostNetwork: true, Args: []string{"/usr/local/bin/server", "--addr", fmt.Sprintf("127.0.0.1:%d", port)}})
	status, body := waitGet(t, ctr, base+"/version")
	var version map[string]string
	if status != http.StatusOK || json.Unmarshal(body, &version) != nil || !reflect.DeepEqual(version, wantVersion) {
		t.Errorf("GET /version: %d %q, want 200 and %v", status, body, wantVersion)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "static/index.html"))
	if status, body := get(t, base+"/static/index.html"); status != http.StatusOK || !bytes.Equal(body, want) {
		t.Errorf("GET /static/index.html: %d %q, want 200 and static/index.html\nserver stderr: %s", status, body, ctr.Stderr())
	}
	var cfg map[string]string
	status, body = get(t, base+"/config")
	if status != http.StatusOK || json.Unmarshal(body, &cfg) != nil || cfg["greeting"] != "Hello from config/app.json" {
		t.Errorf("GET /config: %d %q, want 200 and the greeting of config/app.json", status, body)
	}
}

// checkMigrate checks the migrate image: only that binary, which prints its
// stamped version.
func checkMigrate(t *testing.T, path string) {
	t.Helper()
	img := openImage(t, path, hostPlatform)
	if want := []string{"/usr/local/bin/migrate"}; !reflect.DeepEqual(img.Config.Config.Entrypoint, want) {
		t.Errorf("migrate entrypoint %q, want %q", img.Config.Config.Entrypoint, want)
	}
	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin/migrate"), runtime.GOARCH)
	if _, err := os.Stat(filepath.Join(root, "usr/local/bin/server")); err == nil {
		t.Errorf("the migrate image holds the server binary")
	}
	if stdout := runImage(t, img, imagetest.RunOpts{}); stdout != "migrate 1.2.3\n" {
		t.Errorf("migrate printed %q, want %q", stdout, "migrate 1.2.3\n")
	}
}

// Editing the README or docs reuses the compiled binaries; editing Go code
// does not.
func TestServiceDocsEditNoRecompile(t *testing.T) {
	dir := copyDir(t, example("service"))
	build := func() map[string]bool { return gatewayBuild(t, dir) }
	edit := func(file, text string) { appendTo(t, dir, file, text) }
	compile := "[server " + hostPlatform + "] go build ./cmd/server"
	cached := func(steps map[string]bool) bool {
		t.Helper()
		c, ok := steps[compile]
		if !ok {
			t.Fatalf("no step %q in %v", compile, steps)
		}
		return c
	}
	// A unique comment makes this copy's sources new to the daemon's cache.
	edit("cmd/server/main.go", fmt.Sprintf("\n// %s %d\n", t.Name(), time.Now().UnixNano()))
	if cached(build()) {
		t.Fatalf("first build reused %q", compile)
	}
	edit("README.md", "\nMore words.\n")
	edit("docs/operations.md", "\n- Another note.\n")
	if !cached(build()) {
		t.Errorf("editing README.md and docs/operations.md ran %q again", compile)
	}
	edit("cmd/server/main.go", "\n// an edit\n")
	if cached(build()) {
		t.Errorf("editing cmd/server/main.go did not recompile")
	}
}

// openImage opens the layout at path and returns its image for platform.
func openImage(t *testing.T, path, platform string) *imagetest.Image {
	t.Helper()
	l, err := imagetest.OpenLayout(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	img, err := l.Image(platform)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// start starts img and stops it when the test ends.
func start(t *testing.T, img *imagetest.Image, opts imagetest.RunOpts) *imagetest.Container {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	c, err := imagetest.Start(ctx, img, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stopping the container: %v", err)
		}
		cancel()
	})
	return c
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// waitGet GETs url until the container answers, for at most 20 seconds.
func waitGet(t *testing.T, c *imagetest.Container, url string) (int, []byte) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := httpClient.Get(url)
		if err == nil {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				return resp.StatusCode, body
			}
		}
		select {
		case <-c.Done():
			t.Fatalf("container exited before %s answered: %v\nstdout: %s\nstderr: %s", url, c.Wait(), c.Stdout(), c.Stderr())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within 20s: %v\nstderr: %s", url, err, c.Stderr())
		}
	}
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// sameFile reports an error unless the file got in the image has the
// contents of want, from the build context.
func sameFile(t *testing.T, want, got string) {
	t.Helper()
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := os.ReadFile(got)
	if err != nil {
		t.Errorf("in the image: %v", err)
		return
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs from %s:\n%s", got, want, g)
	}
}

// hasID reports whether a passwd or group file has an entry with the id.
func hasID(t *testing.T, file, id string) bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Error(err)
		return false
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Split(strings.TrimSpace(line), ":"); len(f) > 2 && f[2] == id {
			return true
		}
	}
	return false
}

// Builds with the same flags compile in one go build: one compile step for
// both, and each binary still lands under its own name, in the image and in
// the binaries target.
func TestSharedCompile(t *testing.T) {
	dir := copyDir(t, example("service"))
	yaml := "# syntax=" + frontendImage + `
builds:
  - id: server
    main: ./cmd/server
    ldflags: ["-X main.version={{.Version}}"]
  - id: migrate
    main: ./cmd/migrate
    binary: db-migrate
    ldflags: ["-X main.version={{.Version}}"]
images:
  - name: service
    builds: [server, migrate]
    entrypoint: ["/usr/local/bin/db-migrate"]
`
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	path, out := ociDest(t)
	log := mustRun(t, dir, "docker", "buildx", "build", "--progress=plain", "-f", "gobuild.yaml", "--build-arg", "VERSION=4.5.6", "-o", out, ".")
	step := "[server, migrate " + hostPlatform + "] go build ./cmd/server ./cmd/migrate"
	containsAll(t, "the build's log", log, step)
	for _, alone := range []string{"[server " + hostPlatform + "] go build", "[migrate " + hostPlatform + "] go build"} {
		if bytes.Contains(log, []byte(alone)) {
			t.Errorf("the log has a compile of its own %q", alone)
		}
	}
	img := openImage(t, path, hostPlatform)
	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{"server", "db-migrate"} {
		imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin", bin), runtime.GOARCH)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/local/bin/migrate")); err == nil {
		t.Errorf("the image holds /usr/local/bin/migrate, go build's name, besides db-migrate")
	}
	if stdout := runImage(t, img, imagetest.RunOpts{}); stdout != "migrate 4.5.6\n" {
		t.Errorf("db-migrate printed %q, want %q", stdout, "migrate 4.5.6\n")
	}

	bins := t.TempDir()
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--target", "binaries", "-o", "type=local,dest="+bins, ".")
	entries, err := os.ReadDir(bins)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// checksums.txt lists the binaries beside them (TestServiceBinaries
	// checks its content); no other file may appear.
	if strings.Join(names, " ") != "checksums.txt db-migrate server" {
		t.Errorf("the binaries target wrote %q, want checksums.txt, db-migrate and server", names)
	}
}
