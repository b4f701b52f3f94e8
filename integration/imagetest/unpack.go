package imagetest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

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
