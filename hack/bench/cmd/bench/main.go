// Command bench times builds of the benchmark service (hack/bench/shop) with
// gobuild, a hand-written Dockerfile, ko and `go build` on the host, on the
// same BuildKit, writes the results as JSON, and renders docs/benchmarks.md
// and an SVG chart from them. hack/bench/run is the entry point; it starts
// the test bed and passes its environment.
//
//	bench [flags]             run the benchmark, then write the report
//	bench report [flags]      only write the report from an existing results.json
//	bench quick [flags]       issue 19's quick mode (quick.go): RUNS=3 of the bump
//	                          scenarios, its own results directory, ratios on stdout
//	bench quick report        only print and write quick mode's report again
//	bench ci [flags]          the measured CI cycle (ci.go), then its section of docs/ci.md
//	bench ci report [flags]   only rewrite that section from ci-cycle.json
//
// Every command runs as an argv array, never through a shell. Only the
// build command itself is timed; its output goes to a log file in the
// results directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// koVersion is the ko release the benchmark installs (go install ...@koVersion).
const koVersion = "v0.19.1"

type options struct {
	repo      string // the gobuild checkout
	results   string // results directory
	docs      string // docs/benchmarks.md
	runs      int
	tools     []string
	scenarios []string
	keepWork  bool
	// sharedDaemon times the main daemon scenarios on the test bed's own
	// buildkitd ($BUILDKIT_HOST) instead of a dedicated one.
	sharedDaemon bool
	// resume continues an interrupted benchmark from its results.json: the
	// tool runs it lists as done are skipped.
	resume bool
	// baseRef is the git ref gobuild-base's frontend is built from ("": no
	// gobuild-base); bumpModule the leaf module the bump scenarios move;
	// gcBudgetMB bump-disk's gc budget in MB (1e6 bytes, as buildctl's).
	baseRef    string
	bumpModule string
	gcBudgetMB int64
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "ci" {
		if len(args) > 1 && args[1] == "report" {
			return runCI(args[2:], true)
		}
		return runCI(args[1:], false)
	}
	quick := len(args) > 0 && args[0] == "quick"
	if quick {
		args = args[1:]
	}
	reportOnly := false
	if len(args) > 0 && args[0] == "report" {
		reportOnly = true
		args = args[1:]
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	var tools, scenarios string
	runs, defScenarios := 5, strings.Join(scenarioIDs(), ",")
	if quick {
		runs, defScenarios = 3, strings.Join(quickScenarios, ",")
	}
	fs.StringVar(&o.repo, "repo", "", "the gobuild checkout (default: found from the working directory)")
	fs.StringVar(&o.results, "results", envOr("RESULTS", ""), "results directory (default <repo>/hack/bench/results, quick mode <repo>/hack/bench/results/quick; env RESULTS)")
	fs.StringVar(&o.docs, "docs", "", "the Markdown report to write (default <repo>/docs/benchmarks.md, quick mode <results>/report.md; \"-\": none)")
	fs.IntVar(&o.runs, "runs", envInt("RUNS", runs), "runs of every scenario (env RUNS)")
	fs.StringVar(&tools, "tools", envOr("TOOLS", ""), "tools to time, comma-separated (env TOOLS; default all, quick mode gobuild, gobuild-base and dockerfile; gobuild-base only with a base ref)")
	fs.StringVar(&scenarios, "scenarios", envOr("SCENARIOS", defScenarios), "scenarios to time, comma-separated (env SCENARIOS)")
	fs.StringVar(&o.baseRef, "base-ref", envOr("BENCH_BASE_REF", ""), "git ref of this repository whose frontend the gobuild-base tool builds with (env BENCH_BASE_REF; \"\": no gobuild-base)")
	fs.StringVar(&o.bumpModule, "bump-module", envOr("BENCH_BUMP_MODULE", defaultBumpModule), "the leaf module the bump scenarios move (env BENCH_BUMP_MODULE)")
	fs.Int64Var(&o.gcBudgetMB, "gc-budget", int64(envInt("BENCH_GC_BUDGET_MB", 4000)), "bump-disk's gc budget in MB (env BENCH_GC_BUDGET_MB)")
	fs.BoolVar(&o.keepWork, "keep-work", false, "keep the work directory (<testbed>/bench-work: sources, images, caches)")
	fs.BoolVar(&o.sharedDaemon, "shared-daemon", false, "build on the test bed's buildkitd ($BUILDKIT_HOST, which the benchmark then prunes) instead of a dedicated one")
	fs.BoolVar(&o.resume, "resume", false, "continue the unfinished benchmark in the results directory (same checkout commit, runs, tools and scenarios), skipping the tool runs it has")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.repo == "" {
		r, err := findRepo()
		if err != nil {
			return err
		}
		o.repo = r
	}
	if o.results == "" {
		o.results = filepath.Join(o.repo, "hack", "bench", "results")
		if quick {
			o.results = filepath.Join(o.results, "quick")
		}
	}
	if o.docs == "" {
		o.docs = filepath.Join(o.repo, "docs", "benchmarks.md")
		if quick {
			o.docs = filepath.Join(o.results, "report.md")
		}
	}
	var err error
	if o.results, err = filepath.Abs(o.results); err != nil {
		return err
	}
	if o.runs < 1 {
		return fmt.Errorf("runs must be at least 1, got %d", o.runs)
	}
	if o.tools, err = pickTools(tools, o.baseRef, quick); err != nil {
		return err
	}
	if o.gcBudgetMB <= 0 {
		return fmt.Errorf("gc-budget must be positive, got %d", o.gcBudgetMB)
	}
	if o.scenarios, err = pick("scenario", scenarios, scenarioIDs()); err != nil {
		return err
	}
	if reportOnly {
		res, err := readResults(filepath.Join(o.results, "results.json"))
		if err != nil {
			return err
		}
		res.finish()
		// The commands are rendered again, so the report follows the code.
		rb := &bench{reg: res.Registry, bin: "<testbed>/bin"}
		if rb.reg == "" {
			rb.reg = "127.0.0.1:5000"
		}
		for _, t := range res.Tools {
			rb.o.tools = append(rb.o.tools, t.ID)
		}
		for _, s := range res.Scenarios {
			rb.o.scenarios = append(rb.o.scenarios, s.ID)
		}
		rb.o.gcBudgetMB = o.gcBudgetMB
		if res.Bump != nil {
			rb.o.bumpModule = res.Bump.Module
			if res.Bump.GCBudget > 0 {
				rb.o.gcBudgetMB = res.Bump.GCBudget / 1e6
			}
		}
		res.Commands = rb.commandDocs()
		if err := writeReport(o, res); err != nil {
			return err
		}
		printSummary(os.Stdout, res)
		return nil
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := newBench(ctx, o)
	if err != nil {
		return err
	}
	defer b.cleanup()
	res, err := b.runAll(ctx)
	if err != nil {
		return err
	}
	if err := writeReport(o, res); err != nil {
		return err
	}
	printSummary(os.Stdout, res)
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	if v := os.Getenv(k); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s=%q is not a number; using %d\n", k, v, def)
			return def
		}
		return n
	}
	return def
}

// pickTools parses the tools to time: by default every tool offered (quick
// mode: the BuildKit ones), gobuild-base only with a base ref.
func pickTools(list, baseRef string, quick bool) ([]string, error) {
	offered := offeredTools(baseRef)
	if list == "" {
		for _, id := range offered {
			if !quick || tool(id).BuildKit {
				list += id + ","
			}
		}
	}
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "gobuild-base" && baseRef == "" {
			return nil, errors.New("tool gobuild-base needs a git ref to build its frontend from: -base-ref or BENCH_BASE_REF (such as BENCH_BASE_REF=40867af)")
		}
	}
	return pick("tool", list, offered)
}

// pick parses a comma-separated subset of known, keeping known's order.
func pick(what, list string, known []string) ([]string, error) {
	want := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		ok := false
		for _, k := range known {
			ok = ok || k == s
		}
		if !ok {
			return nil, fmt.Errorf("unknown %s %q (known: %s)", what, s, strings.Join(known, ", "))
		}
		want[s] = true
	}
	var out []string
	for _, k := range known {
		if want[k] {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s selected", what)
	}
	return out, nil
}

// findRepo walks up from the working directory to the gobuild module.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/gobuild/gobuild\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the gobuild checkout above the working directory; pass -repo")
		}
		dir = parent
	}
}

// logf prints progress to stderr with the elapsed time.
var started = time.Now()

func logf(format string, args ...any) {
	d := time.Since(started).Round(time.Second)
	fmt.Fprintf(os.Stderr, "bench [%s] %s\n", d, fmt.Sprintf(format, args...))
}
