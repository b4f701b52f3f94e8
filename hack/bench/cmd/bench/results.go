package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Results is what results.json holds; the report is made from it alone.
type Results struct {
	Schema         int            `json:"schema"`
	Complete       bool           `json:"complete"`
	Started        time.Time      `json:"started"`
	Finished       time.Time      `json:"finished,omitzero"`
	TotalSeconds   float64        `json:"total_seconds,omitempty"`
	Runs           int            `json:"runs"`
	Commit         string         `json:"commit"`
	FrontendDigest string         `json:"frontend_digest,omitempty"`
	Daemon         string         `json:"daemon"`
	Registry       string         `json:"registry"`
	Machine        Machine        `json:"machine"`
	Service        Service        `json:"service"`
	Tools          []toolInfo     `json:"tools"`
	Scenarios      []scenarioInfo `json:"scenarios"`
	Timings        []Timing       `json:"timings"`
	Sizes          []Size         `json:"sizes"`
	Commands       []CommandDoc   `json:"commands"`
	// gobuild-base's ref, its commit and frontend image (base.go); the
	// bump scenarios' module, the bytes they moved and the disk they left
	// (bumpresults.go).
	BaseRef            string     `json:"base_ref,omitempty"`
	BaseCommit         string     `json:"base_commit,omitempty"`
	BaseFrontendDigest string     `json:"base_frontend_digest,omitempty"`
	Bump               *BumpInfo  `json:"bump,omitempty"`
	Bytes              []ByteStat `json:"bytes,omitempty"`
	Disk               []DiskRun  `json:"disk,omitempty"`
	// Done lists the tool runs measured so far ("<run>/<tool>", run from 1),
	// for -resume; Sessions counts the invocations that added to them.
	Done     []string `json:"done,omitempty"`
	Sessions int      `json:"sessions,omitempty"`
}

// Machine is where the benchmark ran.
type Machine struct {
	NProc       int    `json:"nproc"`
	CPU         string `json:"cpu"`
	MemBytes    int64  `json:"mem_bytes"`
	OS          string `json:"os"`
	Kernel      string `json:"kernel"`
	Arch        string `json:"arch"`
	Go          string `json:"go"`
	BuildKit    string `json:"buildkit"`
	Buildctl    string `json:"buildctl"`
	Snapshotter string `json:"snapshotter"`
	Ko          string `json:"ko,omitempty"`
}

// Service describes the benchmark service.
type Service struct {
	Path     string   `json:"path"`
	Binaries []string `json:"binaries"`
	GoFiles  int      `json:"internal_go_files"`
	Lines    int      `json:"internal_nonblank_lines"`
}

// Timing is one tool's seconds for one scenario.
type Timing struct {
	Tool     string    `json:"tool"`
	Scenario string    `json:"scenario"`
	Samples  []float64 `json:"samples,omitempty"`
	Median   float64   `json:"median,omitempty"`
	Min      float64   `json:"min,omitempty"`
	Max      float64   `json:"max,omitempty"`
	NA       string    `json:"na,omitempty"`
}

// Size is one tool's linux/amd64 output.
type Size struct {
	Tool         string   `json:"tool"`
	Platform     string   `json:"platform"`
	Images       int      `json:"images,omitempty"`
	Layers       int      `json:"layers,omitempty"`
	Compressed   int64    `json:"compressed_bytes,omitempty"`
	Uncompressed int64    `json:"uncompressed_bytes,omitempty"`
	BinaryBytes  int64    `json:"binary_bytes"`
	Binaries     []Binary `json:"binaries"`
}

// Binary is one Go binary in the output.
type Binary struct {
	Name        string   `json:"name"`
	Size        int64    `json:"size"`
	SHA256      string   `json:"sha256,omitempty"`
	GoVersion   string   `json:"go_version,omitempty"`
	Modules     int      `json:"modules"`
	ModulePaths []string `json:"module_paths,omitempty"`
}

// CommandDoc is a command as the report shows it, with placeholders.
type CommandDoc struct {
	Tool string   `json:"tool"`
	What string   `json:"what"`
	Env  []string `json:"env,omitempty"`
	Argv []string `json:"argv"`
	// Adds is set when Argv holds only what is added to the tool's build
	// command above it.
	Adds bool `json:"adds,omitempty"`
}

func (r *Results) timing(toolID, scenarioID string) *Timing {
	for i := range r.Timings {
		if r.Timings[i].Tool == toolID && r.Timings[i].Scenario == scenarioID {
			return &r.Timings[i]
		}
	}
	r.Timings = append(r.Timings, Timing{Tool: toolID, Scenario: scenarioID})
	return &r.Timings[len(r.Timings)-1]
}

func (r *Results) add(toolID, scenarioID string, seconds float64) {
	t := r.timing(toolID, scenarioID)
	t.Samples = append(t.Samples, round3(seconds))
}

func (r *Results) setNA(toolID, scenarioID, reason string) {
	r.timing(toolID, scenarioID).NA = reason
}

func (r *Results) setSize(s Size) {
	for i := range r.Sizes {
		if r.Sizes[i].Tool == s.Tool {
			r.Sizes[i] = s
			return
		}
	}
	r.Sizes = append(r.Sizes, s)
}

// finish computes the statistics and puts everything in report order.
func (r *Results) finish() {
	for i := range r.Timings {
		t := &r.Timings[i]
		if t.NA != "" {
			t.NA = naReason(t.Tool, t.Scenario) // the current wording
		}
		if len(t.Samples) == 0 {
			continue
		}
		t.Median, t.Min, t.Max = stats(t.Samples)
	}
	order := func(id string, list []string) int {
		for i, x := range list {
			if x == id {
				return i
			}
		}
		return len(list)
	}
	sort.SliceStable(r.Timings, func(i, j int) bool {
		a, b := r.Timings[i], r.Timings[j]
		if a.Scenario != b.Scenario {
			return order(a.Scenario, scenarioIDs()) < order(b.Scenario, scenarioIDs())
		}
		return order(a.Tool, toolIDs()) < order(b.Tool, toolIDs())
	})
	sort.SliceStable(r.Sizes, func(i, j int) bool {
		return order(r.Sizes[i].Tool, toolIDs()) < order(r.Sizes[j].Tool, toolIDs())
	})
	r.finishBytes(func(toolID string) int { return order(toolID, toolIDs()) }, func(scenarioID string) int { return order(scenarioID, scenarioIDs()) })
}

// stats returns the median, minimum and maximum.
func stats(xs []float64) (median, lo, hi float64) {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return round3(median), s[0], s[n-1]
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}

func writeResults(p string, r *Results) error {
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

func readResults(p string) (*Results, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if r.Schema != 1 {
		return nil, fmt.Errorf("%s: schema %d, want 1", p, r.Schema)
	}
	return &r, nil
}
