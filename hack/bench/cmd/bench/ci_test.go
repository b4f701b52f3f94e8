package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryTraffic reads a request log and manifest journal in the
// registry's formats: completed uploads count by repository, a failed one
// does not, a blob found in a repository it was never uploaded to counts
// once as cross-repository, and downloads count apart.
func TestRegistryTraffic(t *testing.T) {
	dir := t.TempDir()
	blob := func(n int) string {
		data := []byte(strings.Repeat("x", n))
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])
		p := filepath.Join(dir, "blobs", "sha256", h)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return "sha256:" + h
	}
	a, b, c := blob(1000), blob(200), blob(30)
	esc := func(d string) string { return strings.Replace(d, ":", "%3A", 1) }
	logLines := []string{
		"2026/01/02 03:04:05 POST /v2/app/blobs/uploads/",
		"2026/01/02 03:04:05 PATCH /v2/app/blobs/uploads/1",
		"2026/01/02 03:04:05 PUT /v2/app/blobs/uploads/1?digest=" + esc(a),
		"2026/01/02 03:04:05 PUT /v2/app/blobs/uploads/2?digest=" + esc(b) + " 400 DIGEST_INVALID digest mismatch",
		"2026/01/02 03:04:05 HEAD /v2/cache/x/blobs/" + a,
		"2026/01/02 03:04:05 HEAD /v2/cache/x/blobs/" + a,
		"2026/01/02 03:04:05 HEAD /v2/cache/x/blobs/" + b + " 404 BLOB_UNKNOWN Unknown blob",
		"2026/01/02 03:04:05 POST /v2/cache/x/blobs/uploads/?digest=" + esc(b),
		"2026/01/02 03:04:05 HEAD /v2/app/blobs/" + a,
		"2026/01/02 03:04:05 GET /v2/cache/x/blobs/" + c,
	}
	logPath := filepath.Join(dir, "registry.log")
	if err := os.WriteFile(logPath, []byte(strings.Join(logLines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var journal []byte
	for _, rec := range []journalRecord{
		{Method: "PUT", Path: "/v2/app/manifests/cycle1", Body: []byte(strings.Repeat("m", 7))},
		{Method: "PUT", Path: "/v2/cache/x/manifests/latest", Body: []byte(strings.Repeat("m", 5))},
		{Method: "DELETE", Path: "/v2/app/manifests/old"},
	} {
		line, _ := json.Marshal(rec)
		journal = append(append(journal, line...), '\n')
	}
	if err := os.WriteFile(filepath.Join(dir, journalFile), journal, 0o644); err != nil {
		t.Fatal(err)
	}
	r := &ciRegistry{dir: dir, log: logPath, has: map[string]map[string]bool{}}
	got, err := r.traffic("app", "cache/x")
	if err != nil {
		t.Fatal(err)
	}
	want := Traffic{
		Uploaded: 1000 + 7 + 200 + 5, ImageUploaded: 1007, CacheUploaded: 205,
		BlobUploads: 2, Manifests: 2, Downloaded: 30, CrossRepo: 1000,
		Repositories: []RepoBytes{{"app", 1007}, {"cache/x", 205}},
	}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("traffic:\n got %s\nwant %s", g, w)
	}
	// The next call reads only what came after.
	more := "2026/01/02 03:04:06 GET /v2/cache/x/blobs/" + b + "\n"
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(more)
	f.Close()
	got, err = r.traffic("app", "cache/x")
	if err != nil {
		t.Fatal(err)
	}
	if got.Uploaded != 0 || got.Downloaded != 200 || got.CrossRepo != 0 || got.Manifests != 0 {
		t.Errorf("second read: %s", mustJSON(t, got))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCIReportSection rewrites only the text between the markers, adds the
// section at the end of a file without them, and refuses a file with one.
func TestCIReportSection(t *testing.T) {
	dir := t.TempDir()
	res := &CIResults{Schema: 1, Runs: 1, Cycles: 1, Complete: true,
		Tools:    []toolInfo{tool("gobuild"), tool("dockerfile")},
		Projects: []ciProject{ciProjectByID("service")},
		Samples: []CICycle{
			{Project: "service", Tool: "gobuild", Run: 1, Cycle: 1, Seconds: 30, Traffic: Traffic{Uploaded: 3 << 20}},
			{Project: "service", Tool: "dockerfile", Run: 1, Cycle: 1, Seconds: 60, Traffic: Traffic{Uploaded: 12 << 20}},
		},
	}
	res.finish()
	o := ciOptions{results: filepath.Join(dir, "hack", "ci.json")}
	o.repo = dir
	o.docs = filepath.Join(dir, "ci.md")

	before, after := "# CI\n\nintro\n\n## Measured CI cycle\n\n", "\n## Later\n\ntext\n"
	os.WriteFile(o.docs, []byte(before+ciBegin+"\nold text\n"+ciEnd+after), 0o644)
	if err := writeCIReport(o, res); err != nil {
		t.Fatal(err)
	}
	doc, _ := os.ReadFile(o.docs)
	s := string(doc)
	if !strings.HasPrefix(s, before+ciBegin+"\n") || !strings.HasSuffix(s, ciEnd+after) || strings.Contains(s, "old text") {
		t.Errorf("markers not respected:\n%s", s)
	}
	if !strings.Contains(s, "| 1 (cold) | gobuild | 30.0 s | 0.50× | 3.00 MiB | 0.25× | 0.00 MiB + 0.00 MiB | 0.00 MiB | 0.00 MiB |") {
		t.Errorf("no gobuild row with its ratios:\n%s", s)
	}
	// Twice gives the same file.
	if err := writeCIReport(o, res); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(o.docs); string(again) != s {
		t.Error("a second rewrite changed the file")
	}

	os.WriteFile(o.docs, []byte("# CI\n"), 0o644)
	if err := writeCIReport(o, res); err != nil {
		t.Fatal(err)
	}
	doc, _ = os.ReadFile(o.docs)
	if s := string(doc); !strings.HasPrefix(s, "# CI\n\n## Measured CI cycle\n\n"+ciBegin+"\n") || !strings.HasSuffix(s, ciEnd+"\n") {
		t.Errorf("section not added at the end:\n%s", s)
	}

	os.WriteFile(o.docs, []byte("# CI\n"+ciBegin+"\n"), 0o644)
	if err := writeCIReport(o, res); err == nil || !strings.Contains(err.Error(), "must both be there") {
		t.Errorf("one marker: err = %v", err)
	}
}

// TestCIEdit changes exactly the one line, and refuses a file without it.
func TestCIEdit(t *testing.T) {
	for _, p := range ciProjects {
		src := t.TempDir()
		if err := copyTree(filepath.Join("..", "..", "..", "..", p.Path), src); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(src, p.EditFile)
		orig, _ := os.ReadFile(path)
		if err := ciEdit(p, src, "ci-test-1"); err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		got, _ := os.ReadFile(path)
		if !strings.Contains(string(got), `"ci-test-1"`) || len(strings.Split(string(got), "\n")) != len(strings.Split(string(orig), "\n")) {
			t.Errorf("%s: edit:\n%s", p.ID, got)
		}
		os.WriteFile(path, []byte("package x\n"), 0o644)
		if err := ciEdit(p, src, "ci-test-2"); err == nil {
			t.Errorf("%s: no error for a file without the line", p.ID)
		}
	}
}
