package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
	if !regexp.MustCompile(`(?m)^#\d+ \[deps linux/amd64\] \S+`).MatchString(out) {
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

	// A bump of one leaf module (go-urn, which only validator imports, and
	// gin imports validator) on the next fresh runner, importing the cache
	// of the build before the bump, runs again the dependency steps of
	// go-urn and of the modules that import it, and no other.
	bump := exec.Command("go", "get", "github.com/leodido/go-urn@v1.5.0")
	bump.Dir = dir
	bump.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off")
	if b, err := bump.CombinedOutput(); err != nil {
		t.Fatalf("go get: %v\n%s", err, b)
	}
	appendTo(t, dir, "main.go", "\n// bumped\n")
	log := mustRun(t, dir, "buildctl", "--addr", startDaemon(t), "build", "--progress=rawjson",
		"--frontend", "gateway.v0", "--opt", "source="+frontendImage, "--opt", "platform=linux/amd64",
		"--local", "context=.", "--local", "dockerfile=.", "--import-cache", "type=registry,ref="+cache+",registry.insecure=true")
	ran := map[string]bool{}
	var steps, shares, sharesRan []string
	for name, cached := range cachedSteps(t, log) {
		if strings.HasPrefix(name, "go mod download, share ") {
			shares = append(shares, name)
			if !cached {
				sharesRan = append(sharesRan, name)
			}
		}
		if mod, ok := strings.CutPrefix(name, "[deps linux/amd64] "); ok {
			steps = append(steps, mod)
			if !cached {
				ran[strings.Fields(mod)[0]] = true
			}
		}
	}
	if !ran["github.com/leodido/go-urn"] {
		t.Errorf("the bumped module's step did not run; dependency steps: %q, ran %v", steps, ran)
	}
	for mod := range ran {
		if !slices.Contains([]string{"github.com/leodido/go-urn", "github.com/go-playground/validator/v10", "github.com/gin-gonic/gin"}, mod) {
			t.Errorf("the step of %s, which does not import go-urn, ran again after the bump", mod)
		}
	}
	// The download is split by go.sum: the bump fetches again only the
	// share that holds go-urn; the others come with the cache.
	if len(shares) < 8 || len(sharesRan) != 1 || !strings.Contains(sharesRan[0], "github.com/leodido/go-urn v1.5.0") {
		t.Errorf("after the bump, the download shares that ran: %q, want only go-urn's of %q", sharesRan, shares)
	}
	if len(steps) < 20 {
		t.Errorf("%d dependency steps, want one per module (ginserver imports about 30): %q", len(steps), steps)
	}
}
