package spec

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"
)

var (
	reGoVersion = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+|(rc|beta)[0-9]+)?$`)
	reID        = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	reBinary    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._+-]*$`)
	reUser      = regexp.MustCompile(`^[0-9]+(:[0-9]+)?$`)
)

// reservedTargets are target names gobuild keeps for itself.
var reservedTargets = []string{"binaries", "test"}

// validate checks values that decode fine but mean nothing.
func (f *File) validate(filename string) Errors {
	var errs Errors
	bad := func(field, format string, args ...any) {
		errs = append(errs, &Error{File: filename, Pos: f.Pos(field), Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if f.Version != 0 && f.Version != 1 {
		bad("version", "unsupported version %d; this frontend reads version 1", f.Version)
	}
	if v := f.Go.Version; v != "" && !reGoVersion.MatchString(v) {
		bad("go.version", "%q is not a Go version; write it as in go.mod, for example 1.26 or 1.26.2", v)
	}
	if ref := f.Go.Image; ref != "" {
		if _, err := reference.ParseNormalizedNamed(ref); err != nil {
			bad("go.image", "%q is not an image reference: %v", ref, err)
		}
	}
	ids := map[string]string{}
	binaries := map[string]string{}
	for i, b := range f.Builds {
		p := fmt.Sprintf("builds[%d]", i)
		if b.ID != "" {
			if !reID.MatchString(b.ID) {
				bad(p+".id", "%q is not a valid id: use letters, digits, '.', '_' and '-', starting with a letter or digit", b.ID)
			} else if prev, ok := ids[b.ID]; ok {
				bad(p+".id", "duplicate id %q (also %s)", b.ID, prev)
			} else {
				ids[b.ID] = p + ".id"
			}
		}
		if b.Main != "" {
			if msg := checkMain(b.Main); msg != "" {
				bad(p+".main", "%s", msg)
			}
		}
		if b.Binary != "" {
			if !reBinary.MatchString(b.Binary) {
				bad(p+".binary", "%q is not a valid file name: use letters, digits, '.', '_', '+' and '-', with no '/'", b.Binary)
			} else if prev, ok := binaries[b.Binary]; ok {
				bad(p+".binary", "duplicate binary %q (also %s)", b.Binary, prev)
			} else {
				binaries[b.Binary] = p + ".binary"
			}
		}
	}
	names := map[string]string{}
	for i, im := range f.Images {
		p := fmt.Sprintf("images[%d]", i)
		if im.Name != "" {
			lower := strings.ToLower(im.Name)
			switch {
			case !reID.MatchString(im.Name):
				bad(p+".name", "%q is not a valid target name: use letters, digits, '.', '_' and '-', starting with a letter or digit", im.Name)
			case slices.Contains(reservedTargets, lower):
				bad(p+".name", "%q is reserved for gobuild's own target; reserved: %s", im.Name, strings.Join(reservedTargets, ", "))
			default:
				if prev, ok := names[lower]; ok {
					bad(p+".name", "duplicate image name %q (also %s)", im.Name, prev)
				}
				names[lower] = p + ".name"
			}
		}
		if im.User != "" && !reUser.MatchString(im.User) {
			bad(p+".user", "%q is not a numeric user: write uid or uid:gid, for example 65532:65532", im.User)
		}
	}
	return errs
}

// checkMain returns why main is not a package path inside the module, or "".
func checkMain(m string) string {
	if strings.HasPrefix(m, "/") {
		return fmt.Sprintf("%q is absolute; write a path relative to the module root, such as ./cmd/server", m)
	}
	if m != "." && !strings.HasPrefix(m, "./") {
		return fmt.Sprintf("%q must start with ./ (for example ./%s), as go build expects for a package in the module", m, m)
	}
	if c := path.Clean(m); c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Sprintf("%q leaves the module root", m)
	}
	if strings.ContainsAny(m, "\\\x00") || strings.Contains(m, "...") {
		return fmt.Sprintf("%q is not a single package path", m)
	}
	return ""
}
