package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The bake recipe of docs/ci.md, docs/ci/docker-bake.hcl, copied to a
// module's root as a user would: "app" builds gobuild.yaml for two
// platforms with the frontend its syntax line names, and "app-next" builds
// the frontend from source in the same bake run (this checkout, for the
// recipe's Git URL) and builds the image with it (the target: trick).
func TestCIRecipeBake(t *testing.T) {
	dir := copyDir(t, example("hello"))
	hcl, err := os.ReadFile(filepath.Join(repoRoot, "docs", "ci", "docker-bake.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "docker-bake.hcl"), hcl, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"app", "app-next"} {
		t.Run(target, func(t *testing.T) {
			path, out := ociDest(t)
			log := mustRun(t, dir, "docker", "buildx", "bake", "--progress=plain",
				"--allow=fs.read="+repoRoot, "--allow=fs.write="+filepath.Dir(path),
				"--set", "gobuild.context="+repoRoot, "--set", target+".output="+out, target)
			for _, p := range []string{"linux/amd64", "linux/arm64"} {
				checkHello(t, path, p)
			}
			// app's frontend is the image of its syntax line; app-next's is
			// the gobuild target, built from the Dockerfile, and the syntax
			// line's image is never resolved.
			next := target == "app-next"
			built := bytes.Contains(log, []byte("[gobuild internal] load build definition from Dockerfile"))
			resolved := bytes.Contains(log, []byte("resolve image config for docker-image://"+frontendImage))
			if built != next || resolved == next {
				t.Errorf("bake %s: built the gobuild target %v (want %v), resolved %s %v (want %v)\n%s",
					target, built, next, frontendImage, resolved, !next, tail(log, 40))
			}
		})
	}
}

// A syntax line pinned by digest, as docs/ci.md recommends, builds with the
// image of that digest; a digest the registry lacks fails before any step
// runs, naming the reference.
func TestCIRecipeSyntaxDigest(t *testing.T) {
	digest := frontendDigest(t)
	dir := copyDir(t, example("hello"))
	setSyntax(t, dir, frontendImage+"@"+digest)
	path, out := ociDest(t)
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "-o", out, ".")
	checkHello(t, path, hostPlatform)

	missing := "sha256:" + strings.Repeat("0", 64)
	setSyntax(t, dir, frontendImage+"@"+missing)
	_, out = ociDest(t)
	log, err := run(context.Background(), dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "-o", out, ".")
	if err == nil {
		t.Fatalf("a syntax line pinned to a missing digest built:\n%s", tail(log, 20))
	}
	if want := frontendImage + "@" + missing; !bytes.Contains(log, []byte(want)) || !bytes.Contains(log, []byte("not found")) {
		t.Errorf("the error does not say %s is not found:\n%s", want, tail(log, 20))
	}
	if regexp.MustCompile(`\] go (mod download|build)`).Match(log) {
		t.Errorf("a step ran before the frontend was resolved:\n%s", tail(log, 40))
	}
}

// frontendDigest is the digest of the frontend image TestMain pushed, read
// from the test bed's registry as `docker buildx imagetools inspect` would.
func frontendDigest(t *testing.T) string {
	t.Helper()
	url := fmt.Sprintf("http://%s/v2/gobuild/gobuild/manifests/1", os.Getenv("GOBUILD_REGISTRY"))
	req, err := http.NewRequest(http.MethodHead, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", strings.Join([]string{
		"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
	}, ", "))
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	digest := resp.Header.Get("Docker-Content-Digest")
	if resp.StatusCode != http.StatusOK || !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(digest) {
		t.Fatalf("HEAD %s: %s, digest %q", url, resp.Status, digest)
	}
	return digest
}
