package imagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// manifestAccept is what a manifest request accepts: indexes and image
// manifests, OCI and Docker's.
var manifestAccept = strings.Join([]string{
	ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageManifest,
	mediaTypeDockerManifestList, mediaTypeDockerManifest,
}, ", ")

// Registry reads images from a registry that speaks plain HTTP (the test
// bed's), with no authentication.
type Registry struct {
	Host   string // host:port
	Client *http.Client
}

// Resolve returns the descriptor the registry serves for repo:tag (or
// repo@digest): its digest, media type and size.
func (r *Registry) Resolve(ctx context.Context, repo, ref string) (ocispec.Descriptor, error) {
	resp, err := r.get(ctx, http.MethodHead, repo, "manifests", ref)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	resp.Body.Close()
	d, err := digest.Parse(resp.Header.Get("Docker-Content-Digest"))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s/%s:%s: the registry gives no digest: %w", r.Host, repo, ref, err)
	}
	return ocispec.Descriptor{MediaType: resp.Header.Get("Content-Type"), Digest: d, Size: resp.ContentLength}, nil
}

// Pull copies repo:ref (or repo@digest) into an OCI image layout at dir:
// the index or manifest, every manifest an index lists (attestation
// manifests included), their configs and layers. Each blob is checked
// against its digest. dir's index.json lists the one top descriptor.
func (r *Registry) Pull(ctx context.Context, repo, ref, dir string) (ocispec.Descriptor, error) {
	top, err := r.Resolve(ctx, repo, ref)
	if err != nil {
		return top, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return top, err
	}
	b, err := r.copyManifest(ctx, repo, top, dir, 0)
	if err != nil {
		return top, err
	}
	// The size a HEAD gave may be missing; the bytes are the truth.
	top.Size = int64(len(b))
	var mt struct {
		MediaType string `json:"mediaType"`
	}
	if json.Unmarshal(b, &mt) == nil && mt.MediaType != "" {
		top.MediaType = mt.MediaType
	}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{top}}
	idx.SchemaVersion = 2
	if b, err = json.Marshal(idx); err != nil {
		return top, err
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return top, err
	}
	return top, os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644)
}

// copyManifest copies the manifest or index d and what it refers to, and
// returns its bytes.
func (r *Registry) copyManifest(ctx context.Context, repo string, d ocispec.Descriptor, dir string, depth int) ([]byte, error) {
	if depth > 4 {
		return nil, fmt.Errorf("%s: indexes nested too deep", d.Digest)
	}
	b, err := r.copy(ctx, repo, "manifests", d.Digest, dir)
	if err != nil {
		return nil, err
	}
	var m struct {
		Manifests []ocispec.Descriptor `json:"manifests"`
		Config    *ocispec.Descriptor  `json:"config"`
		Layers    []ocispec.Descriptor `json:"layers"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	for _, c := range m.Manifests {
		if _, err := r.copyManifest(ctx, repo, c, dir, depth+1); err != nil {
			return nil, err
		}
	}
	blobs := m.Layers
	if m.Config != nil {
		blobs = append([]ocispec.Descriptor{*m.Config}, blobs...)
	}
	for _, l := range blobs {
		if _, err := r.copy(ctx, repo, "blobs", l.Digest, dir); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// copy fetches one manifest or blob by digest into dir's blobs and returns
// its bytes.
func (r *Registry) copy(ctx context.Context, repo, kind string, d digest.Digest, dir string) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	resp, err := r.get(ctx, http.MethodGet, repo, kind, d.String())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, d, err)
	}
	if got := d.Algorithm().FromBytes(b); got != d {
		return nil, fmt.Errorf("%s %s: the registry served content of digest %s", kind, d, got)
	}
	return b, os.WriteFile(filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded()), b, 0o644)
}

func (r *Registry) get(ctx context.Context, method, repo, kind, ref string) (*http.Response, error) {
	url := fmt.Sprintf("http://%s/v2/%s/%s/%s", r.Host, repo, kind, ref)
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	if kind == "manifests" {
		req.Header.Set("Accept", manifestAccept)
	}
	c := r.Client
	if c == nil {
		c = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	return resp, nil
}
