// Package imagetest helps integration tests inspect and run images that
// BuildKit exported as OCI image layouts: reading the layout, unpacking an
// image's layers, checking ELF binaries and running an image under runc.
package imagetest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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

// blobPath returns the file of a blob.
func (l *Layout) blobPath(d ocispec.Descriptor) (string, error) {
	alg, enc := d.Digest.Algorithm().String(), d.Digest.Encoded()
	if newHash(alg) == nil || enc == "" || strings.ContainsAny(enc, `/\.`) {
		return "", fmt.Errorf("unsupported digest %q", d.Digest)
	}
	return filepath.Join(l.Dir, ocispec.ImageBlobsDir, alg, enc), nil
}

func newHash(alg string) hash.Hash {
	switch alg {
	case "sha256":
		return sha256.New()
	case "sha512":
		return sha512.New()
	}
	return nil
}

// ReadBlob reads a blob and checks its size and digest.
func (l *Layout) ReadBlob(d ocispec.Descriptor) ([]byte, error) {
	p, err := l.blobPath(d)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	h := newHash(d.Digest.Algorithm().String())
	h.Write(b)
	if err := verify(d, h, int64(len(b))); err != nil {
		return nil, err
	}
	return b, nil
}

func verify(d ocispec.Descriptor, h hash.Hash, n int64) error {
	if got := fmt.Sprintf("%x", h.Sum(nil)); got != d.Digest.Encoded() {
		return fmt.Errorf("blob %s: content has digest %s:%s", d.Digest, d.Digest.Algorithm(), got)
	}
	if d.Size != n {
		return fmt.Errorf("blob %s: size %d, descriptor says %d", d.Digest, n, d.Size)
	}
	return nil
}

func (l *Layout) readJSON(d ocispec.Descriptor, v any) error {
	b, err := l.ReadBlob(d)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return nil
}

// Unpack applies the image's layers in order to dest, which is created if
// needed. Layers may be uncompressed or gzip-compressed tars; OCI whiteouts
// are applied. Modes, ownership (when running as root), symlinks and hard
// links are kept; mtimes, xattrs and file capabilities are not.
func (img *Image) Unpack(dest string) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	for i, d := range img.Layers {
		if err := img.unpackLayer(d, dest); err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, d.Digest, err)
		}
	}
	return nil
}

func (img *Image) unpackLayer(d ocispec.Descriptor, dest string) error {
	p, err := img.layout.blobPath(d)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	h := newHash(d.Digest.Algorithm().String())
	cr := &countingReader{r: io.TeeReader(f, h)}
	r, err := decompress(cr)
	if err != nil {
		return err
	}
	opaque, err := applyTar(r, dest, true)
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return err
	}
	if err := verify(d, h, cr.n); err != nil {
		return err
	}
	// Opaque directories keep only what this layer put in them.
	for dir, seen := range opaque {
		if err := removeUnseen(dir, seen); err != nil {
			return err
		}
	}
	return nil
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

// decompress recognises gzip by its magic bytes and takes anything else
// but zstd for an uncompressed tar.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, fmt.Errorf("zstd-compressed layers are not supported (use gzip or uncompressed)")
	}
	return br, nil
}

func removeUnseen(dir string, seen map[string]bool) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if !seen[p] {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		} else if e.IsDir() {
			if err := removeUnseen(p, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// cleanName turns a tar entry name into a clean relative path and refuses
// one that climbs out of the root.
func cleanName(name string) (string, error) {
	n := filepath.Clean("./" + strings.TrimLeft(name, "/"))
	if n == ".." || strings.HasPrefix(n, "../") {
		return "", fmt.Errorf("path %q escapes the destination", name)
	}
	return n, nil
}

// resolveInRoot resolves rel inside root as if root were "/": symlinks met
// on the way, absolute or relative, cannot lead out of root.
func resolveInRoot(root, rel string) (string, error) {
	resolved := "/"
	parts := strings.Split(rel, "/")
	for links := 0; len(parts) > 0; {
		c := parts[0]
		parts = parts[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, c)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			if err != nil && !os.IsNotExist(err) {
				return "", err
			}
			resolved = next
			continue
		}
		if links++; links > 255 {
			return "", fmt.Errorf("too many symlinks resolving %q", rel)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		parts = append(strings.Split(target, "/"), parts...)
	}
	return filepath.Join(root, resolved), nil
}

// applyTar extracts a tar into dest. With whiteouts it applies OCI
// whiteout files and returns, for each opaque directory, the paths this
// tar wrote (a path's parents count as written).
func applyTar(r io.Reader, dest string, whiteouts bool) (map[string]map[string]bool, error) {
	root := os.Geteuid() == 0
	written := map[string]bool{}
	opaque := map[string]map[string]bool{}
	type dirMode struct {
		path string
		mode os.FileMode
	}
	var dirs []dirMode
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		name, err := cleanName(hdr.Name)
		if err != nil {
			return nil, err
		}
		if name == "." {
			if hdr.Typeflag != tar.TypeDir {
				return nil, fmt.Errorf("root entry %q is not a directory", hdr.Name)
			}
			name = ""
		}
		parent, err := resolveInRoot(dest, filepath.Dir(name))
		if err != nil {
			return nil, err
		}
		base := filepath.Base(name)
		if whiteouts && strings.HasPrefix(base, ".wh.") {
			if base == ".wh..wh..opq" {
				opaque[parent] = written
			} else if err := os.RemoveAll(filepath.Join(parent, strings.TrimPrefix(base, ".wh."))); err != nil {
				return nil, err
			}
			continue
		}
		target := parent
		if name != "" {
			target = filepath.Join(parent, base)
		}
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, err
		}
		for p := target; len(p) > len(dest); p = filepath.Dir(p) {
			written[p] = true
		}
		fi, err := os.Lstat(target)
		if err == nil && !(fi.IsDir() && hdr.Typeflag == tar.TypeDir) {
			if err := os.RemoveAll(target); err != nil {
				return nil, err
			}
		}
		mode := hdr.FileInfo().Mode()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return nil, err
			}
		case tar.TypeReg, tar.TypeRegA:
			f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return nil, err
			}
		case tar.TypeLink:
			ln, err := cleanName(hdr.Linkname)
			if err != nil {
				return nil, err
			}
			lparent, err := resolveInRoot(dest, filepath.Dir(ln))
			if err != nil {
				return nil, err
			}
			if err := os.Link(filepath.Join(lparent, filepath.Base(ln)), target); err != nil {
				return nil, err
			}
			continue // shares the linked file's mode and owner
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			if err := mknod(target, hdr); err != nil {
				return nil, err
			}
		default:
			continue // e.g. PAX global headers
		}
		if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil && root {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirMode{target, mode}) // chmod last: the mode may forbid writing into it
			continue
		}
		if hdr.Typeflag != tar.TypeSymlink {
			if err := os.Chmod(target, mode); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range dirs {
		if fi, err := os.Lstat(d.path); err == nil && fi.IsDir() {
			if err := os.Chmod(d.path, d.mode); err != nil {
				return nil, err
			}
		}
	}
	return opaque, nil
}

func mknod(path string, hdr *tar.Header) error {
	mode := uint32(hdr.Mode & 0o7777)
	switch hdr.Typeflag {
	case tar.TypeChar:
		mode |= syscall.S_IFCHR
	case tar.TypeBlock:
		mode |= syscall.S_IFBLK
	default:
		mode |= syscall.S_IFIFO
	}
	major, minor := uint64(hdr.Devmajor), uint64(hdr.Devminor)
	dev := minor&0xff | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32
	return syscall.Mknod(path, mode, int(dev))
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
