package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// --- BuildKit: gobuild and the hand-written Dockerfile

func (b *bench) hasBuildKitTool() bool {
	return b.hasTool("gobuild") || b.hasTool("gobuild-base") || b.hasTool("dockerfile")
}

func (b *bench) cacheRef(toolID string) string { return b.reg + "/bench/cache:" + toolID }

// bkRun runs one timed BuildKit build.
func (b *bench) bkRun(ctx context.Context, addr string, bb bkBuild, step string, run int) (time.Duration, error) {
	argv := b.buildctl(addr, buildArgs(bb)...)
	return runLogged(ctx, command{argv: argv}, b.logPath(bb.tool, step, run))
}

// prune empties the main daemon's cache: build cache, cache mounts and
// pulled images alike.
func (b *bench) prune(ctx context.Context, toolID, step string, run int) error {
	_, err := runLogged(ctx, command{argv: b.buildctl(b.addr, "prune", "--all")}, b.logPath(toolID, step+"-prune", run))
	return err
}

func (b *bench) runBuildKit(ctx context.Context, t string, run int) error {
	src := b.srcs[t]
	bb := bkBuild{tool: t, src: src, out: filepath.Join(b.work, "out-"+t+".tar"), frontend: b.frontends[t]}
	if err := b.startBumps(ctx, src, run); err != nil {
		return err
	}
	warm := false
	warmUp := func() error {
		if warm {
			return nil
		}
		_, err := b.bkRun(ctx, b.addr, bb, "warm-up", run)
		warm = err == nil
		return err
	}

	if b.selected("cold") {
		if err := b.prune(ctx, t, "cold", run); err != nil {
			return err
		}
		if err := b.edit(src, "cold"); err != nil {
			return err
		}
		d, err := b.bkRun(ctx, b.addr, bb, "cold", run)
		if err != nil {
			return err
		}
		b.record(t, "cold", d)
		warm = true
		if err := b.measureImage(t, bb.out); err != nil {
			return err
		}
	}
	if b.selected("noop") {
		if err := warmUp(); err != nil {
			return err
		}
		d, err := b.bkRun(ctx, b.addr, bb, "noop", run)
		if err != nil {
			return err
		}
		b.record(t, "noop", d)
	}
	if b.selected("edit") {
		if err := warmUp(); err != nil {
			return err
		}
		if err := b.edit(src, "edit"); err != nil {
			return err
		}
		d, err := b.bkRun(ctx, b.addr, bb, "edit", run)
		if err != nil {
			return err
		}
		b.record(t, "edit", d)
	}
	if b.selected("export") || b.selected("fresh-same") || b.selected("fresh-edit") {
		if err := warmUp(); err != nil {
			return err
		}
		exp := bb
		exp.exportCache = b.cacheRef(t)
		d, err := b.bkRun(ctx, b.addr, exp, "export", run)
		if err != nil {
			return err
		}
		if b.selected("export") {
			b.record(t, "export", d)
		}
		imp := bb
		imp.importCache = b.cacheRef(t)
		imp.out = filepath.Join(b.work, "out-"+t+"-fresh.tar")
		if b.selected("fresh-same") {
			if err := b.freshBuild(ctx, imp, "fresh-same", run); err != nil {
				return err
			}
		}
		if b.selected("fresh-edit") {
			if err := b.edit(src, "fresh-edit"); err != nil {
				return err
			}
			warm = false // the main daemon has not built the edit
			if err := b.freshBuild(ctx, imp, "fresh-edit", run); err != nil {
				return err
			}
		}
	}
	if err := b.runBumps(ctx, bb, run, warmUp); err != nil {
		return err
	}
	if b.selected("multi-cold") {
		if err := b.prune(ctx, t, "multi-cold", run); err != nil {
			return err
		}
		if err := b.edit(src, "multi-cold"); err != nil {
			return err
		}
		multi := bb
		multi.platforms = multiPlatforms
		multi.out = filepath.Join(b.work, "out-"+t+"-multi.tar")
		d, err := b.bkRun(ctx, b.addr, multi, "multi-cold", run)
		if err != nil {
			return err
		}
		b.record(t, "multi-cold", d)
		if err := b.checkPlatforms(multi.out); err != nil {
			return fmt.Errorf("%s multi-platform image: %w", t, err)
		}
	}
	return nil
}

// freshBuild starts a buildkitd with an empty root, times one build on it
// and stops it again.
func (b *bench) freshBuild(ctx context.Context, bb bkBuild, scenarioID string, run int) error {
	d, err := b.startDaemon(ctx, b.work, b.logPath(bb.tool, scenarioID+"-buildkitd", run))
	if err != nil {
		return err
	}
	b.daemons = append(b.daemons, d)
	defer func() {
		d.stop()
		b.daemons = b.daemons[:len(b.daemons)-1]
	}()
	dur, err := b.bkRun(ctx, d.addr, bb, scenarioID, run)
	if err != nil {
		return err
	}
	b.record(bb.tool, scenarioID, dur)
	return nil
}

// --- ko

func (b *bench) koCommand(src, layout string, platforms []string, gocache, modcache string) command {
	return command{
		argv: []string{
			filepath.Join(b.bin, "ko"), "build", "--push=false", "--oci-layout-path", layout,
			"--sbom=none", "--platform=" + strings.Join(platforms, ","),
			"./cmd/api", "./cmd/worker",
		},
		dir: src,
		env: environ(b.koEnv(gocache, modcache), "KOCACHE", "KO_CONFIG_PATH", "GOOS", "GOARCH", "GOARM", "GOAMD64", "CGO_ENABLED"),
	}
}

func (b *bench) koEnv(gocache, modcache string) map[string]string {
	return map[string]string{
		"KO_DOCKER_REPO":      b.reg + "/bench/ko",
		"KO_DEFAULTBASEIMAGE": b.koBase(),
		"GOCACHE":             gocache,
		"GOMODCACHE":          modcache,
		"GOTOOLCHAIN":         "local",
		"GOFLAGS":             "-buildvcs=false",
		"SOURCE_DATE_EPOCH":   stampEpoch,
		"VERSION":             stampVersion,
		"COMMIT":              stampCommit,
		"DATE":                stampDate,
	}
}

func (b *bench) runKo(ctx context.Context, run int) error {
	src := b.srcs["ko"]
	gocache := filepath.Join(b.work, "ko-go", "cache")
	modcache := filepath.Join(b.work, "ko-go", "modcache")
	layout := filepath.Join(b.work, "out-ko")
	build := func(step string, platforms []string) (time.Duration, error) {
		if err := removeAll(layout); err != nil {
			return 0, err
		}
		return runLogged(ctx, b.koCommand(src, layout, platforms, gocache, modcache), b.logPath("ko", step, run))
	}
	return b.hostScenarios(ctx, "ko", src, []string{gocache, modcache}, build, func() error {
		return b.measureImage("ko", layout)
	}, func() error {
		return b.checkPlatforms(layout)
	})
}

// --- go build on the host

func goBuildCommand(src, out, platform, gocache, modcache string) command {
	parts := strings.Split(platform, "/")
	pkg := "example.com/bench/shop/internal/buildinfo"
	ldflags := fmt.Sprintf("-s -w -buildid= -X %s.Version=%s -X %s.Commit=%s -X %s.Date=%s",
		pkg, stampVersion, pkg, stampCommit, pkg, stampDate)
	set := map[string]string{
		"CGO_ENABLED": "0",
		"GOOS":        parts[0],
		"GOARCH":      parts[1],
		"GOCACHE":     gocache,
		"GOMODCACHE":  modcache,
		"GOTOOLCHAIN": "local",
		"GOFLAGS":     "-mod=readonly",
	}
	drop := []string{"GOARM", "GOAMD64"}
	if len(parts) == 3 && parts[1] == "arm" {
		set["GOARM"] = strings.TrimPrefix(parts[2], "v")
		drop = []string{"GOAMD64"}
	}
	return command{
		argv: []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out + "/", "./cmd/api", "./cmd/worker"},
		dir:  src,
		env:  environ(set, drop...),
	}
}

func (b *bench) runGo(ctx context.Context, run int) error {
	src := b.srcs["go"]
	gocache := filepath.Join(b.work, "host-go", "cache")
	modcache := filepath.Join(b.work, "host-go", "modcache")
	out := filepath.Join(b.work, "out-go")
	build := func(step string, platforms []string) (time.Duration, error) {
		if err := freshDir(out); err != nil {
			return 0, err
		}
		var total time.Duration
		log := b.logPath("go", step, run)
		for _, p := range platforms {
			dir := out
			if len(platforms) > 1 {
				dir = filepath.Join(out, strings.ReplaceAll(p, "/", "_"))
			}
			d, err := runLogged(ctx, goBuildCommand(src, dir, p, gocache, modcache), log)
			total += d
			if err != nil {
				return total, err
			}
		}
		return total, nil
	}
	return b.hostScenarios(ctx, "go", src, []string{gocache, modcache}, build, func() error {
		return b.measureBinaries(out)
	}, nil)
}

// hostScenarios runs the scenarios of a tool that builds on the host (ko,
// go build): caches are directories that "cold" empties.
func (b *bench) hostScenarios(ctx context.Context, t, src string, caches []string,
	build func(step string, platforms []string) (time.Duration, error),
	measure, checkMulti func() error) error {
	host := []string{"linux/amd64"}
	empty := func() error {
		for _, c := range caches {
			if err := freshDir(c); err != nil {
				return err
			}
		}
		return nil
	}
	warm := false
	warmUp := func() error {
		if warm {
			return nil
		}
		_, err := build("warm-up", host)
		warm = err == nil
		return err
	}
	timed := func(scenarioID string, platforms []string) error {
		d, err := build(scenarioID, platforms)
		if err != nil {
			return err
		}
		b.record(t, scenarioID, d)
		return nil
	}
	if err := empty(); err != nil {
		return err
	}
	if b.selected("cold") {
		if err := b.edit(src, "cold"); err != nil {
			return err
		}
		if err := timed("cold", host); err != nil {
			return err
		}
		warm = true
		if err := measure(); err != nil {
			return err
		}
	}
	if b.selected("noop") {
		if err := warmUp(); err != nil {
			return err
		}
		if err := timed("noop", host); err != nil {
			return err
		}
	}
	if b.selected("edit") {
		if err := warmUp(); err != nil {
			return err
		}
		if err := b.edit(src, "edit"); err != nil {
			return err
		}
		if err := timed("edit", host); err != nil {
			return err
		}
	}
	for _, s := range scenarios {
		if s.BuildKitOnly && b.selected(s.ID) {
			b.res.setNA(t, s.ID, naReason(t, s.ID))
		}
	}
	if b.selected("multi-cold") {
		if err := empty(); err != nil {
			return err
		}
		if err := b.edit(src, "multi-cold"); err != nil {
			return err
		}
		if err := timed("multi-cold", multiPlatforms); err != nil {
			return err
		}
		if checkMulti != nil {
			if err := checkMulti(); err != nil {
				return fmt.Errorf("%s multi-platform image: %w", t, err)
			}
		}
	}
	return nil
}

// --- sizes

// measureImage records the linux/amd64 image's sizes from an OCI layout
// (a tar or a directory).
func (b *bench) measureImage(t, layout string) error {
	s, err := imageSizes(layout, "linux/amd64")
	if err != nil {
		return fmt.Errorf("reading %s: %w", layout, err)
	}
	s.Tool = t
	b.res.setSize(s)
	return nil
}

// measureBinaries records the binaries go build wrote to dir.
func (b *bench) measureBinaries(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	s := Size{Tool: "go", Platform: "linux/amd64"}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		bin, ok := readBinary(e.Name(), data)
		if !ok {
			return fmt.Errorf("%s is not a Go ELF binary", e.Name())
		}
		s.Binaries = append(s.Binaries, bin)
		s.BinaryBytes += bin.Size
	}
	sort.Slice(s.Binaries, func(i, j int) bool { return s.Binaries[i].Name < s.Binaries[j].Name })
	b.res.setSize(s)
	return nil
}

// checkPlatforms fails unless the layout holds images for every platform of
// the three-platform scenario.
func (b *bench) checkPlatforms(layout string) error {
	got, err := imagePlatforms(layout)
	if err != nil {
		return err
	}
	for _, p := range multiPlatforms {
		if !got[p] {
			return fmt.Errorf("no %s image (has %v)", p, keys(got))
		}
	}
	return nil
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
