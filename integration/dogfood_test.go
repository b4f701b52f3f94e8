package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gobuild/gobuild/frontend"
	"github.com/gobuild/gobuild/integration/imagetest"
)

// Dogfood: the frontend image built by gobuild itself, from gobuild.yaml at
// the repository's root, by hack/dogfood (the in-process gobuild build of
// this checkout, so no published frontend is needed), and pushed under a
// repository of its own. It is the image the Dockerfile makes (same
// binaries, labels, entrypoint and layout), it works as the frontend of
// examples/hello (syntax line) and examples/service (BUILDKIT_SYNTAX), and
// it gives the same hello image as the Dockerfile's frontend.
//
// The cost is one cold compile of the frontend's dependencies (gobuild's
// dependency layer: the Dockerfile's cache mount cannot be shared); the
// examples' steps are the ones the rest of the suite builds.
func TestDogfood(t *testing.T) {
	start := time.Now()
	fePath, feOut := ociDest(t)
	// The Dockerfile's frontend (TestMain's) is stamped frontendVersion:
	// with the same VERSION, gobuild.yaml must give the same binaries.
	r := runArgv(t, repoRoot, append(os.Environ(), "VERSION="+frontendVersion), nil,
		filepath.Join(repoRoot, "hack/dogfood"), "gobuild-test/dogfood:"+randomHex(t, 4),
		"--platform", hostPlatform, "--progress", "plain", "-o", feOut).mustSucceed(t, "hack/dogfood")
	ref := strings.TrimSpace(string(r.stdout))
	if !strings.HasPrefix(ref, os.Getenv("GOBUILD_REGISTRY")+"/gobuild-test/dogfood:") || !strings.Contains(ref, "@sha256:") {
		t.Fatalf("hack/dogfood printed %q, want the pushed reference with its digest", ref)
	}
	t.Logf("frontend built by gobuild and pushed in %.1fs: %s", time.Since(start).Seconds(), ref)

	t.Run("image", func(t *testing.T) {
		img := openImage(t, fePath, hostPlatform)
		c := img.Config.Config
		if want := []string{"/usr/local/bin/gobuild"}; !reflect.DeepEqual(c.Entrypoint, want) {
			t.Errorf("entrypoint %q, want %q", c.Entrypoint, want)
		}
		if c.User != "65532:65532" {
			t.Errorf("user %q, want 65532:65532", c.User)
		}
		for k, want := range map[string]string{
			"moby.buildkit.frontend.network.none": "true",
			"moby.buildkit.frontend.caps":         strings.Join(frontend.Caps, ","),
			"org.opencontainers.image.version":    frontendVersion,
		} {
			if got := c.Labels[k]; got != want {
				t.Errorf("label %s = %q, want %q", k, got, want)
			}
		}
		root := t.TempDir()
		if err := img.Unpack(root); err != nil {
			t.Fatal(err)
		}
		var files []string
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && p != root {
				rel, _ := filepath.Rel(root, p)
				files = append(files, rel)
			}
			return err
		})
		// certs: false: a frontend runs without network, so no CA bundle.
		if want := []string{"etc", "etc/group", "etc/passwd", "tmp", "usr", "usr/local", "usr/local/bin",
			"usr/local/bin/gobuild", "usr/local/bin/gocacheprog", "usr/local/bin/listfiles"}; !reflect.DeepEqual(files, want) {
			t.Errorf("the frontend image holds %q, want only %q", files, want)
		}
		// The Dockerfile's frontend, as TestMain pushed it: the same files
		// where the frontend looks for them (llb.ToolsPath).
		df := t.TempDir()
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"Dockerfile": "FROM " + frontendImage + "\n"})
		mustRun(t, dir, "buildctl", "build", "--frontend", "dockerfile.v0", "--local", "context=.", "--local", "dockerfile=.",
			"--output", "type=local,dest="+df)
		for _, bin := range []string{"gobuild", "gocacheprog", "listfiles"} {
			p := filepath.Join(root, "usr/local/bin", bin)
			if info := imagetest.AssertStatic(t, p, runtime.GOARCH); info.HasSymtab {
				t.Errorf("%s has a symbol table: not stripped", bin)
			}
			if got, want := fileSum(t, p), fileSum(t, filepath.Join(df, "usr/local/bin", bin)); got != want {
				t.Errorf("%s differs from the Dockerfile's (sha256 %s, the Dockerfile's %s)", bin, got, want)
			}
		}
		// It runs as its user, 65532, and knows the version it was stamped with.
		if got, want := runImage(t, img, imagetest.RunOpts{Args: []string{"/usr/local/bin/gobuild", "version"}}), "gobuild "+frontendVersion+"\n"; got != want {
			t.Errorf("gobuild version in the image printed %q, want %q", got, want)
		}
	})

	// examples/hello through the syntax line, with each frontend: the same
	// frontend code makes the same LLB, so the same image.
	t.Run("hello", func(t *testing.T) {
		dir := copyDir(t, example("hello"))
		file := filepath.Join(dir, "gobuild.yaml")
		yaml, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := bytes.Cut(yaml, []byte("\n"))
		build := func(syntax string) (string, []byte) {
			t.Helper()
			if err := os.WriteFile(file, append([]byte("# syntax="+syntax+"\n"), rest...), 0o644); err != nil {
				t.Fatal(err)
			}
			path, out := ociDest(t)
			log := mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--progress=rawjson", "--provenance=false",
				"--build-arg", "SOURCE_DATE_EPOCH=1700000000", "-o", out, ".")
			return path, log
		}
		dogfood, log := build(ref)
		if !bytes.Contains(log, []byte("docker-image://"+ref)) {
			t.Errorf("the build did not run the dogfooded frontend %s:\n%s", ref, tail(log, 20))
		}
		if _, ok := cachedSteps(t, log)["[internal] build listfiles"]; ok {
			t.Errorf("the list step's tool was compiled, not taken from the dogfooded frontend image")
		}
		checkHello(t, dogfood, hostPlatform)
		dockerfile, _ := build(frontendImage)
		if a, b := manifestDigest(t, dogfood), manifestDigest(t, dockerfile); a != b {
			t.Errorf("hello built by the dogfooded frontend is %s, by the Dockerfile's %s: want the same image", a, b)
		}
	})

	// examples/service, the frontend named by BUILDKIT_SYNTAX over the
	// file's syntax line, with TestService's arguments (so its steps are
	// the ones TestService builds).
	t.Run("service", func(t *testing.T) {
		dir := example("service")
		path, out := ociDest(t)
		log := mustRun(t, dir, append([]string{"docker", "buildx", "build", "-f", "gobuild.yaml", "--build-arg", "BUILDKIT_SYNTAX=" + ref,
			"--progress=plain", "-o", out}, append(serviceArgs, ".")...)...)
		if !bytes.Contains(log, []byte("docker-image://"+ref)) {
			t.Errorf("the build did not run the dogfooded frontend %s:\n%s", ref, tail(log, 20))
		}
		checkService(t, dir, path)
	})
	t.Logf("TestDogfood took %.1fs", time.Since(start).Seconds())
}

// fileSum is the hex SHA-256 of the file at p.
func fileSum(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// manifestDigest is the digest of the host platform's image manifest in
// the OCI layout at path.
func manifestDigest(t *testing.T, path string) string {
	t.Helper()
	l, err := imagetest.OpenLayout(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ms, err := l.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Platform == hostPlatform {
			return string(m.Descriptor.Digest)
		}
	}
	t.Fatalf("no %s image in %s: %v", hostPlatform, path, ms)
	return ""
}
