package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReleaseWalk(t *testing.T) {
	got, err := releaseWalk([]string{"v0.3.1", "v1.10.0", "v1.2.0", "v1.9.0", "v2.0.0+incompatible", "v1.11.0-rc.1", "v1.3.0", "bad"}, "v1.10.0")
	if err != nil {
		t.Fatal(err)
	}
	// Newest first from the checked-in version, semver order (v1.10.0 above
	// v1.9.0), no pre-releases, no +incompatible.
	if want := []string{"v1.10.0", "v1.9.0", "v1.3.0", "v1.2.0", "v0.3.1"}; !slices.Equal(got, want) {
		t.Errorf("walk %v, want %v", got, want)
	}
	if _, err := releaseWalk([]string{"v1.0.0"}, "v1.1.0"); err == nil || !strings.Contains(err.Error(), "v1.1.0") {
		t.Errorf("a version not in the list: err = %v", err)
	}
}

const testGoMod = `module example.com/x

go 1.26.0

require (
	example.com/leaf v1.6.0 // the leaf
	example.com/other v1.0.0
)

require example.com/ind v0.1.0 // indirect
`

func TestBumpGoMod(t *testing.T) {
	out, old, err := bumpGoMod([]byte(testGoMod), "example.com/leaf", "v1.5.0")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(testGoMod, "example.com/leaf v1.6.0", "example.com/leaf v1.5.0", 1)
	if old != "v1.6.0" || string(out) != want {
		t.Errorf("old %q, go.mod:\n%s\nwant:\n%s", old, out, want)
	}
	out, _, err = bumpGoMod([]byte(testGoMod), "example.com/ind", "v0.2.0")
	if err != nil || !strings.Contains(string(out), "require example.com/ind v0.2.0 // indirect\n") {
		t.Errorf("an indirect requirement keeps its comment: %v\n%s", err, out)
	}
	// The comment markGoMod ends a tool's copy with stays.
	marked := testGoMod + "\n// hack/bench: gobuild's copy of the service\n"
	out, _, err = bumpGoMod([]byte(marked), "example.com/leaf", "v1.5.0")
	if err != nil || !strings.HasSuffix(string(out), "\n// hack/bench: gobuild's copy of the service\n") {
		t.Errorf("the last comment is lost: %v\n%s", err, out)
	}
	if _, _, err := bumpGoMod([]byte(testGoMod), "example.com/none", "v1.0.0"); err == nil {
		t.Error("no error for a module go.mod does not require")
	}
}

func TestBumpGoSum(t *testing.T) {
	sum := strings.Join([]string{
		"example.com/a v1.0.0 h1:a=",
		"example.com/a v1.0.0/go.mod h1:amod=",
		"example.com/leaf v1.10.0 h1:new=",
		"example.com/leaf v1.10.0/go.mod h1:newmod=",
		"example.com/leaf v1.2.0/go.mod h1:keep=",
		"example.com/z v0.1.0/go.mod h1:z=",
	}, "\n") + "\n"
	// v1.10.0 -> v1.9.0: the two old lines go, the new ones sort between
	// v1.2.0 and where v1.10.0 was (semver, not string order), and
	// another version's line stays.
	got, err := bumpGoSum([]byte(sum), "example.com/leaf", "v1.10.0",
		modInfo{Path: "example.com/leaf", Version: "v1.9.0", Sum: "h1:nine=", GoModSum: "h1:ninemod="})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"example.com/a v1.0.0 h1:a=",
		"example.com/a v1.0.0/go.mod h1:amod=",
		"example.com/leaf v1.2.0/go.mod h1:keep=",
		"example.com/leaf v1.9.0 h1:nine=",
		"example.com/leaf v1.9.0/go.mod h1:ninemod=",
		"example.com/z v0.1.0/go.mod h1:z=",
	}, "\n") + "\n"
	if string(got) != want {
		t.Errorf("go.sum:\n%s\nwant:\n%s", got, want)
	}
	// Bumping to a version whose go.mod line is there already adds it once.
	got, err = bumpGoSum([]byte(want), "example.com/leaf", "v1.9.0",
		modInfo{Path: "example.com/leaf", Version: "v1.2.0", Sum: "h1:two=", GoModSum: "h1:keep="})
	if err != nil || strings.Count(string(got), "v1.2.0/go.mod") != 1 || strings.Contains(string(got), "v1.9.0") {
		t.Errorf("err %v, go.sum:\n%s", err, got)
	}
	if _, err := bumpGoSum([]byte("a b\n"), "example.com/leaf", "v1.0.0", modInfo{Path: "example.com/leaf", Version: "v1.1.0", Sum: "h1:x", GoModSum: "h1:y"}); err == nil {
		t.Error("no error for a malformed go.sum line")
	}
	if _, err := bumpGoSum([]byte(sum), "example.com/leaf", "v1.10.0", modInfo{Path: "example.com/leaf", Version: "v1.9.0"}); err == nil {
		t.Error("no error without sums")
	}
}

// TestBumpShop bumps the benchmark service's own bump module in a copy:
// go.mod and go.sum differ from the checked-in ones in the module's lines
// only, and the checked-in files are untouched.
func TestBumpShop(t *testing.T) {
	shop := filepath.Join("..", "..", "shop")
	goMod, err := os.ReadFile(filepath.Join(shop, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goSum, err := os.ReadFile(filepath.Join(shop, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	old, err := requiredVersion(goMod, defaultBumpModule)
	if err != nil {
		t.Fatal(err)
	}
	// The same version with its own sums gives the checked-in go.sum back,
	// byte for byte: the order is the go command's.
	var same modInfo
	for _, l := range strings.Split(string(goSum), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == defaultBumpModule {
			switch f[1] {
			case old:
				same.Sum = f[2]
			case old + "/go.mod":
				same.GoModSum = f[2]
			}
		}
	}
	same.Path, same.Version = defaultBumpModule, old
	if again, err := bumpGoSum(goSum, defaultBumpModule, old, same); err != nil || string(again) != string(goSum) {
		t.Errorf("go.sum rewritten with the same sums differs (err %v)", err)
	}
	newMod, gotOld, err := bumpGoMod(goMod, defaultBumpModule, "v0.3.1")
	if err != nil || gotOld != old {
		t.Fatalf("bumpGoMod: %v (old %q, want %q)", err, gotOld, old)
	}
	newSum, err := bumpGoSum(goSum, defaultBumpModule, old, modInfo{Path: defaultBumpModule, Version: "v0.3.1", Sum: "h1:S=", GoModSum: "h1:M="})
	if err != nil {
		t.Fatal(err)
	}
	diff := func(a, b []byte) (removed, added []string) {
		al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
		for _, l := range al {
			if !slices.Contains(bl, l) {
				removed = append(removed, strings.TrimSpace(l))
			}
		}
		for _, l := range bl {
			if !slices.Contains(al, l) {
				added = append(added, strings.TrimSpace(l))
			}
		}
		return removed, added
	}
	rm, add := diff(goMod, newMod)
	if !slices.Equal(rm, []string{defaultBumpModule + " " + old}) || !slices.Equal(add, []string{defaultBumpModule + " v0.3.1"}) {
		t.Errorf("go.mod: removed %q, added %q", rm, add)
	}
	rm, add = diff(goSum, newSum)
	if len(rm) != 2 || !slices.Equal(add, []string{defaultBumpModule + " v0.3.1 h1:S=", defaultBumpModule + " v0.3.1/go.mod h1:M="}) {
		t.Errorf("go.sum: removed %q, added %q", rm, add)
	}
	if !strings.HasPrefix(string(newSum), defaultBumpModule+" v0.3.1 h1:S=\n") {
		t.Errorf("go.sum does not start with the bumped module's lines:\n%s", string(newSum)[:200])
	}
}

func TestCheckLeaf(t *testing.T) {
	info := modInfo{Path: "example.com/leaf", Version: "v1.0.0", GoMod: "leaf.mod"}
	if err := checkLeaf(info, []byte("module example.com/leaf\n\ngo 1.18\n"), "1.26.0"); err != nil {
		t.Errorf("a leaf: %v", err)
	}
	if err := checkLeaf(info, []byte("module example.com/leaf\n"), "1.26.0"); err != nil {
		t.Errorf("a synthesized go.mod (no go line): %v", err)
	}
	if err := checkLeaf(info, []byte("module example.com/leaf\n\nrequire example.com/dep v1.0.0\n"), "1.26.0"); err == nil || !strings.Contains(err.Error(), "not a leaf") {
		t.Errorf("a module with a requirement: err = %v", err)
	}
	if err := checkLeaf(info, []byte("module example.com/leaf\n\ngo 1.27\n"), "1.26.0"); err == nil || !strings.Contains(err.Error(), "needs go 1.27") {
		t.Errorf("a newer go: err = %v", err)
	}
}

func TestOnlyRequiredBy(t *testing.T) {
	graph := "example.com/x example.com/leaf@v1.6.0\nexample.com/x example.com/other@v1.0.0\nexample.com/other@v1.0.0 example.com/dep@v0.1.0\n"
	if err := onlyRequiredBy(graph, "example.com/x", "example.com/leaf"); err != nil {
		t.Error(err)
	}
	if err := onlyRequiredBy(graph+"example.com/other@v1.0.0 example.com/leaf@v1.2.0\n", "example.com/x", "example.com/leaf"); err == nil {
		t.Error("no error for a module another module requires")
	}
	// A module whose path extends the leaf's is another module.
	if err := onlyRequiredBy(graph+"example.com/other@v1.0.0 example.com/leaf/v2@v2.0.0\n", "example.com/x", "example.com/leaf"); err != nil {
		t.Error(err)
	}
}
