package imagetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RunOpts changes how Run and Start run an image.
type RunOpts struct {
	Args           []string // replaces Entrypoint+Cmd when not nil
	Env            []string // "K=V", added to or replacing the image's
	WorkingDir     string   // replaces the image's
	User           string   // replaces the image's: uid, uid:gid, or names found in the rootfs's /etc/passwd and /etc/group
	ReadonlyRootfs bool
	HostNetwork    bool // share the host's network namespace instead of a new one that has only loopback
	Stdin          io.Reader
	Stdout, Stderr io.Writer     // also get the output, as it comes (e.g. for logs)
	Runtime        string        // runc binary: default $IMAGETEST_RUNC, or runc from PATH
	StopTimeout    time.Duration // Stop's wait between SIGTERM and SIGKILL: default 5s
}

// ExitError reports a container that exited with a non-zero code (runc
// exits with 128+n for a container killed by signal n, and with 1 for an
// error of its own, which the stderr tail then shows).
type ExitError struct {
	Code   int
	Stderr []byte
}

func (e *ExitError) Error() string {
	tail := e.Stderr
	if len(tail) > 1024 {
		tail = tail[len(tail)-1024:]
	}
	return fmt.Sprintf("container exited with code %d; stderr: %s", e.Code, bytes.TrimSpace(tail))
}

// Container is a container started by Start.
type Container struct {
	ID     string
	Bundle string // bundle directory, with config.json and rootfs

	runtime     string
	stopTimeout time.Duration
	cmd         *exec.Cmd
	stdout      syncBuffer
	stderr      syncBuffer
	done        chan struct{}
	waitErr     error
	exitCode    int
	stopOnce    sync.Once
	stopErr     error
}

// RequireRunc skips the test when runc cannot be used (missing, or not
// root), and fails it instead when CI=true. It returns the runc binary.
func RequireRunc(t testing.TB) string {
	t.Helper()
	bin, err := runtimePath("")
	if err == nil && os.Geteuid() != 0 {
		err = errors.New("runc needs root here")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("runc unusable and CI=true: %v", err)
		}
		t.Skipf("runc unusable: %v (apt-get install -y runc)", err)
	}
	return bin
}

func runtimePath(bin string) (string, error) {
	if bin == "" {
		bin = os.Getenv("IMAGETEST_RUNC")
	}
	if bin == "" {
		bin = "runc"
	}
	return exec.LookPath(bin)
}

// Run runs img to completion under runc and returns its output. A
// non-zero exit gives an *ExitError; ctx ending kills the container.
// The container and its bundle are always removed.
func Run(ctx context.Context, img *Image, opts RunOpts) (stdout, stderr []byte, err error) {
	c, err := Start(ctx, img, opts)
	if err != nil {
		return nil, nil, err
	}
	err = c.Wait()
	if serr := c.Stop(); err == nil {
		err = serr
	}
	return c.Stdout(), c.Stderr(), err
}

// Start unpacks img into a new bundle and starts it with `runc run`. The
// container is killed when ctx ends; call Stop to end it and clean up.
func Start(ctx context.Context, img *Image, opts RunOpts) (*Container, error) {
	bin, err := runtimePath(opts.Runtime)
	if err != nil {
		return nil, err
	}
	bundle, err := os.MkdirTemp("", "imagetest-bundle-")
	if err != nil {
		return nil, err
	}
	c := &Container{Bundle: bundle, runtime: bin, stopTimeout: opts.StopTimeout, done: make(chan struct{}), exitCode: -1}
	if c.stopTimeout == 0 {
		c.stopTimeout = 5 * time.Second
	}
	if err := c.prepare(img, opts); err != nil {
		os.RemoveAll(bundle)
		return nil, err
	}
	id := make([]byte, 8)
	rand.Read(id)
	c.ID = "imagetest-" + hex.EncodeToString(id)
	c.cmd = exec.Command(bin, "run", "--bundle", bundle, c.ID)
	c.cmd.Stdin = opts.Stdin
	c.cmd.Stdout = writers(&c.stdout, opts.Stdout)
	c.cmd.Stderr = writers(&c.stderr, opts.Stderr)
	c.cmd.WaitDelay = 5 * time.Second
	if err := c.cmd.Start(); err != nil {
		os.RemoveAll(bundle)
		return nil, err
	}
	go func() {
		err := c.cmd.Wait()
		c.exitCode = c.cmd.ProcessState.ExitCode()
		var ee *exec.ExitError
		switch {
		case ctx.Err() != nil:
			err = fmt.Errorf("container %s: %w (stderr: %s)", c.ID, ctx.Err(), bytes.TrimSpace(c.stderr.Bytes()))
		case errors.As(err, &ee):
			err = &ExitError{Code: c.exitCode, Stderr: c.stderr.Bytes()}
		}
		c.waitErr = err
		close(c.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			c.kill()
		case <-c.done:
		}
	}()
	return c, nil
}

func writers(buf *syncBuffer, w io.Writer) io.Writer {
	if w == nil {
		return buf
	}
	return io.MultiWriter(buf, w)
}

// Done is closed when the container has exited.
func (c *Container) Done() <-chan struct{} { return c.done }

// Wait waits for the container to exit; see Run for the error.
func (c *Container) Wait() error {
	<-c.done
	return c.waitErr
}

// ExitCode is the container's exit code, or -1 while it runs.
func (c *Container) ExitCode() int {
	select {
	case <-c.done:
		return c.exitCode
	default:
		return -1
	}
}

// Stdout returns the output so far.
func (c *Container) Stdout() []byte { return c.stdout.Bytes() }

// Stderr returns the error output so far, runc's included.
func (c *Container) Stderr() []byte { return c.stderr.Bytes() }

// Stop sends SIGTERM to a running container, SIGKILL after StopTimeout,
// then deletes the container and its bundle. It may be called again.
func (c *Container) Stop() error {
	c.stopOnce.Do(func() {
		select {
		case <-c.done:
		default:
			exec.Command(c.runtime, "kill", c.ID, "TERM").Run()
			select {
			case <-c.done:
			case <-time.After(c.stopTimeout):
				c.kill()
			}
		}
		// runc run deletes the container when it ends; this is in case it did not.
		if out, err := exec.Command(c.runtime, "delete", "--force", c.ID).CombinedOutput(); err != nil && !strings.Contains(string(out), "does not exist") {
			c.stopErr = fmt.Errorf("runc delete %s: %v: %s", c.ID, err, out)
		}
		if err := os.RemoveAll(c.Bundle); err != nil && c.stopErr == nil {
			c.stopErr = err
		}
	})
	return c.stopErr
}

// kill sends SIGKILL until runc run has ended, killing runc itself if
// that takes long (runc may not have created the container yet).
func (c *Container) kill() {
	for i := 0; ; i++ {
		exec.Command(c.runtime, "kill", c.ID, "KILL").Run()
		select {
		case <-c.done:
			return
		case <-time.After(200 * time.Millisecond):
		}
		if i == 25 {
			c.cmd.Process.Kill()
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// prepare unpacks the rootfs and writes config.json.
func (c *Container) prepare(img *Image, opts RunOpts) error {
	rootfs := filepath.Join(c.Bundle, "rootfs")
	if err := img.Unpack(rootfs); err != nil {
		return err
	}
	cfg := img.Config.Config
	args := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if opts.Args != nil {
		args = opts.Args
	}
	if len(args) == 0 {
		return errors.New("no command: the image has no Entrypoint nor Cmd and RunOpts.Args is empty")
	}
	cwd := cfg.WorkingDir
	if opts.WorkingDir != "" {
		cwd = opts.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	user := cfg.User
	if opts.User != "" {
		user = opts.User
	}
	uid, gid, err := resolveUser(rootfs, user)
	if err != nil {
		return err
	}
	spec := runtimeSpec(args, mergeEnv(cfg.Env, opts.Env), cwd, uid, gid, opts)
	b, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.Bundle, "config.json"), b, 0o644)
}

func mergeEnv(base, extra []string) []string {
	env := []string{}
	idx := map[string]int{}
	for _, kv := range append(append([]string{}, base...), extra...) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			env[i] = kv
			continue
		}
		idx[k] = len(env)
		env = append(env, kv)
	}
	if _, ok := idx["PATH"]; !ok {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	return env
}

// resolveUser turns "", "uid", "uid:gid", "name" or "name:group" into ids,
// looking names up in the rootfs's /etc/passwd and /etc/group. A user
// without a group gets its passwd entry's group, or 0.
func resolveUser(rootfs, user string) (uid, gid uint32, err error) {
	if user == "" {
		return 0, 0, nil
	}
	u, g, hasGroup := strings.Cut(user, ":")
	var pwGID uint32
	uid, err = lookupID(rootfs, "/etc/passwd", u, &pwGID)
	if err != nil {
		return 0, 0, fmt.Errorf("user %q: %w", user, err)
	}
	if !hasGroup {
		return uid, pwGID, nil
	}
	gid, err = lookupID(rootfs, "/etc/group", g, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("user %q: %w", user, err)
	}
	return uid, gid, nil
}

// lookupID resolves a numeric id or a name from a passwd-like file of the
// rootfs (name:x:id:gid:...). For a passwd entry it sets *gid.
func lookupID(rootfs, file, name string, gid *uint32) (uint32, error) {
	n, numErr := strconv.ParseUint(name, 10, 32)
	f, err := os.Open(filepath.Join(rootfs, file))
	if err != nil {
		if numErr == nil {
			return uint32(n), nil
		}
		return 0, fmt.Errorf("cannot resolve %q without %s: %w", name, file, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 {
			continue
		}
		if numErr == nil && fields[2] != name || numErr != nil && fields[0] != name {
			continue
		}
		id, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			continue
		}
		if gid != nil && len(fields) > 3 {
			if g, err := strconv.ParseUint(fields[3], 10, 32); err == nil {
				*gid = uint32(g)
			}
		}
		return uint32(id), nil
	}
	if numErr == nil {
		return uint32(n), nil
	}
	return 0, fmt.Errorf("%q not found in %s", name, file)
}

// defaultCaps are the capabilities a root process gets (Docker's default set).
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

type obj = map[string]any

// runtimeSpec builds an OCI runtime config (runtime-spec 1.0) for runc.
func runtimeSpec(args, env []string, cwd string, uid, gid uint32, opts RunOpts) obj {
	caps := []string{}
	if uid == 0 {
		caps = defaultCaps
	}
	namespaces := []obj{{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}}
	if !opts.HostNetwork {
		namespaces = append(namespaces, obj{"type": "network"})
	}
	return obj{
		"ociVersion": "1.0.2",
		"process": obj{
			"terminal":        false,
			"user":            obj{"uid": uid, "gid": gid},
			"args":            args,
			"env":             env,
			"cwd":             cwd,
			"capabilities":    obj{"bounding": caps, "effective": caps, "permitted": caps},
			"rlimits":         []obj{{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}},
			"noNewPrivileges": true,
		},
		"root":     obj{"path": "rootfs", "readonly": opts.ReadonlyRootfs},
		"hostname": "imagetest",
		"mounts": []obj{
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		"linux": obj{
			"namespaces": namespaces,
			"resources":  obj{"devices": []obj{{"allow": false, "access": "rwm"}}},
			"maskedPaths": []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
			},
			"readonlyPaths": []string{
				"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			},
		},
	}
}
