package llb

import (
	"slices"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The binaries target builds for windows with .exe names, alone and in a
// shared compile, and its checksums step lists every binary by that name,
// sorted; the other targets refuse an OS other than linux, naming it.
func TestBinariesOtherOSes(t *testing.T) {
	windows := ocispecs.Platform{OS: "windows", Architecture: "amd64"}
	src := "builds:\n  - main: ./cmd/b\n  - main: ./cmd/a\n  - main: ./cmd/c\n    cgo: false\n    tags: [x]\n"
	res, err := buildTarget(testInput(t, src, windows), BinariesTarget, "")
	if err != nil {
		t.Fatal(err)
	}
	var files, names []string
	for _, b := range res.Binaries {
		files, names = append(files, b.File), append(names, b.Name)
	}
	if want := []string{"/b.exe", "/a.exe", "/c.exe"}; !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	if want := []string{"b.exe", "a.exe", "c.exe"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	ex := execs(t, marshal(t, res, windows))
	lone := ex["[c windows/amd64] go build ./cmd/c"]
	if lone == nil || !slices.Contains(lone.Meta.Args, "/out/c.exe") {
		t.Errorf("the lone compile does not write /out/c.exe: %v", keys(ex))
	}
	sums := ex["[binaries windows/amd64] checksums.txt"]
	if sums == nil {
		t.Fatalf("no checksums step in %v", keys(ex))
	}
	if got := sums.Meta.Args[len(sums.Meta.Args)-3:]; !slices.Equal(got, []string{"a.exe", "b.exe", "c.exe"}) {
		t.Errorf("checksums of %v, want the three .exe sorted", got)
	}
	if !strings.Contains(sums.Meta.Args[2], `"$@"`) || strings.Contains(sums.Meta.Args[2], ".exe") {
		t.Errorf("the names must be the script's arguments, not part of it: %q", sums.Meta.Args[2])
	}

	darwin := ocispecs.Platform{OS: "darwin", Architecture: "arm64"}
	for target, want := range map[string]string{
		"hello":         "platform darwin/arm64: image hello is built for linux only; --target binaries builds binaries for darwin/arm64",
		TestTarget:      "platform darwin/arm64: the test target runs in the builder, for linux only; --target binaries builds binaries for darwin/arm64",
		VulncheckTarget: "platform darwin/arm64: the vulncheck target runs in the builder, for linux only; --target binaries builds binaries for darwin/arm64",
	} {
		_, err := buildTarget(testInput(t, "", darwin), target, "")
		if err == nil || err.Error() != want {
			t.Errorf("%s for darwin/arm64: %v, want %s", target, err, want)
		}
	}
	_, err = buildTarget(testInput(t, "", ocispecs.Platform{OS: "plan9", Architecture: "amd64"}), BinariesTarget, "")
	if err == nil || !strings.Contains(err.Error(), "platform plan9/amd64 is not supported: gobuild builds binaries for darwin,") {
		t.Errorf("binaries for plan9: %v", err)
	}
	_, err = buildTarget(testInput(t, "builds:\n  - cgo: true\n", darwin), BinariesTarget, "")
	if err == nil || !strings.Contains(err.Error(), "gobuild.yaml:2:10: builds[0].cgo: cgo needs a C toolchain for darwin/arm64, and gobuild has one for linux only") {
		t.Errorf("cgo for darwin: %v", err)
	}
}
