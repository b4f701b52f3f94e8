// ELF: the headers of linux and BSD binaries, and the dynamic segment the
// loader reads.

package bincheck

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Info is what Inspect reads from an ELF file's headers.
type Info struct {
	Machine elf.Machine
	Class   elf.Class
	Data    elf.Data // byte order
	Type    elf.Type
	OSABI   elf.OSABI
	// Interp is the dynamic loader a PT_INTERP program header asks for, ""
	// when there is none. A PT_INTERP without a path reads as "(empty)".
	Interp string
	// Needed are the DT_NEEDED libraries of the PT_DYNAMIC segment (what the
	// loader reads, whatever the section headers say).
	Needed    []string
	HasSymtab bool // has a SHT_SYMTAB section (not stripped)
}

// Static reports whether the file needs neither a dynamic loader nor a
// shared library. A static-pie binary (ET_DYN, no PT_INTERP, no DT_NEEDED)
// is static.
func (i *Info) Static() bool { return i.Interp == "" && len(i.Needed) == 0 }

var (
	// ErrNotELF is wrapped by Inspect's error when the input does not start
	// with the ELF magic number.
	ErrNotELF = errors.New("not an ELF file")
	// ErrCorrupt is wrapped by Inspect's error when the input starts like an
	// ELF file but its headers cannot be read.
	ErrCorrupt = errors.New("a truncated or corrupt ELF file")
)

// Limits on what Inspect reads from tables whose sizes come from the file.
const (
	maxInterp  = 4 << 10  // PT_INTERP path
	maxDynamic = 1 << 20  // PT_DYNAMIC segment
	maxNeeded  = 1 << 10  // DT_NEEDED entries
	maxName    = 4 << 10  // one library name
	maxStrtab  = 16 << 20 // DT_STRSZ
)

// Inspect reads the ELF headers of r: machine, class, byte order and type,
// the PT_INTERP loader, the DT_NEEDED libraries and whether there is a symbol
// table. Its errors wrap ErrNotELF or ErrCorrupt, or are the first read
// error of r other than io.EOF and io.ErrUnexpectedEOF.
func Inspect(r io.ReaderAt) (*Info, error) {
	rr := &recordingReader{r: r}
	info, err := inspect(rr)
	if rr.err != nil {
		return nil, rr.err
	}
	return info, err
}

// recordingReader keeps the first error of r that is not the end of input,
// so that a failing reader is not reported as a corrupt file.
type recordingReader struct {
	r   io.ReaderAt
	err error
}

func (rr *recordingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := rr.r.ReadAt(p, off)
	if err != nil && rr.err == nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
		rr.err = err
	}
	return n, err
}

func inspect(r io.ReaderAt) (*Info, error) {
	var magic [4]byte
	n, err := r.ReadAt(magic[:], 0)
	if n < len(magic) {
		switch {
		case err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF):
			return nil, err
		case n == 0:
			return nil, fmt.Errorf("%w (it is empty)", ErrNotELF)
		}
	}
	if !bytes.Equal(magic[:n], []byte(elf.ELFMAG)[:n]) {
		return nil, fmt.Errorf("%w (it starts with %q)", ErrNotELF, magic[:n])
	}
	if n < len(magic) {
		return nil, fmt.Errorf("%w: it ends after %d bytes", ErrCorrupt, n)
	}

	f, err := elf.NewFile(r)
	if err != nil {
		return nil, corrupt(err)
	}
	info := &Info{Machine: f.Machine, Class: f.Class, Data: f.Data, Type: f.Type, OSABI: f.OSABI}
	info.HasSymtab = f.SectionByType(elf.SHT_SYMTAB) != nil
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			if info.Interp, err = readInterp(p); err != nil {
				return nil, corrupt(fmt.Errorf("reading its PT_INTERP segment: %w", err))
			}
		case elf.PT_DYNAMIC:
			needed, err := readNeeded(r, f, p)
			if err != nil {
				return nil, corrupt(fmt.Errorf("reading its PT_DYNAMIC segment: %w", err))
			}
			info.Needed = append(info.Needed, needed...)
		}
	}
	return info, nil
}

// errPastEnd replaces io.EOF and io.ErrUnexpectedEOF in messages.
var errPastEnd = errors.New("it ends before the data its headers point to")

func corrupt(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errPastEnd
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

// readFull reads n bytes at off from r, or fails; n is small (bounded by the
// caller), so the buffer is allocated up front.
func readFull(r io.ReaderAt, off int64, n uint64) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, off); err != nil {
		if err == io.EOF {
			err = errPastEnd
		}
		return nil, err
	}
	return b, nil
}

func readInterp(p *elf.Prog) (string, error) {
	b, err := readFull(p, 0, min(p.Filesz, maxInterp))
	if err != nil {
		return "", err
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return "(empty)", nil
	}
	return string(b), nil
}

// readNeeded returns the DT_NEEDED names of the dynamic segment p, read the
// way the loader reads them: DT_STRTAB is a virtual address, found in the file
// through the PT_LOAD segments.
func readNeeded(r io.ReaderAt, f *elf.File, p *elf.Prog) ([]string, error) {
	entSize := uint64(16)
	if f.Class == elf.ELFCLASS32 {
		entSize = 8
	}
	size := min(p.Filesz, maxDynamic)
	size -= size % entSize
	dyn, err := readFull(p, 0, size)
	if err != nil {
		return nil, err
	}
	var (
		offsets       []uint64
		strtab, strsz uint64
		haveStrtab    bool
	)
	for e := dyn; uint64(len(e)) >= entSize; e = e[entSize:] {
		var tag, val uint64
		if entSize == 8 {
			tag, val = uint64(f.ByteOrder.Uint32(e)), uint64(f.ByteOrder.Uint32(e[4:]))
		} else {
			tag, val = f.ByteOrder.Uint64(e), f.ByteOrder.Uint64(e[8:])
		}
		if elf.DynTag(tag) == elf.DT_NULL {
			break
		}
		switch elf.DynTag(tag) {
		case elf.DT_NEEDED:
			if len(offsets) == maxNeeded {
				return nil, fmt.Errorf("more than %d DT_NEEDED entries", maxNeeded)
			}
			offsets = append(offsets, val)
		case elf.DT_STRTAB:
			strtab, haveStrtab = val, true
		case elf.DT_STRSZ:
			strsz = val
		}
	}
	if len(offsets) == 0 {
		return nil, nil
	}
	if !haveStrtab {
		return nil, errors.New("DT_NEEDED without DT_STRTAB")
	}
	off, avail, ok := fileRange(f, strtab)
	if !ok {
		return nil, fmt.Errorf("DT_STRTAB address %#x is in no PT_LOAD segment", strtab)
	}
	if strsz == 0 || strsz > avail {
		strsz = avail
	}
	strsz = min(strsz, maxStrtab)
	needed := make([]string, 0, len(offsets))
	for _, o := range offsets {
		if o >= strsz {
			return nil, fmt.Errorf("DT_NEEDED name offset %#x is past the string table's %#x bytes", o, strsz)
		}
		name, err := readString(r, off+o, min(strsz-o, maxName))
		if err != nil {
			return nil, fmt.Errorf("DT_NEEDED name at %#x: %w", off+o, err)
		}
		needed = append(needed, name)
	}
	return needed, nil
}

// fileRange maps the virtual address addr to a file offset through the
// PT_LOAD segments, with how many file bytes the segment holds from there.
func fileRange(f *elf.File, addr uint64) (off, avail uint64, ok bool) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr || addr-p.Vaddr >= p.Filesz {
			continue
		}
		d := addr - p.Vaddr
		if p.Off > 1<<62 || d > 1<<62 {
			continue
		}
		return p.Off + d, p.Filesz - d, true
	}
	return 0, 0, false
}

// readString reads a NUL-terminated string of at most limit bytes at off.
func readString(r io.ReaderAt, off, limit uint64) (string, error) {
	if off > 1<<62 {
		return "", errors.New("offset out of range")
	}
	var sb strings.Builder
	var buf [64]byte
	for uint64(sb.Len()) < limit {
		n := min(uint64(len(buf)), limit-uint64(sb.Len()))
		m, err := r.ReadAt(buf[:n], int64(off)+int64(sb.Len()))
		if i := bytes.IndexByte(buf[:m], 0); i >= 0 {
			sb.Write(buf[:i])
			return sb.String(), nil
		}
		sb.Write(buf[:m])
		if err != nil {
			if err == io.EOF {
				err = errPastEnd
			}
			return "", err
		}
	}
	return "", fmt.Errorf("no NUL within %d bytes", limit)
}
