package spec

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"golang.org/x/mod/semver"
)

var (
	reGoVersion = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+|(rc|beta)[0-9]+)?$`)
	reID        = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	reBinary    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._+-]*$`)
	reUser      = regexp.MustCompile(`^[0-9]+(:[0-9]+)?$`)
	reOwner     = regexp.MustCompile(`^[0-9]+:[0-9]+$`)
	reEnvName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	reTag       = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)
	rePort      = regexp.MustCompile(`^([0-9]{1,5})(/(tcp|udp|sctp))?$`)
	reMode      = regexp.MustCompile(`^0?[0-7]{3}$`)
	reExp       = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	reFIPS140   = regexp.MustCompile(`^(off|latest|inprocess|certified|v[0-9]+\.[0-9]+\.[0-9]+(-[0-9a-f]+)?)$`)
)

// settingEnv are the variables gobuild sets from a field of go, by field.
var settingEnv = map[string]Path{"GOEXPERIMENT": "go.experiment", "GOFIPS140": "go.fips140"}

// ownedFlags are go build flags gobuild sets itself, with the field to use instead.
var ownedFlags = map[string]string{
	"-o": "binary", "-buildmode": "pie", "-ldflags": "ldflags", "-gcflags": "gcflags", "-tags": "tags", "-trimpath": "trimpath",
}

// ownedEnv are variables gobuild sets for every build.
var ownedEnv = []string{"GOOS", "GOARCH", "GOARM", "GOAMD64", "CGO_ENABLED", "GOTOOLCHAIN", "GOCACHE", "GOMODCACHE"}

// reservedTargets are target names gobuild keeps for itself.
var reservedTargets = []string{"binaries", "test", "vulncheck"}

// validate checks values that decode fine but mean nothing.
func (f *File) validate() Errors {
	var errs Errors
	bad := func(field Path, format string, args ...any) {
		errs = append(errs, &Error{File: f.name, Pos: f.nearPos(field), Field: string(field), Msg: fmt.Sprintf(format, args...)})
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
	if d := f.Go.Dir; d != "" {
		switch {
		case strings.HasPrefix(d, "/"):
			bad("go.dir", "%q is absolute; write the module's directory relative to the build context, such as services/api", d)
		case leaves(d):
			bad("go.dir", "%q leaves the build context", d)
		case strings.ContainsAny(d, "\\\x00*?["):
			bad("go.dir", "%q is not a plain directory path", d)
		}
	}
	for _, k := range sortedKeys(f.Go.Env) {
		if msg := checkEnvName(k); msg != "" {
			bad(Path("go.env").Dot(k), "%s", msg)
		} else if slices.Contains(ownedEnv, k) {
			bad(Path("go.env").Dot(k), "gobuild sets %s itself from the target platform and its settings", k)
		} else if field, ok := settingEnv[k]; ok {
			bad(Path("go.env").Dot(k), "set %s with %s", k, field)
		}
	}
	for j, e := range f.Go.Experiment {
		if !reExp.MatchString(strings.TrimPrefix(e, "no")) {
			bad(Path("go.experiment").Index(j), "%q is not a GOEXPERIMENT name: write one per item, such as jsonv2 or noswissmap", e)
		}
	}
	if v := f.Go.FIPS140; v != "" && !reFIPS140.MatchString(v) {
		bad("go.fips140", "%q is not a GOFIPS140 setting: use latest, inprocess, certified, off or a module version such as v1.0.0", v)
	}
	for j, pat := range f.Go.Private {
		if pat == "" || strings.ContainsAny(pat, ", \t\n") {
			bad(Path("go.private").Index(j), "%q is not a module path pattern: write one per item, such as github.com/acme/*", pat)
		} else if f.Go.SSH && !strings.Contains(PatternPrefix(pat), ".") {
			bad(Path("go.private").Index(j), "%q does not start with a host name, so go.ssh cannot rewrite its URLs to ssh: write it as host/path, such as github.com/acme/*", pat)
		}
	}
	if f.Go.SSH && len(f.Go.Private) == 0 {
		bad("go.ssh", "go.ssh fetches the modules that go.private names over ssh, and go.private is empty")
	}
	for j, pkg := range f.Test.Packages {
		if msg := checkPattern(pkg); msg != "" {
			bad(Path("test.packages").Index(j), "%s", msg)
		}
	}
	for j, pkg := range f.Vulncheck.Packages {
		if msg := checkPattern(pkg); msg != "" {
			bad(Path("vulncheck.packages").Index(j), "%s", msg)
		}
	}
	if db := f.Vulncheck.DB; db != "" {
		if msg := CheckVulnDB(db); msg != "" {
			bad("vulncheck.db", "%s", msg)
		}
	}
	if v := f.Test.Gotestsum; v != "" && (!semver.IsValid(v) || semver.Canonical(v) != v) {
		bad("test.gotestsum", "%q is not a version of gotest.tools/gotestsum such as %s", v, DefaultGotestsumVersion)
	}
	for j, fl := range f.Test.Flags {
		name, _, _ := strings.Cut(strings.TrimLeft(fl, "-"), "=")
		switch name {
		case "coverprofile":
			bad(Path("test.flags").Index(j), "gobuild writes the coverage profile itself; set test.coverage: true")
		case "json":
			if f.Test.Junit {
				bad(Path("test.flags").Index(j), "test.junit runs the tests through gotestsum, which asks go test for JSON itself")
			}
		}
	}
	if v := f.Vulncheck.Version; v != "" && (!semver.IsValid(v) || semver.Canonical(v) != v) {
		bad("vulncheck.version", "%q is not a version of golang.org/x/vuln such as %s", v, DefaultVulncheckVersion)
	}
	for j, fl := range f.Test.Flags {
		if !strings.HasPrefix(fl, "-") {
			bad(Path("test.flags").Index(j), "%q is not a flag: flags start with -", fl)
		}
	}
	ids := map[string]Path{}
	binaries := map[string]Path{}
	for i, b := range f.Builds {
		p := BuildPath(i)
		if b.ID != "" {
			unique(bad, p.Dot("id"), "id", b.ID, reID, "use letters, digits, '.', '_' and '-', starting with a letter or digit", ids)
		}
		if b.Main != "" {
			if msg := checkMain(b.Main); msg != "" {
				bad(p.Dot("main"), "%s", msg)
			}
		}
		if b.Binary != "" {
			unique(bad, p.Dot("binary"), "binary", b.Binary, reBinary, "use letters, digits, '.', '_', '+' and '-', with no '/'", binaries)
		}
		for j, fl := range b.Flags {
			field := p.Dot("flags").Index(j)
			name, _, _ := strings.Cut(fl, "=")
			name = "-" + strings.TrimLeft(name, "-")
			if !strings.HasPrefix(fl, "-") {
				bad(field, "%q is not a flag: flags start with -", fl)
			} else if use, ok := ownedFlags[name]; ok {
				bad(field, "gobuild sets %s itself; use %s", name, p.Dot(use))
			}
		}
		if v := b.PGO; v != "" && v != PGOOff {
			switch {
			case strings.HasPrefix(v, "/"):
				bad(p.Dot("pgo"), "%q is absolute; write the profile's path relative to the module, as main is, such as cmd/server/cpu.pprof, or off", v)
			case leaves(path.Join(ModuleDir(f.Go.Dir), v)):
				bad(p.Dot("pgo"), "%q leaves the build context", v)
			}
		}
		for j, ps := range b.Platforms {
			field := p.Dot("platforms").Index(j)
			if pl, err := platforms.Parse(ps); err != nil {
				bad(field, "%q is not a platform: write it as os/arch[/variant], such as linux/arm64 or linux/arm/v7", ps)
			} else if err := CheckPlatform(pl); err != nil {
				bad(field, "%q: %v", ps, err)
			}
		}
		for j, tag := range b.Tags {
			if !reTag.MatchString(tag) {
				bad(p.Dot("tags").Index(j), "%q is not a build tag: use letters, digits, '_' and '.'", tag)
			}
		}
		for _, k := range sortedKeys(b.Env) {
			if msg := checkEnvName(k); msg != "" {
				bad(p.Dot("env").Dot(k), "%s", msg)
			} else if slices.Contains(ownedEnv, k) {
				bad(p.Dot("env").Dot(k), "gobuild sets %s itself from the target platform and its settings", k)
			}
		}
	}
	names := map[string]Path{}
	for i, im := range f.Images {
		p := ImagePath(i)
		if im.Name != "" {
			lower := strings.ToLower(im.Name)
			switch {
			case !reID.MatchString(im.Name):
				bad(p.Dot("name"), "%q is not a valid target name: use letters, digits, '.', '_' and '-', starting with a letter or digit", im.Name)
			case slices.Contains(reservedTargets, lower):
				bad(p.Dot("name"), "%q is reserved for gobuild's own target; reserved: %s", im.Name, strings.Join(reservedTargets, ", "))
			default:
				if prev, ok := names[lower]; ok {
					bad(p.Dot("name"), "duplicate image name %q (also %s)", im.Name, prev)
				}
				names[lower] = p.Dot("name")
			}
		}
		if b := im.Base; b != "" && b != "scratch" && b != "distroless" {
			if _, err := reference.ParseNormalizedNamed(b); err != nil {
				bad(p.Dot("base"), "%q is not scratch, distroless or an image reference: %v", b, err)
			}
		}
		for _, k := range sortedKeys(im.Annotations) {
			if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\n") {
				bad(p.Dot("annotations"), "annotation name %q is empty or has spaces", k)
			}
		}
		if im.User != "" && !reUser.MatchString(im.User) {
			bad(p.Dot("user"), "%q is not a numeric user: write uid or uid:gid, for example 65532:65532", im.User)
		}
		if im.Workdir != "" {
			if msg := checkImagePath(im.Workdir); msg != "" {
				bad(p.Dot("workdir"), "%s", msg)
			}
		}
		for _, k := range sortedKeys(im.Env) {
			if msg := checkEnvName(k); msg != "" {
				bad(p.Dot("env").Dot(k), "%s", msg)
			}
		}
		for j, port := range im.Expose {
			if !validPort(port) {
				bad(p.Dot("expose").Index(j), "%q is not a port: write a number from 1 to 65535, optionally with /tcp, /udp or /sctp", port)
			}
		}
		for _, k := range sortedKeys(im.Labels) {
			if strings.TrimSpace(k) == "" {
				bad(p.Dot("labels"), "a label name is empty")
			}
		}
		for j, file := range im.Files {
			fp := p.Dot("files").Index(j)
			switch {
			case file.Src == "":
				bad(fp.Dot("src"), "is required: a path in the build context")
			case strings.HasPrefix(file.Src, "/"):
				bad(fp.Dot("src"), "%q is absolute; files come from the build context, so write a path relative to it", file.Src)
			case leaves(file.Src):
				bad(fp.Dot("src"), "%q leaves the build context", file.Src)
			}
			if file.Dst == "" {
				bad(fp.Dot("dst"), "is required: an absolute path in the image")
			} else if msg := checkImagePath(file.Dst); msg != "" {
				bad(fp.Dot("dst"), "%s", msg)
			}
			if file.Mode != "" && !reMode.MatchString(file.Mode) {
				bad(fp.Dot("mode"), "%q is not an octal mode: write it like \"0444\" or \"0755\"", file.Mode)
			}
			if file.Owner != "" && !reOwner.MatchString(file.Owner) {
				bad(fp.Dot("owner"), "%q is not a numeric owner: write uid:gid, for example 65532:65532", file.Owner)
			}
		}
	}
	f.templated(func(field Path, s *string) {
		if _, err := expand(*s, Values{}, true); err != nil {
			bad(field, "%v", err)
		}
	})
	sortByPos(errs, func(e *Error) Pos { return e.Pos })
	return errs
}

// unique checks the value v of the field at p (a build's id or binary,
// what): it must match re (else how says how to write it) and differ from
// every earlier value in seen, which records where each was given.
func unique(bad func(Path, string, ...any), p Path, what, v string, re *regexp.Regexp, how string, seen map[string]Path) {
	name := what
	if what == "binary" {
		name = "file name"
	}
	switch prev, dup := seen[v]; {
	case !re.MatchString(v):
		bad(p, "%q is not a valid %s: %s", v, name, how)
	case dup:
		bad(p, "duplicate %s %q (also %s)", what, v, prev)
	default:
		seen[v] = p
	}
}

func checkEnvName(k string) string {
	if !reEnvName.MatchString(k) {
		return fmt.Sprintf("%q is not a variable name: use letters, digits and '_', not starting with a digit", k)
	}
	return ""
}

// checkImagePath returns why p is not a clean absolute path in the image, or "".
func checkImagePath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return fmt.Sprintf("%q must be an absolute path in the image, such as /app", p)
	}
	if leaves(strings.TrimPrefix(p, "/")) || strings.ContainsRune(p, 0) {
		return fmt.Sprintf("%q must not contain ..", p)
	}
	return ""
}

// leaves reports whether the relative path p has a .. element.
func leaves(p string) bool {
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return true
		}
	}
	return false
}

// validPort reports whether an expose entry is a port from 1 to 65535 with
// an optional protocol (rePort allows at most five digits).
func validPort(s string) bool {
	m := rePort.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	n, err := strconv.Atoi(m[1])
	return err == nil && n >= 1 && n <= 65535
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

// CheckVulnDB returns what is wrong with a vulnerability database URL, or "".
func CheckVulnDB(db string) string {
	u, err := url.Parse(db)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") || (u.Scheme != "file" && u.Host == "") || (u.Scheme == "file" && u.Path == "") {
		return fmt.Sprintf("%q is not an https://, http:// or file:// URL", db)
	}
	return ""
}

// checkPattern returns why p is not a package pattern inside the module, or "".
func checkPattern(p string) string {
	if p != "." && p != "./..." && !strings.HasPrefix(p, "./") {
		return fmt.Sprintf("%q must start with ./ (for example ./... or ./internal/...)", p)
	}
	if c := path.Clean(p); c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Sprintf("%q leaves the module root", p)
	}
	return ""
}
