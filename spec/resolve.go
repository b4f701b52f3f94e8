package spec

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/semver"
)

var reMajorSuffix = regexp.MustCompile(`^v[0-9]+$`)

// Resolve returns a copy of f with every default filled in from the module's
// go.mod, and checks what can only be checked then (references between
// builds and images, ids that defaults made equal).
func (f *File) Resolve(filename string, mod Module) (*File, error) {
	r := &File{Version: 1, Go: f.Go, pos: f.pos, name: filename, Test: f.Test, Vulncheck: f.Vulncheck}
	r.Vulncheck.Packages = slices.Clone(f.Vulncheck.Packages)
	if len(r.Vulncheck.Packages) == 0 {
		r.Vulncheck.Packages = []string{"./..."}
	}
	if r.Vulncheck.DB == "" {
		r.Vulncheck.DB = DefaultVulnDB
	}
	if r.Vulncheck.Version == "" {
		r.Vulncheck.Version = DefaultVulncheckVersion
	}
	r.Test.Packages = slices.Clone(f.Test.Packages)
	if len(r.Test.Packages) == 0 {
		r.Test.Packages = []string{"./..."}
	}
	r.Test.Flags = slices.Clone(f.Test.Flags)
	if r.Test.Gotestsum == "" {
		r.Test.Gotestsum = DefaultGotestsumVersion
	}
	if r.Test.Vet == nil {
		r.Test.Vet = ptr(true)
	}
	var errs Errors
	bad := func(field Path, format string, args ...any) {
		errs = append(errs, &Error{File: filename, Pos: f.nearPos(field), Field: string(field), Msg: fmt.Sprintf(format, args...)})
	}

	if r.Go.Version == "" {
		r.Go.Version = MinorVersion(mod.GoVersion())
	}
	if r.Go.Image == "" {
		r.Go.Image = "docker.io/library/golang:" + r.Go.Version
	}
	r.Go.Dir = ModuleDir(f.Go.Dir)
	r.Go.Env = maps.Clone(f.Go.Env)
	r.Go.Private = slices.Clone(f.Go.Private)
	r.Go.Experiment = slices.Clone(f.Go.Experiment)
	if r.Go.FIPS140 != "" && semver.Compare("v"+r.Go.Version, "v1.24") < 0 {
		bad("go.fips140", "GOFIPS140 needs Go 1.24 or newer, and this module builds with Go %s (go.version or go.mod)", r.Go.Version)
	}

	builds := f.Builds
	if len(builds) == 0 {
		builds = []Build{{}}
	}
	ids := map[string]int{}
	binaries := map[string]int{}
	for i, b := range builds {
		p := BuildPath(i)
		if b.Main == "" {
			b.Main = "."
		}
		if b.ID == "" {
			b.ID = ExecName(b.Main, mod.Path)
			if !reID.MatchString(b.ID) {
				bad(p, "cannot derive an id from main %q; set id", b.Main)
			}
		}
		if b.Binary == "" {
			b.Binary = b.ID
		}
		if b.Strip == nil {
			b.Strip = ptr(true)
		}
		if b.Trimpath == nil {
			b.Trimpath = ptr(true)
		}
		if j, ok := ids[b.ID]; ok {
			bad(p, "id %q is also the id of %s; set a distinct id", b.ID, BuildPath(j))
		} else if j, ok := binaries[b.Binary]; ok {
			bad(p, "binary %q is also the binary of %s; set a distinct binary", b.Binary, BuildPath(j))
		} else {
			ids[b.ID] = i
			binaries[b.Binary] = i
		}
		r.Builds = append(r.Builds, b)
	}

	images := f.Images
	if len(images) == 0 {
		images = []Image{{}}
	}
	for i, im := range images {
		p := ImagePath(i)
		im.Builds = slices.Clone(im.Builds)
		if im.Name == "" {
			if i > 0 {
				bad(p, "name is required when there is more than one image")
			}
			im.Name = r.Builds[0].ID
			if slices.Contains(reservedTargets, strings.ToLower(im.Name)) {
				bad(p, "the default image name %q is reserved; set %s", im.Name, p.Dot("name"))
			}
		}
		if len(im.Builds) == 0 {
			im.Builds = sortedByValue(ids)
		}
		seen := map[string]bool{}
		for j, id := range im.Builds {
			if _, ok := ids[id]; !ok {
				bad(p.Dot("builds").Index(j), "no build has id %q; builds: %s", id, strings.Join(sortedKeys(ids), ", "))
			}
			if seen[id] {
				bad(p.Dot("builds").Index(j), "build %q is listed twice", id)
			}
			seen[id] = true
		}
		if k, ok := ids[im.Builds[0]]; ok && len(im.Entrypoint) == 0 {
			im.Entrypoint = []string{path.Join(BinDir, r.Builds[k].Binary)}
		}
		if im.User == "" {
			im.User = DefaultUser
		}
		if im.Base == "" {
			im.Base = "scratch"
		}
		// On another base, an empty workdir keeps the base's.
		if im.Workdir == "" && im.Scratch() {
			im.Workdir = "/"
		}
		if im.Certs == nil {
			im.Certs = ptr(im.Scratch())
		}
		r.Images = append(r.Images, im)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	r.locate()
	return r, nil
}

// ModuleDir is the clean module directory of go.dir ("." when empty).
func ModuleDir(dir string) string {
	if dir == "" {
		return "."
	}
	return path.Clean(dir)
}

// GoEnv is the environment gobuild adds to every go command: go.env, then
// GOPRIVATE from go.private (joined to a GOPRIVATE from go.env),
// GOEXPERIMENT from go.experiment and GOFIPS140 from go.fips140, then the
// build args named in GoArgs, which win.
func (f *File) GoEnv(args map[string]string) map[string]string {
	env := maps.Clone(f.Go.Env)
	if env == nil {
		env = map[string]string{}
	}
	if len(f.Go.Private) > 0 {
		pats := slices.Clone(f.Go.Private)
		if p := env["GOPRIVATE"]; p != "" {
			pats = append([]string{p}, pats...)
		}
		env["GOPRIVATE"] = strings.Join(pats, ",")
	}
	if len(f.Go.Experiment) > 0 {
		env["GOEXPERIMENT"] = strings.Join(f.Go.Experiment, ",")
	}
	if f.Go.FIPS140 != "" {
		env["GOFIPS140"] = f.Go.FIPS140
	}
	for _, k := range GoArgs {
		if v, ok := args[k]; ok {
			env[k] = v
		}
	}
	return env
}

// VulnDB is the vulnerability database the vulncheck target reads: the
// GOVULNDB build arg when given, else vulncheck.db.
func (f *File) VulnDB(args map[string]string) (string, error) {
	db := args["GOVULNDB"]
	if db == "" {
		return f.Vulncheck.DB, nil
	}
	if msg := CheckVulnDB(db); msg != "" {
		return "", fmt.Errorf("build arg GOVULNDB: %s", msg)
	}
	return db, nil
}

// PackageExecName is the name go build gives the binary of main (a
// package path relative to the module root) when that name does not depend
// on the module path; ok is false for "." and for a major version
// directory such as ./v2, whose binary is named after the module.
func PackageExecName(main string) (name string, ok bool) {
	p := path.Clean(main)
	if p == "." || reMajorSuffix.MatchString(path.Base(p)) && !strings.Contains(p, "/") {
		return "", false
	}
	return ExecName(p, ""), true
}

// ExecName is the last element of main, or of the module path for ".",
// skipping a major version suffix such as /v2: the name go build gives the
// binary of main, and a build's default id.
func ExecName(main, modPath string) string {
	p := path.Clean(main)
	if p == "." {
		p = modPath
	}
	elems := strings.Split(p, "/")
	last := elems[len(elems)-1]
	if len(elems) > 1 && reMajorSuffix.MatchString(last) {
		last = elems[len(elems)-2]
	}
	return last
}

// Image returns the image named name (case-insensitive), or nil.
func (f *File) Image(name string) *Image {
	for i := range f.Images {
		if strings.EqualFold(f.Images[i].Name, name) {
			return &f.Images[i]
		}
	}
	return nil
}

// Build returns the build with the given id, or nil.
func (f *File) Build(id string) *Build {
	for i := range f.Builds {
		if f.Builds[i].ID == id {
			return &f.Builds[i]
		}
	}
	return nil
}

// sortedByValue returns the keys of m ordered by their values.
func sortedByValue(m map[string]int) []string {
	keys := sortedKeys(m)
	slices.SortFunc(keys, func(a, b string) int { return m[a] - m[b] })
	return keys
}

func ptr[T any](v T) *T { return &v }
