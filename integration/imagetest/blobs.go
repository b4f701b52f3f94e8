package imagetest

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

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
