package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// buildctl returns the argv of buildctl against addr.
func (b *bench) buildctl(addr string, args ...string) []string {
	return append([]string{filepath.Join(b.bin, "buildctl"), "--addr", addr}, args...)
}

// bkBuild is one BuildKit build of the service.
type bkBuild struct {
	tool        string // gobuild, gobuild-base or dockerfile
	src         string
	out         string // OCI tar written by the build
	platforms   []string
	exportCache string // registry ref, or ""
	importCache string // registry ref, or ""
	// The CI cycle's extras: the gobuild frontend image (default
	// ghcr.io/gobuild/gobuild:1), the Dockerfile (default
	// Dockerfile.handwritten), an image to push instead of writing out, and
	// a metadata file for buildctl to write.
	frontend string
	file     string
	push     string
	metadata string
}

// buildArgs returns buildctl's arguments after --addr for a build.
func buildArgs(bb bkBuild) []string {
	args := []string{"build", "--progress=plain"}
	switch bb.tool {
	case "gobuild":
		args = append(args, "--frontend", "gateway.v0", "--opt", "source="+orDefault(bb.frontend, "ghcr.io/gobuild/gobuild:1"))
	case "gobuild-base":
		args = append(args, "--frontend", "gateway.v0", "--opt", "source="+orDefault(bb.frontend, "ghcr.io/gobuild/gobuild:"+baseTag))
	case "dockerfile":
		args = append(args, "--frontend", "dockerfile.v0", "--opt", "filename="+orDefault(bb.file, "Dockerfile.handwritten"))
	default:
		panic("not a BuildKit tool: " + bb.tool)
	}
	args = append(args,
		"--local", "context="+bb.src, "--local", "dockerfile="+bb.src,
		"--opt", "build-arg:VERSION="+stampVersion,
		"--opt", "build-arg:COMMIT="+stampCommit,
		"--opt", "build-arg:SOURCE_DATE_EPOCH="+stampEpoch,
	)
	if len(bb.platforms) > 0 {
		args = append(args, "--opt", "platform="+strings.Join(bb.platforms, ","))
	}
	if bb.exportCache != "" {
		args = append(args, "--export-cache", "type=registry,ref="+bb.exportCache+",mode=max,registry.insecure=true")
	}
	if bb.importCache != "" {
		args = append(args, "--import-cache", "type=registry,ref="+bb.importCache+",registry.insecure=true")
	}
	if bb.metadata != "" {
		args = append(args, "--metadata-file", bb.metadata)
	}
	if bb.push != "" {
		return append(args, "--output", "type=image,name="+bb.push+",push=true,registry.insecure=true")
	}
	return append(args, "--output", "type=oci,dest="+bb.out)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// daemon is a buildkitd the benchmark started itself: a fresh one with an
// empty root, for the "new CI runner" scenarios.
type daemon struct {
	cmd  *exec.Cmd
	dir  string // holds root/ and the sockets
	addr string
	done chan error
}

// startDaemon starts buildkitd with the test bed's configuration (or
// b.daemonConfig) but its own root, socket and trace socket in a new
// directory under parent, and waits until it answers.
func (b *bench) startDaemon(ctx context.Context, parent, logPath string) (*daemon, error) {
	// The socket path must stay short (108 bytes), so it lives in /tmp; the
	// root lives under parent, on the file system the test bed's overlayfs
	// probe succeeded on.
	sockDir, err := os.MkdirTemp("", "gobuild-bench-bk-")
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp(parent, "fresh-buildkitd-")
	if err != nil {
		os.RemoveAll(sockDir)
		return nil, err
	}
	d := &daemon{dir: root, addr: "unix://" + filepath.Join(sockDir, "buildkitd.sock"), done: make(chan error, 1)}
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	argv := []string{
		filepath.Join(b.bin, "buildkitd"),
		"--config", orDefault(b.daemonConfig, filepath.Join(b.testbed, "buildkitd.toml")),
		"--root", filepath.Join(root, "root"),
		"--addr", d.addr,
		"--otel-socket-path", filepath.Join(sockDir, "otel-grpc.sock"),
	}
	fmt.Fprintf(log, "### %s\n", shellQuote(argv))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = environ(map[string]string{"PATH": b.bin + ":" + os.Getenv("PATH") + ":/usr/local/sbin:/usr/sbin:/sbin"})
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	d.cmd = cmd
	go func() {
		d.done <- cmd.Wait()
		log.Close()
		os.RemoveAll(sockDir)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := output(ctx, command{argv: b.buildctl(d.addr, "--timeout", "3", "debug", "workers")}); err == nil {
			return d, nil
		}
		select {
		case err := <-d.done:
			d.done <- err
			d.stop()
			return nil, fmt.Errorf("fresh buildkitd exited (%v); see %s", err, logPath)
		case <-ctx.Done():
			d.stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.stop()
			return nil, fmt.Errorf("fresh buildkitd did not answer within 60s; see %s", logPath)
		}
	}
}

// stop ends the daemon (SIGTERM, then SIGKILL after 30s), unmounts what it
// left mounted and deletes its root.
func (d *daemon) stop() {
	if d == nil || d.cmd == nil {
		return
	}
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-d.done:
			d.done <- err
		case <-time.After(30 * time.Second):
			_ = d.cmd.Process.Kill()
			err := <-d.done
			d.done <- err
		}
	}
	if err := unmountUnder(d.dir); err != nil {
		logf("warning: %v", err)
	}
	if err := os.RemoveAll(d.dir); err != nil {
		logf("warning: removing %s: %v", d.dir, err)
	}
	d.cmd = nil
}

// unmountUnder unmounts every mount at or below dir, deepest first.
func unmountUnder(dir string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	defer f.Close()
	var mounts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mounts = append(mounts, mp)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	var errs []error
	for _, m := range mounts {
		if err := syscall.Unmount(m, 0); err != nil {
			if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
				errs = append(errs, fmt.Errorf("unmounting %s: %w", m, err))
			}
		}
	}
	return errors.Join(errs...)
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
