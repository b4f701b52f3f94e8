package imagetest

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

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
