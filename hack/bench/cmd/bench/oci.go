package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// layout is an OCI image layout read from a directory or a tar.
type layout struct {
	files map[string][]byte // tar: every file; directory: read on demand
	dir   string
}

func openLayout(p string) (*layout, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return &layout{dir: p}, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l := &layout{files: map[string][]byte{}}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		l.files[path.Clean(h.Name)] = data
	}
	return l, nil
}

func (l *layout) read(name string) ([]byte, error) {
	if l.files != nil {
		b, ok := l.files[name]
		if !ok {
			return nil, fmt.Errorf("%s: not in the layout", name)
		}
		return b, nil
	}
	return os.ReadFile(filepath.Join(l.dir, filepath.FromSlash(name)))
}

func (l *layout) blob(digest string) ([]byte, error) {
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok {
		return nil, fmt.Errorf("bad digest %q", digest)
	}
	return l.read(path.Join("blobs", alg, hex))
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

func (p platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

type index struct {
	MediaType string       `json:"mediaType"`
	Manifests []descriptor `json:"manifests"`
}

type manifest struct {
	MediaType string       `json:"mediaType"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

// image is one platform's image manifest in a layout.
type image struct {
	platform string
	manifest manifest
}

// images lists every image manifest in the layout (through nested indexes),
// skipping attestation manifests.
func (l *layout) images() ([]image, error) {
	data, err := l.read("index.json")
	if err != nil {
		return nil, err
	}
	var idx index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	var out []image
	var walk func(ds []descriptor, depth int) error
	walk = func(ds []descriptor, depth int) error {
		if depth > 4 {
			return errors.New("indexes nested too deep")
		}
		for _, d := range ds {
			if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
				continue
			}
			data, err := l.blob(d.Digest)
			if err != nil {
				return err
			}
			switch {
			case strings.HasSuffix(d.MediaType, "image.index.v1+json") || strings.HasSuffix(d.MediaType, "manifest.list.v2+json"):
				var sub index
				if err := json.Unmarshal(data, &sub); err != nil {
					return err
				}
				if err := walk(sub.Manifests, depth+1); err != nil {
					return err
				}
			case strings.HasSuffix(d.MediaType, "image.manifest.v1+json") || strings.HasSuffix(d.MediaType, "manifest.v2+json"):
				var m manifest
				if err := json.Unmarshal(data, &m); err != nil {
					return err
				}
				p := d.Platform
				if p == nil || p.OS == "" {
					cfg, err := l.blob(m.Config.Digest)
					if err != nil {
						return err
					}
					var c platform
					if err := json.Unmarshal(cfg, &c); err != nil {
						return err
					}
					p = &c
				}
				if p.OS == "unknown" {
					continue
				}
				out = append(out, image{platform: p.String(), manifest: m})
			}
		}
		return nil
	}
	return out, walk(idx.Manifests, 0)
}

// imagePlatforms returns the platforms the layout has images for.
func imagePlatforms(p string) (map[string]bool, error) {
	l, err := openLayout(p)
	if err != nil {
		return nil, err
	}
	imgs, err := l.images()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, i := range imgs {
		out[strings.TrimSuffix(i.platform, "/v8")] = true
	}
	return out, nil
}

// imageSizes measures the images of one platform in a layout: compressed
// (each distinct layer blob and config, as stored and pushed), uncompressed
// (the layers' tar streams) and the Go binaries in the layers.
func imageSizes(p, plat string) (Size, error) {
	l, err := openLayout(p)
	if err != nil {
		return Size{}, err
	}
	imgs, err := l.images()
	if err != nil {
		return Size{}, err
	}
	s := Size{Platform: plat}
	seen := map[string]bool{}
	for _, img := range imgs {
		if img.platform != plat {
			continue
		}
		s.Images++
		if !seen[img.manifest.Config.Digest] {
			seen[img.manifest.Config.Digest] = true
			s.Compressed += img.manifest.Config.Size
		}
		for _, layer := range img.manifest.Layers {
			if seen[layer.Digest] {
				continue
			}
			seen[layer.Digest] = true
			s.Layers++
			s.Compressed += layer.Size
			n, bins, err := l.readLayer(layer)
			if err != nil {
				return Size{}, fmt.Errorf("layer %s: %w", layer.Digest, err)
			}
			s.Uncompressed += n
			for _, bin := range bins {
				s.Binaries = append(s.Binaries, bin)
				s.BinaryBytes += bin.Size
			}
		}
	}
	if s.Images == 0 {
		return Size{}, fmt.Errorf("no %s image in %s", plat, p)
	}
	sort.Slice(s.Binaries, func(i, j int) bool { return s.Binaries[i].Name < s.Binaries[j].Name })
	return s, nil
}

// readLayer returns the uncompressed size of a layer and the Go binaries in it.
func (l *layout) readLayer(d descriptor) (int64, []Binary, error) {
	data, err := l.blob(d.Digest)
	if err != nil {
		return 0, nil, err
	}
	var r io.Reader = bytes.NewReader(data)
	switch {
	case strings.HasSuffix(d.MediaType, "+gzip") || strings.HasSuffix(d.MediaType, ".gzip"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return 0, nil, err
		}
		defer zr.Close()
		r = zr
	case strings.HasSuffix(d.MediaType, "+zstd") || strings.HasSuffix(d.MediaType, ".zstd"):
		return 0, nil, fmt.Errorf("zstd layers are not supported (%s)", d.MediaType)
	}
	cr := &countingReader{r: r}
	tr := tar.NewReader(cr)
	var bins []Binary
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, err
		}
		if h.Typeflag != tar.TypeReg || h.Size < 4 {
			continue
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return 0, nil, err
		}
		if bin, ok := readBinary(path.Base(h.Name), body); ok {
			bins = append(bins, bin)
		}
	}
	// Read to the end: the tar stream's padding counts too.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return 0, nil, err
	}
	return cr.n, bins, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readBinary describes data if it is a Go ELF binary.
func readBinary(name string, data []byte) (Binary, bool) {
	if len(data) < 4 || string(data[:4]) != "\x7fELF" {
		return Binary{}, false
	}
	sum := sha256.Sum256(data)
	bin := Binary{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	if bi, err := buildinfo.Read(bytes.NewReader(data)); err == nil {
		bin.GoVersion = bi.GoVersion
		bin.Modules = len(bi.Deps)
		for _, d := range bi.Deps {
			bin.ModulePaths = append(bin.ModulePaths, d.Path)
		}
	}
	return bin, true
}
