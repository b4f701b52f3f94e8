package frontend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/gobuild/gobuild/internal/bincheck"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// checkBinary checks the binary at file in ref, called name in messages,
// before it goes into an image or out of the build: it must be an
// executable for p (ELF, Mach-O or PE) and, when static is true, statically
// linked (see bincheck.Check). It reads only the headers and tables it
// needs, in a few ranged reads, never the whole file.
func checkBinary(ctx context.Context, ref client.Reference, file, name string, p ocispecs.Platform, static bool) error {
	st, err := ref.StatFile(ctx, client.StatRequest{Path: file})
	if err != nil {
		return fmt.Errorf("checking binary %q: %w", name, err)
	}
	if !os.FileMode(st.Mode).IsRegular() {
		return fmt.Errorf("binary %q (%s) is not a regular file but %s", name, file, os.FileMode(st.Mode))
	}
	r := newRefReaderAt(ctx, ref, file, st.Size)
	err = bincheck.Check(r, name, p, static)
	if r.err != nil {
		// The gateway failed, whatever debug/elf made of it.
		return fmt.Errorf("reading binary %q (%s): %w", name, file, r.err)
	}
	return err
}

const (
	refChunkSize  = 64 << 10 // bytes per ranged read, aligned to it
	refCacheSlots = 8        // chunks kept
)

// refReaderAt is an io.ReaderAt over a file of a gateway reference. It reads
// aligned chunks with ranged ReadFile calls and keeps the last few, so the
// many small reads of debug/elf, debug/macho or debug/pe (headers, load
// commands, a few small tables) make a handful of round trips. It is not
// safe for concurrent use.
type refReaderAt struct {
	ctx  context.Context
	ref  client.Reference
	file string
	size int64

	cache []refChunk // most recently used last
	err   error      // the first error of the gateway
}

type refChunk struct {
	index int64
	data  []byte
}

func newRefReaderAt(ctx context.Context, ref client.Reference, file string, size int64) *refReaderAt {
	return &refReaderAt{ctx: ctx, ref: ref, file: file, size: size}
}

func (r *refReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= r.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n) // no overflow: off < size
		if pos >= r.size {
			return n, io.EOF
		}
		c, err := r.chunk(pos / refChunkSize)
		if err != nil {
			return n, err
		}
		i := pos % refChunkSize
		if i >= int64(len(c)) {
			// The gateway returned less than the size StatFile gave.
			return n, io.ErrUnexpectedEOF
		}
		n += copy(p[n:], c[i:])
	}
	return n, nil
}

// chunk returns chunk index, from the cache or from the gateway.
func (r *refReaderAt) chunk(index int64) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	for i, c := range r.cache {
		if c.index == index {
			r.cache = append(slices.Delete(r.cache, i, i+1), c)
			return c.data, nil
		}
	}
	off := index * refChunkSize
	length := min(refChunkSize, r.size-off)
	dt, err := r.ref.ReadFile(r.ctx, client.ReadRequest{
		Filename: r.file,
		Range:    &client.FileRange{Offset: int(off), Length: int(length)},
	})
	if err != nil {
		r.err = err
		return nil, err
	}
	if len(r.cache) == refCacheSlots {
		r.cache = slices.Delete(r.cache, 0, 1)
	}
	r.cache = append(r.cache, refChunk{index: index, data: dt})
	return dt, nil
}
