package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/distribution/reference"
)

// Warning is a problem in a gobuild.yaml that does not stop a build: a risky
// setting. `--call check` and `gobuild validate` report them.
type Warning struct {
	File  string
	Pos   Pos
	Field string // e.g. images[0].user
	Rule  string // e.g. RootUser
	Msg   string
}

func (w Warning) String() string {
	return (&Error{File: w.File, Pos: w.Pos, Field: w.Field, Msg: w.Msg}).Error() + " [" + w.Rule + "]"
}

// Rules are the checks Lint makes, by name, with what each is about.
var Rules = map[string]string{
	"RootUser":       "The image runs as root (uid 0)",
	"MutableBaseTag": "An image is named by a tag, which can move, and not by a digest",
	"ChecksumOff":    "Module checksums are not verified against the checksum database",
	"NoTrimpath":     "Binaries embed the builder's file system paths",
}

// Lint returns the warnings for f (as parsed, before Resolve), in file order.
func Lint(filename string, f *File) []Warning {
	var ws []Warning
	warn := func(rule string, field Path, format string, args ...any) {
		ws = append(ws, Warning{File: filename, Pos: f.nearPos(field), Field: string(field), Rule: rule, Msg: fmt.Sprintf(format, args...)})
	}
	mutable := func(field Path, ref string) {
		named, err := reference.ParseNormalizedNamed(ref)
		if err != nil {
			return // validate reports it
		}
		if _, ok := named.(reference.Digested); ok {
			return
		}
		warn("MutableBaseTag", field, "%s is a tag, which can move between builds; pin it as %s@sha256:<digest> (the digest of this build is in its provenance)", ref, reference.TagNameOnly(named))
	}
	if f.Go.Image != "" {
		mutable("go.image", f.Go.Image)
	}
	for _, k := range sortedKeys(f.Go.Env) {
		v := f.Go.Env[k]
		switch {
		case k == "GOSUMDB" && v == "off":
			warn("ChecksumOff", "go.env.GOSUMDB", "GOSUMDB=off downloads every module without checking it against the checksum database; list private modules in go.private instead")
		case (k == "GONOSUMDB" || k == "GOINSECURE") && v != "":
			warn("ChecksumOff", Path("go.env").Dot(k), "%s=%s skips the checksum database for those modules; go.private does the same for private modules and keeps their fetch private", k, v)
		case k == "GOFLAGS" && slices.Contains(strings.Fields(v), "-insecure"):
			warn("ChecksumOff", "go.env.GOFLAGS", "-insecure fetches modules over plain http without checks")
		}
	}
	for i, b := range f.Builds {
		if b.Trimpath != nil && !*b.Trimpath {
			warn("NoTrimpath", BuildPath(i).Dot("trimpath"), "trimpath: false writes the builder's paths (/src, /go/pkg/mod) into the binary and its stack traces")
		}
	}
	for i, im := range f.Images {
		if uid, _, _ := strings.Cut(im.User, ":"); uid != "" && strings.Trim(uid, "0") == "" {
			warn("RootUser", ImagePath(i).Dot("user"), "user %s is root, so a process that escapes the container starts as root; leave user unset for 65532:65532", im.User)
		}
		if !im.Scratch() && im.Base != "distroless" {
			mutable(ImagePath(i).Dot("base"), im.Base)
		}
	}
	sortByPos(ws, func(w Warning) Pos { return w.Pos })
	return ws
}
