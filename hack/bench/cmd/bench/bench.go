package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The service the benchmark builds, relative to the repository, and the file
// and constant its one-file edit changes.
const (
	serviceDir = "hack/bench/shop"
	editFile   = "internal/domain/order/revision.go"
)

var editRE = regexp.MustCompile(`(?m)^const Revision = "[^"\n]*"$`)

type bench struct {
	o       options
	testbed string // GOBUILD_TESTBED_DIR
	bin     string // the test bed's tools, and ko
	reg     string // GOBUILD_REGISTRY
	tbAddr  string // the test bed's buildkitd
	addr    string // the daemon the main scenarios run on
	mainD   *daemon
	work    string // sources, outputs, caches, daemon roots
	logs    string
	res     *Results
	srcs    map[string]string // tool -> its copy of the service
	seq     int               // numbers the log files in run order
	daemons []*daemon         // fresh daemons still running
	pending []Timing          // the current tool run's timings, kept once it completes
	before  float64           // seconds the resumed benchmark had taken before this session
	// daemonConfig is the fresh daemons' buildkitd.toml; "": the test bed's.
	daemonConfig string
	// gobuild-base and the dependency bumps (base.go, bump.go, disk.go):
	// the frontend image of a tool when not the default, the base ref's
	// worktree, the bump module's editor and its scratch directory, and the
	// current tool run's bytes and disk measurements.
	frontends    map[string]string
	baseWorktree string
	bump         *bumper
	bumpScratch  string
	pendingBytes []ByteSample
	pendingDisk  []DiskRun
}

func newBench(ctx context.Context, o options) (*bench, error) {
	b := &bench{
		o:         o,
		testbed:   os.Getenv("GOBUILD_TESTBED_DIR"),
		reg:       os.Getenv("GOBUILD_REGISTRY"),
		tbAddr:    os.Getenv("BUILDKIT_HOST"),
		srcs:      map[string]string{},
		frontends: map[string]string{},
	}
	if b.testbed == "" || b.reg == "" || b.tbAddr == "" {
		return nil, errors.New("GOBUILD_TESTBED_DIR, GOBUILD_REGISTRY and BUILDKIT_HOST must be set: run hack/bench/run, or source the test bed's env file (hack/testbed/up)")
	}
	b.bin = filepath.Join(b.testbed, "bin")
	need := []string{"buildctl", "buildkitd", "mkimage"}
	if b.selected("export-empty") || b.selected("bump-fresh") {
		need = append(need, "registry")
	}
	for _, t := range need {
		if _, err := os.Stat(filepath.Join(b.bin, t)); err != nil {
			return nil, fmt.Errorf("the test bed has no %s: %v", t, err)
		}
	}
	if _, err := output(ctx, command{argv: b.buildctl(b.tbAddr, "--timeout", "5", "debug", "workers")}); err != nil {
		return nil, fmt.Errorf("the test bed's buildkitd does not answer: %v", err)
	}
	b.logs = filepath.Join(o.results, "logs")
	// The work directory holds BuildKit roots and copies of Go modules, so it
	// lives in the test bed's state directory (git-ignored, and skipped by
	// ./... patterns for its leading dot), on the file system whose
	// overlayfs the test bed probed.
	b.work = filepath.Join(b.testbed, "bench-work")
	if err := unmountUnder(b.work); err != nil {
		return nil, err
	}
	fresh := []string{b.logs, b.work}
	if o.resume {
		res, err := b.resumable(ctx)
		if err != nil {
			return nil, err
		}
		b.res = res
		logs, _ := os.ReadDir(b.logs)
		b.seq = len(logs)
		fresh = fresh[1:] // keep the logs
	}
	for _, d := range fresh {
		if err := removeAll(d); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if b.res != nil {
		b.res.Sessions++
		b.before = b.res.TotalSeconds
		return b, nil
	}
	b.res = &Results{
		Schema:   1,
		Started:  time.Now().UTC().Truncate(time.Second),
		Runs:     o.runs,
		Registry: b.reg,
		Sessions: 1,
	}
	for _, id := range o.tools {
		b.res.Tools = append(b.res.Tools, tool(id))
	}
	for _, id := range o.scenarios {
		b.res.Scenarios = append(b.res.Scenarios, scenario(id))
	}
	return b, nil
}

// resumable reads the unfinished results to resume, and checks that they
// were measured with the same commit, runs, tools and scenarios as asked.
func (b *bench) resumable(ctx context.Context) (*Results, error) {
	res, err := readResults(filepath.Join(b.o.results, "results.json"))
	if err != nil {
		return nil, fmt.Errorf("-resume: %w", err)
	}
	var tools, scenarios []string
	for _, t := range res.Tools {
		tools = append(tools, t.ID)
	}
	for _, s := range res.Scenarios {
		scenarios = append(scenarios, s.ID)
	}
	switch commit := gitCommit(ctx, b.o.repo); {
	case res.Complete:
		return nil, errors.New("-resume: the benchmark in the results directory is complete")
	case res.Commit != commit:
		return nil, fmt.Errorf("-resume: the results are of commit %s, the checkout is at %s (pass -repo with a worktree of that commit)", res.Commit, commit)
	case res.Runs != b.o.runs || !slices.Equal(tools, b.o.tools) || !slices.Equal(scenarios, b.o.scenarios):
		return nil, fmt.Errorf("-resume: the results have runs=%d tools=%s scenarios=%s; asked for runs=%d tools=%s scenarios=%s",
			res.Runs, strings.Join(tools, ","), strings.Join(scenarios, ","), b.o.runs, strings.Join(b.o.tools, ","), strings.Join(b.o.scenarios, ","))
	}
	logf("resuming: %d tool runs of %d done", len(res.Done), b.o.runs*len(b.o.tools))
	return res, nil
}

// cleanup stops fresh daemons left by an error and removes the work
// directory unless asked to keep it.
func (b *bench) cleanup() {
	for _, d := range b.daemons {
		d.stop()
	}
	b.daemons = nil
	b.mainD.stop()
	b.removeBaseWorktree()
	if b.bumpScratch != "" {
		if err := removeAll(b.bumpScratch); err != nil {
			logf("warning: %v", err)
		}
	}
	if b.o.keepWork {
		logf("work directory kept: %s", b.work)
		return
	}
	if err := unmountUnder(b.work); err != nil {
		logf("warning: %v", err)
	}
	if err := removeAll(b.work); err != nil {
		logf("warning: %v", err)
	}
}

func (b *bench) selected(scenarioID string) bool {
	for _, s := range b.o.scenarios {
		if s == scenarioID {
			return true
		}
	}
	return false
}

func (b *bench) hasTool(id string) bool {
	for _, t := range b.o.tools {
		if t == id {
			return true
		}
	}
	return false
}

// logPath returns a new log file name for one step.
func (b *bench) logPath(toolID, step string, run int) string {
	b.seq++
	name := fmt.Sprintf("%03d-%s-%s", b.seq, toolID, step)
	if run >= 0 {
		name += fmt.Sprintf("-run%d", run+1)
	}
	return filepath.Join(b.logs, name+".log")
}

func (b *bench) runAll(ctx context.Context) (*Results, error) {
	if err := b.setup(ctx); err != nil {
		return nil, err
	}
	for run := 0; run < b.o.runs; run++ {
		// The tools take turns, and the first one moves with every run, so
		// that a drift in the machine's speed falls on all of them alike.
		n := len(b.o.tools)
		for i := 0; i < n; i++ {
			t := b.o.tools[(run+i)%n]
			done := fmt.Sprintf("%d/%s", run+1, t)
			if slices.Contains(b.res.Done, done) {
				logf("run %d/%d: %s: done before", run+1, b.o.runs, tool(t).Label)
				continue
			}
			logf("run %d/%d: %s", run+1, b.o.runs, tool(t).Label)
			b.pending, b.pendingBytes, b.pendingDisk = nil, nil, nil
			var err error
			switch t {
			case "gobuild", "gobuild-base", "dockerfile":
				err = b.runBuildKit(ctx, t, run)
			case "ko":
				err = b.runKo(ctx, run)
			case "go":
				err = b.runGo(ctx, run)
			}
			if err != nil {
				// A tool run that failed part way adds none of its timings,
				// so that -resume can run it again whole.
				b.save()
				return nil, fmt.Errorf("%s, run %d: %w", t, run+1, err)
			}
			for _, p := range b.pending {
				b.res.add(p.Tool, p.Scenario, p.Samples[0])
			}
			for _, s := range b.pendingBytes {
				b.res.addBytes(s)
			}
			b.res.Disk = append(b.res.Disk, b.pendingDisk...)
			b.res.Done = append(b.res.Done, done)
			if err := b.save(); err != nil {
				return nil, err
			}
		}
	}
	b.res.Finished = time.Now().UTC().Truncate(time.Second)
	b.res.Complete = true
	b.res.finish()
	return b.res, b.save()
}

// save writes results.json (also after every tool's run, so an interrupted
// benchmark keeps what it measured).
func (b *bench) save() error {
	b.res.TotalSeconds = b.before + time.Since(started).Seconds()
	b.res.finish()
	return writeResults(filepath.Join(b.o.results, "results.json"), b.res)
}

// record adds one timing.
func (b *bench) record(toolID, scenarioID string, d time.Duration) {
	logf("  %-10s %-12s %8.2fs", toolID, scenarioID, d.Seconds())
	b.pending = append(b.pending, Timing{Tool: toolID, Scenario: scenarioID, Samples: []float64{d.Seconds()}})
}

// edit gives the service's order package a new schema revision: a change of
// a string constant in one file, different every time, so the compile runs.
func (b *bench) edit(src, tag string) error {
	p := filepath.Join(src, editFile)
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if n := len(editRE.FindAllIndex(data, -1)); n != 1 {
		return fmt.Errorf("%s: want one `const Revision = \"...\"` line, found %d", p, n)
	}
	rev := fmt.Sprintf("const Revision = %q", fmt.Sprintf("bench-%s-%d", tag, time.Now().UnixNano()))
	return os.WriteFile(p, editRE.ReplaceAll(data, []byte(rev)), 0o644)
}

// copyTree copies the regular files and directories of src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// removeAll removes a tree, making read-only directories (a Go module
// cache) writable first.
func removeAll(dir string) error {
	if _, err := os.Lstat(dir); os.IsNotExist(err) {
		return nil
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// freshDir empties dir (or creates it).
func freshDir(dir string) error {
	if err := removeAll(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755)
}

// prepareSource copies a project of the repository (dir) to <work>/<name>
// for one tool. The Dockerfile's copy loses its `# syntax=` line: the test
// bed has no docker/dockerfile image, so BuildKit's built-in Dockerfile
// frontend builds it.
func (b *bench) prepareSource(dir, name, toolID string) (string, error) {
	dst := filepath.Join(b.work, name)
	if err := copyTree(filepath.Join(b.o.repo, dir), dst); err != nil {
		return "", err
	}
	if toolID == "dockerfile" {
		p := filepath.Join(dst, "Dockerfile.handwritten")
		data, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		if first, rest, ok := strings.Cut(string(data), "\n"); ok && strings.HasPrefix(first, "# syntax=") {
			data = []byte(rest)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return "", err
		}
	}
	return dst, nil
}
