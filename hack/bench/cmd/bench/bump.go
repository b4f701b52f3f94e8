package main

// The dependency-bump scenarios of issue 19 for the BuildKit tools:
//
//   - bump-warm: on the main daemon, warm with the tool's previous build,
//     the bump module moved one release and the build timed;
//   - export-empty: the warm daemon exports that build's cache (mode=max)
//     into a registry the benchmark starts empty for the tool and run: time
//     and bytes uploaded;
//   - bump-fresh: a fresh daemon imports that cache and builds a copy of
//     the source with the module moved one release further, exporting its
//     cache to the same ref: time, and the bytes the export uploaded, which
//     are the blobs the registry did not hold (BuildKit asks before each
//     upload), counted from the registry's request log (ciregistry.go);
//   - bump-disk (disk.go).
//
// The module walks down its releases from the checked-in one (BumpInfo), so
// every bump is to a version the main daemon has not built: each tool's run
// r starts with the module at Walk[r] (what the daemon holds from run r-1),
// bump-warm moves it to Walk[r+1], and bump-fresh's copy to Walk[r+2].

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// bumping reports whether a selected scenario moves the bump module.
func (b *bench) bumping() bool {
	return slices.ContainsFunc(bumpScenarios, b.selected)
}

// setupBumps checks the bump module on a copy of the service and lists its
// releases; the walk must be long enough for the runs.
func (b *bench) setupBumps(ctx context.Context) error {
	if !b.hasBuildKitTool() {
		return nil
	}
	scratch, err := os.MkdirTemp("", "gobuild-bench-go-")
	if err != nil {
		return err
	}
	b.bumpScratch = scratch
	check, err := b.prepareSource(serviceDir, "src-bump-check", "go")
	if err != nil {
		return err
	}
	logf("checking the bump module %s and listing its releases", b.o.bumpModule)
	bp, err := newBumper(ctx, b.o.bumpModule, check, scratch)
	if err != nil {
		return err
	}
	need := 1
	if b.selected("bump-warm") {
		need += b.o.runs
	}
	if b.selected("bump-fresh") {
		need++
	}
	if b.selected("bump-disk") {
		need = max(need, diskBumps+1)
	}
	if len(bp.walk) < need {
		return fmt.Errorf("%s has %d releases from the checked-in one down (%s); the selected bump scenarios and runs need %d",
			bp.module, len(bp.walk), strings.Join(bp.walk, " "), need)
	}
	b.bump = bp
	b.res.Bump = &BumpInfo{Module: bp.module, Walk: bp.walk}
	if b.selected("bump-disk") {
		b.res.Bump.GCBudget = b.o.gcBudgetMB * 1e6
	}
	return nil
}

// markGoMod ends a tool's copy of go.mod with a comment naming the tool, so
// that no step keyed on go.mod (the module download) is shared by two tools
// on one daemon: gobuild and gobuild-base bumping to the same release would
// otherwise share the download.
func markGoMod(src, toolID string) error {
	p := filepath.Join(src, "go.mod")
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	return os.WriteFile(p, append(data, []byte("\n// hack/bench: "+toolID+"'s copy of the service\n")...), 0o644)
}

// walkAt returns the bump module's release at step i of the walk.
func (b *bench) walkAt(i int) (string, error) {
	if i < 0 || i >= len(b.bump.walk) {
		return "", fmt.Errorf("the bump walk of %s has no step %d (%d releases)", b.bump.module, i, len(b.bump.walk))
	}
	return b.bump.walk[i], nil
}

// startBumps puts the main source at the release the tool's run starts
// from: what the main daemon built in the previous run (a no-op but after
// -resume, whose new daemon builds it first).
func (b *bench) startBumps(ctx context.Context, src string, run int) error {
	if b.bump == nil {
		return nil
	}
	i := 0
	if b.selected("bump-warm") {
		i = run
	}
	v, err := b.walkAt(i)
	if err != nil {
		return err
	}
	return b.bump.set(ctx, src, v)
}

// nextRelease returns the release after the one src's go.mod requires.
func (b *bench) nextRelease(src string) (string, error) {
	data, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		return "", err
	}
	cur, err := requiredVersion(data, b.bump.module)
	if err != nil {
		return "", err
	}
	i := slices.Index(b.bump.walk, cur)
	if i < 0 {
		return "", fmt.Errorf("%s: %s %s is not in the walk", src, b.bump.module, cur)
	}
	return b.walkAt(i + 1)
}

// runBumps runs the selected bump scenarios of one BuildKit tool's run;
// warmUp makes sure the main daemon has built the main source as it is.
func (b *bench) runBumps(ctx context.Context, bb bkBuild, run int, warmUp func() error) error {
	if b.bump == nil {
		return nil
	}
	t := bb.tool
	if b.selected("bump-warm") {
		if err := warmUp(); err != nil {
			return err
		}
		next, err := b.nextRelease(bb.src)
		if err != nil {
			return err
		}
		if err := b.bump.set(ctx, bb.src, next); err != nil {
			return err
		}
		d, err := b.bkRun(ctx, b.addr, bb, "bump-warm", run)
		if err != nil {
			return err
		}
		b.record(t, "bump-warm", d)
	}
	if b.selected("export-empty") || b.selected("bump-fresh") {
		if err := warmUp(); err != nil {
			return err
		}
		if err := b.bumpFresh(ctx, bb, run); err != nil {
			return err
		}
	}
	if b.selected("bump-disk") && run == 0 {
		return b.bumpDisk(ctx, bb)
	}
	return nil
}

// recordBytes adds one byte count of the current tool run.
func (b *bench) recordBytes(toolID, scenarioID, what string, n int64) {
	logf("  %-12s %-12s %s %s", toolID, scenarioID, what, mib(n))
	b.pendingBytes = append(b.pendingBytes, ByteSample{Tool: toolID, Scenario: scenarioID, What: what, Bytes: n})
}

// bumpFresh is export-empty and bump-fresh: a registry of their own, the
// warm build's cache exported into it, then a fresh daemon's build of the
// bumped copy importing and exporting that cache.
func (b *bench) bumpFresh(ctx context.Context, bb bkBuild, run int) error {
	t := bb.tool
	reg, err := b.startRegistry(ctx, filepath.Join(b.work, "registry-"+t), b.logPath(t, "bump-registry", run))
	if err != nil {
		return err
	}
	defer reg.stop()
	repo := "cache/" + t
	cache := reg.addr + "/" + repo

	exp := bb
	exp.exportCache = cache
	d, err := b.bkRun(ctx, b.addr, exp, "export-empty", run)
	if err != nil {
		return err
	}
	tr, err := reg.traffic("", repo)
	if err != nil {
		return err
	}
	if tr.CacheUploaded == 0 {
		return fmt.Errorf("the cache export into the empty registry %s uploaded nothing", reg.addr)
	}
	if b.selected("export-empty") {
		b.record(t, "export-empty", d)
		b.recordBytes(t, "export-empty", "uploaded", tr.CacheUploaded)
	}
	if !b.selected("bump-fresh") {
		return nil
	}

	src := filepath.Join(b.work, "src-"+t+"-bump")
	if err := freshDir(src); err != nil {
		return err
	}
	if err := copyTree(bb.src, src); err != nil {
		return err
	}
	next, err := b.nextRelease(src)
	if err != nil {
		return err
	}
	if err := b.bump.set(ctx, src, next); err != nil {
		return err
	}
	fb := bb
	fb.src = src
	fb.importCache, fb.exportCache = cache, cache
	fb.out = filepath.Join(b.work, "out-"+t+"-bump.tar")
	if err := b.freshBuild(ctx, fb, "bump-fresh", run); err != nil {
		return err
	}
	if tr, err = reg.traffic("", repo); err != nil {
		return err
	}
	b.recordBytes(t, "bump-fresh", "uploaded", tr.CacheUploaded)
	b.recordBytes(t, "bump-fresh", "fetched", tr.Downloaded)
	return nil
}
