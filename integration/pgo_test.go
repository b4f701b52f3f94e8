package integration

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pgoMain is a module's main package with a hot loop; run with a file
// name, it writes a CPU profile of itself there.
const pgoMain = `package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
)

//go:noinline
func count(s string, n int) int {
	c := 0
	for i := 0; i < n; i++ {
		c += strings.Count(s, "b") + i%7
	}
	return c
}

func main() {
	n := 1000
	if len(os.Args) > 1 {
		f, err := os.Create(os.Args[1])
		if err != nil {
			panic(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
		n = 20000000
	}
	fmt.Println("pgo", count("abcabc", n) > 0)
}
`

// A main package's default.pgo reaches the compile as it does with go build
// on a laptop: the binary's build information records the same -pgo as
// go build -trimpath on the host, and a rebuild that changes only the
// profile compiles again, its dependency steps (PGO changes how the
// standard library compiles too) with it.
func TestPGO(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":       "module example.com/pgoapp\n\ngo 1.26\n",
		"main.go":      pgoMain,
		"gobuild.yaml": "# syntax=" + frontendImage + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := t.TempDir() // the host's builds, outside the build context
	hostGo := func(args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	profile := func(name string) {
		t.Helper()
		if out, err := exec.Command(filepath.Join(bin, "pgoapp"), filepath.Join(dir, name)).CombinedOutput(); err != nil {
			t.Fatalf("recording a profile: %v\n%s", err, out)
		}
	}
	hostGo("build", "-o", filepath.Join(bin, "pgoapp"), ".")
	profile("default.pgo")
	hostGo("build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", filepath.Join(bin, "host"), ".")

	out := t.TempDir()
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--target", "binaries",
		"--platform", hostPlatform, "-o", "type=local,dest="+out, ".")
	pgoSetting := func(file string) string {
		t.Helper()
		info, err := buildinfo.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s:\n%s", file, info)
		for _, s := range info.Settings {
			if s.Key == "-pgo" {
				return s.Value
			}
		}
		return ""
	}
	host, built := pgoSetting(filepath.Join(bin, "host")), pgoSetting(filepath.Join(out, "pgoapp"))
	if host == "" || built != host {
		t.Errorf("gobuild's binary records -pgo=%q, go build on the host -pgo=%q", built, host)
	}

	compile := "[pgoapp " + hostPlatform + "] go build ."
	before := gatewayBuild(t, dir)
	if _, ok := before[compile]; !ok {
		t.Fatalf("no step %q in %v", compile, before)
	}
	profile("default.pgo") // another run: another profile
	after := gatewayBuild(t, dir)
	if after[compile] {
		t.Errorf("a new profile did not compile again: %v", after)
	}
	var deps int
	for name, cached := range after {
		if strings.HasPrefix(name, "[deps ") {
			deps++
			if cached {
				t.Errorf("%s came from the cache after the profile changed", name)
			}
		}
	}
	if deps == 0 {
		t.Errorf("no dependency step in %v", after)
	}
	if again := gatewayBuild(t, dir); !again[compile] {
		t.Errorf("the same profile compiled again: %v", again)
	}
}
