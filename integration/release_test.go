package integration

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// releaseVersion is what TestRelease publishes: a version no test stamps
// elsewhere, so the binaries and labels it finds can only come from the
// release.
const releaseVersion = "v1.2.3"

// A release, rehearsed: hack/release --dry-run pushes the frontend, built by
// gobuild itself through bake, to a repository of the test bed's registry
// under the tags of a vX.Y.Z release, with an SBOM, provenance and a cosign
// signature, the way .github/workflows/release.yml does on a tag. The
// pushed index holds both platforms, each stamped with the version and
// dated by the commit, with its attestations; the signature verifies with
// the run's public key and not with another; and examples/hello builds
// through "# syntax=<registry>/<repo>:1", the frontend writing an SBOM
// whose creator is that release.
func TestRelease(t *testing.T) {
	reg := &imagetest.Registry{Host: os.Getenv("GOBUILD_REGISTRY")}
	repo := "gobuild-test/release-" + randomHex(t, 4)
	image := reg.Host + "/" + repo
	out := t.TempDir()
	start := time.Now()
	// Cold, it builds cosign and the frontend's dependencies for arm64.
	r := runArgvFor(t, 25*time.Minute, repoRoot, append(os.Environ(), "IMAGE="+image), nil,
		filepath.Join(repoRoot, "hack/release"), "--dry-run", "--out", out, releaseVersion).mustSucceed(t, "hack/release --dry-run")
	t.Logf("hack/release --dry-run %s in %.1fs", releaseVersion, time.Since(start).Seconds())
	digest := readTrimmed(t, filepath.Join(out, "digest"))
	if got, want := strings.TrimSpace(string(r.stdout)), image+"@"+digest; got != want {
		t.Errorf("hack/release printed %q, want %q", got, want)
	}

	// The tags of a release, each the same index.
	var wantTags []string
	for _, tag := range []string{"1.2.3", "1.2", "1", "latest"} {
		wantTags = append(wantTags, image+":"+tag)
		d, err := reg.Resolve(context.Background(), repo, tag)
		if err != nil {
			t.Errorf("tag %s: %v", tag, err)
		} else if string(d.Digest) != digest {
			t.Errorf("tag %s is %s, want the release's index %s", tag, d.Digest, digest)
		}
	}
	if got := strings.Fields(readTrimmed(t, filepath.Join(out, "tags"))); !slices.Equal(got, wantTags) {
		t.Errorf("hack/release pushed %q, want %q", got, wantTags)
	}

	t.Run("index", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := reg.Pull(context.Background(), repo, "1", dir); err != nil {
			t.Fatal(err)
		}
		l, err := imagetest.OpenLayout(dir)
		if err != nil {
			t.Fatal(err)
		}
		plats, err := l.Platforms()
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(plats, want) {
			t.Fatalf("the index holds %v, want %v", plats, want)
		}
		epoch := gitCommitTime(t)
		for _, p := range plats {
			img, err := l.Image(p)
			if err != nil {
				t.Fatal(err)
			}
			if v := img.Config.Config.Labels["org.opencontainers.image.version"]; v != releaseVersion {
				t.Errorf("%s: label org.opencontainers.image.version = %q, want %s", p, v, releaseVersion)
			}
			if img.Config.Created == nil || !img.Config.Created.Equal(epoch) {
				t.Errorf("%s: created %v, want the commit's time %v (SOURCE_DATE_EPOCH)", p, img.Config.Created, epoch)
			}
			checkReleaseAttestations(t, l, img)
			if p == hostPlatform {
				got := runImage(t, img, imagetest.RunOpts{Args: []string{"/usr/local/bin/gobuild", "version"}})
				if want := "gobuild " + releaseVersion + "\n"; got != want {
					t.Errorf("gobuild version printed %q, want %q", got, want)
				}
			}
		}
	})

	t.Run("signature", func(t *testing.T) {
		cosign := filepath.Join(os.Getenv("GOBUILD_TESTBED_DIR"), "bin", "cosign")
		verify := func(key string) ([]byte, error) {
			return exec.Command(cosign, "verify", "--key", key, "--insecure-ignore-tlog=true",
				"--allow-http-registry", "--allow-insecure-registry", image+"@"+digest).CombinedOutput()
		}
		if b, err := verify(filepath.Join(out, "cosign.pub")); err != nil {
			t.Errorf("cosign verify with the release's key: %v\n%s", err, b)
		}
		other := t.TempDir()
		gen := exec.Command(cosign, "generate-key-pair")
		gen.Dir, gen.Env = other, append(os.Environ(), "COSIGN_PASSWORD=")
		if b, err := gen.CombinedOutput(); err != nil {
			t.Fatalf("cosign generate-key-pair: %v\n%s", err, b)
		}
		if b, err := verify(filepath.Join(other, "cosign.pub")); err == nil {
			t.Errorf("the signature verified with a key that did not sign it:\n%s", b)
		}
	})

	t.Run("syntax", func(t *testing.T) {
		dir := copyDir(t, example("hello"))
		setSyntax(t, dir, image+":1")
		path, dest := ociDest(t)
		mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--sbom=true", "-o", dest, ".")
		checkHello(t, path, hostPlatform)
		l, err := imagetest.OpenLayout(path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		img := openImage(t, path, hostPlatform)
		doc := sbomOf(t, l, img)
		if !slices.Contains(doc.CreationInfo.Creators, "Tool: gobuild-"+releaseVersion) {
			t.Errorf("hello's SBOM was not written by the release (creators %v)", doc.CreationInfo.Creators)
		}
	})
}

// The tags hack/release gives each kind of version, given the releases
// already tagged in git: X.Y, X and latest move only for the highest.
func TestReleaseTags(t *testing.T) {
	gitDir := filepath.Join(t.TempDir(), "repo.git")
	mustRun(t, repoRoot, "git", "clone", "-q", "--bare", repoRoot, gitDir)
	for _, tag := range []string{"v1.3.0", "v2.0.0-rc.1"} {
		mustRun(t, repoRoot, "git", "--git-dir", gitDir, "tag", tag, "HEAD")
	}
	for _, c := range []struct{ version, want string }{
		{"v1.2.4", "1.2.4 1.2"},
		{"v1.3.1", "1.3.1 1.3 1 latest"},
		{"v2.0.0", "2.0.0 2.0 2 latest"},
		{"v2.1.0-rc.1", "2.1.0-rc.1"},
		{"labs", "labs"},
	} {
		r := runArgv(t, repoRoot, append(os.Environ(), "GIT_DIR="+gitDir, "IMAGE=example.com/gobuild"), nil,
			filepath.Join(repoRoot, "hack/release"), "--print-tags", "--dry-run", c.version).mustSucceed(t, "hack/release --print-tags "+c.version)
		var want []string
		for _, tag := range strings.Fields(c.want) {
			want = append(want, "example.com/gobuild:"+tag)
		}
		if got := strings.Fields(string(r.stdout)); !slices.Equal(got, want) {
			t.Errorf("%s: tags %q, want %q", c.version, got, want)
		}
	}
	r := runArgv(t, repoRoot, nil, nil, filepath.Join(repoRoot, "hack/release"), "--print-tags", "1.2")
	if r.code == 0 || !strings.Contains(string(r.stderr), "not a release: 1.2") {
		t.Errorf("hack/release 1.2: exit %d, stderr %s", r.code, r.stderr)
	}
}

// checkReleaseAttestations: the image's SPDX document, written by the
// release's frontend, lists the modules of both binaries; its provenance is
// SLSA v1 with the build's LLB (mode=max).
func checkReleaseAttestations(t *testing.T, l *imagetest.Layout, img *imagetest.Image) {
	t.Helper()
	doc := sbomOf(t, l, img)
	if !slices.Contains(doc.CreationInfo.Creators, "Tool: gobuild-"+releaseVersion) {
		t.Errorf("%s: SBOM creators %v, want gobuild-%s", img.Platform, doc.CreationInfo.Creators, releaseVersion)
	}
	var files []string
	for _, f := range doc.Files {
		files = append(files, f.Name)
	}
	slices.Sort(files)
	if want := []string{"/usr/local/bin/gobuild", "/usr/local/bin/gocacheprog", "/usr/local/bin/listfiles"}; !slices.Equal(files, want) {
		t.Errorf("%s: SBOM files %v, want %v", img.Platform, files, want)
	}
	pkgs := map[string]bool{}
	for _, p := range doc.Packages {
		pkgs[p.Name] = true
	}
	for _, want := range []string{"github.com/moby/buildkit", "gopkg.in/yaml.v3", "stdlib"} {
		if !pkgs[want] {
			t.Errorf("%s: the SBOM lacks %s", img.Platform, want)
		}
	}
	stmts, err := l.Attestations(img.Descriptor)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if s.PredicateType != "https://slsa.dev/provenance/v1" {
			continue
		}
		var p struct {
			Predicate struct {
				BuildDefinition struct {
					InternalParameters struct {
						BuildConfig struct {
							Definition []json.RawMessage `json:"llbDefinition"`
						} `json:"buildConfig"`
					} `json:"internalParameters"`
				} `json:"buildDefinition"`
			} `json:"predicate"`
		}
		if err := json.Unmarshal(s.Raw, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Predicate.BuildDefinition.InternalParameters.BuildConfig.Definition) == 0 {
			t.Errorf("%s: the provenance holds no LLB: not mode=max", img.Platform)
		}
		return
	}
	t.Errorf("%s: no SLSA v1 provenance among %d attestations", img.Platform, len(stmts))
}

// sbomOf is the SPDX document attached to img.
func sbomOf(t *testing.T, l *imagetest.Layout, img *imagetest.Image) spdxDoc {
	t.Helper()
	stmts, err := l.Attestations(img.Descriptor)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if s.PredicateType == "https://spdx.dev/Document" {
			var doc spdxDoc
			if err := json.Unmarshal(s.Predicate, &doc); err != nil {
				t.Fatalf("%s: SPDX: %v", img.Platform, err)
			}
			return doc
		}
	}
	t.Fatalf("%s: no SPDX document among %d attestations", img.Platform, len(stmts))
	return spdxDoc{}
}

// gitCommitTime is HEAD's commit time, the SOURCE_DATE_EPOCH hack/release
// builds with.
func gitCommitTime(t *testing.T) time.Time {
	t.Helper()
	sec, err := strconv.ParseInt(strings.TrimSpace(string(mustRun(t, repoRoot, "git", "log", "-1", "--format=%ct", "HEAD"))), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(sec, 0)
}

func readTrimmed(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
