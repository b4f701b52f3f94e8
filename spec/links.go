package spec

import (
	"fmt"
	"path"
	"strings"
)

// Links reads the symbolic links of a build context: names are slash
// paths relative to its root.
type Links interface {
	// Readlink returns the target of name when name is a symbolic link.
	Readlink(name string) (target string, ok bool)
}

// maxLinks bounds the links followed in one path, as the kernel's
// ELOOP does.
const maxLinks = 40

// CheckLinks reports every path of f (go.dir, builds[].main and
// images[].files[].src) that leaves the build context through a symbolic
// link: one to an absolute path, or one whose relative target climbs out
// of the context. The build would otherwise read the builder's files, not
// the context's. f is the file as parsed, for its positions.
func (f *File) CheckLinks(filename string, l Links) error {
	var errs Errors
	check := func(field Path, value, p string) {
		if msg := escape(l, p); msg != "" {
			errs = append(errs, &Error{File: filename, Pos: f.nearPos(field), Field: string(field),
				Msg: fmt.Sprintf("%q leaves the build context: %s", value, msg)})
		}
	}
	dir := ModuleDir(f.Go.Dir)
	if f.Go.Dir != "" {
		check("go.dir", f.Go.Dir, dir)
	}
	for i, b := range f.Builds {
		if b.Main != "" {
			check(BuildPath(i).Dot("main"), b.Main, path.Join(dir, b.Main))
		}
	}
	for i, im := range f.Images {
		for j, fl := range im.Files {
			check(ImagePath(i).Dot("files").Index(j).Dot("src"), fl.Src, path.Clean(fl.Src))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// escape follows the symbolic links along p (a clean path relative to the
// context root) and says which one leaves the context, or "".
func escape(l Links, p string) string {
	parts := splitPath(p)
	cur := "" // resolved so far, inside the context, with no links
	for hops := 0; len(parts) > 0; {
		next := path.Join(cur, parts[0])
		parts = parts[1:]
		target, ok := l.Readlink(next)
		if !ok {
			cur = next
			continue
		}
		if hops++; hops > maxLinks {
			return fmt.Sprintf("more than %d symbolic links along it", maxLinks)
		}
		if path.IsAbs(target) {
			return fmt.Sprintf("%s is a symbolic link to %s", next, target)
		}
		r := path.Join(cur, target)
		if r == ".." || strings.HasPrefix(r, "../") {
			return fmt.Sprintf("%s is a symbolic link to %s, outside the build context", next, target)
		}
		parts = append(splitPath(r), parts...)
		cur = ""
	}
	return ""
}

// splitPath splits a clean relative slash path into its elements; "." has none.
func splitPath(p string) []string {
	p = path.Clean(p)
	if p == "." {
		return nil
	}
	return strings.Split(p, "/")
}
