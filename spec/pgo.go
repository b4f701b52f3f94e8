// Profile-guided optimisation: the CPU profile each build compiles with,
// found and checked in the build context as go build would use it.

package spec

import (
	"bytes"
	"fmt"
	"path"

	"github.com/google/pprof/profile"
)

// PGOOff is the builds[].pgo value that compiles without a profile.
const PGOOff = "off"

// DefaultProfile is the profile go build uses, by default (-pgo=auto), from
// the main package's directory.
const DefaultProfile = "default.pgo"

// preprofileHeader starts a profile go tool preprofile wrote, which go
// build reads as well as a pprof file.
var preprofileHeader = []byte("GO PREPROFILE V1\n")

// resolveProfiles sets each build's Profile: its pgo, else the main
// package's default.pgo when the context holds one, as go build's
// -pgo=auto does. Each profile must be a CPU profile go build can read.
// filename names the file in errors; f holds the positions.
func (r *File) resolveProfiles(filename string, f *File, ctx ContextFiles) error {
	var errs Errors
	bad := func(field Path, format string, args ...any) {
		errs = append(errs, &Error{File: filename, Pos: f.nearPos(field), Field: string(field), Msg: fmt.Sprintf(format, args...)})
	}
	dir := ModuleDir(r.Go.Dir)
	for i := range r.Builds {
		b := &r.Builds[i]
		p := BuildPath(i)
		switch b.PGO {
		case PGOOff:
			continue
		case "":
			auto := path.Join(b.Main, DefaultProfile)
			if !ctx.Exists(path.Join(dir, auto)) {
				continue
			}
			if msg := checkProfile(ctx, path.Join(dir, auto)); msg != "" {
				bad(p.Dot("main"), "%s, which go build uses by default (-pgo=auto), %s; set %s: off to build without it", auto, msg, p.Dot("pgo"))
				continue
			}
			b.Profile = auto
		default:
			file := path.Clean(b.PGO)
			if !ctx.Exists(path.Join(dir, file)) {
				bad(p.Dot("pgo"), "%s is not in the build context (the path is relative to the module, as main is)", b.PGO)
				continue
			}
			if msg := checkProfile(ctx, path.Join(dir, file)); msg != "" {
				bad(p.Dot("pgo"), "%s %s", b.PGO, msg)
				continue
			}
			b.Profile = file
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// checkProfile says why the file name of ctx is not a profile go build
// reads ("" when it is): a pprof file (gzipped or not) with samples/count
// or cpu/nanoseconds values, as cmd/compile asks, or a preprocessed one.
func checkProfile(ctx ContextFiles, name string) string {
	data, err := ctx.ReadFile(name)
	if err != nil {
		return fmt.Sprintf("cannot be read: %v", err)
	}
	if bytes.HasPrefix(data, preprofileHeader) {
		return ""
	}
	p, err := profile.ParseData(data)
	if err != nil {
		return fmt.Sprintf("is not a pprof profile (%v); record one with go test -cpuprofile or net/http/pprof", err)
	}
	for _, st := range p.SampleType {
		if st.Type == "samples" && st.Unit == "count" || st.Type == "cpu" && st.Unit == "nanoseconds" {
			return ""
		}
	}
	return "is a pprof profile without CPU samples (samples/count or cpu/nanoseconds): PGO needs a CPU profile"
}
