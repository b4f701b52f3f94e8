package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// commandDocs returns the commands of every selected tool as the report
// shows them: the same argv the benchmark runs, with placeholders for paths.
func (b *bench) commandDocs() []CommandDoc {
	var docs []CommandDoc
	bc := func(args ...string) []string { return append([]string{"buildctl"}, args...) }
	for _, t := range b.o.tools {
		switch t {
		case "gobuild", "dockerfile":
			bb := bkBuild{tool: t, src: "<src>", out: "<out>.tar"}
			exp, imp, multi := bb, bb, bb
			exp.exportCache = b.cacheRef(t)
			imp.importCache = exp.exportCache
			multi.platforms = multiPlatforms
			docs = append(docs,
				CommandDoc{Tool: t, What: "cold, no-op and one-file edit", Argv: bc(buildArgs(bb)...)},
				CommandDoc{Tool: t, What: "cold and three platforms, before the build", Argv: bc("prune", "--all"), Adds: true},
				CommandDoc{Tool: t, What: "three platforms, added", Argv: buildArgs(multi)[len(buildArgs(bb))-2 : len(buildArgs(multi))-2], Adds: true},
				CommandDoc{Tool: t, What: "export the cache (main daemon, warm), added", Argv: buildArgs(exp)[len(buildArgs(bb))-2 : len(buildArgs(exp))-2], Adds: true},
				CommandDoc{Tool: t, What: "the fresh daemon, started for each fresh build", Argv: []string{
					"buildkitd", "--config", "<testbed>/buildkitd.toml", "--root", "<empty dir>",
					"--addr", "unix://<tmp>/buildkitd.sock", "--otel-socket-path", "<tmp>/otel-grpc.sock"}, Adds: true},
				CommandDoc{Tool: t, What: "build on the fresh daemon, added", Argv: buildArgs(imp)[len(buildArgs(bb))-2 : len(buildArgs(imp))-2], Adds: true},
			)
		case "ko":
			env := b.koEnv("<gocache>", "<gomodcache>")
			one := b.koCommand("<src>", "<out>", []string{"linux/amd64"}, "", "")
			three := b.koCommand("<src>", "<out>", multiPlatforms, "", "")
			one.argv[0], three.argv[0] = "ko", "ko"
			docs = append(docs,
				CommandDoc{Tool: t, What: "cold, no-op and one-file edit (in `<src>`; cold: empty `<gocache>` and `<gomodcache>` first)", Env: sortedEnv(env), Argv: one.argv},
				CommandDoc{Tool: t, What: "installed once, before everything", Env: []string{"GOBIN=<testbed>/bin"}, Argv: []string{"go", "install", "github.com/google/ko@" + koVersion}, Adds: true},
				CommandDoc{Tool: t, What: "three platforms, instead of --platform=linux/amd64", Argv: three.argv[6:7], Adds: true},
			)
		case "go":
			c := goBuildCommand("<src>", "<out>", "linux/amd64", "", "")
			env := map[string]string{"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64", "GOCACHE": "<gocache>", "GOMODCACHE": "<gomodcache>", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly"}
			docs = append(docs,
				CommandDoc{Tool: t, What: "cold, no-op and one-file edit (in `<src>`; cold: empty `<gocache>` and `<gomodcache>` first)", Env: sortedEnv(env), Argv: c.argv},
				CommandDoc{Tool: t, What: "three platforms: the same command three times in a row, with `GOARCH=amd64`, `GOARCH=arm64` and `GOARCH=arm GOARM=7`, each into its own `<out>`", Adds: true},
			)
		}
	}
	return docs
}

func sortedEnv(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// --- formatting

func fmtSec(x float64) string {
	switch {
	case x < 10:
		return fmt.Sprintf("%.2f s", x)
	case x < 100:
		return fmt.Sprintf("%.1f s", x)
	}
	return fmt.Sprintf("%.0f s", x)
}

func fmtRange(t Timing) string {
	if len(t.Samples) < 2 {
		return ""
	}
	return fmt.Sprintf("%s–%s", strings.TrimSuffix(fmtSec(t.Min), " s"), fmtSec(t.Max))
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

func (r *Results) get(toolID, scenarioID string) (Timing, bool) {
	for _, t := range r.Timings {
		if t.Tool == toolID && t.Scenario == scenarioID {
			return t, true
		}
	}
	return Timing{}, false
}

func (r *Results) hasTool(id string) bool {
	for _, t := range r.Tools {
		if t.ID == id {
			return true
		}
	}
	return false
}

func (r *Results) toolLabel(id string) string {
	l := tool(id).Label
	if id == "ko" && r.Machine.Ko != "" {
		l += " " + r.Machine.Ko
	}
	return l
}

// cell formats one table cell: median (min–max) and the ratio to the
// Dockerfile's median.
func (r *Results) cell(toolID, scenarioID string, md bool) string {
	t, ok := r.get(toolID, scenarioID)
	switch {
	case !ok:
		return "–"
	case t.NA != "":
		return "n/a"
	case len(t.Samples) == 0:
		return "–"
	}
	s := fmtSec(t.Median)
	if md {
		s = "**" + s + "**"
	}
	if rg := fmtRange(t); rg != "" {
		s += " (" + rg + ")"
	}
	if toolID != "dockerfile" {
		if d, ok := r.get("dockerfile", scenarioID); ok && d.Median > 0 && len(d.Samples) > 0 {
			s += fmt.Sprintf(" %.2f×", t.Median/d.Median)
		}
	}
	return s
}

// --- the Markdown report

func writeReport(o options, r *Results) error {
	chart := filepath.Join(o.results, "chart.svg")
	if err := os.WriteFile(chart, []byte(renderChart(r)), 0o644); err != nil {
		return err
	}
	logf("wrote %s", chart)
	if o.docs == "-" {
		return nil
	}
	rel, err := filepath.Rel(filepath.Dir(o.docs), chart)
	if err != nil {
		return err
	}
	resRel, err := filepath.Rel(filepath.Dir(o.docs), filepath.Join(o.results, "results.json"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.docs), 0o755); err != nil {
		return err
	}
	f, err := os.Create(o.docs)
	if err != nil {
		return err
	}
	markdown(f, r, filepath.ToSlash(rel), filepath.ToSlash(resRel))
	if err := f.Close(); err != nil {
		return err
	}
	logf("wrote %s", o.docs)
	return nil
}

func markdown(w io.Writer, r *Results, chart, results string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# Benchmarks\n\n")
	p("<!-- Generated by hack/bench/run from %s; do not edit. -->\n\n", results)
	p("How long it takes to build a realistic Go service into an image with gobuild, with the best\n")
	p("hand-written Dockerfile we know, with ko, and with plain `go build` on the host (no image: the\n")
	p("floor), on one machine in one run; gobuild and the Dockerfile build on the same BuildKit.\n")
	p("Numbers are the median of %d run%s; where there are several, the range in parentheses is\n", r.Runs, plural(r.Runs))
	p("minimum–maximum. The factor after it is the median divided by the Dockerfile's (below 1:\n")
	p("faster than the Dockerfile). Run it with `hack/bench/run` (see [Running it](#running-it)).\n\n")
	if !r.Complete {
		p("**This run did not finish; the numbers below are partial.**\n\n")
	}
	p("![Build times by scenario and tool, log scale](%s)\n\n", chart)

	// Timings.
	p("## Build times\n\n| scenario |")
	for _, t := range r.Tools {
		p(" %s |", r.toolLabel(t.ID))
	}
	p("\n|---|")
	for range r.Tools {
		p("---|")
	}
	p("\n")
	for _, s := range r.Scenarios {
		p("| %s |", s.Label)
		for _, t := range r.Tools {
			p(" %s |", r.cell(t.ID, s.ID, true))
		}
		p("\n")
	}
	p("\n")
	// n/a, grouped by reason.
	var reasons []string
	byReason := map[string][]string{}
	for _, t := range r.Timings {
		if t.NA == "" {
			continue
		}
		l := r.toolLabel(t.Tool)
		if _, ok := byReason[t.NA]; !ok {
			reasons = append(reasons, t.NA)
		}
		if !slices.Contains(byReason[t.NA], l) {
			byReason[t.NA] = append(byReason[t.NA], l)
		}
	}
	for _, reason := range reasons {
		p("n/a: %s %s.\n\n", strings.Join(byReason[reason], " and "), reason)
	}

	// Targets.
	p("## Targets\n\n")
	p("gobuild's targets on this service, judged from the medians above (`hack/bench/run` computes\n")
	p("this table; \"–\" where a number it needs is missing).\n\n")
	p("| target | measured | holds |\n|---|---|---|\n")
	for _, t := range r.targets() {
		p("| %s | %s | %s |\n", t.Target, t.Measured, t.Holds)
	}
	p("\n")

	// Sizes.
	if len(r.Sizes) > 0 {
		p("## Image and binary sizes (linux/amd64)\n\n")
		p("| | images | layers | compressed (layers + config) | uncompressed (layer tars) | binaries (sum) | uncompressed / binaries | compressed / binaries |\n|---|---|---|---|---|---|---|---|\n")
		for _, s := range r.Sizes {
			if s.Images == 0 {
				p("| %s | no image | | | | %s | | |\n", r.toolLabel(s.Tool), mib(s.BinaryBytes))
				continue
			}
			p("| %s | %d | %d | %s | %s | %s | %.3f | %.3f |\n", r.toolLabel(s.Tool), s.Images, s.Layers,
				mib(s.Compressed), mib(s.Uncompressed), mib(s.BinaryBytes),
				float64(s.Uncompressed)/float64(s.BinaryBytes), float64(s.Compressed)/float64(s.BinaryBytes))
		}
		p("\n")
		p("Binaries are the ELF files in the image's layers (for go build, the files it wrote). ")
		same := true
		for _, s := range r.Sizes[1:] {
			same = same && binariesKey(s) == binariesKey(r.Sizes[0])
		}
		switch {
		case same && r.Sizes[0].Binaries[0].SHA256 != "":
			p("Every tool made the same binaries (equal SHA-256): %s.", binariesText(r.Sizes[0]))
		case same:
			p("Every tool made binaries of the same sizes: %s.", binariesText(r.Sizes[0]))
		default:
			for _, s := range r.Sizes {
				p("%s: %s. ", r.toolLabel(s.Tool), binariesText(s))
			}
		}
		p("\nko makes one image per binary (both on the same base layer); its row counts each distinct\n")
		p("blob once. Every image holds the CA bundle, `/etc/passwd` and `/etc/group` with the non-root\n")
		p("user 65532, and `/tmp`.\n\n")
	}

	// Service.
	p("## The service\n\n")
	p("[`%s`](../%s) is a module of its own (`example.com/bench/shop`, `go.mod` and `go.sum` checked\n", r.Service.Path, r.Service.Path)
	p("in): an HTTP API and a background worker (`cmd/api`, `cmd/worker`) over %d internal Go files\n", r.Service.GoFiles)
	p("with %s non-blank lines (domain packages written by its generator and checked in, plus the\n", comma(int64(r.Service.Lines)))
	p("hand-written packages they share). ")
	if mods, per := r.modules(); len(mods) > 0 {
		p("The binaries link %d third-party modules (%s; `go version -m`):\n\n", len(mods), per)
		p("<details><summary>modules</summary>\n\n")
		for _, m := range mods {
			p("- `%s`\n", m)
		}
		p("\n</details>\n\n")
	} else {
		p("\n\n")
	}
	p("Every tool builds the same two binaries with `CGO_ENABLED=0`, `-trimpath` and\n")
	p("`-ldflags=\"-s -w -buildid= -X .../buildinfo.Version=%s -X ...Commit=... -X ...Date=%s\"`:\n", stampVersion, stampDate)
	p("gobuild from [`gobuild.yaml`](../%s/gobuild.yaml), the Dockerfile from\n", r.Service.Path)
	p("[`Dockerfile.handwritten`](../%s/Dockerfile.handwritten) (cross-compiling from\n", r.Service.Path)
	p("`$BUILDPLATFORM`, `go mod download` keyed by bind-mounted `go.mod`/`go.sum` with a cache mount\n")
	p("for `/go/pkg/mod`, a cache mount for `/root/.cache/go-build`, scratch with CA certificates and a\n")
	p("non-root user), ko from [`.ko.yaml`](../%s/.ko.yaml).\n\n", r.Service.Path)

	// Scenarios.
	p("## Scenarios\n\n")
	for _, s := range r.Scenarios {
		p("- **%s**: %s\n", s.Label, s.Desc)
	}
	p("\nOnly the build command is timed (wall clock around the process): not the prune, starting\n")
	p("the fresh daemon, or emptying caches. BuildKit builds export the image with\n")
	p("`--output type=oci,dest=...` (written to disk, included in the time); ko writes an OCI layout\n")
	p("(`--push=false --oci-layout-path`); go build writes the binaries. The tools take turns within\n")
	p("a run, and the first tool changes from run to run. Modules come from proxy.golang.org over the\n")
	p("internet in every cold case, so the network adds to their spread.\n\n")

	// Machine.
	m := r.Machine
	p("## Machine and versions\n\n| | |\n|---|---|\n")
	p("| CPUs (`nproc`) | %d (%s) |\n", m.NProc, m.CPU)
	p("| memory | %.1f GiB |\n", float64(m.MemBytes)/(1<<30))
	p("| OS, kernel | %s, Linux %s, %s |\n", m.OS, m.Kernel, m.Arch)
	p("| Go | %s |\n", m.Go)
	p("| BuildKit | %s (%s snapshotter, OCI worker, root) |\n", m.BuildKit, m.Snapshotter)
	if m.Ko != "" {
		p("| ko | %s |\n", m.Ko)
	}
	p("| gobuild | %s", r.Commit)
	if r.FrontendDigest != "" {
		p(", frontend image `%s`", r.FrontendDigest)
	}
	p(" |\n")
	p("| runs | %d |\n", r.Runs)
	if !r.Started.IsZero() {
		p("| date | %s", r.Started.Format("2006-01-02 15:04 MST"))
		if r.TotalSeconds > 0 {
			p(", the whole benchmark took %.0f min", r.TotalSeconds/60)
			if r.Sessions > 1 {
				p(" over %d sessions (`-resume`)", r.Sessions)
			}
		}
		p(" |\n")
	}
	p("\nBuildKit is the local test bed's (`hack/testbed/up`): its `buildkitd` (OCI worker, run as root)\n")
	p("and `buildkitd.toml`, and its registry on 127.0.0.1:5000, which every daemon uses as a mirror for\n")
	p("docker.io, gcr.io and ghcr.io. ")
	if r.Daemon == "dedicated" {
		p("The main scenarios run on a `buildkitd` the benchmark starts for itself (that binary\n")
		p("and configuration, a new empty `--root`), so that its `prune --all` leaves the test bed's cache\n")
		p("alone and no other build on the test bed disturbs the timings; each fresh-daemon build starts\n")
		p("one more. ")
	} else {
		p("The main scenarios ran on the test bed's own `buildkitd` (`-shared-daemon`). ")
	}
	p("The `golang:1.26` builder image is the test bed's (Debian bookworm with the host's Go\n")
	p("toolchain); the gobuild frontend image is built from this checkout at the start and pushed there\n")
	p("as `ghcr.io/gobuild/gobuild:1`. The Dockerfile is built by BuildKit's built-in Dockerfile frontend\n")
	p("(`dockerfile.v0`; the test bed has no `docker/dockerfile` image, so the benchmark drops the\n")
	p("`# syntax=` line from its copy). ko's base image is made by the benchmark\n")
	p("(`127.0.0.1:5000/bench/static:nonroot`: the same files gobuild puts on scratch, for the three\n")
	p("platforms), since ko skips platforms its base image lacks and the test bed's distroless stand-in\n")
	p("has no linux/arm/v7. Each command's log starts with the load average when it started.\n\n")

	// Commands.
	p("## Commands\n\n")
	p("Placeholders: `<src>` is the tool's copy of the service, `<out>` the output, `<gocache>` and\n")
	p("`<gomodcache>` the tool's own cache directories, `<testbed>` the test bed's state directory.\n")
	p("`buildctl` talks to the benchmark's daemon (`--addr unix://...`), or to the fresh daemon's socket.\n\n")
	cur, inList := "", false
	for _, c := range r.Commands {
		if c.Tool != cur {
			if inList {
				p("\n")
				inList = false
			}
			cur = c.Tool
			p("### %s\n\n", r.toolLabel(c.Tool))
		}
		if c.Adds {
			inList = true
			if len(c.Argv) == 0 {
				p("- %s\n", c.What)
				continue
			}
			p("- %s: `%s%s`\n", c.What, envPrefix(c.Env), shellQuote(c.Argv))
			continue
		}
		if inList {
			p("\n")
			inList = false
		}
		p("%s:\n\n```sh\n", upperFirst(c.What))
		if len(c.Env) > 0 {
			p("%s \\\n  ", strings.Join(quoteAll(c.Env), " \\\n  "))
		}
		p("%s\n```\n\n", wrapArgv(c.Argv))
	}
	p("\n")

	// Running it.
	p("## Running it\n\n")
	p("```sh\nhack/bench/run                  # RUNS=5 by default\nRUNS=1 hack/bench/run           # a quick look\n")
	p("TOOLS=gobuild,dockerfile SCENARIOS=cold,edit hack/bench/run   # a subset\n")
	p("hack/bench/run report           # only rewrite this file and the chart from results.json\n```\n\n")
	p("It is not part of `hack/test`. It starts the test bed when it is not running (and stops it\n")
	p("again), installs ko %s into the test bed's `bin/` with `go install`, and writes\n", koVersion)
	p("`hack/bench/results/`: `results.json` (every sample, the sizes, the machine), `chart.svg`, and\n")
	p("`logs/` (the output of every command, numbered in the order they ran; not committed). This file\n")
	p("is generated from `results.json`.\n")
}

func binariesText(s Size) string {
	var parts []string
	for _, b := range s.Binaries {
		parts = append(parts, fmt.Sprintf("`%s` %s bytes", b.Name, comma(b.Size)))
	}
	return strings.Join(parts, ", ")
}

func binariesKey(s Size) string {
	k := binariesText(s)
	for _, b := range s.Binaries {
		k += " " + b.SHA256
	}
	return k
}

// comma formats n with thousands separators.
func comma(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// modules returns the union of the third-party modules of the binaries, and
// how many each binary has.
func (r *Results) modules() ([]string, string) {
	for _, pick := range []string{"gobuild", "go", "dockerfile", "ko"} {
		for _, s := range r.Sizes {
			if s.Tool != pick || len(s.Binaries) == 0 {
				continue
			}
			set := map[string]bool{}
			var per []string
			for _, b := range s.Binaries {
				for _, m := range b.ModulePaths {
					set[m] = true
				}
				per = append(per, fmt.Sprintf("`%s` %d", b.Name, b.Modules))
			}
			var out []string
			for m := range set {
				out = append(out, m)
			}
			sort.Strings(out)
			return out, strings.Join(per, ", ")
		}
	}
	return nil, ""
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func envPrefix(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return strings.Join(quoteAll(env), " ") + " "
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quoteArg(s)
	}
	return out
}

// wrapArgv renders argv, one option (with its value) per line.
func wrapArgv(argv []string) string {
	if s := shellQuote(argv); len(s) <= 80 {
		return s
	}
	var lines []string
	cur := quoteArg(argv[0])
	for i := 1; i < len(argv); i++ {
		a := quoteArg(argv[i])
		takesValue := argv[i-1] == "-ldflags" || argv[i-1] == "-o"
		if strings.HasPrefix(argv[i], "-") && !takesValue && i > 1 {
			lines = append(lines, cur)
			cur = "  " + a
			continue
		}
		cur += " " + a
	}
	lines = append(lines, cur)
	return strings.Join(lines, " \\\n")
}

// printSummary writes the table to stdout.
func printSummary(w io.Writer, r *Results) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario (median of %d, s)", r.Runs)
	for _, t := range r.Tools {
		fmt.Fprintf(tw, "\t%s", r.toolLabel(t.ID))
	}
	fmt.Fprintln(tw)
	for _, s := range r.Scenarios {
		fmt.Fprint(tw, s.Label)
		for _, t := range r.Tools {
			fmt.Fprintf(tw, "\t%s", r.cell(t.ID, s.ID, false))
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "size (linux/amd64)\timages\tcompressed\tuncompressed\tbinaries\tuncompressed/binaries")
	for _, s := range r.Sizes {
		if s.Images == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t%s\t-\n", r.toolLabel(s.Tool), mib(s.BinaryBytes))
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%.3f\n", r.toolLabel(s.Tool), s.Images, mib(s.Compressed), mib(s.Uncompressed), mib(s.BinaryBytes), float64(s.Uncompressed)/float64(s.BinaryBytes))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "target\tmeasured\tholds")
	for _, t := range r.targets() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Target, t.Measured, t.Holds)
	}
	tw.Flush()
	if r.TotalSeconds > 0 {
		fmt.Fprintf(w, "\nthe benchmark took %.1f min\n", r.TotalSeconds/60)
	}
}
