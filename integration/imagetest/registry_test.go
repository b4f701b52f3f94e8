package imagetest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// serveLayout serves the blobs of a layout as repository "r" of a registry,
// with the index's one entry as tag "1". tamper, when set, changes what one
// blob's URL serves.
func serveLayout(t *testing.T, w *layoutWriter, top desc, tamper string) *Registry {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		p := strings.TrimPrefix(req.URL.Path, "/v2/r/")
		kind, ref, ok := strings.Cut(p, "/")
		if !ok || (kind != "manifests" && kind != "blobs") {
			http.NotFound(rw, req)
			return
		}
		d := ref
		if kind == "manifests" && ref == "1" {
			d = top.Digest
		}
		b, err := os.ReadFile(filepath.Join(w.dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")))
		if err != nil {
			http.NotFound(rw, req)
			return
		}
		if d == tamper {
			b = append(b, ' ')
		}
		rw.Header().Set("Docker-Content-Digest", d)
		if kind == "manifests" {
			rw.Header().Set("Content-Type", top.MediaType)
		}
		if req.Method == http.MethodGet {
			rw.Write(b)
		}
	}))
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://")}
}

// Pull copies an index with two images and an attestation manifest into a
// layout that OpenLayout reads back whole; a blob that does not match its
// digest fails the pull, naming it.
func TestRegistryPull(t *testing.T) {
	w := newLayout(t)
	var amd, arm ocispec.Image
	amd.Platform = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm.Platform = ocispec.Platform{OS: "linux", Architecture: "arm64"}
	layer := w.blob(ocispec.MediaTypeImageLayer, tarball(t, false, file("a", "x", 0o644)))
	m1, m2 := w.image(amd, layer), w.image(arm, layer)
	m1.Platform, m2.Platform = &amd.Platform, &arm.Platform
	stmt := w.blob("application/vnd.in-toto+json", mustJSON(t, map[string]any{"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://slsa.dev/provenance/v1"}))
	stmt.Annotations = map[string]string{"in-toto.io/predicate-type": "https://slsa.dev/provenance/v1"}
	att := w.image(ocispec.Image{}, stmt)
	att.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": m1.Digest}
	top := w.json(ocispec.MediaTypeImageIndex, map[string]any{"schemaVersion": 2, "mediaType": ocispec.MediaTypeImageIndex, "manifests": []desc{m1, m2, att}})

	reg := serveLayout(t, w, top, "")
	dir := t.TempDir()
	got, err := reg.Pull(context.Background(), "r", "1", dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Digest) != top.Digest {
		t.Errorf("Pull resolved %s, want %s", got.Digest, top.Digest)
	}
	l, err := OpenLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := l.Manifests()
	if err != nil || len(ms) != 2 || ms[0].Platform != "linux/amd64" || ms[1].Platform != "linux/arm64" {
		t.Fatalf("Manifests: %+v, %v", ms, err)
	}
	st, err := l.Attestations(ms[0].Descriptor)
	if err != nil || len(st) != 1 || st[0].PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("Attestations: %+v, %v", st, err)
	}
	img, err := l.Image("linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	if err := img.Unpack(t.TempDir()); err != nil {
		t.Errorf("Unpack: %v", err)
	}

	_, err = serveLayout(t, w, top, layer.Digest).Pull(context.Background(), "r", "1", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), layer.Digest) {
		t.Errorf("a tampered layer pulled: %v", err)
	}
	if _, err := reg.Pull(context.Background(), "r", "2", t.TempDir()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a missing tag: %v", err)
	}
}
