package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// setup records the machine, pushes the frontend built from this checkout,
// installs ko and its base image, and copies the service for each tool.
func (b *bench) setup(ctx context.Context) error {
	// The main scenarios run on a buildkitd of their own: the test bed's
	// binaries and configuration with an empty root, so that its
	// `prune --all` does not empty the test bed's cache, and nothing else
	// built there disturbs the timings.
	b.addr = b.tbAddr
	if !b.o.sharedDaemon && b.hasBuildKitTool() {
		d, err := b.startDaemon(ctx, b.work, b.logPath("bench", "buildkitd", -1))
		if err != nil {
			return err
		}
		b.mainD, b.addr = d, d.addr
		b.res.Daemon = "dedicated"
	} else {
		b.res.Daemon = "test bed"
	}
	b.res.Machine = b.machine(ctx)
	b.res.Commit = gitCommit(ctx, b.o.repo)
	svc, err := serviceInfo(filepath.Join(b.o.repo, serviceDir))
	if err != nil {
		return err
	}
	b.res.Service = svc
	b.res.Commands = b.commandDocs()

	if b.hasTool("gobuild") {
		d, err := b.pushFrontend(ctx, "1")
		if err != nil {
			return err
		}
		b.res.FrontendDigest = d
	}
	if b.hasTool("gobuild-base") {
		if err := b.pushBaseFrontend(ctx); err != nil {
			return err
		}
	}
	if b.bumping() {
		if err := b.setupBumps(ctx); err != nil {
			return err
		}
	}
	if b.hasTool("ko") {
		if err := b.installKo(ctx); err != nil {
			return err
		}
		if err := b.pushKoBase(ctx); err != nil {
			return err
		}
	}
	for _, t := range b.o.tools {
		src, err := b.prepareSource(serviceDir, "src-"+t, t)
		if err != nil {
			return err
		}
		b.srcs[t] = src
		if tool(t).BuildKit {
			if err := markGoMod(src, t); err != nil {
				return err
			}
		}
	}
	return b.save()
}

// pushFrontend builds the frontend image from the checkout and pushes it to
// the test bed's registry as gobuild/gobuild:<tag>, which BuildKit reaches
// as ghcr.io/gobuild/gobuild:<tag> through the mirror, and returns its
// digest.
func (b *bench) pushFrontend(ctx context.Context, tag string) (string, error) {
	return b.pushFrontendFrom(ctx, b.o.repo, tag, "gobuild")
}

// pushFrontendFrom builds the frontend image from dir (the checkout, or a
// worktree of another commit) with its Dockerfile and pushes it as
// gobuild/gobuild:<tag>.
func (b *bench) pushFrontendFrom(ctx context.Context, dir, tag, toolID string) (string, error) {
	ref := b.reg + "/gobuild/gobuild:" + tag
	logf("building the frontend from %s and pushing it as %s", dir, ref)
	meta := filepath.Join(b.work, "frontend-metadata-"+tag+".json")
	// Built on the test bed's daemon, whose cache makes this quick.
	argv := b.buildctl(b.tbAddr, "build", "--progress=plain",
		"--frontend", "dockerfile.v0",
		"--local", "context="+dir, "--local", "dockerfile="+dir,
		"--output", "type=image,name="+ref+",push=true,registry.insecure=true",
		"--metadata-file", meta)
	if _, err := runLogged(ctx, command{argv: argv}, b.logPath(toolID, "push-frontend", -1)); err != nil {
		return "", err
	}
	return imageDigest(meta)
}

// imageDigest reads the image digest from a buildctl --metadata-file.
func imageDigest(meta string) (string, error) {
	data, err := os.ReadFile(meta)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("%s: %w", meta, err)
	}
	d, ok := m["containerimage.digest"].(string)
	if !ok || !strings.HasPrefix(d, "sha256:") {
		return "", fmt.Errorf("%s: no containerimage.digest", meta)
	}
	return d, nil
}

// installKo installs the pinned ko into the test bed's bin directory from
// the module proxy, unless that version is already there.
func (b *bench) installKo(ctx context.Context) error {
	ko := filepath.Join(b.bin, "ko")
	if v, err := output(ctx, command{argv: []string{ko, "version"}}); err == nil && strings.TrimSpace(v) == koVersion {
		b.res.Machine.Ko = koVersion
		return nil
	}
	logf("installing ko %s into %s", koVersion, b.bin)
	c := command{
		argv: []string{"go", "install", "github.com/google/ko@" + koVersion},
		env:  environ(map[string]string{"GOBIN": b.bin, "GOTOOLCHAIN": "local", "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0"}),
	}
	if _, err := runLogged(ctx, c, b.logPath("ko", "install", -1)); err != nil {
		return err
	}
	v, err := output(ctx, command{argv: []string{ko, "version"}})
	if err != nil {
		return err
	}
	b.res.Machine.Ko = strings.TrimSpace(v)
	if b.res.Machine.Ko != koVersion {
		return fmt.Errorf("ko version says %q, want %s", b.res.Machine.Ko, koVersion)
	}
	return nil
}

// koBase is ko's base image: what gobuild puts on scratch (CA bundle,
// passwd and group with the non-root user, /tmp), for the three platforms.
// ko's default, cgr.dev/chainguard/static, is the same kind of image; the
// test bed's distroless stand-in has no linux/arm/v7, and ko silently skips
// platforms its base lacks.
func (b *bench) koBase() string { return b.reg + "/bench/static:nonroot" }

func (b *bench) pushKoBase(ctx context.Context) error {
	argv := []string{
		filepath.Join(b.bin, "mkimage"),
		"-file", "/etc/passwd:644=root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
		"-file", "/etc/group:644=root:x:0:\nnonroot:x:65532:\n",
		"-file", "/etc/ssl/certs/ca-certificates.crt:644=@/etc/ssl/certs/ca-certificates.crt",
		"-mkdir", "/tmp:1777",
		"-env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"-user", "65532:65532",
		"-workdir", "/",
		"-layout", filepath.Join(b.work, "ko-base"),
		"-name", "bench-static",
		"-tag", b.koBase(),
	}
	for _, p := range multiPlatforms {
		argv = append(argv, "-platform", p)
	}
	logf("pushing ko's base image %s", b.koBase())
	_, err := runLogged(ctx, command{argv: argv}, b.logPath("ko", "push-base", -1))
	return err
}

// machine describes where the benchmark runs.
func (b *bench) machine(ctx context.Context) Machine {
	m := Machine{NProc: runtime.NumCPU(), Arch: runtime.GOOS + "/" + runtime.GOARCH}
	if v, err := output(ctx, command{argv: []string{"nproc"}}); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			m.NProc = n
		}
	}
	m.CPU = firstField("/proc/cpuinfo", "model name", ":")
	if kb := firstField("/proc/meminfo", "MemTotal", ":"); kb != "" {
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 10, 64)
		m.MemBytes = n * 1024
	}
	m.OS = strings.Trim(firstField("/etc/os-release", "PRETTY_NAME", "="), `"`)
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		m.Kernel = utsString(u.Release[:])
	}
	if v, err := output(ctx, command{argv: []string{"go", "version"}}); err == nil {
		m.Go = strings.TrimPrefix(strings.TrimSpace(v), "go version ")
	}
	if v, err := output(ctx, command{argv: b.buildctl(b.addr, "debug", "info")}); err == nil {
		for _, l := range strings.Split(v, "\n") {
			if rest, ok := strings.CutPrefix(l, "BuildKit:"); ok {
				m.BuildKit = strings.TrimSpace(rest)
			}
		}
	}
	if v, err := output(ctx, command{argv: b.buildctl(b.addr, "debug", "workers", "--format",
		`{{range .}}{{index .Labels "org.mobyproject.buildkit.worker.snapshotter"}} {{end}}`)}); err == nil {
		m.Snapshotter = strings.TrimSpace(v)
	}
	if v, err := output(ctx, command{argv: []string{filepath.Join(b.bin, "buildctl"), "--version"}}); err == nil {
		m.Buildctl = strings.TrimSpace(v)
	}
	return m
}

func utsString(a []int8) string {
	var sb strings.Builder
	for _, c := range a {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}

// firstField returns the value of the first "key<sep>value" line of file.
func firstField(file, key, sep string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func gitCommit(ctx context.Context, repo string) string {
	rev, err := output(ctx, command{argv: []string{"git", "-C", repo, "rev-parse", "--short=12", "HEAD"}})
	if err != nil {
		return "unknown"
	}
	rev = strings.TrimSpace(rev)
	if st, err := output(ctx, command{argv: []string{"git", "-C", repo, "status", "--porcelain", "--untracked-files=no"}}); err == nil && strings.TrimSpace(st) != "" {
		rev += " (with uncommitted changes)"
	}
	return rev
}

// serviceInfo counts the service's packages and lines (modules are counted
// from the binaries once they are built).
func serviceInfo(dir string) (Service, error) {
	s := Service{Path: serviceDir, Binaries: []string{"api", "worker"}}
	err := filepath.WalkDir(filepath.Join(dir, "internal"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s.GoFiles++
		for _, l := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(l) != "" {
				s.Lines++
			}
		}
		return nil
	})
	return s, err
}
