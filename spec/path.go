package spec

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Path is the path of a field of gobuild.yaml as errors name it and
// File.Pos finds it: builds[2].main, images[0].files[1].src,
// go.env.GOFLAGS. The empty Path is the whole file.
type Path string

// BuildPath is the path of builds[i].
func BuildPath(i int) Path { return Path("builds").Index(i) }

// ImagePath is the path of images[i].
func ImagePath(i int) Path { return Path("images").Index(i) }

// Dot is the path of the field or map key name inside p: name itself when
// p is the whole file.
func (p Path) Dot(name string) Path {
	if p == "" {
		return Path(name)
	}
	return p + "." + Path(name)
}

// Index is the path of item i of the list at p.
func (p Path) Index(i int) Path { return p + "[" + Path(strconv.Itoa(i)) + "]" }

func (p Path) String() string { return string(p) }

// parent is the path p is inside of, and false for a top-level field.
func (p Path) parent() (Path, bool) {
	i := strings.LastIndexAny(string(p), ".[")
	if i < 0 {
		return "", false
	}
	return p[:i], true
}

// Pos is a 1-based line and column in the source file.
type Pos struct {
	Line, Column int
}

// Compare orders positions as they read in the file, by line and then by
// column: negative when p comes first, zero when they are the same,
// positive when q comes first.
func (p Pos) Compare(q Pos) int {
	return cmp.Or(cmp.Compare(p.Line, q.Line), cmp.Compare(p.Column, q.Column))
}

// sortByPos orders s stably in file order by the position of each element:
// the one sort by position of errors, warnings and build args.
func sortByPos[T any](s []T, pos func(T) Pos) {
	slices.SortStableFunc(s, func(a, b T) int { return pos(a).Compare(pos(b)) })
}

// positions maps the path of every field to where its value starts.
type positions map[Path]Pos

// Pos returns where the value of the field at path starts, or the zero Pos.
func (f *File) Pos(path string) Pos {
	if f == nil || f.pos == nil {
		return Pos{}
	}
	return f.pos[Path(path)]
}

// nearPos returns the position of the field at path or, when it has none
// (a missing field), of its nearest parent that has one.
func (f *File) nearPos(path Path) Pos {
	for {
		if p := f.Pos(string(path)); p.Line > 0 {
			return p
		}
		var ok bool
		if path, ok = path.parent(); !ok {
			return Pos{}
		}
	}
}

// Path is where b stands in the file, builds[i], so that an error about
// one of its fields names it without looking b up again. Parse and Resolve
// set it; it is empty in a Build made by hand.
func (b *Build) Path() Path { return b.path }

// Path is where im stands in the file, images[i], so that an error about
// one of its fields names it without looking im up again. Parse and
// Resolve set it; it is empty in an Image made by hand.
func (im *Image) Path() Path { return im.path }

// locate records in every build and image of f where it stands.
func (f *File) locate() {
	for i := range f.Builds {
		f.Builds[i].path = BuildPath(i)
	}
	for i := range f.Images {
		f.Images[i].path = ImagePath(i)
	}
}
