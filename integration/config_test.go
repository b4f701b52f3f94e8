package integration

import (
	"bytes"
	"context"
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

// examples/workspace: the module is in api/ of a go.work workspace and
// imports its other module; the image is based on distroless, whose config
// (env, label, layers) is kept, and it carries the file's annotations on
// each platform's manifest and on the index.
func TestWorkspaceOnDistroless(t *testing.T) {
	path, out := ociDest(t)
	mustRun(t, example("workspace"), "docker", "buildx", "build", "-f", "gobuild.yaml",
		"--platform", "linux/amd64,linux/arm64", "--build-arg", "VERSION=2.0.0", "-o", out, ".")
	l, err := imagetest.OpenLayout(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	wantAnn := map[string]string{"org.opencontainers.image.title": "api", "org.opencontainers.image.version": "2.0.0"}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		img, err := l.Image(p)
		if err != nil {
			t.Fatal(err)
		}
		c := img.Config.Config
		for k, v := range wantAnn {
			if img.Manifest.Annotations[k] != v {
				t.Errorf("%s: manifest annotation %s=%q, want %q (all: %v)", p, k, img.Manifest.Annotations[k], v, img.Manifest.Annotations)
			}
		}
		if !slices.Contains(c.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") {
			t.Errorf("%s: the base's env is lost: %q", p, c.Env)
		}
		if c.Labels["dev.gobuild.testbed.image"] != "distroless-static" {
			t.Errorf("%s: the base's label is lost: %v", p, c.Labels)
		}
		if c.User != "65532:65532" || !reflect.DeepEqual(c.Entrypoint, []string{"/usr/local/bin/api"}) {
			t.Errorf("%s: user %q entrypoint %q", p, c.User, c.Entrypoint)
		}
		var layerEntries int
		for _, h := range img.Config.History {
			if !h.EmptyLayer {
				layerEntries++
			}
		}
		if n := len(img.Config.History); len(img.Layers) < 2 || layerEntries != len(img.Layers) || n == 0 || img.Config.History[n-1].Comment != "gobuild" {
			t.Errorf("%s: %d layers, %d history entries for layers (%+v): the base's layers and history should come first, then one entry gobuild writes for each layer it adds", p, len(img.Layers), layerEntries, img.Config.History)
		}
		root := t.TempDir()
		if err := img.Unpack(root); err != nil {
			t.Fatal(err)
		}
		arch := strings.TrimPrefix(p, "linux/")
		imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin/api"), arch)
		for _, f := range []string{"etc/passwd", "usr/share/zoneinfo/Europe/Paris", "etc/ssl/certs/ca-certificates.crt"} {
			if _, err := os.Stat(filepath.Join(root, f)); err != nil {
				t.Errorf("%s: the base's /%s is missing: %v", p, f, err)
			}
		}
		if dt, _ := os.ReadFile(filepath.Join(root, "etc/passwd")); !bytes.Contains(dt, []byte("nobody:")) {
			t.Errorf("%s: /etc/passwd is not the base's: %q", p, dt)
		}
		if arch != runtime.GOARCH {
			continue
		}
		imagetest.RequireRunc(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		stdout, stderr, err := imagetest.Run(ctx, img, imagetest.RunOpts{})
		cancel()
		if want := "api: hello from lib; Europe/Paris is UTC+02:00; uid 65532\n"; err != nil || string(stdout) != want {
			t.Errorf("%s: the image printed %q (%v, %s), want %q", p, stdout, err, stderr, want)
		}
	}
	idx, err := l.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range wantAnn {
		if idx.Annotations[k] != v {
			t.Errorf("index annotation %s=%q, want %q (index: %v)", k, idx.Annotations[k], v, idx.Annotations)
		}
	}
}

// A vendored module builds with no module proxy at all, and no download step
// runs: vendor/ is used when it is there.
func TestVendored(t *testing.T) {
	dir := copyDir(t, example("ginserver"))
	vendor := exec.Command("go", "mod", "vendor")
	vendor.Dir = dir
	vendor.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := vendor.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	// A unique comment makes this copy new to the daemon's cache.
	appendTo(t, dir, "main.go", fmt.Sprintf("\n// %s %d\n", t.Name(), time.Now().UnixNano()))
	out := mustRun(t, dir, "buildctl", "--debug=false", "build", "--progress=rawjson",
		"--frontend", "gateway.v0", "--opt", "source="+frontendImage,
		"--opt", "build-arg:GOPROXY=off", "--opt", "build-arg:GOFLAGS=-mod=vendor",
		"--local", "context=.", "--local", "dockerfile=.",
		"--output", "type=local,dest="+filepath.Join(dir, "out"), "--opt", "target=binaries")
	steps := cachedSteps(t, out)
	if _, ok := steps["go mod download"]; ok {
		t.Errorf("a vendored module ran go mod download: %v", steps)
	}
	if _, ok := steps["[ginserver "+hostPlatform+"] go build ."]; !ok {
		t.Errorf("no compile step in %v", steps)
	}
	imagetest.AssertStatic(t, filepath.Join(dir, "out", "ginserver"), runtime.GOARCH)
}

// .dockerignore keeps files out of the build context, and
// gobuild.yaml.dockerignore, when present, is used instead of it.
func TestDockerignore(t *testing.T) {
	dir := copyDir(t, example("service"))
	for name, body := range map[string]string{
		"config/a.env":              "A=1\n",
		"config/b.env":              "B=1\n",
		".dockerignore":             "config/a.env\n",
		"gobuild.yaml.dockerignore": "config/b.env\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	configFiles := func() []string {
		t.Helper()
		_, root := buildAndUnpack(t, dir)
		entries, err := os.ReadDir(filepath.Join(root, "app/config"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	got := configFiles()
	if !slices.Contains(got, "a.env") || slices.Contains(got, "b.env") {
		t.Errorf("with gobuild.yaml.dockerignore (ignores b.env): /app/config holds %v", got)
	}
	if err := os.Remove(filepath.Join(dir, "gobuild.yaml.dockerignore")); err != nil {
		t.Fatal(err)
	}
	got = configFiles()
	if slices.Contains(got, "a.env") || !slices.Contains(got, "b.env") {
		t.Errorf("with .dockerignore only (ignores a.env): /app/config holds %v", got)
	}
}

// tzdata: true puts the time zone database in a scratch image.
func TestTzdata(t *testing.T) {
	dir := copyDir(t, example("hello"))
	yaml := "# syntax=ghcr.io/gobuild/gobuild:1\nimages:\n  - tzdata: true\n"
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, root := buildAndUnpack(t, dir)
	dt, err := os.ReadFile(filepath.Join(root, "usr/share/zoneinfo/Europe/Paris"))
	if err != nil || !bytes.HasPrefix(dt, []byte("TZif")) {
		t.Errorf("/usr/share/zoneinfo/Europe/Paris is not a zoneinfo file: %v", err)
	}
}

// GOPROXY from a build arg, and from go.env in the file, reaches the module
// download: with GOPROXY=off and an empty module cache, it fails saying so.
func TestGoProxyFromArgAndFile(t *testing.T) {
	for _, tc := range []struct{ name, yaml string }{
		{"build arg", ""},
		{"go.env", "go:\n  env:\n    GOPROXY: \"off\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, example("ginserver"))
			if tc.yaml != "" {
				if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte("# syntax=ghcr.io/gobuild/gobuild:1\n"+tc.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A cache namespace of its own gives an empty module cache.
			ns := fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
			args := []string{"buildctl", "--debug=false", "build", "--progress=plain",
				"--frontend", "gateway.v0", "--opt", "source=" + frontendImage,
				"--opt", "build-arg:BUILDKIT_CACHE_MOUNT_NS=" + ns,
				"--local", "context=.", "--local", "dockerfile=."}
			if tc.yaml == "" {
				args = append(args, "--opt", "build-arg:GOPROXY=off")
			}
			out, err := run(context.Background(), dir, args...)
			if err == nil {
				t.Fatalf("the build succeeded with GOPROXY=off and an empty module cache:\n%s", tail(out, 20))
			}
			if !strings.Contains(string(out), "module lookup disabled by GOPROXY=off") {
				t.Errorf("the failure does not come from GOPROXY=off:\n%s", tail(out, 30))
			}
		})
	}
}

// A base image that cannot be resolved fails naming the field and its line.
func TestMissingBaseNamesLine(t *testing.T) {
	buildFails(t, "images:\n  - base: gcr.io/gobuild-test/no-such-image:1\n",
		"gobuild.yaml:3:11: images[0].base: base image gcr.io/gobuild-test/no-such-image:1:",
		"  - base: gcr.io/gobuild-test/no-such-image:1", // BuildKit's source snippet
	)
}

// buildAndUnpack builds dir's gobuild.yaml with buildx into an OCI layout and
// unpacks the host platform's image: it returns the image and its root.
func buildAndUnpack(t *testing.T, dir string) (*imagetest.Image, string) {
	t.Helper()
	path, out := ociDest(t)
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "-o", out, ".")
	img := openImage(t, path, hostPlatform)
	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	return img, root
}
