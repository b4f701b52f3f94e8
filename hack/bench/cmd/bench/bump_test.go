package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bumpResults are results of every tool of issue 19 with the bump numbers.
func bumpResults() *Results {
	r := &Results{
		Runs: 3, BaseRef: "40867af", BaseCommit: "40867af0abcd",
		Bump: &BumpInfo{Module: "example.com/leaf", Walk: []string{"v1.2.0", "v1.1.0", "v1.0.0"}, GCBudget: 4e9},
		Timings: []Timing{
			timing("gobuild", "bump-warm", 10), timing("gobuild-base", "bump-warm", 90), timing("dockerfile", "bump-warm", 10),
			timing("gobuild", "bump-fresh", 30), timing("gobuild-base", "bump-fresh", 100), timing("dockerfile", "bump-fresh", 120),
			timing("gobuild", "export-empty", 8), timing("gobuild-base", "export-empty", 27), timing("dockerfile", "export-empty", 4),
			timing("gobuild", "cold", 100), timing("gobuild-base", "cold", 110), timing("dockerfile", "cold", 90),
			timing("gobuild", "edit", 15), timing("gobuild-base", "edit", 14), timing("dockerfile", "edit", 13),
		},
		Disk: []DiskRun{
			{Tool: "gobuild", GC: true, Steps: diskSteps(900<<20, 100<<20, true)},
			{Tool: "gobuild", Steps: diskSteps(1000<<20, 60<<20, false)},
		},
	}
	for _, id := range []string{"gobuild", "gobuild-base", "dockerfile"} {
		r.Tools = append(r.Tools, tool(id))
	}
	for _, id := range []string{"cold", "edit", "bump-warm", "export-empty", "bump-fresh", "bump-disk"} {
		r.Scenarios = append(r.Scenarios, scenario(id))
	}
	for _, s := range []ByteSample{
		{"gobuild", "bump-fresh", "uploaded", 40 << 20}, {"gobuild", "bump-fresh", "uploaded", 30 << 20}, {"gobuild", "bump-fresh", "uploaded", 20 << 20},
		{"gobuild-base", "bump-fresh", "uploaded", 200 << 20},
		{"dockerfile", "bump-fresh", "uploaded", 100 << 20},
		{"gobuild", "bump-fresh", "fetched", 300 << 20},
		{"gobuild", "export-empty", "uploaded", 250 << 20}, {"dockerfile", "export-empty", "uploaded", 260 << 20},
	} {
		r.addBytes(s)
	}
	r.finish()
	return r
}

// diskSteps are a full build of full bytes, then ten bumps adding step
// bytes each; with gc, a prune that takes half of what the bumps added.
func diskSteps(full, step int64, gc bool) []DiskStep {
	var out []DiskStep
	for i := 0; i <= diskBumps; i++ {
		st := DiskStep{Step: i, Version: "v", Seconds: 1, DiskUsage: DiskUsage{Cache: full + int64(i)*step, CacheMounts: 10, Root: 2 * full}}
		if gc {
			st.Pruned = &DiskUsage{Cache: full + int64(i)*step/2, Root: full}
		}
		out = append(out, st)
	}
	return out
}

func TestBumpTargets(t *testing.T) {
	r := bumpResults()
	got := r.targets()[7:]
	want := []struct{ holds, measured string }{
		{"yes", "1.00× (10.0 s against 10.0 s)"},          // equal is no slower
		{"yes", "0.30× (30.0 s against 100 s)"},           // fresh bump against gobuild-base
		{"yes", "0.15× (30.00 MiB against 200.00 MiB)"},   // the median of 20, 30 and 40 MiB
		{"yes", "2.00× (8.00 s against 4.00 s)"},          // first export, at the limit
		{"no", "1.60× (1600.00 MiB against 1000.00 MiB)"}, // disk with gc off
		{"yes", "0.91× (100 s against 110 s)"},            // cold against gobuild-base
		{"no", "1.07× (15.0 s against 14.0 s)"},           // edit against gobuild-base
	}
	if len(got) != len(want) {
		t.Fatalf("%d bump targets, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Holds != w.holds || got[i].Measured != w.measured {
			t.Errorf("%s: measured %q, holds %q; want %q, %q", got[i].Target, got[i].Measured, got[i].Holds, w.measured, w.holds)
		}
	}

	// Without the empty-registry export, the first-export target reads the
	// export row; without gobuild-base's bytes, that row is undecided.
	r.Timings = append(r.Timings, timing("gobuild", "export", 20), timing("dockerfile", "export", 4))
	var keep []Timing
	for _, tm := range r.Timings {
		if tm.Scenario != "export-empty" {
			keep = append(keep, tm)
		}
	}
	r.Timings = keep
	r.Bytes = r.Bytes[:0]
	got = r.targets()[7:]
	if got[3].Measured != "5.00× (20.0 s against 4.00 s)" || got[3].Holds != "no" {
		t.Errorf("first export from the export row: %+v", got[3])
	}
	if got[2].Holds != "–" {
		t.Errorf("bytes without numbers: %+v", got[2])
	}
}

func TestBytesStats(t *testing.T) {
	r := bumpResults()
	b, ok := r.bytesOf("gobuild", "bump-fresh", "uploaded")
	if !ok || b.Median != 30<<20 || b.Min != 20<<20 || b.Max != 40<<20 || len(b.Samples) != 3 {
		t.Errorf("gobuild bump-fresh uploaded: %+v", b)
	}
	if m, lo, hi := bytesStats([]int64{4, 1, 3, 2}); m != 2 || lo != 1 || hi != 4 {
		t.Errorf("even count: median %d, min %d, max %d; want 2 (the mean of 2 and 3, rounded down), 1, 4", m, lo, hi)
	}
	// Report order: scenario, uploaded before fetched, tool.
	var order []string
	for _, b := range r.Bytes {
		order = append(order, b.Scenario+"/"+b.What+"/"+b.Tool)
	}
	want := "export-empty/uploaded/gobuild export-empty/uploaded/dockerfile bump-fresh/uploaded/gobuild bump-fresh/uploaded/gobuild-base bump-fresh/uploaded/dockerfile bump-fresh/fetched/gobuild"
	if strings.Join(order, " ") != want {
		t.Errorf("order:\n %s\nwant\n %s", strings.Join(order, " "), want)
	}
	if r.Disk[0].GC || !r.Disk[1].GC {
		t.Errorf("disk runs: gc off first: %+v", r.Disk)
	}
}

// TestBumpReport renders the report and the summary: the bump rows in the
// build times with both factors, the bytes table, the disk table, and no
// build-time row for bump-disk.
func TestBumpReport(t *testing.T) {
	r := bumpResults()
	var md bytes.Buffer
	markdown(&md, r, "chart.svg", "results.json")
	s := md.String()
	for _, want := range []string{
		"| scenario | gobuild | gobuild @40867af | Dockerfile |",
		"| one-module bump, warm | **10.0 s** 1.00× (0.11× base) | **90.0 s** 9.00× | **10.0 s** |",
		"## Dependency bumps",
		"v1.2.0 → v1.1.0 → v1.0.0",
		"| fresh daemon, one-module bump: uploaded by `--export-cache` | **30.00 MiB** (20.00–40.00 MiB) 0.30× (0.15× base) | **200.00 MiB** 2.00× | **100.00 MiB** |",
		"| fresh daemon, one-module bump: cache fetched | **300.00 MiB** | – | – |",
		"| gobuild | off | 1000.00 MiB | 1060.00 MiB | 1300.00 MiB | 1600.00 MiB | 1.60× | 0.00 MiB | 2000.00 MiB |",
		"| gobuild | on, 4.0 GB budget (after prune) | 900.00 MiB | 950.00 MiB | 1150.00 MiB | 1400.00 MiB | 1.40× | 0.00 MiB | 900.00 MiB |",
		"| gobuild-base | `40867af` (40867af0abcd) |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(s, "| build-cache disk over ten bumps |") {
		t.Error("bump-disk has a row of build times")
	}
	var out bytes.Buffer
	printSummary(&out, r)
	for _, want := range []string{"one-module bump, warm", "(0.11× base)", "bytes (example.com/leaf bumped)", "× full", "1.60×"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBumpBytes counts what the fresh bump's export uploads as bump-fresh
// does: the registry's log read once after the first export and again after
// the bump, so the second count holds only the blobs (and manifest) the
// registry did not have; a blob it had is asked for (HEAD) and not counted.
func TestBumpBytes(t *testing.T) {
	dir := t.TempDir()
	blob := func(n int) string {
		data := bytes.Repeat([]byte{'b'}, n)
		sum := sha256.Sum256(data)
		d := hex.EncodeToString(sum[:])
		p := filepath.Join(dir, "blobs", "sha256", d)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return "sha256:" + d
	}
	deps, app, bumped := blob(5000), blob(700), blob(90)
	logPath := filepath.Join(dir, "registry.log")
	appendLog := func(lines ...string) {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range lines {
			f.WriteString("2026/01/02 03:04:05 " + l + "\n")
		}
	}
	journal := func(recs ...journalRecord) {
		f, err := os.OpenFile(filepath.Join(dir, journalFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, rec := range recs {
			line, _ := json.Marshal(rec)
			f.Write(append(line, '\n'))
		}
	}
	put := func(d string) string {
		return "PUT /v2/cache/gobuild/blobs/uploads/1?digest=" + strings.Replace(d, ":", "%3A", 1)
	}
	// The first export: two blobs and the cache manifest.
	appendLog("HEAD /v2/cache/gobuild/blobs/"+deps+" 404 BLOB_UNKNOWN x", put(deps), put(app))
	journal(journalRecord{Method: "PUT", Path: "/v2/cache/gobuild/manifests/latest", Body: bytes.Repeat([]byte{'m'}, 40)})
	reg := &ciRegistry{dir: dir, log: logPath, has: map[string]map[string]bool{}}
	first, err := reg.traffic("", "cache/gobuild")
	if err != nil {
		t.Fatal(err)
	}
	if first.CacheUploaded != 5000+700+40 {
		t.Errorf("first export uploaded %d, want %d", first.CacheUploaded, 5000+700+40)
	}
	// The fresh bump: the cache fetched, the unchanged blob found, the
	// changed one uploaded, a new manifest.
	appendLog("GET /v2/cache/gobuild/blobs/"+deps, "GET /v2/cache/gobuild/blobs/"+app,
		"HEAD /v2/cache/gobuild/blobs/"+deps, "HEAD /v2/cache/gobuild/blobs/"+bumped+" 404 BLOB_UNKNOWN x", put(bumped))
	journal(journalRecord{Method: "PUT", Path: "/v2/cache/gobuild/manifests/latest", Body: bytes.Repeat([]byte{'m'}, 42)})
	bump, err := reg.traffic("", "cache/gobuild")
	if err != nil {
		t.Fatal(err)
	}
	if bump.CacheUploaded != 90+42 || bump.Downloaded != 5700 || bump.CrossRepo != 0 || bump.BlobUploads != 1 {
		t.Errorf("bump: uploaded %d (want %d), fetched %d (want 5700), cross-repo %d, uploads %d", bump.CacheUploaded, 90+42, bump.Downloaded, bump.CrossRepo, bump.BlobUploads)
	}
}
