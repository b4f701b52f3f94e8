package main

// bump-disk: what ten successive one-module bumps leave on a machine's disk.
// For each BuildKit tool, in the first run only, two buildkitd of their own
// (the test bed's binary and configuration with the gc settings replaced, an
// empty root), one after the other: one with BuildKit's gc off, one with gc
// on and a small budget (-gc-budget). On each, a full build of the source
// with the bump module at the checked-in release, then ten builds, each
// with the module one release older (BumpInfo.Walk[1..10]); after every
// build `buildctl du` and `du -s -x` of the root. On the daemon with gc on,
// `buildctl prune --keep-storage <budget>` runs after each build and the
// disk is measured again: the daemon's own gc runs a second after a build
// but at most once a minute, so the explicit prune makes the number not
// depend on that timer.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// diskBumps is the number of bumps after the full build.
const diskBumps = 10

// gcKeys are the keys of [worker.oci] that gcConfig replaces.
var gcKeys = []string{"gc", "gckeepstorage", "reservedSpace", "maxUsedSpace", "minFreeSpace"}

// gcConfig returns the buildkitd.toml base with the gc settings of
// [worker.oci] replaced: gc off, or on with maxUsedSpace budget bytes (no
// reserved space, no free-space rule). A base with [[worker.oci.gcpolicy]]
// tables is refused: their rules would be kept.
func gcConfig(base string, gc bool, budget int64) (string, error) {
	if strings.Contains(base, "[[worker.oci.gcpolicy]]") {
		return "", fmt.Errorf("buildkitd.toml has [[worker.oci.gcpolicy]] tables; bump-disk replaces only the gc keys")
	}
	settings := []string{"  gc = false"}
	if gc {
		if budget <= 0 {
			return "", fmt.Errorf("gc budget must be positive, got %d", budget)
		}
		settings = []string{"  gc = true", fmt.Sprintf("  maxUsedSpace = \"%d\"", budget)}
	}
	var out []string
	section, found := "", false
	for _, l := range strings.Split(base, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			section = strings.Trim(t, "[] ")
			out = append(out, l)
			if section == "worker.oci" {
				found = true
				out = append(out, settings...)
			}
			continue
		}
		if section == "worker.oci" {
			key, _, ok := strings.Cut(t, "=")
			if ok && slices.Contains(gcKeys, strings.TrimSpace(key)) {
				continue
			}
		}
		out = append(out, l)
	}
	if !found {
		out = append(out, "", "[worker.oci]")
		out = append(out, settings...)
	}
	return strings.Join(out, "\n"), nil
}

// parseBuildctlDU reads `buildctl du --format '{{json .}}'`: the total of
// the record sizes (as buildctl's Total line counts them) and the part in
// cache mounts.
func parseBuildctlDU(out []byte) (DiskUsage, error) {
	var recs []struct {
		Size       int64  `json:"size"`
		RecordType string `json:"recordType"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &recs); err != nil {
		return DiskUsage{}, fmt.Errorf("buildctl du: %w", err)
	}
	var u DiskUsage
	for _, r := range recs {
		if r.Size <= 0 {
			continue
		}
		u.Cache += r.Size
		if r.RecordType == "exec.cachemount" {
			u.CacheMounts += r.Size
		}
	}
	u.Records = len(recs)
	return u, nil
}

// parseDuBytes reads `du -s --block-size=1 <dir>`: "<bytes>\t<dir>".
func parseDuBytes(out string) (int64, error) {
	f := strings.Fields(out)
	if len(f) == 0 {
		return 0, fmt.Errorf("du printed nothing")
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("du: %q: %w", out, err)
	}
	return n, nil
}

// diskUsage measures a daemon's build cache and root.
func (b *bench) diskUsage(ctx context.Context, d *daemon) (DiskUsage, error) {
	out, err := output(ctx, command{argv: b.buildctl(d.addr, "du", "--format", "{{json .}}")})
	if err != nil {
		return DiskUsage{}, err
	}
	u, err := parseBuildctlDU([]byte(out))
	if err != nil {
		return u, err
	}
	du, err := output(ctx, command{argv: []string{"du", "-s", "-x", "--block-size=1", filepath.Join(d.dir, "root")}})
	if err != nil {
		return u, err
	}
	u.Root, err = parseDuBytes(du)
	return u, err
}

// bumpDisk runs bump-disk for one tool: the daemon with gc off, then the one
// with gc on.
func (b *bench) bumpDisk(ctx context.Context, bb bkBuild) error {
	base, err := os.ReadFile(filepath.Join(b.testbed, "buildkitd.toml"))
	if err != nil {
		return err
	}
	for _, gc := range []bool{false, true} {
		mode := "gc-off"
		if gc {
			mode = "gc-on"
		}
		cfg, err := gcConfig(string(base), gc, b.o.gcBudgetMB*1e6)
		if err != nil {
			return err
		}
		cfgPath := filepath.Join(b.work, "buildkitd-"+mode+".toml")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
			return err
		}
		run, err := b.diskRun(ctx, bb, cfgPath, mode, gc)
		if err != nil {
			return fmt.Errorf("bump-disk, %s: %w", mode, err)
		}
		b.pendingDisk = append(b.pendingDisk, run)
	}
	return nil
}

// diskRun is the full build and the ten bumps on one new daemon.
func (b *bench) diskRun(ctx context.Context, bb bkBuild, cfgPath, mode string, gc bool) (DiskRun, error) {
	t := bb.tool
	res := DiskRun{Tool: t, GC: gc}
	prev := b.daemonConfig
	b.daemonConfig = cfgPath
	d, err := b.startDaemon(ctx, b.work, b.logPath(t, "bump-disk-"+mode+"-buildkitd", 0))
	b.daemonConfig = prev
	if err != nil {
		return res, err
	}
	b.daemons = append(b.daemons, d)
	defer func() {
		d.stop()
		b.daemons = b.daemons[:len(b.daemons)-1]
	}()
	src := filepath.Join(b.work, "src-"+t+"-disk")
	if err := freshDir(src); err != nil {
		return res, err
	}
	if err := copyTree(bb.src, src); err != nil {
		return res, err
	}
	db := bb
	db.src = src
	db.out = filepath.Join(b.work, "out-"+t+"-disk.tar")
	keep := strconv.FormatInt(b.o.gcBudgetMB, 10)
	for step := 0; step <= diskBumps; step++ {
		v, err := b.walkAt(step)
		if err != nil {
			return res, err
		}
		if err := b.bump.set(ctx, src, v); err != nil {
			return res, err
		}
		dur, err := b.bkRun(ctx, d.addr, db, fmt.Sprintf("bump-disk-%s-%02d", mode, step), 0)
		if err != nil {
			return res, err
		}
		st := DiskStep{Step: step, Version: v, Seconds: round3(dur.Seconds())}
		if st.DiskUsage, err = b.diskUsage(ctx, d); err != nil {
			return res, err
		}
		if gc {
			prune := command{argv: b.buildctl(d.addr, "prune", "--keep-storage", keep)}
			if _, err := runLogged(ctx, prune, b.logPath(t, fmt.Sprintf("bump-disk-%s-%02d-prune", mode, step), 0)); err != nil {
				return res, err
			}
			u, err := b.diskUsage(ctx, d)
			if err != nil {
				return res, err
			}
			st.Pruned = &u
		}
		logf("  %-12s bump-disk %s %2d (%s): %7.2fs, buildctl du %s (cache mounts %s), root %s",
			t, mode, step, v, dur.Seconds(), mib(st.Cache), mib(st.CacheMounts), mib(st.Root))
		res.Steps = append(res.Steps, st)
	}
	return res, nil
}
