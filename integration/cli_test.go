package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// cliResult is what one run of the gobuild command-line tool gave.
type cliResult struct {
	stdout, stderr []byte
	code           int
}

// runArgv runs argv in dir with env (nil: this process's) and stdin, and
// returns its stdout, stderr and exit code; it fails t when argv cannot
// be started.
func runArgv(t *testing.T, dir string, env []string, stdin []byte, argv ...string) cliResult {
	t.Helper()
	return runArgvFor(t, 10*time.Minute, dir, env, stdin, argv...)
}

// runArgvFor is runArgv with a time limit other than ten minutes.
func runArgvFor(t *testing.T, limit time.Duration, dir string, env []string, stdin []byte, argv ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	return cliResult{stdout.Bytes(), stderr.Bytes(), cmd.ProcessState.ExitCode()}
}

// mustSucceed fails t unless r exited 0.
func (r cliResult) mustSucceed(t *testing.T, what string) cliResult {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\n%s", what, r.code, tail(r.stderr, 40))
	}
	return r
}

// envWithout is this process's environment without the variables named.
func envWithout(names ...string) []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, k)
	})
}

// The gobuild command-line tool, built once from this checkout: validate,
// schema, llb (fed to buildctl) and build (the frontend in-process).
func TestCLI(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gobuild")
	mustRun(t, repoRoot, "go", "build", "-o", bin, "./cmd/gobuild")
	hello := example("hello")

	t.Run("validate", func(t *testing.T) {
		r := runArgv(t, hello, nil, nil, bin, "validate", "gobuild.yaml").mustSucceed(t, "validate")
		if got := string(r.stdout); got != "gobuild.yaml: ok (1 build, 1 image)\n" {
			t.Errorf("validate printed %q", got)
		}
		dir := copyDir(t, hello)
		appendTo(t, dir, "gobuild.yaml", "builds:\n  - mian: ./cmd/x\n")
		r = runArgv(t, dir, nil, nil, bin, "validate", "gobuild.yaml")
		want := `gobuild.yaml:3:5: builds[0].mian: unknown field "mian" (did you mean "main"?)`
		if r.code != 1 || !bytes.HasPrefix(r.stderr, []byte(want)) {
			t.Errorf("validate of a bad file: exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, want)
		}
	})

	t.Run("schema", func(t *testing.T) {
		r := runArgv(t, "", nil, nil, bin, "schema").mustSucceed(t, "schema")
		var s map[string]any
		if err := json.Unmarshal(r.stdout, &s); err != nil {
			t.Fatalf("schema output is not JSON: %v\n%s", err, tail(r.stdout, 10))
		}
		for _, k := range []string{"$schema", "properties"} {
			if _, ok := s[k]; !ok {
				t.Errorf("schema has no %q", k)
			}
		}
	})

	t.Run("llb", func(t *testing.T) {
		def := runArgv(t, "", nil, nil, bin, "llb", "--platform", hostPlatform, filepath.Join(hello, "gobuild.yaml")).mustSucceed(t, "llb").stdout
		dump := runArgv(t, "", nil, def, "buildctl", "debug", "dump-llb").mustSucceed(t, "buildctl debug dump-llb").stdout
		for _, want := range []string{`"[hello ` + hostPlatform + `] go build ."`, `"args":["go","build",`} {
			if !bytes.Contains(dump, []byte(want)) {
				t.Errorf("dump-llb lacks %s:\n%s", want, tail(dump, 20))
			}
		}
		// The same definition, built by buildctl: the image's root file system.
		out := t.TempDir()
		runArgv(t, "", nil, def, "buildctl", "build", "--local", "context="+copyDir(t, hello),
			"--output", "type=local,dest="+out).mustSucceed(t, "buildctl build of gobuild llb's definition")
		imagetest.AssertStatic(t, filepath.Join(out, "usr/local/bin/hello"), runtime.GOARCH)
	})

	t.Run("build", func(t *testing.T) {
		path, output := ociDest(t)
		r := runArgv(t, "", nil, nil, bin, "build", "-o", output, "--platform", "linux/amd64", "--progress", "plain", hello).
			mustSucceed(t, "gobuild build")
		if want := "[hello linux/amd64] go build ."; !bytes.Contains(r.stderr, []byte(want)) {
			t.Errorf("--progress plain output lacks %q:\n%s", want, tail(r.stderr, 30))
		}
		checkHello(t, path, "linux/amd64")
	})

	// The daemon is --addr, else $BUILDKIT_HOST, else BuildKit's default
	// address; one out of reach is named with where its address came from.
	t.Run("addr", func(t *testing.T) {
		host := os.Getenv("BUILDKIT_HOST")
		gone := "unix://" + filepath.Join(t.TempDir(), "buildkitd.sock")
		targets := func(t *testing.T, env []string, args ...string) {
			t.Helper()
			argv := append(append([]string{bin, "build"}, args...), "--call", "targets", "--progress", "quiet", hello)
			r := runArgv(t, "", env, nil, argv...).mustSucceed(t, "build --call targets")
			if !bytes.Contains(r.stdout, []byte("hello (default)")) {
				t.Errorf("--call targets printed %q", r.stdout)
			}
		}
		unreachable := func(t *testing.T, env []string, addr, from string, args ...string) {
			t.Helper()
			argv := append(append([]string{bin, "build"}, args...), "--progress", "quiet", hello)
			r := runArgvFor(t, time.Minute, "", env, nil, argv...)
			for _, want := range []string{"cannot reach BuildKit at " + addr + " (" + from + ")", "set BUILDKIT_HOST or --addr", "source .testbed/env"} {
				if r.code != 1 || !bytes.Contains(r.stderr, []byte(want)) {
					t.Errorf("%q: exit %d, stderr %q; want exit 1 and %q", argv[1:], r.code, r.stderr, want)
				}
			}
		}
		targets(t, append(envWithout("BUILDKIT_HOST"), "BUILDKIT_HOST="+gone), "--addr", host)
		targets(t, envWithout("BUILDKIT_HOST"), "--addr", host)
		unreachable(t, nil, gone, "from --addr", "--addr", gone)
		unreachable(t, append(envWithout("BUILDKIT_HOST"), "BUILDKIT_HOST="+gone), gone, "from $BUILDKIT_HOST")
		const defaultAddr = "unix:///run/buildkit/buildkitd.sock"
		if _, err := os.Stat(strings.TrimPrefix(defaultAddr, "unix://")); err == nil {
			t.Skipf("a daemon may listen at %s, BuildKit's default address", defaultAddr)
		}
		unreachable(t, envWithout("BUILDKIT_HOST"), defaultAddr, "BuildKit's default address")
	})
}
