package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

type entry struct {
	hdr  *tar.Header
	data []byte
}

// writeRootfs copies a rootfs tarball into tw with sorted, normalized
// entries. Hard links are kept; when sorting moves a link ahead of the file
// it points to, the roles are swapped so the data always comes first.
// With only (cleaned names), just those paths, what is below them and their
// parent directories are copied.
func writeRootfs(tw *tar.Writer, file string, only []string, epoch time.Time) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	byName := map[string]*entry{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		n := cleanName(h.Name)
		if n == "" {
			continue
		}
		if !wanted(n, only) {
			continue
		}
		h.Name = n
		e := &entry{hdr: h}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // TypeRegA may appear in old archives.
			h.Typeflag = tar.TypeReg
			e.data, err = io.ReadAll(tr)
			if err != nil {
				return err
			}
		case tar.TypeLink:
			h.Linkname = cleanName(h.Linkname)
		case tar.TypeDir, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		case tar.TypeXGlobalHeader:
			continue
		default:
			return fmt.Errorf("%s: unsupported tar entry type %q for %s", file, h.Typeflag, h.Name)
		}
		byName[n] = e // a later entry for the same name wins, as on extraction
	}

	// Hard link groups: target file name -> link entries.
	groups := map[string][]*entry{}
	for _, e := range byName {
		if e.hdr.Typeflag != tar.TypeLink {
			continue
		}
		t := e.hdr.Linkname
		te, ok := byName[t]
		if !ok && !wanted(t, only) {
			return fmt.Errorf("%s: hard link %s points to %s, which is outside the -rootfs-path selection", file, e.hdr.Name, t)
		}
		if !ok || te.hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("%s: hard link %s points to %s, which is not a regular file in the archive", file, e.hdr.Name, t)
		}
		groups[t] = append(groups[t], e)
	}
	for t, links := range groups {
		target := byName[t]
		first := target
		for _, l := range links {
			if l.hdr.Name < first.hdr.Name {
				first = l
			}
		}
		if first == target {
			continue
		}
		// Swap: the alphabetically first name carries the data.
		firstName := first.hdr.Name
		newHdr := *target.hdr
		newHdr.Name = firstName
		first.hdr, first.data = &newHdr, target.data
		target.hdr.Typeflag, target.hdr.Linkname, target.hdr.Size, target.data = tar.TypeLink, firstName, 0, nil
		for _, l := range links {
			if l != first {
				l.hdr.Linkname = firstName
			}
		}
	}

	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := byName[n]
		h := e.hdr
		normalize(h, epoch)
		if h.Typeflag == tar.TypeDir && !strings.HasSuffix(h.Name, "/") {
			h.Name += "/"
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.data))
		} else {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if len(e.data) > 0 {
			if _, err := tw.Write(e.data); err != nil {
				return err
			}
		}
	}
	return nil
}

// wanted reports whether the rootfs entry n is selected by only (nil: all).
func wanted(n string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, p := range only {
		if n == p || strings.HasPrefix(n, p+"/") || strings.HasPrefix(p, n+"/") {
			return true
		}
	}
	return false
}
