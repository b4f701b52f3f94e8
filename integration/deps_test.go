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
	return newDaemon(t).addr
}

// daemon is a buildkitd of a test's own, on a state directory of its own.
type daemon struct {
	t     *testing.T
	bin   string // buildkitd
	state string
	addr  string
	cmd   *exec.Cmd
	done  chan struct{} // closed when cmd has exited
	logs  []*os.File
}

// newDaemon starts a buildkitd with the test bed's configuration and an
// empty state directory; it is stopped when the test ends.
func newDaemon(t *testing.T) *daemon {
	t.Helper()
	return newDaemonOf(t, "buildkitd")
}

// newDaemonOf is newDaemon with the buildkitd binary bin.
func newDaemonOf(t *testing.T, bin string) *daemon {
	t.Helper()
	state := t.TempDir()
	d := &daemon{t: t, bin: bin, state: state, addr: "unix://" + filepath.Join(state, "buildkitd.sock")}
	t.Cleanup(func() {
		d.stop()
		for _, f := range d.logs {
			f.Close()
		}
		unmountUnder(state) // before the temporary directory is removed
	})
	d.start()
	return d
}

// start starts buildkitd on d's state directory and waits until it answers.
func (d *daemon) start() {
	t := d.t
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(d.state, "buildkitd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	d.logs = append(d.logs, logf)
	d.cmd = exec.Command(d.bin, "--config", filepath.Join(os.Getenv("GOBUILD_TESTBED_DIR"), "buildkitd.toml"),
		"--root", filepath.Join(d.state, "root"), "--addr", d.addr)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	d.done = done
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(done) }(d.cmd)
	for i := 0; i < 150; i++ {
		if exec.Command("buildctl", "--addr", d.addr, "debug", "workers").Run() == nil {
			return
		}
		select {
		case <-done:
			i = 150
		case <-time.After(200 * time.Millisecond):
		}
	}
	dt, _ := os.ReadFile(logf.Name())
	t.Fatalf("buildkitd on %s did not start:\n%s", d.state, tail(dt, 30))
}

// stop stops buildkitd with SIGTERM (SIGKILL after 30 s) and waits for it.
func (d *daemon) stop() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
	d.cmd = nil
}

// kill kills buildkitd and everything in its process group at once, as a
// crash or an OOM kill of the runner would, and waits for it.
func (d *daemon) kill() {
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	<-d.done
	d.cmd = nil
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
