package spec

import (
	"cmp"
	"slices"
	"testing"
)

func TestPath(t *testing.T) {
	for _, tc := range []struct {
		got  Path
		want string
	}{
		{BuildPath(2).Dot("main"), "builds[2].main"},
		{ImagePath(0).Dot("files").Index(1).Dot("src"), "images[0].files[1].src"},
		{Path("go.env").Dot("GOFLAGS"), "go.env.GOFLAGS"},
		{Path("").Dot("version"), "version"},
		{BuildPath(10).Dot("ldflags").Index(0), "builds[10].ldflags[0]"},
	} {
		if tc.got.String() != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for p, want := range map[Path]Path{"images[0].files[1].src": "images[0].files[1]", "images[0].files[1]": "images[0].files", "images": ""} {
		if got, _ := p.parent(); got != want {
			t.Errorf("parent of %s: %q, want %q", p, got, want)
		}
	}
	if _, ok := Path("images").parent(); ok {
		t.Error("a top-level field has a parent")
	}
}

// The builds and images of a parsed, a resolved and a rendered file know
// where they stand, and that path finds their fields' positions.
func TestBuildAndImageCarryTheirPath(t *testing.T) {
	src := `builds:
  - main: ./cmd/a
  - id: b
    main: ./cmd/b
images:
  - name: one
    builds: [a]
  - name: two
    base: alpine:3
    builds: [b]
`
	f, err := Parse("custom.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Resolve("custom.yaml", hello)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := r.Render("custom.yaml", Values{})
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []*File{f, r, rendered} {
		for i := range file.Builds {
			if got, want := file.Builds[i].Path(), BuildPath(i); got != want {
				t.Errorf("builds[%d].Path() = %q", i, got)
			}
		}
		for i := range file.Images {
			if got, want := file.Images[i].Path(), ImagePath(i); got != want {
				t.Errorf("images[%d].Path() = %q", i, got)
			}
		}
	}
	if p := r.Build("b").Path(); p != "builds[1]" || r.Pos(p.Dot("main").String()) != (Pos{4, 11}) {
		t.Errorf("build b: %s at %+v", p, r.Pos(p.Dot("main").String()))
	}
	if p := r.Image("TWO").Path(); p != "images[1]" || r.Pos(p.Dot("base").String()) != (Pos{9, 11}) {
		t.Errorf("image two: %s at %+v", p, r.Pos(p.Dot("base").String()))
	}
	// The default build and image of an empty file are builds[0] and images[0].
	d := mustResolve(t, "", hello)
	if d.Builds[0].Path() != "builds[0]" || d.Images[0].Path() != "images[0]" {
		t.Errorf("defaults: %q %q", d.Builds[0].Path(), d.Images[0].Path())
	}
}

func TestPosCompare(t *testing.T) {
	ordered := []Pos{{}, {1, 0}, {1, 1}, {1, 12}, {2, 1}, {10, 3}}
	for i, p := range ordered {
		for j, q := range ordered {
			got, want := p.Compare(q), cmp.Compare(i, j)
			if got != want {
				t.Errorf("%+v.Compare(%+v) = %d, want %d", p, q, got, want)
			}
		}
	}
	// sortByPos is stable: equal positions keep their order.
	type item struct {
		name string
		pos  Pos
	}
	s := []item{{"c", Pos{3, 1}}, {"a1", Pos{1, 5}}, {"b", Pos{2, 9}}, {"a2", Pos{1, 5}}, {"a0", Pos{1, 2}}}
	sortByPos(s, func(it item) Pos { return it.pos })
	var names []string
	for _, it := range s {
		names = append(names, it.name)
	}
	if want := []string{"a0", "a1", "a2", "b", "c"}; !slices.Equal(names, want) {
		t.Errorf("sortByPos: %v, want %v", names, want)
	}
}
