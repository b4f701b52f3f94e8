package spec

import (
	"reflect"
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	src := `go:
  image: golang:1.26
  env:
    GOSUMDB: "off"
    GOFLAGS: -insecure -mod=mod
builds:
  - main: ./cmd/a
    trimpath: false
images:
  - name: a
    user: "0:0"
    base: alpine:3.20
  - name: b
    user: "00"
    base: alpine@sha256:0000000000000000000000000000000000000000000000000000000000000000
  - name: c
    user: "1000"
    base: distroless
`
	f, err := Parse("gobuild.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range Lint("gobuild.yaml", f) {
		got = append(got, w.String())
	}
	want := []string{
		`gobuild.yaml:2:10: go.image: golang:1.26 is a tag, which can move between builds; pin it as docker.io/library/golang:1.26@sha256:<digest> (the digest of this build is in its provenance) [MutableBaseTag]`,
		`gobuild.yaml:4:14: go.env.GOSUMDB: GOSUMDB=off downloads every module without checking it against the checksum database; list private modules in go.private instead [ChecksumOff]`,
		`gobuild.yaml:5:14: go.env.GOFLAGS: -insecure fetches modules over plain http without checks [ChecksumOff]`,
		`gobuild.yaml:8:15: builds[0].trimpath: trimpath: false writes the builder's paths (/src, /go/pkg/mod) into the binary and its stack traces [NoTrimpath]`,
		`gobuild.yaml:11:11: images[0].user: user 0:0 is root, so a process that escapes the container starts as root; leave user unset for 65532:65532 [RootUser]`,
		`gobuild.yaml:12:11: images[0].base: alpine:3.20 is a tag, which can move between builds; pin it as docker.io/library/alpine:3.20@sha256:<digest> (the digest of this build is in its provenance) [MutableBaseTag]`,
		`gobuild.yaml:14:11: images[1].user: user 00 is root, so a process that escapes the container starts as root; leave user unset for 65532:65532 [RootUser]`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Lint:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, w := range Lint("gobuild.yaml", f) {
		if Rules[w.Rule] == "" {
			t.Errorf("rule %s has no description in Rules", w.Rule)
		}
	}

	clean, err := Parse("gobuild.yaml", []byte("builds:\n  - main: .\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ws := Lint("gobuild.yaml", clean); len(ws) != 0 {
		t.Errorf("a plain file has warnings: %v", ws)
	}
}

func TestArgs(t *testing.T) {
	src := `go:
  env:
    GOPROXY: https://proxy.example
  private: [git.example/*]
builds:
  - main: .
    ldflags: ['-X main.tier={{ .Args.TIER }}', '-X main.v={{ .Version }}']
images:
  - name: x
    labels:
      team: '{{ index .Args "TEAM" }}'
      tier: '{{ if .Args.TIER }}{{ .Args.TIER }}{{ end }}'
`
	f, err := Parse("gobuild.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rf, err := f.Resolve("gobuild.yaml", Module{Path: "example.com/x", Go: "1.26"})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Arg{}
	var names []string
	for _, a := range rf.Args("x") {
		byName[a.Name] = a
		names = append(names, a.Name)
	}
	want := []string{"VERSION", "COMMIT", "SOURCE_DATE_EPOCH", "GOFLAGS", "GOINSECURE", "GONOPROXY", "GONOSUMDB", "GOPRIVATE", "GOPROXY", "GOSUMDB", "TIER", "TEAM"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("Args names = %v, want %v", names, want)
	}
	if a := byName["GOPROXY"]; a.Default != "https://proxy.example" || a.Field != "go.env.GOPROXY" {
		t.Errorf("GOPROXY = %+v", a)
	}
	if a := byName["GOPRIVATE"]; a.Default != "git.example/*" || a.Field != "go.private" {
		t.Errorf("GOPRIVATE = %+v", a)
	}
	if a := byName["TIER"]; a.Field != "builds[0].ldflags[0]" {
		t.Errorf("TIER = %+v", a)
	}
	if a := byName["VERSION"]; a.Default != "dev" {
		t.Errorf("VERSION = %+v", a)
	}
	vc := rf.Args("vulncheck")
	if a := vc[len(vc)-3]; a.Name != "GOVULNDB" || a.Default != DefaultVulnDB {
		t.Errorf("vulncheck args: %+v", vc)
	}
}
