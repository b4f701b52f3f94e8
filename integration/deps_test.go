package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startDaemon starts another buildkitd, with the test bed's configuration
// and an empty state directory (a fresh CI runner), and returns its address.
func startDaemon(t *testing.T) string {
	t.Helper()
	state := t.TempDir()
	addr := "unix://" + filepath.Join(state, "buildkitd.sock")
	logf, err := os.Create(filepath.Join(state, "buildkitd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("buildkitd", "--config", filepath.Join(os.Getenv("GOBUILD_TESTBED_DIR"), "buildkitd.toml"),
		"--root", filepath.Join(state, "root"), "--addr", addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		unmountUnder(state) // before the temporary directory is removed
	})
	for i := 0; i < 150; i++ {
		if exec.Command("buildctl", "--addr", addr, "debug", "workers").Run() == nil {
			return addr
		}
		time.Sleep(200 * time.Millisecond)
	}
	dt, _ := os.ReadFile(logf.Name())
	t.Fatalf("the second buildkitd did not start:\n%s", tail(dt, 30))
	return ""
}

// unmountUnder detaches every mount below dir, deepest first.
func unmountUnder(dir string) {
	dt, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return
	}
	var mps []string
	for _, line := range strings.Split(string(dt), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			mps = append(mps, f[1])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mps)))
	for _, mp := range mps {
		_ = syscall.Unmount(mp, syscall.MNT_DETACH)
	}
}

// The dependencies are compiled into a layer of their own, which registry
// cache carries: a fresh daemon importing the cache of another, building an
// edited source, pulls the dependency step's layer from the cache and
// compiles only the module's own package (go build -x shows each compile).
func TestDependencyLayerTravels(t *testing.T) {
	dir := copyDir(t, example("ginserver"))
	writeFiles(t, dir, map[string]string{
		"gobuild.yaml": "# syntax=" + frontendImage + "\nbuilds:\n  - id: ginserver\n    flags: [-x]\n",
	})
	cache := os.Getenv("GOBUILD_REGISTRY") + "/gobuild-test/cache:" + randomHex(t, 4)
	build := func(addr string, cacheOpt ...string) string {
		appendTo(t, dir, "main.go", fmt.Sprintf("\n// %s %d\n", t.Name(), time.Now().UnixNano()))
		argv := append([]string{"buildctl", "--addr", addr, "build", "--progress=plain",
			"--frontend", "gateway.v0", "--opt", "source=" + frontendImage, "--opt", "platform=linux/amd64",
			"--local", "context=.", "--local", "dockerfile=."}, cacheOpt...)
		out, err := run(context.Background(), dir, argv...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, tail(out, 60))
		}
		return string(out)
	}
	build(os.Getenv("BUILDKIT_HOST"), "--export-cache", "type=registry,ref="+cache+",mode=max,registry.insecure=true")

	out := build(startDaemon(t), "--import-cache", "type=registry,ref="+cache+",registry.insecure=true")
	if !regexp.MustCompile(`(?m)^#\d+ \[deps linux/amd64\] go build \d+ packages$`).MatchString(out) {
		t.Fatalf("no dependency step in the fresh daemon's build:\n%s", tail([]byte(out), 80))
	}
	// go build -x prints each package it compiles, in the dependency step
	// (had it run) and in the compile.
	compiled := regexp.MustCompile(`/compile -o \S+ -trimpath \S+ -p (\S+) `).FindAllStringSubmatch(out, -1)
	var pkgs []string
	for _, m := range compiled {
		pkgs = append(pkgs, m[1])
	}
	if len(pkgs) != 1 || pkgs[0] != "main" {
		t.Errorf("the fresh daemon compiled %q, want only the module's own package main: the dependencies should come with the registry cache\n%s", pkgs, tail([]byte(out), 80))
	}
}
