package main

// The report's dependency-bump section: the bytes the bumps' cache exports
// uploaded, the build-cache disk over ten bumps, their targets, their
// commands, and the same on stdout.

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// byteRows are the rows of the bytes table: scenario, what, label.
var byteRows = []struct{ scenario, what, label string }{
	{"export-empty", "uploaded", "first cache export into an empty registry, uploaded"},
	{"bump-fresh", "uploaded", "fresh daemon, one-module bump: uploaded by `--export-cache`"},
	{"bump-fresh", "fetched", "fresh daemon, one-module bump: cache fetched"},
}

// bumpTools are the tools of the results that run the bump scenarios.
func (r *Results) bumpTools() []string {
	var ids []string
	for _, t := range r.Tools {
		if t.BuildKit {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

// byteCell is one tool's bytes: median (min–max), and the ratios to the
// Dockerfile's and, for gobuild, gobuild-base's.
func (r *Results) byteCell(toolID, scenarioID, what string, md bool) string {
	b, ok := r.bytesOf(toolID, scenarioID, what)
	if !ok {
		return "–"
	}
	s := mib(b.Median)
	if md {
		s = "**" + s + "**"
	}
	if len(b.Samples) > 1 {
		s += fmt.Sprintf(" (%s–%s)", strings.TrimSuffix(mib(b.Min), " MiB"), mib(b.Max))
	}
	if d, ok := r.bytesOf("dockerfile", scenarioID, what); ok && toolID != "dockerfile" && d.Median > 0 {
		s += fmt.Sprintf(" %.2f×", float64(b.Median)/float64(d.Median))
	}
	if d, ok := r.bytesOf("gobuild-base", scenarioID, what); ok && toolID == "gobuild" && d.Median > 0 {
		s += fmt.Sprintf(" (%.2f× base)", float64(b.Median)/float64(d.Median))
	}
	return s
}

// diskRatio is a disk run's build cache after its last bump against the
// tool's single full build (step 0 with gc off); with gc, after the prune.
func (r *Results) diskRatio(d DiskRun) (last, full int64, ok bool) {
	off, okOff := r.diskRun(d.Tool, false)
	if !okOff || off.Steps[0].Cache <= 0 {
		return 0, 0, false
	}
	st := d.Steps[len(d.Steps)-1]
	last = st.Cache
	if d.GC && st.Pruned != nil {
		last = st.Pruned.Cache
	}
	return last, off.Steps[0].Cache, true
}

func gcLabel(gc bool, budget int64) string {
	if gc {
		return fmt.Sprintf("on, %s budget (after prune)", gib(budget))
	}
	return "off"
}

func gib(n int64) string { return fmt.Sprintf("%.1f GB", float64(n)/1e9) }

func bumpMarkdown(w io.Writer, r *Results) {
	if r.Bump == nil {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Dependency bumps\n\n")
	p("One leaf module, `%s` (it requires nothing and only the service requires it), is moved\n", r.Bump.Module)
	p("from release to release in each tool's copy of the service: `go.mod` and `go.sum` edited as\n")
	p("`go get %s@<version>` leaves them, with the sums `go mod download -json` prints (the\n", r.Bump.Module)
	p("checked-in service is never changed). It walks down its releases from the checked-in one,\n")
	p("%s, so that every bump is to a version the daemon has not built: in run r the warm bump\n", strings.Join(r.Bump.Walk, " → "))
	p("moves it from the r-th release to the next, the fresh bump's copy one further. Each tool's\n")
	p("copy of `go.mod` ends with a comment naming the tool, so no step keyed on it is shared by two\n")
	p("tools on one daemon.\n\n")
	p("Bytes are counted by a registry the benchmark starts empty for each tool and run (the test\n")
	p("bed's registry program): the size of every blob whose upload completed and every manifest\n")
	p("body, in the cache's repository, from its request log and manifest journal. The first export\n")
	p("fills it; the fresh bump's `--export-cache` then uploads only the blobs it did not hold, since\n")
	p("BuildKit asks (HEAD) before each upload. \"Cache fetched\" is the blobs the fresh build\n")
	p("downloaded. Factors as in the build times.\n\n")
	tools := r.bumpTools()
	p("| bytes |")
	for _, t := range tools {
		p(" %s |", r.toolLabel(t))
	}
	p("\n|---|%s\n", strings.Repeat("---|", len(tools)))
	for _, row := range byteRows {
		p("| %s |", row.label)
		for _, t := range tools {
			p(" %s |", r.byteCell(t, row.scenario, row.what, true))
		}
		p("\n")
	}
	p("\n")
	if len(r.Disk) == 0 {
		return
	}
	p("### Build-cache disk over ten bumps\n\n")
	p("For each tool, in the first run, a `buildkitd` of its own (the test bed's configuration, an\n")
	p("empty root) makes a full build with the module at %s, then ten builds, each with the\n", r.Bump.Walk[0])
	p("module one release older. After each build: `buildctl du` (the total of its records, the\n")
	p("part in cache mounts apart) and `du -s -x` of the daemon's root. Once with BuildKit's gc off,\n")
	p("once with gc on and `maxUsedSpace` = %s; there `buildctl prune --keep-storage` with\n", gib(r.Bump.GCBudget))
	p("the same budget runs after each build (the daemon's own gc runs a second after a build, but\n")
	p("at most once a minute) and the numbers are taken after it. \"× full\" is the build cache after\n")
	p("the tenth bump divided by the tool's single full build's (gc off).\n\n")
	p("| tool | gc | full build | after bump 1 | after bump 5 | after bump 10 | × full | cache mounts after 10 | root after 10 |\n")
	p("|---|---|---|---|---|---|---|---|---|\n")
	for _, d := range r.Disk {
		at := func(i int) DiskUsage {
			if i >= len(d.Steps) {
				return DiskUsage{}
			}
			st := d.Steps[i]
			if d.GC && st.Pruned != nil {
				return *st.Pruned
			}
			return st.DiskUsage
		}
		x := "–"
		if last, full, ok := r.diskRatio(d); ok {
			x = fmt.Sprintf("%.2f×", float64(last)/float64(full))
		}
		n := len(d.Steps) - 1
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.toolLabel(d.Tool), gcLabel(d.GC, r.Bump.GCBudget),
			mib(at(0).Cache), mib(at(1).Cache), mib(at(5).Cache), mib(at(n).Cache), x, mib(at(n).CacheMounts), mib(at(n).Root))
	}
	p("\n<details><summary>every step</summary>\n\n")
	p("| tool | gc | step | %s | build | buildctl du | cache mounts | root | du after prune | root after prune |\n", r.Bump.Module)
	p("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, d := range r.Disk {
		for _, st := range d.Steps {
			pdu, proot := "", ""
			if st.Pruned != nil {
				pdu, proot = mib(st.Pruned.Cache), mib(st.Pruned.Root)
			}
			p("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.toolLabel(d.Tool), gcLabel(d.GC, r.Bump.GCBudget), st.Step, st.Version,
				fmtSec(st.Seconds), mib(st.Cache), mib(st.CacheMounts), mib(st.Root), pdu, proot)
		}
	}
	p("\n</details>\n\n")
}

// printBumps writes the bytes and disk tables to stdout.
func (r *Results) printBumps(tw *tabwriter.Writer) {
	if r.Bump == nil || (len(r.Bytes) == 0 && len(r.Disk) == 0) {
		return
	}
	tools := r.bumpTools()
	fmt.Fprintf(tw, "bytes (%s bumped)", r.Bump.Module)
	for _, t := range tools {
		fmt.Fprintf(tw, "\t%s", r.toolLabel(t))
	}
	fmt.Fprintln(tw)
	for _, row := range byteRows {
		fmt.Fprint(tw, strings.ReplaceAll(row.label, "`", ""))
		for _, t := range tools {
			fmt.Fprintf(tw, "\t%s", r.byteCell(t, row.scenario, row.what, false))
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw)
	if len(r.Disk) > 0 {
		fmt.Fprintln(tw, "disk over ten bumps\tgc\tfull build\tafter bump 10\t× full")
		for _, d := range r.Disk {
			n := len(d.Steps) - 1
			last, full, ok := r.diskRatio(d)
			x := "–"
			if ok {
				x = fmt.Sprintf("%.2f×", float64(last)/float64(full))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.toolLabel(d.Tool), gcLabel(d.GC, r.Bump.GCBudget), mib(d.Steps[0].Cache), mib(d.Steps[n].Cache), x)
		}
		fmt.Fprintln(tw)
	}
}

// bumpTargets are issue 19's targets; ratio judges gobuild's median of a
// scenario against another tool's (targets.go).
func (r *Results) bumpTargets(ratio func(target, sa, toolB, sb string, limit float64, strict bool) targetRow) []targetRow {
	export := "export-empty"
	if _, ok := r.get("gobuild", export); !ok {
		export = "export"
	}
	rows := []targetRow{
		ratio("one-module bump on a warm machine no slower than the Dockerfile", "bump-warm", "dockerfile", "bump-warm", 1, false),
		ratio("fresh daemon with registry cache, one-module bump, at most 0.35× gobuild-base's time", "bump-fresh", "gobuild-base", "bump-fresh", 0.35, false),
	}
	up := targetRow{Target: "bytes uploaded by `--export-cache` after a one-module bump at most 0.2× gobuild-base's", Measured: "–", Holds: "–"}
	a, okA := r.bytesOf("gobuild", "bump-fresh", "uploaded")
	b, okB := r.bytesOf("gobuild-base", "bump-fresh", "uploaded")
	if okA && okB && b.Median > 0 {
		x := float64(a.Median) / float64(b.Median)
		up.Measured = fmt.Sprintf("%.2f× (%s against %s)", x, mib(a.Median), mib(b.Median))
		up.Holds = yesNo(x <= 0.2)
	}
	rows = append(rows, up,
		ratio("first cache export at most 2× the Dockerfile's", export, "dockerfile", export, 2, false))
	disk := targetRow{Target: "build-cache disk after ten one-module bumps (gc off) at most 1.5× a single full build's", Measured: "–", Holds: "–"}
	if d, ok := r.diskRun("gobuild", false); ok {
		if last, full, ok := r.diskRatio(d); ok {
			x := float64(last) / float64(full)
			disk.Measured = fmt.Sprintf("%.2f× (%s against %s)", x, mib(last), mib(full))
			disk.Holds = yesNo(x <= 1.5)
		}
	}
	return append(rows, disk,
		ratio("cold build no slower than gobuild-base's", "cold", "gobuild-base", "cold", 1, false),
		ratio("one-file edit no slower than gobuild-base's", "edit", "gobuild-base", "edit", 1, false))
}

// bumpCommandDocs are the bump scenarios' commands for a BuildKit tool.
func (b *bench) bumpCommandDocs(t string, bb bkBuild) []CommandDoc {
	var docs []CommandDoc
	if t == "gobuild-base" {
		docs = append(docs,
			CommandDoc{Tool: t, What: "its frontend image, once: a worktree of the base ref", Argv: []string{"git", "worktree", "add", "--force", "--detach", "<worktree>", "<commit>"}, Adds: true},
			CommandDoc{Tool: t, What: "built and pushed on the test bed's daemon", Argv: []string{"buildctl", "build", "--frontend", "dockerfile.v0",
				"--local", "context=<worktree>", "--local", "dockerfile=<worktree>",
				"--output", "type=image,name=" + b.reg + "/gobuild/gobuild:" + baseTag + ",push=true,registry.insecure=true"}, Adds: true},
		)
	}
	if !slices.ContainsFunc(bumpScenarios, b.selected) {
		return docs
	}
	module := orDefault(b.o.bumpModule, defaultBumpModule)
	cache := "127.0.0.1:<port>/cache/" + t
	exp, imp := bb, bb
	exp.exportCache = cache
	imp.importCache, imp.exportCache = cache, cache
	return append(docs,
		CommandDoc{Tool: t, What: "each bump: the copy's `go.mod` and `go.sum` edited as `go get` would, with the sums of", Argv: []string{"go", "mod", "download", "-json", module + "@<version>"}, Adds: true},
		CommandDoc{Tool: t, What: "first export and fresh bump: a registry of their own, started empty for each run", Argv: []string{"<testbed>/bin/registry", "-addr", "127.0.0.1:<port>", "-dir", "<empty dir>"}, Adds: true},
		CommandDoc{Tool: t, What: "first export (main daemon, warm), added", Argv: buildArgs(exp)[len(buildArgs(bb))-2 : len(buildArgs(exp))-2], Adds: true},
		CommandDoc{Tool: t, What: "fresh bump (on a fresh daemon), added", Argv: buildArgs(imp)[len(buildArgs(bb))-2 : len(buildArgs(imp))-2], Adds: true},
		CommandDoc{Tool: t, What: "bump-disk, after each build", Argv: []string{"buildctl", "du", "--format", "{{json .}}"}, Adds: true},
		CommandDoc{Tool: t, What: "and", Argv: []string{"du", "-s", "-x", "--block-size=1", "<root>"}, Adds: true},
		CommandDoc{Tool: t, What: "bump-disk with gc (`gc = true`, `maxUsedSpace` in `[worker.oci]`), after each build", Argv: []string{"buildctl", "prune", "--keep-storage", fmt.Sprint(b.o.gcBudgetMB)}, Adds: true},
	)
}
