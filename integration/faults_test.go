package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// markedApp copies an example and adds a marker to its main package (see
// mark).
func markedApp(t *testing.T, name string) (dir, marker string) {
	t.Helper()
	dir = copyDir(t, example(name))
	return dir, mark(t, dir, name)
}

// mark writes a new marker into the main package in dir: with
// GOBUILD_MARKER set, the binary prints the marker and exits before main
// runs, so that an image shows which source it was built from.
func mark(t *testing.T, dir, name string) string {
	t.Helper()
	marker := fmt.Sprintf("marker %s %s %s", name, t.Name(), randomHex(t, 8))
	writeFiles(t, dir, map[string]string{
		"marker.go": "package main\n\nimport \"os\"\n\nfunc init() {\n\tif os.Getenv(\"GOBUILD_MARKER\") != \"\" {\n\t\tos.Stdout.WriteString(" +
			fmt.Sprintf("%q", marker+"\n") + ")\n\t\tos.Exit(0)\n\t}\n}\n",
	})
	return marker
}

// slowCompile adds a generated file to the main package in dir that takes
// the compiler several seconds (3,000 small functions), so that a test can
// act while the compile runs.
func slowCompile(t *testing.T, dir string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("package main\n\nvar _ = slow0(1)\n\n")
	const n = 3000
	for i := range n {
		fmt.Fprintf(&b, "func slow%d(x int) int {\n\ts := x\n\tfor j := 0; j < %d; j++ {\n\t\ts = s*%d + j ^ (s >> 3)\n\t}\n\tif s > %d {\n\t\treturn s - %d\n\t}\n\treturn s + slow%d(x-1)\n}\n\n",
			i, i%7+2, i%13+3, i, i, (i+1)%n)
	}
	writeFiles(t, dir, map[string]string{"slow.go": b.String()})
}

// buildctlArgs is a gateway build of dir's gobuild.yaml on addr into an OCI
// layout at out.
func buildctlArgs(addr, out string, extra ...string) []string {
	return append([]string{"buildctl", "--addr", addr, "build", "--progress=rawjson",
		"--frontend", "gateway.v0", "--opt", "source=" + frontendImage, "--opt", "platform=" + hostPlatform,
		"--local", "context=.", "--local", "dockerfile=.", "--output", "type=oci,dest=" + out}, extra...)
}

// checkMarked runs the image in the layout at path and checks that it
// prints marker.
func checkMarked(t *testing.T, path, marker string) {
	t.Helper()
	stdout := runImage(t, openImage(t, path, hostPlatform), imagetest.RunOpts{Env: []string{"GOBUILD_MARKER=1"}})
	if stdout != marker+"\n" {
		t.Errorf("the image printed %q, want %q", stdout, marker+"\n")
	}
}

// Eight builds of different projects at once on one daemon, sharing its
// cache mounts (the module cache and the Go build cache), all succeed, and
// each image holds its own project's binary.
func TestConcurrentBuilds(t *testing.T) {
	type project struct{ dir, marker, out string }
	var ps []project
	for i := range 8 {
		name := "hello"
		if i%3 == 2 {
			name = "ginserver"
		}
		dir, marker := markedApp(t, name)
		ps = append(ps, project{dir, marker, filepath.Join(t.TempDir(), "image.tar")})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ps))
	outs := make([][]byte, len(ps))
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = run(context.Background(), p.dir, buildctlArgs(os.Getenv("BUILDKIT_HOST"), p.out)...)
		}()
	}
	wg.Wait()
	for i, p := range ps {
		if errs[i] != nil {
			t.Errorf("build %d (%s): %v\n%s", i, p.marker, errs[i], tail(outs[i], 30))
			continue
		}
		checkMarked(t, p.out, p.marker)
	}
}

// startBuild starts a build of dir on addr and returns once a step whose
// name contains step is running; stop kills the build's client.
func startBuild(t *testing.T, addr, dir, step string) (stop func() error) {
	t.Helper()
	argv := buildctlArgs(addr, filepath.Join(t.TempDir(), "image.tar"))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { err := cmd.Wait(); pw.CloseWithError(io.EOF); done <- err }()
	running := make(chan struct{})
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		seen := false
		for sc.Scan() {
			log.Write(sc.Bytes())
			log.WriteByte('\n')
			var st struct {
				Vertexes []struct {
					Name      string
					Started   *time.Time
					Completed *time.Time
				}
			}
			if json.Unmarshal(sc.Bytes(), &st) != nil || seen {
				continue
			}
			for _, v := range st.Vertexes {
				if strings.Contains(v.Name, step) && v.Started != nil && v.Completed == nil {
					seen = true
					close(running)
					break
				}
			}
		}
	}()
	select {
	case <-running:
	case err := <-done:
		t.Fatalf("the build ended (%v) before %q ran:\n%s", err, step, tail([]byte(log.String()), 30))
	case <-time.After(10 * time.Minute):
		t.Fatalf("no step %q ran in 10 minutes", step)
	}
	return func() error {
		select {
		case err := <-done:
			return err
		default:
		}
		_ = cmd.Process.Kill()
		return <-done
	}
}

// A build cancelled while it compiles (its client killed, as when a CI job
// is cancelled), and then buildkitd killed while the next one compiles and
// started again on the same state directory: after each, the next build
// succeeds and makes the image of the source it was given.
func TestCancelAndKillMidCompile(t *testing.T) {
	d := newDaemon(t)
	dir, marker := markedApp(t, "hello")
	slowCompile(t, dir)
	build := func(marker string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "image.tar")
		mustRun(t, dir, buildctlArgs(d.addr, path)...)
		checkMarked(t, path, marker)
	}

	stop := startBuild(t, d.addr, dir, "] go build")
	time.Sleep(time.Second) // inside the compile, which takes several seconds
	if err := stop(); err == nil {
		t.Fatal("the build finished before it was cancelled")
	}
	build(marker)

	marker = mark(t, dir, "hello") // new source: the compile runs again
	stop = startBuild(t, d.addr, dir, "[hello "+hostPlatform+"] go build")
	time.Sleep(time.Second)
	d.kill()
	if err := stop(); err == nil {
		t.Fatal("the build succeeded although its daemon was killed")
	}
	d.start()
	build(marker)
}

// A cache to import that cannot be reached, or that is not a cache, costs
// the build its cache and nothing else: the build succeeds.
func TestBadCacheImport(t *testing.T) {
	notACache := pushImage(t, "not-a-cache", "FROM scratch\nCOPY junk /junk\n", map[string]string{"junk": "not a cache\n"})
	corrupt := t.TempDir()
	writeFiles(t, corrupt, map[string]string{"index.json": "{this is not json", "oci-layout": "{}"})
	reg := os.Getenv("GOBUILD_REGISTRY")
	for _, tc := range []struct{ name, opt, tried string }{
		{"unreachable registry", "type=registry,ref=127.0.0.1:1/gobuild-test/cache:none,registry.insecure=true", "importing cache manifest from 127.0.0.1:1/"},
		{"missing tag", "type=registry,ref=" + reg + "/gobuild-test/cache:missing-" + randomHex(t, 4) + ",registry.insecure=true", "importing cache manifest from " + reg},
		{"image that is no cache", "type=registry,ref=" + notACache + ",registry.insecure=true", "importing cache manifest from " + notACache},
		// buildctl reads a local cache itself, and skips a broken one with a warning.
		{"corrupt local cache", "type=local,src=" + corrupt, "local cache import at " + corrupt + " skipped"},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			dir, marker := markedApp(t, "hello") // new source: the compile runs
			path := filepath.Join(t.TempDir(), "image.tar")
			out, err := run(context.Background(), dir, buildctlArgs(os.Getenv("BUILDKIT_HOST"), path, "--import-cache", tc.opt)...)
			if err != nil {
				t.Fatalf("--import-cache %s: %v\n%s", tc.opt, err, tail(out, 30))
			}
			if !strings.Contains(string(out), tc.tried) {
				t.Errorf("the build did not try to import the cache:\n%s", tail(out, 30))
			}
			if steps := cachedSteps(t, out); steps["[hello "+hostPlatform+"] go build ."] {
				t.Errorf("the compile of a new source was cached")
			}
			checkMarked(t, path, marker)
		})
	}
}
