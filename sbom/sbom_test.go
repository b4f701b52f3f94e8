package sbom

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
)

// realInfo is the build information of a real binary with third-party
// modules (the frontend's own command), read back from the file as the
// frontend reads a binary.
func realInfo(t *testing.T) *debug.BuildInfo {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "frontend")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", exe, "../cmd/gobuild")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

var img = Image{Name: "server", Platform: "linux/amd64", Version: "1.2.3", Created: time.Unix(1700000000, 0), Creator: "gobuild-test"}

// The SPDX JSON of a real binary lists its modules with versions and purls,
// the standard library, and the binary with its checksums; the document reads
// back with the SPDX library BuildKit uses; it is the same every time.
func TestDocumentOfARealBinary(t *testing.T) {
	info := realInfo(t)
	bins := []Binary{
		{Path: "/usr/local/bin/server", SHA1: strings.Repeat("1", 40), SHA256: strings.Repeat("a", 64), Info: info},
		{Path: "/usr/local/bin/migrate", SHA1: strings.Repeat("2", 40), SHA256: strings.Repeat("b", 64), Info: info},
	}
	doc, err := Document(img, bins)
	if err != nil {
		t.Fatal(err)
	}
	dt, err := JSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	back, err := spdxjson.Read(bytes.NewReader(dt))
	if err != nil {
		t.Fatalf("reading the document back: %v\n%s", err, dt)
	}
	if back.DocumentNamespace != doc.DocumentNamespace || !strings.HasPrefix(doc.DocumentNamespace, "urn:gobuild:spdx:server-") {
		t.Errorf("namespace %q", back.DocumentNamespace)
	}
	if back.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("created %q, want the epoch", back.CreationInfo.Created)
	}

	var raw struct {
		Packages []struct {
			Name, VersionInfo, PrimaryPackagePurpose string
			ExternalRefs                             []struct{ ReferenceLocator string }
		}
		Files []struct {
			FileName  string
			Checksums []struct{ Algorithm, ChecksumValue string }
		}
		Relationships []struct{ SpdxElementId, RelationshipType, RelatedSpdxElement string }
	}
	if err := json.Unmarshal(dt, &raw); err != nil {
		t.Fatal(err)
	}
	purls := map[string]string{}
	for _, p := range raw.Packages {
		if len(p.ExternalRefs) != 1 {
			t.Errorf("package %s has %d external refs", p.Name, len(p.ExternalRefs))
			continue
		}
		purls[p.Name+"@"+p.VersionInfo] = p.ExternalRefs[0].ReferenceLocator
	}
	// Every dependency compiled in is listed with its version; yaml.v3 is
	// a real third-party module of this test binary.
	want := map[string]string{
		info.Main.Path + "@1.2.3":  "pkg:golang/" + info.Main.Path + "@1.2.3",
		"stdlib@" + info.GoVersion: "pkg:golang/stdlib@" + strings.TrimPrefix(info.GoVersion, "go"),
	}
	for _, d := range info.Deps {
		if d.Replace == nil {
			// The purl spec percent-encodes the version: v1.0.0+incompatible
			// is written v1.0.0%2Bincompatible.
			want[d.Path+"@"+d.Version] = "pkg:golang/" + d.Path + "@" + strings.ReplaceAll(d.Version, "+", "%2B")
		}
	}
	if _, ok := want["gopkg.in/yaml.v3@v3.0.1"]; !ok {
		t.Fatalf("the test binary does not hold gopkg.in/yaml.v3 v3.0.1: %v", want)
	}
	for k, v := range want {
		if purls[k] != v {
			t.Errorf("package %s: purl %q, want %q", k, purls[k], v)
		}
	}
	if len(purls) != len(want) {
		t.Errorf("%d packages, want %d", len(purls), len(want))
	}
	var files []string
	for _, f := range raw.Files {
		files = append(files, f.FileName)
		if len(f.Checksums) != 2 {
			t.Errorf("%s: checksums %v", f.FileName, f.Checksums)
		}
	}
	if !slices.Equal(files, []string{"/usr/local/bin/migrate", "/usr/local/bin/server"}) {
		t.Errorf("files %v", files)
	}
	kinds := map[string]int{}
	for _, r := range raw.Relationships {
		kinds[r.RelationshipType]++
	}
	deps := len(want) - 1 // all but the main module
	if kinds["DESCRIBES"] != 1 || kinds["GENERATED_FROM"] != 2 || kinds["STATIC_LINK"] != 2*deps || kinds["DEPENDS_ON"] != deps {
		t.Errorf("relationships %v, want 1 DESCRIBES, 2 GENERATED_FROM, %d STATIC_LINK, %d DEPENDS_ON", kinds, 2*deps, deps)
	}

	// The same input in another order gives the same bytes.
	slices.Reverse(bins)
	doc2, err := Document(img, bins)
	if err != nil {
		t.Fatal(err)
	}
	dt2, _ := JSON(doc2)
	if !bytes.Equal(dt, dt2) {
		t.Error("the document depends on the order of the binaries")
	}
}

// Replaced modules are named by their import path and described by what
// was compiled; a local replacement has no purl.
func TestReplacedModules(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "example.com/app",
		Main:      debug.Module{Path: "example.com/app", Version: "v1.0.0"},
		Deps: []*debug.Module{
			{Path: "example.com/lib", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1+incompatible", Sum: "h1:abc="}},
			{Path: "example.com/local", Version: "v0.0.0", Replace: &debug.Module{Path: "../local"}},
		},
		Settings: []debug.BuildSetting{{Key: "GOARCH", Value: "arm64"}, {Key: "CGO_ENABLED", Value: "0"}},
	}
	doc, err := Document(img, []Binary{{Path: "/app", Info: info}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range doc.Packages {
		loc := ""
		if len(p.PackageExternalReferences) > 0 {
			loc = p.PackageExternalReferences[0].Locator
		}
		got[p.PackageName] = p.PackageVersion + " " + loc + " | " + p.PackageComment
	}
	want := map[string]string{
		"example.com/app":   "v1.0.0 pkg:golang/example.com/app@v1.0.0 | ",
		"example.com/lib":   "v1.0.1+incompatible pkg:golang/example.com/fork@v1.0.1%2Bincompatible | example.com/lib v1.0.0 is replaced by example.com/fork v1.0.1+incompatible; go.sum h1:abc=",
		"example.com/local": "  | example.com/local v0.0.0 is replaced by the directory ../local",
		"stdlib":            "go1.26.8 pkg:golang/stdlib@1.26.8 | the Go standard library",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s:\n got %q\nwant %q", k, got[k], v)
		}
	}
	for _, r := range doc.Relationships {
		if r.Relationship == "GENERATED_FROM" && r.RelationshipComment != "built with go1.26.8 GOARCH=arm64 CGO_ENABLED=0" {
			t.Errorf("build settings comment %q", r.RelationshipComment)
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := Document(img, []Binary{{Path: "/a"}}); err == nil || !strings.Contains(err.Error(), "/a has no Go build information") {
		t.Errorf("no build info: %v", err)
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "x.com/a"}}
	if _, err := Document(img, []Binary{{Path: "/a", Info: info}, {Path: "/a", Info: info}}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate path: %v", err)
	}
}
