package main

// bench ci's results file and its section of docs/ci.md.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CIResults is what ci-cycle.json holds; the report is made from it alone.
type CIResults struct {
	Schema         int         `json:"schema"`
	Complete       bool        `json:"complete"`
	Started        time.Time   `json:"started"`
	Finished       time.Time   `json:"finished,omitzero"`
	TotalSeconds   float64     `json:"total_seconds,omitempty"`
	Runs           int         `json:"runs"`
	Cycles         int         `json:"cycles"`
	Commit         string      `json:"commit"`
	Frontend       string      `json:"frontend,omitempty"`
	FrontendDigest string      `json:"frontend_digest,omitempty"`
	Registry       string      `json:"mirror_registry"`
	Machine        Machine     `json:"machine"`
	Tools          []toolInfo  `json:"tools"`
	Projects       []ciProject `json:"projects"`
	Samples        []CICycle   `json:"samples"`
	// Medians is one row per project, cycle and tool, over the runs.
	Medians []CIMedian `json:"medians"`
}

// CICycle is one measured CI job.
type CICycle struct {
	Project string  `json:"project"`
	Tool    string  `json:"tool"`
	Run     int     `json:"run"`
	Cycle   int     `json:"cycle"`
	Seconds float64 `json:"seconds"`
	Traffic
	ImageDigest string `json:"image_digest"`
	LoadBefore  string `json:"load_before"`
	LoadAfter   string `json:"load_after"`
}

// CIMedian is the median of the runs of one project, cycle and tool.
type CIMedian struct {
	Project       string  `json:"project"`
	Cycle         int     `json:"cycle"`
	Tool          string  `json:"tool"`
	N             int     `json:"n"`
	Seconds       float64 `json:"seconds"`
	Min           float64 `json:"min_seconds"`
	Max           float64 `json:"max_seconds"`
	Uploaded      int64   `json:"uploaded_bytes"`
	ImageUploaded int64   `json:"image_uploaded_bytes"`
	CacheUploaded int64   `json:"cache_uploaded_bytes"`
	Downloaded    int64   `json:"downloaded_bytes"`
	CrossRepo     int64   `json:"cross_repo_bytes"`
}

func (r *CIResults) finish() {
	order := map[string]int{}
	for i, p := range r.Projects {
		order["p:"+p.ID] = i
	}
	for i, t := range r.Tools {
		order["t:"+t.ID] = i
	}
	sort.SliceStable(r.Samples, func(i, j int) bool {
		a, b := r.Samples[i], r.Samples[j]
		if a.Project != b.Project {
			return order["p:"+a.Project] < order["p:"+b.Project]
		}
		if a.Run != b.Run {
			return a.Run < b.Run
		}
		if a.Cycle != b.Cycle {
			return a.Cycle < b.Cycle
		}
		return order["t:"+a.Tool] < order["t:"+b.Tool]
	})
	r.Medians = nil
	for _, p := range r.Projects {
		for cycle := 1; cycle <= r.Cycles; cycle++ {
			for _, t := range r.Tools {
				var secs, up, img, cache, down, cross []float64
				for _, s := range r.Samples {
					if s.Project == p.ID && s.Cycle == cycle && s.Tool == t.ID {
						secs = append(secs, s.Seconds)
						up = append(up, float64(s.Uploaded))
						img = append(img, float64(s.ImageUploaded))
						cache = append(cache, float64(s.CacheUploaded))
						down = append(down, float64(s.Downloaded))
						cross = append(cross, float64(s.CrossRepo))
					}
				}
				if len(secs) == 0 {
					continue
				}
				m := CIMedian{Project: p.ID, Cycle: cycle, Tool: t.ID, N: len(secs)}
				m.Seconds, m.Min, m.Max = stats(secs)
				m.Uploaded = medianBytes(up)
				m.ImageUploaded = medianBytes(img)
				m.CacheUploaded = medianBytes(cache)
				m.Downloaded = medianBytes(down)
				m.CrossRepo = medianBytes(cross)
				r.Medians = append(r.Medians, m)
			}
		}
	}
}

func medianBytes(xs []float64) int64 {
	m, _, _ := stats(xs)
	return int64(m)
}

func (r *CIResults) median(project string, cycle int, toolID string) (CIMedian, bool) {
	for _, m := range r.Medians {
		if m.Project == project && m.Cycle == cycle && m.Tool == toolID {
			return m, true
		}
	}
	return CIMedian{}, false
}

func writeCIResults(p string, r *CIResults) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func readCIResults(p string) (*CIResults, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var r CIResults
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if r.Schema != 1 {
		return nil, fmt.Errorf("%s: schema %d, want 1", p, r.Schema)
	}
	return &r, nil
}

// The markers of the section bench ci owns in docs/ci.md.
const (
	ciBegin = "<!-- ci-cycle:begin -->"
	ciEnd   = "<!-- ci-cycle:end -->"
)

// writeCIReport rewrites the text between the markers of o.docs, or, when
// the file has no markers, adds a "Measured CI cycle" section with them at
// its end.
func writeCIReport(o ciOptions, r *CIResults) error {
	if o.docs == "-" {
		return nil
	}
	rel, err := filepath.Rel(o.repo, o.results)
	if err != nil {
		return err
	}
	var sec bytes.Buffer
	ciMarkdown(&sec, r, filepath.ToSlash(rel))
	old, err := os.ReadFile(o.docs)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(old)
	i, j := strings.Index(doc, ciBegin), strings.Index(doc, ciEnd)
	switch {
	case i >= 0 && j > i:
		doc = doc[:i+len(ciBegin)] + "\n" + sec.String() + doc[j:]
	case i >= 0 || j >= 0:
		return fmt.Errorf("%s: %q and %q must both be there, in that order", o.docs, ciBegin, ciEnd)
	default:
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" {
			doc += "\n"
		}
		doc += "## Measured CI cycle\n\n" + ciBegin + "\n" + sec.String() + ciEnd + "\n"
	}
	if err := os.WriteFile(o.docs, []byte(doc), 0o644); err != nil {
		return err
	}
	logf("wrote %s", o.docs)
	return nil
}

func ciMarkdown(w io.Writer, r *CIResults, results string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("<!-- Generated by hack/ci-cycle from %s; do not edit. -->\n\n", results)
	p("What a CI job that builds and pushes the image costs when every job gets a new runner (an\n")
	p("empty BuildKit) and the build cache travels through a registry, simulated here: for each\n")
	p("project and tool, %d cycles, each a new `buildkitd` with an empty root that builds with the\n", r.Cycles)
	p("registry cache imported and exported (`mode=max`), pushes the image and stops; one file of the\n")
	p("project changes between cycles (a new commit). Cycle 1 finds the cache ref empty (the first\n")
	p("job, or a cache that expired).")
	if r.Runs > 1 {
		p(" Numbers are the median of %d runs; time ranges are minimum–maximum.", r.Runs)
	} else {
		p(" One run (RUNS=1): single measurements, not medians.")
	}
	p("\n\n")
	if !r.Complete {
		p("**This run did not finish; the numbers below are partial.**\n\n")
	}
	p("- **time**: the whole `buildctl build`, on the fresh daemon: pulling the frontend (gobuild) and\n")
	p("  builder images from the test bed's registry, importing the cache, building, pushing the image\n")
	p("  and exporting the cache. The daemon's start and stop (under a second) are left out.\n")
	p("- **uploaded**: every byte the registry stored during the build: the blobs uploaded (the size of\n")
	p("  each blob whose upload completed) and the manifest bodies, read from the registry's request\n")
	p("  log and manifest journal; split into the pushed image's repository and the cache's.\n")
	p("  BuildKit asks before it uploads a blob, so a layer the registry already holds costs nothing.\n")
	p("- **cache fetched**: the blobs the build downloaded from the cache ref.\n")
	p("- **found in the other repo**: blobs the cache export did not upload because the image push had\n")
	p("  just uploaded them to the image's repository (the final image's layers are in a `mode=max`\n")
	p("  cache too). This registry keeps one blob store for all repositories; one that keeps blobs per\n")
	p("  repository (ghcr.io, Docker Hub) would receive them a second time.\n")
	p("- **×**: gobuild's number divided by the Dockerfile's, for the same project and cycle.\n\n")
	for _, proj := range r.Projects {
		p("### %s\n\n", proj.Path)
		p("One-file edit before cycles 2 and 3: %s, in `%s`.\n\n", proj.EditDesc, proj.EditFile)
		p("| cycle | tool | time | × | uploaded | × | image + cache | cache fetched | found in the other repo |\n")
		p("|---|---|---|---|---|---|---|---|---|\n")
		for cycle := 1; cycle <= r.Cycles; cycle++ {
			label := strconv.Itoa(cycle)
			if cycle == 1 {
				label += " (cold)"
			}
			df, hasDF := r.median(proj.ID, cycle, "dockerfile")
			for _, t := range r.Tools {
				m, ok := r.median(proj.ID, cycle, t.ID)
				if !ok {
					continue
				}
				tm := fmtSec(m.Seconds)
				if m.N > 1 {
					tm += fmt.Sprintf(" (%s–%s)", strings.TrimSuffix(fmtSec(m.Min), " s"), fmtSec(m.Max))
				}
				rt, ru := "", ""
				if t.ID != "dockerfile" && hasDF {
					rt = ratio(m.Seconds, df.Seconds)
					ru = ratio(float64(m.Uploaded), float64(df.Uploaded))
				}
				p("| %s | %s | %s | %s | %s | %s | %s + %s | %s | %s |\n", label, t.Label, tm, rt, mib(m.Uploaded), ru,
					mib(m.ImageUploaded), mib(m.CacheUploaded), mib(m.Downloaded), mib(m.CrossRepo))
			}
		}
		p("\n")
		if r.has(proj.ID, "gobuild") && r.has(proj.ID, "dockerfile") {
			p("All %d cycles: gobuild %s and %s uploaded, the Dockerfile %s and %s (%s the time, %s the bytes).\n\n",
				r.Cycles, fmtSec(r.sum(proj.ID, "gobuild", secs)), mib(int64(r.sum(proj.ID, "gobuild", upBytes))),
				fmtSec(r.sum(proj.ID, "dockerfile", secs)), mib(int64(r.sum(proj.ID, "dockerfile", upBytes))),
				ratio(r.sum(proj.ID, "gobuild", secs), r.sum(proj.ID, "dockerfile", secs)),
				ratio(r.sum(proj.ID, "gobuild", upBytes), r.sum(proj.ID, "dockerfile", upBytes)))
		}
	}
	p("Measured at commit %s", r.Commit)
	if !r.Started.IsZero() {
		p(" on %s", r.Started.Format("2006-01-02"))
	}
	p(", %d CPUs (%s), %s RAM, %s, BuildKit %s (%s snapshotter), %s. ",
		r.Machine.NProc, r.Machine.CPU, fmtGiB(r.Machine.MemBytes), r.Machine.Kernel, r.Machine.BuildKit,
		r.Machine.Snapshotter, r.Machine.Go)
	lo, hi := r.loadRange()
	p("The 1-minute load average at the start or end of a build ranged from %.2f to %.2f (%d CPUs)", lo, hi, r.Machine.NProc)
	if hi > 1.5*float64(r.Machine.NProc) {
		p(": other work shared the machine, so times are rough; bytes do not depend on it.")
	} else {
		p(": nothing else of note ran.")
	}
	if r.TotalSeconds > 0 {
		p(" The whole run took %.0f minutes.", r.TotalSeconds/60)
	}
	p("\n\n")
	p("Where the bytes and seconds go:\n\n")
	p("- The Dockerfile's `RUN` steps write on top of the builder image (`golang`), so its `mode=max`\n")
	p("  cache holds the builder image's layers too: the first cycle uploads them to the cache ref, and\n")
	p("  every later runner downloads them from there (the *cache fetched* column). Its Go build cache\n")
	p("  and module cache are cache mounts, which no cache exporter carries: every cycle downloads the\n")
	p("  modules and compiles every package again, the standard library included.\n")
	p("- gobuild's steps write into empty mounts of their own, so its cache holds what they made: the\n")
	p("  modules, the compiled dependencies (the dependency layer), the binaries and the image's layers,\n")
	p("  and the builder image is pulled from its own registry. The first cycle uploads the dependency\n")
	p("  layer; later cycles fetch it and upload only what the edit changed, as the Dockerfile does.\n\n")
	p("How it differs from a real CI job:\n\n")
	p("- Each tool and project has a registry of its own, an empty instance of the test bed's registry\n")
	p("  (`hack/tools/cmd/registry`) on a loopback port, so cycle 1 starts from nothing and nobody\n")
	p("  else's pushes are counted.\n")
	p("- The Dockerfile builds with BuildKit's built-in Dockerfile frontend (the test bed has no\n")
	p("  `docker/dockerfile` image), so it pulls no frontend image; gobuild pulls its frontend, pinned\n")
	p("  by digest, in every cycle, as a new runner would.\n")
	p("- Images and the frontend come from a registry on the same machine, and modules from\n")
	p("  proxy.golang.org: downloads are faster than from a public registry; uploads go over loopback.\n")
	p("- `buildctl` is used directly; `docker buildx build --cache-from/--cache-to` (and\n")
	p("  build-push-action) pass the same options to BuildKit, but buildx also adds a provenance\n")
	p("  attestation by default, which is not pushed here.\n\n")
	p("Re-measure with `hack/ci-cycle` (RUNS=1, about half an hour on 2 cores; `RUNS=3 hack/ci-cycle` for\n")
	p("medians; `PROJECTS=service TOOLS=gobuild` for a subset); `hack/ci-cycle report` rewrites this\n")
	p("section from %s. The build of each cycle, on the fresh daemon:\n\n", results)
	p("```sh\n")
	p("buildkitd --config <testbed>/buildkitd.toml --root <empty dir> --addr unix://<tmp>/buildkitd.sock\n")
	for _, t := range r.Tools {
		bb := ciBuild(t.ID, "<src>", "<registry>", "<project>", "cache/"+t.ID+"-<project>", 1, "")
		if t.ID == "gobuild" {
			bb.frontend = "ghcr.io/gobuild/gobuild:" + frontendTag + "@<digest>"
		}
		bb.push = strings.Replace(bb.push, ":cycle1", ":cycle<n>", 1)
		p("%s\n", wrapArgv(append([]string{"buildctl", "--addr", "unix://<tmp>/buildkitd.sock"}, buildArgs(bb)...)))
	}
	p("```\n\n")
}

func ratio(a, b float64) string {
	if b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func fmtGiB(n int64) string { return fmt.Sprintf("%.0f GiB", float64(n)/(1<<30)) }

func (r *CIResults) has(project, toolID string) bool {
	_, ok := r.median(project, 1, toolID)
	return ok
}

func secs(m CIMedian) float64    { return m.Seconds }
func upBytes(m CIMedian) float64 { return float64(m.Uploaded) }

func (r *CIResults) sum(project, toolID string, f func(CIMedian) float64) float64 {
	var s float64
	for _, m := range r.Medians {
		if m.Project == project && m.Tool == toolID {
			s += f(m)
		}
	}
	return s
}

// loadRange is the lowest and highest 1-minute load average recorded.
func (r *CIResults) loadRange() (lo, hi float64) {
	first := true
	for _, s := range r.Samples {
		for _, l := range []string{s.LoadBefore, s.LoadAfter} {
			f := strings.Fields(l)
			if len(f) == 0 {
				continue
			}
			x, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				continue
			}
			if first || x < lo {
				lo = x
			}
			if first || x > hi {
				hi = x
			}
			first = false
		}
	}
	return lo, hi
}
