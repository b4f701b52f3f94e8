package main

// bench ci: the cycle a CI runner goes through, for examples/service and
// hack/bench/shop, with gobuild and the hand-written Dockerfile. Every cycle
// starts a buildkitd with an empty root (a new runner), builds with the
// registry cache imported and exported (mode=max), pushes the image, and
// stops the daemon; between cycles one file of the project changes. The
// first cycle finds the cache ref empty (cold CI). hack/ci-cycle is the
// entry point; docs/ci.md gets the report.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// ciCycles is the number of CI cycles per project, tool and run.
const ciCycles = 3

// ciProject is one project the CI cycle builds, and its one-file edit.
type ciProject struct {
	ID   string `json:"id"`
	Path string `json:"path"` // in the repository
	// EditFile is changed before cycles 2 and 3: EditRE's one match is
	// replaced by EditFmt with a new string.
	EditFile string         `json:"edit_file"`
	EditDesc string         `json:"edit"`
	editRE   *regexp.Regexp // exactly one match in EditFile
	editFmt  string         // %q: the new string
}

var ciProjects = []ciProject{
	{
		ID: "service", Path: "examples/service",
		EditFile: "internal/buildinfo/buildinfo.go",
		EditDesc: "the default version string in `buildinfo.New` (a package both binaries import)",
		editRE:   regexp.MustCompile(`(?m)^\t\tversion = "[^"\n]*"$`),
		editFmt:  "\t\tversion = %q",
	},
	{
		ID: "shop", Path: serviceDir,
		EditFile: editFile,
		EditDesc: "`const Revision` of the order package (imported by the API, the worker and other packages)",
		editRE:   editRE,
		editFmt:  "const Revision = %q",
	},
}

func ciProjectIDs() []string {
	var ids []string
	for _, p := range ciProjects {
		ids = append(ids, p.ID)
	}
	return ids
}

func ciProjectByID(id string) ciProject {
	for _, p := range ciProjects {
		if p.ID == id {
			return p
		}
	}
	panic("unknown project " + id)
}

// ciOptions are bench ci's flags.
type ciOptions struct {
	options
	projects []string
	results  string // the JSON file
}

func runCI(args []string, reportOnly bool) error {
	fs := flag.NewFlagSet("bench ci", flag.ContinueOnError)
	var o ciOptions
	var tools, projects string
	fs.StringVar(&o.repo, "repo", "", "the gobuild checkout (default: found from the working directory)")
	fs.StringVar(&o.results, "results", envOr("RESULTS", ""), "results file (default <repo>/hack/bench/results/ci-cycle.json; env RESULTS)")
	fs.StringVar(&o.docs, "docs", "", "the Markdown file whose ci-cycle section is rewritten (default <repo>/docs/ci.md; \"-\": none)")
	fs.IntVar(&o.runs, "runs", envInt("RUNS", 1), "runs of the three cycles (env RUNS)")
	fs.StringVar(&tools, "tools", envOr("TOOLS", "gobuild,dockerfile"), "tools, comma-separated (env TOOLS)")
	fs.StringVar(&projects, "projects", envOr("PROJECTS", strings.Join(ciProjectIDs(), ",")), "projects, comma-separated (env PROJECTS)")
	fs.BoolVar(&o.keepWork, "keep-work", false, "keep the work directory (<testbed>/ci-work)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var err error
	if o.repo == "" {
		if o.repo, err = findRepo(); err != nil {
			return err
		}
	}
	if o.results == "" {
		o.results = filepath.Join(o.repo, "hack", "bench", "results", "ci-cycle.json")
	}
	if o.docs == "" {
		o.docs = filepath.Join(o.repo, "docs", "ci.md")
	}
	if o.results, err = filepath.Abs(o.results); err != nil {
		return err
	}
	if reportOnly {
		res, err := readCIResults(o.results)
		if err != nil {
			return err
		}
		res.finish()
		return writeCIReport(o, res)
	}
	if o.runs < 1 {
		return fmt.Errorf("runs must be at least 1, got %d", o.runs)
	}
	if o.tools, err = pick("tool", tools, []string{"gobuild", "dockerfile"}); err != nil {
		return err
	}
	if o.projects, err = pick("project", projects, ciProjectIDs()); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := newCI(ctx, o)
	if err != nil {
		return err
	}
	defer c.cleanup()
	if err := c.runAll(ctx); err != nil {
		return err
	}
	return writeCIReport(o, c.cr)
}

// ci is one run of bench ci: a bench (for its daemons, logs and frontend
// image) with registries of its own.
type ci struct {
	*bench
	co   ciOptions
	cr   *CIResults
	regs []*ciRegistry // running
}

func newCI(ctx context.Context, o ciOptions) (*ci, error) {
	b := &bench{
		o:       o.options,
		testbed: os.Getenv("GOBUILD_TESTBED_DIR"),
		reg:     os.Getenv("GOBUILD_REGISTRY"),
		tbAddr:  os.Getenv("BUILDKIT_HOST"),
		srcs:    map[string]string{},
	}
	if b.testbed == "" || b.reg == "" || b.tbAddr == "" {
		return nil, errors.New("GOBUILD_TESTBED_DIR, GOBUILD_REGISTRY and BUILDKIT_HOST must be set: run hack/ci-cycle, or source the test bed's env file (hack/testbed/up)")
	}
	b.bin = filepath.Join(b.testbed, "bin")
	for _, t := range []string{"buildctl", "buildkitd", "registry"} {
		if _, err := os.Stat(filepath.Join(b.bin, t)); err != nil {
			return nil, fmt.Errorf("the test bed has no %s: %v", t, err)
		}
	}
	if _, err := output(ctx, command{argv: b.buildctl(b.tbAddr, "--timeout", "5", "debug", "workers")}); err != nil {
		return nil, fmt.Errorf("the test bed's buildkitd does not answer: %v", err)
	}
	b.addr = b.tbAddr
	b.logs = filepath.Join(filepath.Dir(o.results), "ci-logs")
	// Daemon roots and registries live in the test bed's state directory,
	// on the file system whose overlayfs the test bed probed.
	b.work = filepath.Join(b.testbed, "ci-work")
	if err := unmountUnder(b.work); err != nil {
		return nil, err
	}
	for _, d := range []string{b.logs, b.work} {
		if err := freshDir(d); err != nil {
			return nil, err
		}
	}
	c := &ci{bench: b, co: o}
	c.cr = &CIResults{
		Schema:   1,
		Started:  time.Now().UTC().Truncate(time.Second),
		Runs:     o.runs,
		Cycles:   ciCycles,
		Registry: b.reg,
	}
	for _, id := range o.tools {
		c.cr.Tools = append(c.cr.Tools, tool(id))
	}
	for _, id := range o.projects {
		c.cr.Projects = append(c.cr.Projects, ciProjectByID(id))
	}
	return c, nil
}

func (c *ci) cleanup() {
	for _, d := range c.daemons {
		d.stop()
	}
	c.daemons = nil
	c.stopRegistries()
	if c.o.keepWork {
		logf("work directory kept: %s", c.work)
		return
	}
	if err := unmountUnder(c.work); err != nil {
		logf("warning: %v", err)
	}
	if err := removeAll(c.work); err != nil {
		logf("warning: %v", err)
	}
}

func (c *ci) stopRegistries() {
	for _, r := range c.regs {
		r.stop()
	}
	c.regs = nil
}

func (c *ci) save() error {
	c.cr.TotalSeconds = time.Since(started).Seconds()
	c.cr.finish()
	return writeCIResults(c.co.results, c.cr)
}

// frontendTag is the tag the CI cycle pushes its frontend image under; the
// builds name it by digest, so that another push of gobuild/gobuild:1 (the
// integration tests make one) cannot change it mid-run.
const frontendTag = "ci-cycle"

func (c *ci) runAll(ctx context.Context) error {
	c.cr.Machine = c.machine(ctx)
	c.cr.Commit = gitCommit(ctx, c.o.repo)
	frontend := ""
	if c.hasTool("gobuild") {
		d, err := c.pushFrontend(ctx, frontendTag)
		if err != nil {
			return err
		}
		c.cr.FrontendDigest = d
		frontend = "ghcr.io/gobuild/gobuild:" + frontendTag + "@" + d
	}
	c.cr.Frontend = frontend
	if err := c.save(); err != nil {
		return err
	}
	for run := 0; run < c.o.runs; run++ {
		for _, p := range c.co.projects {
			if err := c.runProject(ctx, ciProjectByID(p), run, frontend); err != nil {
				c.save()
				return fmt.Errorf("%s, run %d: %w", p, run+1, err)
			}
		}
	}
	c.cr.Finished = time.Now().UTC().Truncate(time.Second)
	c.cr.Complete = true
	return c.save()
}

// ciTarget is one tool's copy of a project, its registry and its refs.
type ciTarget struct {
	tool      string
	src       string
	reg       *ciRegistry
	imageRepo string
	cacheRepo string
	lastImage string // the previous cycle's image digest
}

// runProject runs the three cycles of one project for every tool: each tool
// has its own copy of the project and its own empty registry, and the tools
// take turns, the first one moving with every cycle.
func (c *ci) runProject(ctx context.Context, p ciProject, run int, frontend string) error {
	defer c.stopRegistries()
	var targets []*ciTarget
	var cfg strings.Builder
	base, err := os.ReadFile(filepath.Join(c.testbed, "buildkitd.toml"))
	if err != nil {
		return err
	}
	cfg.Write(base)
	for _, t := range c.o.tools {
		name := fmt.Sprintf("%s-%s-run%d", p.ID, t, run+1)
		src, err := c.prepareSource(p.Path, "src-"+name, t)
		if err != nil {
			return err
		}
		reg, err := c.startRegistry(ctx, filepath.Join(c.work, "registry-"+name), c.logPath(t, p.ID+"-registry", run))
		if err != nil {
			return err
		}
		c.regs = append(c.regs, reg)
		fmt.Fprintf(&cfg, "\n# The CI cycle's registry for %s\n[registry.%q]\n  http = true\n  insecure = true\n", name, reg.addr)
		targets = append(targets, &ciTarget{
			tool: t, src: src, reg: reg,
			imageRepo: p.ID, cacheRepo: "cache/" + t + "-" + p.ID,
		})
	}
	c.daemonConfig = filepath.Join(c.work, "buildkitd-ci.toml")
	if err := os.WriteFile(c.daemonConfig, []byte(cfg.String()), 0o644); err != nil {
		return err
	}
	for cycle := 1; cycle <= ciCycles; cycle++ {
		if cycle > 1 {
			tag := fmt.Sprintf("ci-run%d-cycle%d", run+1, cycle)
			for _, tg := range targets {
				if err := ciEdit(p, tg.src, tag); err != nil {
					return err
				}
			}
		}
		n := len(targets)
		for i := 0; i < n; i++ {
			tg := targets[(run+cycle-1+i)%n]
			logf("run %d/%d, %s, cycle %d/%d: %s", run+1, c.o.runs, p.ID, cycle, ciCycles, tool(tg.tool).Label)
			if err := c.cycle(ctx, p, tg, frontend, run, cycle); err != nil {
				return fmt.Errorf("%s, cycle %d: %w", tg.tool, cycle, err)
			}
			if err := c.save(); err != nil {
				return err
			}
		}
	}
	return nil
}

// cycle is one CI job: a fresh daemon, one build that imports and exports
// the registry cache and pushes the image, the daemon stopped again.
func (c *ci) cycle(ctx context.Context, p ciProject, tg *ciTarget, frontend string, run, cycle int) error {
	step := fmt.Sprintf("%s-cycle%d", p.ID, cycle)
	d, err := c.startDaemon(ctx, c.work, c.logPath(tg.tool, step+"-buildkitd", run))
	if err != nil {
		return err
	}
	c.daemons = append(c.daemons, d)
	defer func() {
		d.stop()
		c.daemons = c.daemons[:len(c.daemons)-1]
	}()
	bb := ciBuild(tg.tool, tg.src, tg.reg.addr, tg.imageRepo, tg.cacheRepo, cycle, frontend)
	bb.metadata = filepath.Join(c.work, "metadata-"+tg.tool+".json")
	_ = os.Remove(bb.metadata)
	log := c.logPath(tg.tool, step, run)
	load0 := loadavg()
	dur, err := runLogged(ctx, command{argv: c.buildctl(d.addr, buildArgs(bb)...)}, log)
	if err != nil {
		return err
	}
	s := CICycle{
		Project: p.ID, Tool: tg.tool, Run: run + 1, Cycle: cycle,
		Seconds: dur.Seconds(), LoadBefore: load0, LoadAfter: loadavg(),
	}
	if s.Traffic, err = tg.reg.traffic(tg.imageRepo, tg.cacheRepo); err != nil {
		return err
	}
	if s.ImageDigest, err = imageDigest(bb.metadata); err != nil {
		return err
	}
	if s.ImageDigest == tg.lastImage {
		return fmt.Errorf("the image is %s again: the edit of %s did not reach it", s.ImageDigest, p.EditFile)
	}
	tg.lastImage = s.ImageDigest
	if s.Traffic.CacheUploaded == 0 && cycle == 1 {
		return fmt.Errorf("the first cycle uploaded no cache to %s; see %s", tg.cacheRepo, log)
	}
	logf("  %-10s %s cycle %d: %7.2fs, uploaded %s (image %s, cache %s), cache fetched %s, found in another repository %s",
		tg.tool, p.ID, cycle, s.Seconds, mib(s.Uploaded), mib(s.ImageUploaded), mib(s.CacheUploaded), mib(s.Downloaded), mib(s.CrossRepo))
	c.cr.Samples = append(c.cr.Samples, s)
	return nil
}

// ciBuild is the build of one cycle; reg is the registry's address, or a
// placeholder for the report.
func ciBuild(toolID, src, reg, imageRepo, cacheRepo string, cycle int, frontend string) bkBuild {
	cache := reg + "/" + cacheRepo
	return bkBuild{
		tool: toolID, src: src, frontend: frontend,
		importCache: cache, exportCache: cache,
		push: fmt.Sprintf("%s/%s:cycle%d", reg, imageRepo, cycle),
	}
}

// ciEdit makes the project's one-file edit in its copy src.
func ciEdit(p ciProject, src, tag string) error {
	path := filepath.Join(src, p.EditFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if n := len(p.editRE.FindAllIndex(data, -1)); n != 1 {
		return fmt.Errorf("%s: want one line matching %s, found %d", path, p.editRE, n)
	}
	line := fmt.Sprintf(p.editFmt, tag)
	return os.WriteFile(path, p.editRE.ReplaceAllLiteral(data, []byte(line)), 0o644)
}
