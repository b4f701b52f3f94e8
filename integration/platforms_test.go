package integration

import (
	"context"
	"debug/elf"
	"encoding/xml"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// One command builds examples/hello for amd64, arm64 and arm/v7: one index,
// each binary static and of its platform's machine (checkHello), compiled
// on the build platform (no emulator is installed here).
func TestThreePlatforms(t *testing.T) {
	path, out := ociDest(t)
	mustRun(t, example("hello"), "docker", "buildx", "build", "-f", "gobuild.yaml",
		"--platform", "linux/amd64,linux/arm64,linux/arm/v7", "-o", out, ".")
	for _, p := range []string{"linux/amd64", "linux/arm64", "linux/arm/v7"} {
		checkHello(t, path, p)
	}
}

// The other targets, in one command too: each binary static and of its
// platform's machine; amd64/v2 also runs on this host.
func TestEveryOtherPlatform(t *testing.T) {
	ps := []string{"linux/amd64/v2", "linux/arm/v6", "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64"}
	path, out := ociDest(t)
	mustRun(t, example("hello"), "docker", "buildx", "build", "-f", "gobuild.yaml",
		"--platform", strings.Join(ps, ","), "-o", out, ".")
	for _, p := range ps {
		checkHello(t, path, p)
	}
}

// examples/sqlite: SQLite through cgo, for amd64 and arm64 in one command.
// Both binaries are static; arm64's C code was compiled by the cross
// toolchain gobuild installs; the host's image runs under runc.
func TestSqliteCgo(t *testing.T) {
	path, out := ociDest(t)
	mustRun(t, example("sqlite"), "docker", "buildx", "build", "-f", "gobuild.yaml",
		"--platform", "linux/amd64,linux/arm64", "-o", out, ".")
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		img := openImage(t, path, p)
		root := t.TempDir()
		if err := img.Unpack(root); err != nil {
			t.Fatal(err)
		}
		arch := strings.TrimPrefix(p, "linux/")
		info := imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin/sqlite"), arch)
		t.Logf("%s: %s, %d bytes compressed", p, info.Machine, img.CompressedSize)
		if arch != runtime.GOARCH {
			continue
		}
		imagetest.RequireRunc(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		stdout, stderr, err := imagetest.Run(ctx, img, imagetest.RunOpts{})
		cancel()
		if err != nil || !strings.HasPrefix(string(stdout), "sqlite 3.") || !strings.HasSuffix(string(stdout), " on linux/"+arch+": 2 notes\n") {
			t.Errorf("%s printed %q (%v, %s), want \"sqlite 3.x on linux/%s: 2 notes\"", p, stdout, err, stderr, arch)
		}
	}
}

// pie: true gives a static-pie binary: position independent (ET_DYN) with
// no interpreter and no libraries, which runs on scratch.
func TestStaticPie(t *testing.T) {
	dir := copyDir(t, example("hello"))
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte("# syntax="+frontendImage+"\nbuilds:\n  - pie: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img, root := buildAndUnpack(t, dir)
	info := imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin/hello"), runtime.GOARCH)
	if info.Type != elf.ET_DYN || !info.StaticPIE {
		t.Errorf("ELF type %v (static-pie %v), want a static-pie ET_DYN binary", info.Type, info.StaticPIE)
	}
	imagetest.RequireRunc(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if stdout, stderr, err := imagetest.Run(ctx, img, imagetest.RunOpts{}); err != nil || string(stdout) != wantHello {
		t.Errorf("the static-pie image printed %q (%v, %s), want %q", stdout, err, stderr, wantHello)
	}
}

// A binary that turns out dynamic never reaches an image: the frontend reads
// its ELF headers and fails, naming the binary, its interpreter and libraries.
func TestDynamicBinaryFails(t *testing.T) {
	// An empty -extldflags after gobuild's -extldflags=-static makes gcc
	// link the cgo binary dynamically against glibc.
	buildFails(t, "builds:\n  - cgo: true\n    ldflags: [\"-extldflags=\"]\n",
		`binary "hello" for `+hostPlatform+` is dynamically linked`,
		"(interpreter /lib",
		"libc.so.6",
	)
}

// Two --no-cache builds of the same source give the same image digest, with
// SOURCE_DATE_EPOCH and without it (then every time is 1970). Provenance is
// off: the attestation records each build's own invocation.
func TestReproducible(t *testing.T) {
	// --no-cache also starts with empty cache mounts, so each build compiles
	// the standard library for each platform: the second pair is one platform.
	for _, args := range [][]string{{"--build-arg", "SOURCE_DATE_EPOCH=1700000000", "--platform", "linux/amd64,linux/arm64"}, {"--platform", "linux/amd64"}} {
		var digests []string
		for i := 0; i < 2; i++ {
			path, out := ociDest(t)
			argv := append([]string{"docker", "buildx", "build", "-f", "gobuild.yaml", "--no-cache", "--provenance=false", "-o", out}, args...)
			mustRun(t, example("hello"), append(argv, ".")...)
			l, err := imagetest.OpenLayout(path)
			if err != nil {
				t.Fatal(err)
			}
			digests = append(digests, string(l.Index.Manifests[0].Digest))
			l.Close()
		}
		if digests[0] != digests[1] {
			t.Errorf("build args %q: two --no-cache builds gave %s and %s", args, digests[0], digests[1])
		} else {
			t.Logf("build args %q: both builds gave %s", args, digests[0])
		}
	}
}

// An image's digest does not depend on what the daemon built before. A
// cached layer can serve two images (hello's /etc/passwd layer serves any
// image with the same user and workdir), and the exporter describes a layer
// the image config leaves out of its history by the step that first made
// it, whose name holds the image's name. So hello is built first, then the
// same module as an image named "renamed", from the cache and again with
// every step rerun (--no-cache-filter keeps the Go build cache, so nothing
// compiles from scratch): both give one digest, and every history entry is
// one gobuild wrote.
func TestDigestIndependentOfCache(t *testing.T) {
	args := []string{"docker", "buildx", "build", "-f", "gobuild.yaml", "--provenance=false", "--platform", "linux/amd64", "--build-arg", "SOURCE_DATE_EPOCH=1700000000"}
	_, out := ociDest(t)
	mustRun(t, example("hello"), append(args, "-o", out, ".")...)
	dir := copyDir(t, example("hello"))
	yaml := "# syntax=" + frontendImage + "\nimages:\n  - name: renamed\n"
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, extra := range [][]string{nil, {"--no-cache-filter", "renamed"}} {
		path, out := ociDest(t)
		mustRun(t, dir, slices.Concat(args, extra, []string{"-o", out, "."})...)
		l, err := imagetest.OpenLayout(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := l.Image("linux/amd64")
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, string(img.Descriptor.Digest))
		if len(img.Config.History) != len(img.Layers) {
			t.Errorf("%q: %d history entries for %d layers", extra, len(img.Config.History), len(img.Layers))
		}
		for _, h := range img.Config.History {
			if h.Comment != "gobuild" || !strings.HasPrefix(h.CreatedBy, "gobuild: ") {
				t.Errorf("%q: history entry %q (%s) was not written by gobuild", extra, h.CreatedBy, h.Comment)
			}
		}
		l.Close()
	}
	if digests[0] != digests[1] {
		t.Errorf("the same image from the cache and with its steps rerun: %s and %s", digests[0], digests[1])
	}
}

// The test target runs go vet and go test inside the build: examples/ginserver's
// tests pass; a failing test fails the build with its output shown, and an
// image with tests: true is not produced from that code.
//
// With test.coverage and test.junit the result holds coverage.out and
// junit.xml, and -race runs (it needs cgo, which the tests then get).
func TestTestTarget(t *testing.T) {
	dir := copyDir(t, example("ginserver"))
	reportsYAML := "# syntax=" + frontendImage + "\ntest:\n  flags: [-race]\n  coverage: true\n  junit: true\n"
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte(reportsYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	reports := t.TempDir()
	mustRun(t, dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--target", "test", "--progress=plain", "-o", "type=local,dest="+reports, ".")
	checkTestReports(t, reports, "example.com/ginserver", "TestPing")

	failing := "package main\n\nimport \"testing\"\n\nfunc TestFails(t *testing.T) { t.Fatal(\"gobuild-test-failure-marker\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "fail_test.go"), []byte(failing), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(context.Background(), dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--target", "test", "--progress=plain", ".")
	if err == nil || !strings.Contains(string(out), "gobuild-test-failure-marker") || !strings.Contains(string(out), "[test] go test ./...") {
		t.Errorf("a failing test: err %v, output:\n%s", err, tail(out, 30))
	}
	yaml := "# syntax=" + frontendImage + "\nimages:\n  - tests: true\n"
	if err := os.WriteFile(filepath.Join(dir, "gobuild.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(context.Background(), dir, "docker", "buildx", "build", "-f", "gobuild.yaml", "--progress=plain", ".")
	if err == nil || !strings.Contains(string(out), "gobuild-test-failure-marker") {
		t.Errorf("an image with tests: true built from code whose tests fail: err %v, output:\n%s", err, tail(out, 30))
	}
	if err := os.Remove(filepath.Join(dir, "fail_test.go")); err != nil {
		t.Fatal(err)
	}
	_, root := buildAndUnpack(t, dir)
	imagetest.AssertStatic(t, filepath.Join(root, "usr/local/bin/ginserver"), runtime.GOARCH)
}

// checkTestReports checks the test target's reports in dir: a coverage
// profile in atomic mode (-race's) naming pkg's files, and a JUnit report
// with the suite pkg holding the passing test.
func checkTestReports(t *testing.T, dir, pkg, test string) {
	t.Helper()
	cov, err := os.ReadFile(filepath.Join(dir, "coverage.out"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(cov), "mode: atomic\n") || !strings.Contains(string(cov), pkg+"/main.go:") {
		t.Errorf("coverage.out:\n%s", tail(cov, 5))
	}
	dt, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(dt, &report); err != nil {
		t.Fatalf("junit.xml: %v\n%s", err, dt)
	}
	found := false
	for _, s := range report.Suites {
		for _, c := range s.Cases {
			found = found || s.Name == pkg && c.Name == test && s.Failures == 0
		}
	}
	if !found {
		t.Errorf("junit.xml has no passing %s in suite %s:\n%s", test, pkg, dt)
	}
}
