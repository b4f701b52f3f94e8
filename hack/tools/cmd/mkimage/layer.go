package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// fileLayer is a gzip layer blob already written into the layout.
type fileLayer struct {
	path           string
	digest, diffID v1.Hash
	size           int64
}

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }
func (l *fileLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// writeLayer streams tar -> gzip -> file in the layout, hashing both sides.
func writeLayer(lp layout.Path, fill func(*tar.Writer) error) (v1.Layer, error) {
	tmp, err := os.CreateTemp(string(lp), ".layer-*.tmp")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	var (
		compHash   = sha256.New()
		uncompHash = sha256.New()
		count      = &countWriter{}
	)
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, compHash, count), 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(io.MultiWriter(zw, uncompHash))
	if err := fill(tw); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	digest := toHash(compHash)
	dir := filepath.Join(string(lp), "blobs", digest.Algorithm)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	final := filepath.Join(dir, digest.Hex)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, err
	}
	return &fileLayer{path: final, digest: digest, diffID: toHash(uncompHash), size: count.n}, nil
}

func toHash(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

// normalize clears the parts of a header that vary between runs or hosts.
func normalize(h *tar.Header, epoch time.Time) {
	h.ModTime = epoch
	h.AccessTime = time.Time{}
	h.ChangeTime = time.Time{}
	h.Uname = ""
	h.Gname = ""
	h.Format = tar.FormatPAX
	// Keep only extended attributes (e.g. file capabilities).
	var keep map[string]string
	for k, v := range h.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") {
			if keep == nil {
				keep = map[string]string{}
			}
			keep[k] = v
		}
	}
	h.PAXRecords = keep
	//nolint:staticcheck // Xattrs is deprecated in favour of PAXRecords.
	h.Xattrs = nil
}

// cleanName turns "./usr/bin/" into "usr/bin"; "" means the root itself.
func cleanName(n string) string {
	n = path.Clean("/" + n)
	return strings.TrimPrefix(n, "/")
}
