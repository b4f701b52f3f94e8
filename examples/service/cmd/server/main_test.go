package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/service/internal/buildinfo"
)

func TestHandler(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig("../../config/app.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(buildinfo.New("1.2.3", "abc123", "2023-11-14T22:13:20Z"), cfg, dir))
	defer srv.Close()
	for path, want := range map[string]string{
		"/version":          `{"version":"1.2.3","commit":"abc123","date":"2023-11-14T22:13:20Z"}` + "\n",
		"/config":           `{"greeting":"Hello from config/app.json"}` + "\n",
		"/static/hello.txt": "hi\n",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(b) != want {
			t.Errorf("GET %s: %d %q, want %q", path, resp.StatusCode, b, want)
		}
	}
}

func TestLoadConfigMissing(t *testing.T) {
	_, err := loadConfig(filepath.Join(t.TempDir(), "app.json"))
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("loadConfig of a missing file: %v", err)
	}
}
