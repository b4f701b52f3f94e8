package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testToml = `root = "/x/buildkit"

[worker.oci]
  enabled = true
  snapshotter = "auto"
  gc = true
  reservedSpace = "2GB"
  maxUsedSpace = "20GB"
  minFreeSpace = "5GB"

[worker.containerd]
  enabled = false
  gc = true
`

func TestGCConfig(t *testing.T) {
	off, err := gcConfig(testToml, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantOff := `root = "/x/buildkit"

[worker.oci]
  gc = false
  enabled = true
  snapshotter = "auto"

[worker.containerd]
  enabled = false
  gc = true
`
	if off != wantOff {
		t.Errorf("gc off:\n%s\nwant:\n%s", off, wantOff)
	}
	on, err := gcConfig(testToml, true, 4e9)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(on, "[worker.oci]\n  gc = true\n  maxUsedSpace = \"4000000000\"\n  enabled = true\n") ||
		strings.Contains(on, "20GB") || strings.Contains(on, "reservedSpace") || strings.Contains(on, "minFreeSpace") {
		t.Errorf("gc on:\n%s", on)
	}
	// No [worker.oci]: the section is added.
	if got, _ := gcConfig("root = \"/x\"\n", false, 0); !strings.HasSuffix(got, "\n[worker.oci]\n  gc = false") {
		t.Errorf("added section:\n%s", got)
	}
	if _, err := gcConfig(testToml+"\n[[worker.oci.gcpolicy]]\n  all = true\n", false, 0); err == nil {
		t.Error("no error for gc policy tables")
	}
	if _, err := gcConfig(testToml, true, 0); err == nil {
		t.Error("no error for a zero budget")
	}
}

// TestGCConfigTestbed rewrites the test bed's own buildkitd.toml when there
// is one: gc set once in [worker.oci], every other line kept.
func TestGCConfigTestbed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", ".testbed", "buildkitd.toml"))
	if err != nil {
		t.Skip("no test bed configuration:", err)
	}
	got, err := gcConfig(string(data), true, 3e9)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(got, "gc = ") != 1 || strings.Count(got, "maxUsedSpace") != 1 || !strings.Contains(got, "[registry.\"127.0.0.1:5000\"]") {
		t.Errorf("rewritten:\n%s", got)
	}
}

func TestParseDiskUsage(t *testing.T) {
	out := `[{"id":"a","size":1000,"recordType":"regular"},{"id":"b","size":300,"recordType":"exec.cachemount","shared":true},` +
		`{"id":"c","size":-1,"recordType":"regular"},{"id":"d","size":20,"recordType":"source.local"}]` + "\n"
	u, err := parseBuildctlDU([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if u.Cache != 1320 || u.CacheMounts != 300 || u.Records != 4 {
		t.Errorf("du: %+v, want 1320 total, 300 in cache mounts, 4 records", u)
	}
	if u, err := parseBuildctlDU([]byte("null\n")); err != nil || u.Cache != 0 {
		t.Errorf("an empty cache: %+v, %v", u, err)
	}
	if _, err := parseBuildctlDU([]byte("ID RECLAIMABLE SIZE\n")); err == nil {
		t.Error("no error for the table format")
	}
	if n, err := parseDuBytes("123456\t/x/root\n"); err != nil || n != 123456 {
		t.Errorf("du -s: %d, %v", n, err)
	}
	if _, err := parseDuBytes(""); err == nil {
		t.Error("no error for empty du output")
	}
}
