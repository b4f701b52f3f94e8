// Package imagetest helps integration tests inspect and run images that
// BuildKit exported as OCI image layouts: reading the layout, unpacking an
// image's layers, checking ELF binaries and running an image under runc.
package imagetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types of Docker's schema 2, which BuildKit writes with oci-mediatypes=false.
const (
	mediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// Layout is an OCI image layout directory.
type Layout struct {
	Dir   string // the layout directory (a temporary one for a tar)
	Index ocispec.Index
	tmp   bool
}

// ManifestInfo is one image manifest found in a layout.
type ManifestInfo struct {
	Platform   string // as formatted by platforms.Format, e.g. "linux/arm/v7"
	Descriptor ocispec.Descriptor
}

// Image is one platform's image of a layout.
type Image struct {
	Platform       string
	Descriptor     ocispec.Descriptor // the manifest's descriptor
	Manifest       ocispec.Manifest
	Config         ocispec.Image
	Layers         []ocispec.Descriptor
	CompressedSize int64 // config and layers, as stored
	layout         *Layout
}

// OpenLayout opens an OCI image layout. path is either a layout directory
// (type=oci,tar=false) or a tar of one (type=oci), which is extracted to a
// temporary directory that Close removes.
func OpenLayout(path string) (*Layout, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	l := &Layout{Dir: path}
	if !fi.IsDir() {
		if l.Dir, err = os.MkdirTemp("", "imagetest-layout-"); err != nil {
			return nil, err
		}
		l.tmp = true
		if err := extractLayoutTar(path, l.Dir); err != nil {
			l.Close()
			return nil, fmt.Errorf("extract %s: %w", path, err)
		}
	}
	if _, err := os.Stat(filepath.Join(l.Dir, ocispec.ImageLayoutFile)); err != nil {
		l.Close()
		return nil, fmt.Errorf("%s is not an OCI image layout: %w", path, err)
	}
	b, err := os.ReadFile(filepath.Join(l.Dir, ocispec.ImageIndexFile))
	if err == nil {
		err = json.Unmarshal(b, &l.Index)
	}
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("read index.json of %s: %w", path, err)
	}
	return l, nil
}

func extractLayoutTar(path, dest string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return err
	}
	_, err = applyTar(r, dest, false)
	return err
}

// Close removes the temporary directory of a layout opened from a tar.
func (l *Layout) Close() error {
	if l.tmp {
		return os.RemoveAll(l.Dir)
	}
	return nil
}

// Manifests lists the image manifests of the layout, one per platform for
// an index, and leaves out attestation manifests.
func (l *Layout) Manifests() ([]ManifestInfo, error) {
	var out []ManifestInfo
	seen := map[string]bool{}
	var walk func(descs []ocispec.Descriptor, depth int) error
	walk = func(descs []ocispec.Descriptor, depth int) error {
		if depth > 8 {
			return fmt.Errorf("indexes nested too deep")
		}
		for _, d := range descs {
			if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" || seen[string(d.Digest)] {
				continue
			}
			seen[string(d.Digest)] = true
			b, err := l.ReadBlob(d)
			if err != nil {
				return err
			}
			var m struct {
				MediaType string               `json:"mediaType"`
				Manifests []ocispec.Descriptor `json:"manifests"`
				Config    *ocispec.Descriptor  `json:"config"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				return fmt.Errorf("blob %s: %w", d.Digest, err)
			}
			mt := d.MediaType
			if mt == "" {
				mt = m.MediaType
			}
			switch {
			case mt == ocispec.MediaTypeImageIndex || mt == mediaTypeDockerManifestList || (mt == "" && m.Manifests != nil):
				if err := walk(m.Manifests, depth+1); err != nil {
					return err
				}
			case mt == ocispec.MediaTypeImageManifest || mt == mediaTypeDockerManifest || (mt == "" && m.Config != nil):
				p := d.Platform
				if p == nil && m.Config != nil {
					var cfg ocispec.Image
					if err := l.readJSON(*m.Config, &cfg); err != nil {
						return err
					}
					p = &cfg.Platform
				}
				if p == nil {
					p = &ocispec.Platform{OS: "unknown", Architecture: "unknown"}
				}
				out = append(out, ManifestInfo{Platform: platforms.Format(*p), Descriptor: d})
			}
		}
		return nil
	}
	if err := walk(l.Index.Manifests, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// Platforms are the platforms of the layout's image manifests, in the
// index's order.
func (l *Layout) Platforms() ([]string, error) {
	ms, err := l.Manifests()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Platform)
	}
	return out, nil
}

// Image returns the image for platform ("linux/arm64", "linux/arm/v7"...).
// An empty platform means the only image of the layout, or else the
// host's platform.
func (l *Layout) Image(platform string) (*Image, error) {
	ms, err := l.Manifests()
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no image manifest in %s", l.Dir)
	}
	var avail []string
	var found *ManifestInfo
	if platform == "" && len(ms) == 1 {
		found = &ms[0]
	} else {
		want := platforms.DefaultSpec()
		if platform != "" {
			if want, err = platforms.Parse(platform); err != nil {
				return nil, err
			}
		}
		match := platforms.NewMatcher(want)
		for i := range ms {
			avail = append(avail, ms[i].Platform)
			p, err := platforms.Parse(ms[i].Platform)
			if found == nil && err == nil && match.Match(p) {
				found = &ms[i]
			}
		}
		if found == nil {
			return nil, fmt.Errorf("no image for platform %s in %s (has %s)", platforms.Format(want), l.Dir, strings.Join(avail, ", "))
		}
	}
	img := &Image{Platform: found.Platform, Descriptor: found.Descriptor, layout: l}
	if err := l.readJSON(found.Descriptor, &img.Manifest); err != nil {
		return nil, err
	}
	if err := l.readJSON(img.Manifest.Config, &img.Config); err != nil {
		return nil, err
	}
	img.Layers = img.Manifest.Layers
	img.CompressedSize = img.Manifest.Config.Size
	for _, d := range img.Layers {
		img.CompressedSize += d.Size
	}
	return img, nil
}

// ImageIndex returns the image index of a multi-platform image: the index
// blob index.json points to, or index.json itself when it lists the
// platforms' manifests directly.
func (l *Layout) ImageIndex() (*ocispec.Index, error) {
	for _, d := range l.Index.Manifests {
		if d.MediaType == ocispec.MediaTypeImageIndex || d.MediaType == mediaTypeDockerManifestList {
			var idx ocispec.Index
			if err := l.readJSON(d, &idx); err != nil {
				return nil, err
			}
			return &idx, nil
		}
	}
	return &l.Index, nil
}
