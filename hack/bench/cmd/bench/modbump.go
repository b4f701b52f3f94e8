package main

// The dependency bumps' edit: one leaf module of the service (a module whose
// go.mod requires nothing, and that only the service requires, so that its
// version is the only change to the module graph) set to another release in
// a copy of the service. go.mod and go.sum are edited as `go get
// <module>@<version>` leaves them, with the sums that `go mod download -json`
// prints (checked against sum.golang.org by the go command); the checked-in
// service is never touched.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// defaultBumpModule is the leaf module the bump scenarios move: required by
// the service only (go mod graph), it requires nothing, imports only the
// standard library, is imported by one package of the service
// (internal/config), and has eleven releases that compile with it.
const defaultBumpModule = "github.com/BurntSushi/toml"

// modInfo is what `go mod download -json <module>@<version>` prints.
type modInfo struct {
	Path     string
	Version  string
	Error    string
	GoMod    string // the go.mod file in the module cache
	Sum      string // h1: of the module's files
	GoModSum string // h1: of its go.mod
}

// releaseWalk returns the releases of versions (no pre-releases, no
// +incompatible) from current down to the oldest, newest first: the
// versions the bumps walk through, one release a step.
func releaseWalk(versions []string, current string) ([]string, error) {
	var rel []string
	for _, v := range versions {
		if semver.IsValid(v) && semver.Prerelease(v) == "" && semver.Build(v) == "" && !slices.Contains(rel, v) {
			rel = append(rel, v)
		}
	}
	sort.Slice(rel, func(i, j int) bool { return semver.Compare(rel[i], rel[j]) > 0 })
	i := slices.Index(rel, current)
	if i < 0 {
		return nil, fmt.Errorf("the checked-in version %s is not among the releases %s", current, strings.Join(rel, " "))
	}
	return rel[i:], nil
}

// requiredVersion returns the version go.mod requires of module.
func requiredVersion(goMod []byte, module string) (string, error) {
	f, err := modfile.Parse("go.mod", goMod, nil)
	if err != nil {
		return "", err
	}
	for _, r := range f.Require {
		if r.Mod.Path == module {
			return r.Mod.Version, nil
		}
	}
	return "", fmt.Errorf("go.mod does not require %s", module)
}

// bumpGoMod returns go.mod with the requirement of module set to version
// (its comments, such as // indirect, kept), and the version it had.
func bumpGoMod(goMod []byte, module, version string) ([]byte, string, error) {
	old, err := requiredVersion(goMod, module)
	if err != nil {
		return nil, "", err
	}
	f, err := modfile.Parse("go.mod", goMod, nil)
	if err != nil {
		return nil, "", err
	}
	if err := f.AddRequire(module, version); err != nil {
		return nil, "", err
	}
	f.Cleanup()
	out, err := f.Format()
	return out, old, err
}

// bumpGoSum returns go.sum with the two lines of module at version old (its
// files and its go.mod) replaced by those of info, in the go command's
// order: by module path, then version (semver, "/go.mod" after the
// version itself), then hash. Only valid for a module that nothing else in
// the graph requires, which checkLeaf checks.
func bumpGoSum(goSum []byte, module, old string, info modInfo) ([]byte, error) {
	if info.Path != module || info.Sum == "" || info.GoModSum == "" || !semver.IsValid(info.Version) {
		return nil, fmt.Errorf("no sums for %s: %+v", module, info)
	}
	type line struct{ path, version, hash string }
	var lines []line
	for n, l := range strings.Split(string(goSum), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("go.sum:%d: want three fields, have %q", n+1, l)
		}
		if f[0] == module && (f[1] == old || f[1] == old+"/go.mod") {
			continue
		}
		lines = append(lines, line{f[0], f[1], f[2]})
	}
	for _, add := range []line{{module, info.Version, info.Sum}, {module, info.Version + "/go.mod", info.GoModSum}} {
		if !slices.Contains(lines, add) {
			lines = append(lines, add)
		}
	}
	sort.SliceStable(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		if a.path != b.path {
			return a.path < b.path
		}
		va, fa, _ := strings.Cut(a.version, "/")
		vb, fb, _ := strings.Cut(b.version, "/")
		if va != vb {
			return semver.Compare(va, vb) < 0
		}
		if fa != fb {
			return fa < fb
		}
		return a.hash < b.hash
	})
	var sb strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&sb, "%s %s %s\n", l.path, l.version, l.hash)
	}
	return []byte(sb.String()), nil
}

// checkLeaf fails unless the module's go.mod at this version requires
// nothing and asks for no newer Go than the service's.
func checkLeaf(info modInfo, goMod []byte, serviceGo string) error {
	f, err := modfile.ParseLax(info.GoMod, goMod, nil)
	if err != nil {
		return err
	}
	if len(f.Require) > 0 {
		return fmt.Errorf("%s@%s is not a leaf module: it requires %s", info.Path, info.Version, f.Require[0].Mod)
	}
	if f.Go != nil && serviceGo != "" && semver.Compare("v"+f.Go.Version, "v"+serviceGo) > 0 {
		return fmt.Errorf("%s@%s needs go %s, the service has go %s", info.Path, info.Version, f.Go.Version, serviceGo)
	}
	return nil
}

// onlyRequiredBy fails unless every requirement of module in `go mod
// graph`'s output is the main module's.
func onlyRequiredBy(graph, main, module string) error {
	for _, l := range strings.Split(graph, "\n") {
		from, to, ok := strings.Cut(strings.TrimSpace(l), " ")
		if !ok || !strings.HasPrefix(to, module+"@") {
			continue
		}
		if from != main {
			return fmt.Errorf("%s is required by %s, not only by %s: a bump would change more than one module", module, from, main)
		}
	}
	return nil
}

// bumper moves the bump module of copies of the service, with the host's go
// command and module cache.
type bumper struct {
	module  string
	walk    []string // from the checked-in version down, one release a step
	infos   map[string]modInfo
	goEnv   []string
	scratch string // an empty directory outside any module (not under the repository), for go mod download
}

// goCmd is a go command run in dir for the bumps: module mode, the module
// proxy reachable (GOFLAGS=-mod=mod, the host's GOPROXY).
func (bp *bumper) goCmd(dir string, args ...string) command {
	return command{argv: append([]string{"go"}, args...), dir: dir, env: bp.goEnv}
}

// newBumper checks the bump module in src, a copy of the service that it
// only reads (required by the service only, a leaf at every release), and
// lists the releases it walks through; scratch is an empty directory with no
// go.mod above it.
func newBumper(ctx context.Context, module, src, scratch string) (*bumper, error) {
	bp := &bumper{module: module, infos: map[string]modInfo{}, scratch: scratch,
		goEnv: environ(map[string]string{"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"})}
	data, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		return nil, err
	}
	current, err := requiredVersion(data, module)
	if err != nil {
		return nil, err
	}
	graph, err := output(ctx, bp.goCmd(src, "mod", "graph"))
	if err != nil {
		return nil, err
	}
	if err := onlyRequiredBy(graph, f.Module.Mod.Path, module); err != nil {
		return nil, err
	}
	list, err := output(ctx, bp.goCmd(scratch, "list", "-m", "-versions", module))
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(list)
	if len(fields) < 2 {
		return nil, fmt.Errorf("go list -m -versions %s: no versions: %q", module, list)
	}
	if bp.walk, err = releaseWalk(fields[1:], current); err != nil {
		return nil, fmt.Errorf("%s: %w", module, err)
	}
	serviceGo := ""
	if f.Go != nil {
		serviceGo = f.Go.Version
	}
	for _, v := range bp.walk {
		info, err := bp.info(ctx, v)
		if err != nil {
			return nil, err
		}
		goMod, err := os.ReadFile(info.GoMod)
		if err != nil {
			return nil, err
		}
		if err := checkLeaf(info, goMod, serviceGo); err != nil {
			return nil, err
		}
	}
	return bp, nil
}

// info returns the sums of the module at version (downloaded once, outside
// any module, so that no go.mod or go.sum changes).
func (bp *bumper) info(ctx context.Context, version string) (modInfo, error) {
	if info, ok := bp.infos[version]; ok {
		return info, nil
	}
	out, err := output(ctx, bp.goCmd(bp.scratch, "mod", "download", "-json", bp.module+"@"+version))
	if err != nil {
		return modInfo{}, err
	}
	var info modInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		return modInfo{}, fmt.Errorf("go mod download -json %s@%s: %w", bp.module, version, err)
	}
	if info.Error != "" {
		return modInfo{}, fmt.Errorf("go mod download %s@%s: %s", bp.module, version, info.Error)
	}
	bp.infos[version] = info
	return info, nil
}

// set moves the module of the service copy src to version (nothing when it
// is there already).
func (bp *bumper) set(ctx context.Context, src, version string) error {
	modPath, sumPath := filepath.Join(src, "go.mod"), filepath.Join(src, "go.sum")
	goMod, err := os.ReadFile(modPath)
	if err != nil {
		return err
	}
	newMod, old, err := bumpGoMod(goMod, bp.module, version)
	if err != nil || old == version {
		return err
	}
	info, err := bp.info(ctx, version)
	if err != nil {
		return err
	}
	goSum, err := os.ReadFile(sumPath)
	if err != nil {
		return err
	}
	newSum, err := bumpGoSum(goSum, bp.module, old, info)
	if err != nil {
		return err
	}
	if err := os.WriteFile(modPath, newMod, 0o644); err != nil {
		return err
	}
	logf("  %s: %s %s -> %s", filepath.Base(src), bp.module, old, version)
	return os.WriteFile(sumPath, newSum, 0o644)
}
