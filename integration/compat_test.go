package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobuild/gobuild/frontend"
	"github.com/gobuild/gobuild/integration/imagetest"
)

// hack/compat's oldest supported BuildKit is the one the frontend's errors
// name.
func TestCompatOldestIsMinBuildKit(t *testing.T) {
	out := mustRun(t, repoRoot, filepath.Join(repoRoot, "hack/compat"), "oldest")
	if got := strings.TrimSpace(string(out)); got != frontend.MinBuildKit {
		t.Errorf("hack/compat oldest is %s, frontend.MinBuildKit %s", got, frontend.MinBuildKit)
	}
}

// The oldest supported BuildKit (frontend.MinBuildKit), a short subset of
// the matrix of docs/compat.md (hack/compat measures all of it): the hello
// image runs under runc, a two-platform build dates each image by the
// epoch (a multi-platform result gives the exporter one epoch for each
// platform, under keys BuildKit reads only since v0.29), and --call check
// through buildx reports a warning with its line. The daemon
// is built once by hack/compat build (a few minutes, then reused while its
// stamp matches) and runs on a socket and state directory of its own, with
// the test bed's buildkitd.toml.
func TestCompatOldestBuildKit(t *testing.T) {
	addr := startCompatDaemon(t, frontend.MinBuildKit)

	t.Run("hello", func(t *testing.T) {
		path, out := ociDest(t)
		mustRun(t, example("hello"), "buildctl", "--addr", addr, "build",
			"--frontend", "gateway.v0", "--opt", "source="+frontendImage,
			"--local", "context=.", "--local", "dockerfile=.", "--output", out)
		checkHello(t, path, hostPlatform)
	})

	t.Run("platforms", func(t *testing.T) {
		path, out := ociDest(t)
		mustRun(t, example("hello"), "buildctl", "--addr", addr, "build",
			"--frontend", "gateway.v0", "--opt", "source="+frontendImage,
			"--opt", "platform=linux/amd64,linux/arm64",
			"--local", "context=.", "--local", "dockerfile=.", "--output", out)
		l, err := imagetest.OpenLayout(path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		for _, p := range []string{"linux/amd64", "linux/arm64"} {
			img, err := l.Image(p)
			if err != nil {
				t.Fatal(err)
			}
			if c := img.Config.Created; c == nil || !c.Equal(time.Unix(0, 0)) {
				t.Errorf("the %s image is dated %v, want the epoch 1970-01-01", p, c)
			}
			root := t.TempDir()
			if err := img.Unpack(root); err != nil {
				t.Fatal(err)
			}
			_, arch, _ := strings.Cut(p, "/")
			imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin/hello"), arch)
		}
	})

	t.Run("check", func(t *testing.T) {
		dir := writeApp(t, "images:\n  - name: hello\n    user: \"0\"\n")
		builder := fmt.Sprintf("gobuild-compat-test-%d", os.Getpid())
		env := envWithout("BUILDX_BUILDER")
		runArgv(t, dir, env, nil, "docker", "buildx", "create", "--name", builder, "--driver", "remote", addr).
			mustSucceed(t, "docker buildx create --driver remote")
		t.Cleanup(func() { runArgv(t, dir, env, nil, "docker", "buildx", "rm", builder) })
		r := runArgv(t, dir, env, nil, "docker", "buildx", "--builder", builder, "build", "--call", "check", "-f", "gobuild.yaml", ".")
		if r.code == 0 {
			t.Errorf("--call check of a root user exited 0:\n%s", r.stdout)
		}
		containsAll(t, "--call check on BuildKit "+frontend.MinBuildKit, append(r.stdout, r.stderr...),
			"WARNING: RootUser", "gobuild.yaml:4:11: images[0].user: user 0 is root")
	})
}

// startCompatDaemon builds (or reuses) buildkitd of BuildKit version with
// hack/compat build and starts it with the test bed's configuration on a
// root and socket of its own, stopped when t ends; it returns the address.
func startCompatDaemon(t *testing.T, version string) string {
	t.Helper()
	start := time.Now()
	out, err := run(context.Background(), repoRoot, filepath.Join(repoRoot, "hack/compat"), "build", version)
	if err != nil {
		t.Fatalf("hack/compat build %s: %v\n%s", version, err, tail(out, 40))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	bin := lines[len(lines)-1]
	t.Logf("hack/compat build %s: %s (%s)", version, bin, time.Since(start).Round(time.Second))
	return newDaemonOf(t, bin).addr
}
