package main

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"
)

// writeHostPath copies a host file or directory tree to a.dst, owned by 0:0.
// Directory entries are visited in lexical order (filepath.WalkDir).
// Hard links on the host are stored as separate files.
func writeHostPath(tw *tar.Writer, a addSpec, epoch time.Time) error {
	top, err := os.Stat(a.src) // follow a symlink given on the command line
	if err != nil {
		return err
	}
	dstRoot := cleanName(a.dst)
	add := func(p, dst string, fi fs.FileInfo) error {
		var link string
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		if fi.Mode()&(fs.ModeSocket|fs.ModeDevice|fs.ModeNamedPipe|fs.ModeCharDevice|fs.ModeIrregular) != 0 {
			log.Printf("skipping special file %s", p)
			return nil
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = dst
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid = 0, 0
		normalize(h, epoch)
		h.PAXRecords = nil
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(tw, f)
		if err != nil {
			return err
		}
		if n != h.Size {
			return fmt.Errorf("%s changed size while being read", p)
		}
		return nil
	}
	if !top.IsDir() {
		return add(a.src, dstRoot, top)
	}
	return filepath.WalkDir(a.src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if p == a.src {
			fi = top
		}
		rel, err := filepath.Rel(a.src, p)
		if err != nil {
			return err
		}
		dst := dstRoot
		if rel != "." {
			dst = path.Join(dstRoot, filepath.ToSlash(rel))
		}
		return add(p, dst, fi)
	})
}

// writeEntries writes the -mkdir directories and -file files, sorted by
// name, plus missing parent directories (0755, 0:0).
func writeEntries(tw *tar.Writer, dirs []mkdirSpec, files []fileSpec, epoch time.Time) error {
	type item struct {
		hdr  *tar.Header
		data []byte
	}
	items := map[string]item{}
	for _, d := range dirs {
		n := cleanName(d.dst)
		items[n] = item{hdr: &tar.Header{Typeflag: tar.TypeDir, Name: n + "/", Mode: d.mode, Uid: d.uid, Gid: d.gid}}
	}
	for _, f := range files {
		n := cleanName(f.dst)
		items[n] = item{
			hdr:  &tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: f.mode, Uid: f.uid, Gid: f.gid, Size: int64(len(f.data))},
			data: f.data,
		}
	}
	for n := range items {
		for p := path.Dir(n); p != "."; p = path.Dir(p) {
			if it, ok := items[p]; ok {
				if it.hdr.Typeflag != tar.TypeDir {
					return fmt.Errorf("/%s is a file and a parent directory of /%s", p, n)
				}
				continue
			}
			items[p] = item{hdr: &tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: 0o755}}
		}
	}
	names := make([]string, 0, len(items))
	for n := range items {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		it := items[n]
		normalize(it.hdr, epoch)
		if err := tw.WriteHeader(it.hdr); err != nil {
			return err
		}
		if _, err := tw.Write(it.data); err != nil {
			return err
		}
	}
	return nil
}
