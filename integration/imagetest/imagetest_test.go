package imagetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// desc is written by hand so that the test does not share the reader's types.
type desc struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *ocispec.Platform `json:"platform,omitempty"`
}

type layoutWriter struct {
	t   *testing.T
	dir string
}

func newLayout(t *testing.T) *layoutWriter {
	dir := t.TempDir()
	w := &layoutWriter{t, dir}
	w.write("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	return w
}

func (w *layoutWriter) write(name string, b []byte) {
	p := filepath.Join(w.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *layoutWriter) blob(mediaType string, b []byte) desc {
	sum := fmt.Sprintf("%x", sha256.Sum256(b))
	w.write("blobs/sha256/"+sum, b)
	return desc{MediaType: mediaType, Digest: "sha256:" + sum, Size: int64(len(b))}
}

func (w *layoutWriter) json(mediaType string, v any) desc {
	b, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.blob(mediaType, b)
}

// image writes a config and manifest and returns the manifest's descriptor.
func (w *layoutWriter) image(cfg ocispec.Image, layers ...desc) desc {
	cfg.RootFS.Type = "layers"
	cfgDesc := w.json(ocispec.MediaTypeImageConfig, cfg)
	return w.json(ocispec.MediaTypeImageManifest, map[string]any{
		"schemaVersion": 2,
		"mediaType":     ocispec.MediaTypeImageManifest,
		"config":        cfgDesc,
		"layers":        layers,
	})
}

func (w *layoutWriter) index(manifests ...desc) {
	w.write("index.json", mustJSON(w.t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     ocispec.MediaTypeImageIndex,
		"manifests":     manifests,
	}))
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type entry struct {
	hdr  tar.Header
	body string
}

func tarball(t *testing.T, gz bool, entries ...entry) []byte {
	var buf bytes.Buffer
	var out io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		out = zw
	}
	tw := tar.NewWriter(out)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		h.Size = int64(len(e.body))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func file(name, body string, mode int64) entry {
	return entry{tar.Header{Name: name, Mode: mode}, body}
}

func dir(name string, mode int64) entry {
	return entry{tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode}, ""}
}

var linuxHost = ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}

const helloSrc = `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	args := os.Args[1:]
	switch {
	case len(args) == 2 && args[0] == "exit":
		n, _ := strconv.Atoi(args[1])
		fmt.Fprintln(os.Stderr, "exiting with", n)
		os.Exit(n)
	case len(args) == 1 && args[0] == "loopback":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			var c net.Conn
			if c, err = net.Dial("tcp", ln.Addr().String()); err == nil {
				c.Close()
			}
		}
		ifs, _ := net.Interfaces()
		fmt.Println("loopback", err, len(ifs))
		return
	case len(args) == 1 && args[0] == "sleep":
		time.Sleep(time.Hour)
	case len(args) == 2 && args[0] == "serve":
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "served uid=%d", os.Getuid())
		})
		fmt.Println(http.ListenAndServe(args[1], nil))
		os.Exit(1)
	}
	wd, _ := os.Getwd()
	fmt.Printf("hello uid=%d gid=%d cwd=%s greeting=%s\n", os.Getuid(), os.Getgid(), wd, os.Getenv("GREETING"))
}
`

// buildHello builds a static, stripped Go program for the host's arch.
func buildHello(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(helloSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "hello", "main.go")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "hello")
}

// helloLayout writes a layout in the shape BuildKit exports with
// attestations: index.json -> index -> {image manifest, attestation manifest}.
func helloLayout(t *testing.T) string {
	bin, err := os.ReadFile(buildHello(t))
	if err != nil {
		t.Fatal(err)
	}
	w := newLayout(t)
	base := w.blob(ocispec.MediaTypeImageLayerGzip, tarball(t, true,
		dir("etc/", 0o755),
		file("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n", 0o644),
		file("etc/group", "root:x:0:\nnonroot:x:65532:\n", 0o644),
		entry{tar.Header{Name: "home/nonroot/", Typeflag: tar.TypeDir, Mode: 0o700, Uid: 65532, Gid: 65532}, ""},
	))
	app := w.blob(ocispec.MediaTypeImageLayerGzip, tarball(t, true,
		dir("app/", 0o755),
		entry{tar.Header{Name: "app/hello", Mode: 0o755}, string(bin)},
	))
	var cfg ocispec.Image
	cfg.Platform = linuxHost
	cfg.Config.Entrypoint = []string{"/app/hello"}
	cfg.Config.User = "65532:65532"
	cfg.Config.WorkingDir = "/home/nonroot"
	cfg.Config.Env = []string{"PATH=/app", "GREETING=image"}
	img := w.image(cfg, base, app)
	img.Platform = &linuxHost
	att := w.image(ocispec.Image{Platform: ocispec.Platform{OS: "unknown", Architecture: "unknown"}},
		w.blob("application/vnd.in-toto+json", []byte(`{}`)))
	att.Platform = &ocispec.Platform{OS: "unknown", Architecture: "unknown"}
	att.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": img.Digest}
	idx := w.json(ocispec.MediaTypeImageIndex, map[string]any{
		"schemaVersion": 2, "mediaType": ocispec.MediaTypeImageIndex, "manifests": []desc{img, att},
	})
	w.index(idx)
	return w.dir
}

func TestStaticGoImage(t *testing.T) {
	l, err := OpenLayout(helloLayout(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ms, err := l.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Platform != "linux/"+runtime.GOARCH {
		t.Fatalf("manifests: %+v, want only linux/%s", ms, runtime.GOARCH)
	}
	img, err := l.Image("linux/" + runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Image("linux/s390x"); err == nil || !strings.Contains(err.Error(), "linux/"+runtime.GOARCH) {
		t.Errorf("Image(linux/s390x) = %v, want an error naming the available platform", err)
	}
	want := img.Manifest.Config.Size + img.Layers[0].Size + img.Layers[1].Size
	if len(img.Layers) != 2 || img.CompressedSize != want || img.Config.Config.User != "65532:65532" {
		t.Errorf("image: %d layers, size %d (want %d), user %q", len(img.Layers), img.CompressedSize, want, img.Config.Config.User)
	}

	rootfs := t.TempDir()
	if err := img.Unpack(rootfs); err != nil {
		t.Fatal(err)
	}
	info := AssertStatic(t, filepath.Join(rootfs, "app/hello"), runtime.GOARCH)
	if info.HasSymtab || info.GOARCH() != runtime.GOARCH {
		t.Errorf("ELF: %+v, want no .symtab (built with -s) and %s", info, runtime.GOARCH)
	}
	t.Logf("ELF: %+v", info)
	if fi, err := os.Stat(filepath.Join(rootfs, "home/nonroot")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("home/nonroot: %v %v", fi, err)
	}

	RequireRunc(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stdout, stderr, err := Run(ctx, img, RunOpts{})
	if err != nil {
		t.Fatalf("Run: %v\nstderr: %s", err, stderr)
	}
	if got := string(stdout); got != "hello uid=65532 gid=65532 cwd=/home/nonroot greeting=image\n" {
		t.Errorf("stdout = %q, stderr = %q", got, stderr)
	}

	t.Run("user names and overrides", func(t *testing.T) {
		stdout, stderr, err := Run(ctx, img, RunOpts{User: "nonroot", Env: []string{"GREETING=opts"}, WorkingDir: "/", ReadonlyRootfs: true})
		if err != nil || string(stdout) != "hello uid=65532 gid=65532 cwd=/ greeting=opts\n" {
			t.Errorf("Run = %q, %v; stderr %s", stdout, err, stderr)
		}
		stdout, _, err = Run(ctx, img, RunOpts{User: "0"})
		if err != nil || !strings.HasPrefix(string(stdout), "hello uid=0 gid=0 ") {
			t.Errorf("Run as root = %q, %v", stdout, err)
		}
		if _, _, err := Run(ctx, img, RunOpts{User: "nobody"}); err == nil || !strings.Contains(err.Error(), "not found in /etc/passwd") {
			t.Errorf("unknown user: err = %v", err)
		}
	})

	t.Run("exit code", func(t *testing.T) {
		_, stderr, err := Run(ctx, img, RunOpts{Args: []string{"/app/hello", "exit", "3"}})
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 3 || !strings.Contains(string(stderr), "exiting with 3") {
			t.Errorf("err = %v, stderr = %q; want exit code 3", err, stderr)
		}
	})

	t.Run("own netns has only loopback", func(t *testing.T) {
		stdout, stderr, err := Run(ctx, img, RunOpts{Args: []string{"/app/hello", "loopback"}})
		if err != nil || string(stdout) != "loopback <nil> 1\n" {
			t.Errorf("Run = %q, %v; stderr %s", stdout, err, stderr)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		start := time.Now()
		_, _, err := Run(ctx, img, RunOpts{Args: []string{"/app/hello", "sleep"}})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 20*time.Second {
			t.Errorf("err = %v after %v, want deadline exceeded soon", err, time.Since(start))
		}
	})

	t.Run("server", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c, err := Start(ctx, img, RunOpts{Args: []string{"/app/hello", "serve", addr}, HostNetwork: true, StopTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Stop()
		var body []byte
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if c.ExitCode() != -1 {
				t.Fatalf("server exited %d: %s %s", c.ExitCode(), c.Stdout(), c.Stderr())
			}
			resp, err := http.Get("http://" + addr + "/")
			if err != nil {
				continue
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		if string(body) != "served uid=65532" {
			t.Errorf("body = %q", body)
		}
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(c.Bundle); !os.IsNotExist(err) {
			t.Errorf("bundle %s still there: %v", c.Bundle, err)
		}
		if out, _ := exec.Command("runc", "state", c.ID).CombinedOutput(); !strings.Contains(string(out), "does not exist") {
			t.Errorf("container %s still there: %s", c.ID, out)
		}
	})
}

func TestLayoutTarAndSingleManifest(t *testing.T) {
	w := newLayout(t)
	var cfg ocispec.Image
	cfg.Platform = ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	layer := w.blob(ocispec.MediaTypeImageLayer, tarball(t, false, file("a", "x", 0o644)))
	w.index(w.image(cfg, layer)) // no platform on the descriptor: read from the config
	tarPath := filepath.Join(t.TempDir(), "out.tar")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.AddFS(os.DirFS(w.dir)); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	if err := os.WriteFile(tarPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLayout(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := l.Image("")
	if err != nil || img.Platform != "linux/arm/v7" {
		t.Fatalf("Image: %v, %v", img, err)
	}
	if _, err := l.Image("linux/arm/v7"); err != nil {
		t.Error(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Dir); !os.IsNotExist(err) {
		t.Errorf("temporary layout dir not removed: %v", err)
	}
}

func TestUnpack(t *testing.T) {
	w := newLayout(t)
	l1 := w.blob(ocispec.MediaTypeImageLayerGzip, tarball(t, true,
		dir("./", 0o755),
		dir("opq/", 0o755),
		file("opq/old", "old", 0o644),
		dir("opq/sub/", 0o755),
		file("opq/sub/old", "old", 0o644),
		file("gone", "x", 0o644),
		dir("gonedir/", 0o755),
		file("gonedir/f", "x", 0o644),
		entry{tar.Header{Name: "bin/su", Mode: 0o4755, Uid: 1000, Gid: 2000}, "setuid"},
		entry{tar.Header{Name: "bin/su-link", Typeflag: tar.TypeLink, Linkname: "bin/su"}, ""},
		entry{tar.Header{Name: "bin/sym", Typeflag: tar.TypeSymlink, Linkname: "su", Uid: 7, Gid: 8}, ""},
		entry{tar.Header{Name: "escape", Typeflag: tar.TypeSymlink, Linkname: "/"}, ""},
		entry{tar.Header{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../../../.."}, ""},
		dir("locked/", 0o500),
		file("locked/f", "in a read-only dir", 0o400),
	))
	l2 := w.blob(ocispec.MediaTypeImageLayer, tarball(t, false,
		file("opq/.wh..wh..opq", "", 0o644),
		file("opq/new", "new", 0o600),
		dir("opq/sub/", 0o755),
		file("opq/sub/new", "new", 0o644),
		file(".wh.gone", "", 0o644),
		file(".wh.gonedir", "", 0o644),
		file("escape/etc/inside", "confined", 0o644), // through the symlink to "/": stays in dest
		file("up/inside2", "confined", 0o644),
	))
	w.index(w.image(ocispec.Image{Platform: linuxHost}, l1, l2))
	l, err := OpenLayout(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	img, err := l.Image("")
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "rootfs")
	if err := img.Unpack(dest); err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.Walk(dest, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		got = append(got, fmt.Sprintf("%s %v", rel, fi.Mode()))
		return nil
	})
	wantList := []string{
		". drwxr-xr-x",
		"bin drwxr-xr-x",
		"bin/su urwxr-xr-x", // u: setuid
		"bin/su-link urwxr-xr-x",
		"bin/sym Lrwxrwxrwx",
		"escape Lrwxrwxrwx",
		"etc drwxr-xr-x",
		"etc/inside -rw-r--r--",
		"inside2 -rw-r--r--",
		"locked dr-x------",
		"locked/f -r--------",
		"opq drwxr-xr-x",
		"opq/new -rw-------",
		"opq/sub drwxr-xr-x",
		"opq/sub/new -rw-r--r--",
		"up Lrwxrwxrwx",
	}
	if strings.Join(got, "\n") != strings.Join(wantList, "\n") {
		t.Errorf("unpacked:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantList, "\n"))
	}
	if os.Geteuid() == 0 {
		var st1, st2 [2]int
		for i, p := range []string{"bin/su", "bin/sym"} {
			fi, err := os.Lstat(filepath.Join(dest, p))
			if err != nil {
				t.Fatal(err)
			}
			uid, gid := ownerOf(fi)
			st1[i], st2[i] = uid, gid
		}
		if st1 != [2]int{1000, 7} || st2 != [2]int{2000, 8} {
			t.Errorf("owners: uids %v gids %v", st1, st2)
		}
	}
	a, _ := os.Stat(filepath.Join(dest, "bin/su"))
	b, _ := os.Stat(filepath.Join(dest, "bin/su-link"))
	if !os.SameFile(a, b) {
		t.Error("bin/su-link is not a hard link of bin/su")
	}

	// Entries climbing out of dest are refused.
	for _, bad := range []entry{
		file("../evil", "x", 0o644),
		{tar.Header{Name: "x", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}, ""},
	} {
		w := newLayout(t)
		w.index(w.image(ocispec.Image{Platform: linuxHost}, w.blob(ocispec.MediaTypeImageLayer, tarball(t, false, bad))))
		l, err := OpenLayout(w.dir)
		if err != nil {
			t.Fatal(err)
		}
		img, err := l.Image("")
		if err != nil {
			t.Fatal(err)
		}
		if err := img.Unpack(t.TempDir()); err == nil || !strings.Contains(err.Error(), "escapes") {
			t.Errorf("%s: Unpack error = %v, want escapes", bad.hdr.Name, err)
		}
	}

	// zstd is refused clearly; a corrupted blob is detected.
	w = newLayout(t)
	w.index(w.image(ocispec.Image{Platform: linuxHost}, w.blob(ocispec.MediaTypeImageLayerZstd, []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0})))
	l, _ = OpenLayout(w.dir)
	if img, err = l.Image(""); err != nil {
		t.Fatal(err)
	}
	if err := img.Unpack(t.TempDir()); err == nil || !strings.Contains(err.Error(), "zstd") {
		t.Errorf("zstd: Unpack error = %v", err)
	}
	blob := filepath.Join(w.dir, "blobs", "sha256", img.Layers[0].Digest.Encoded())
	os.WriteFile(blob, tarball(t, false, file("a", "b", 0o644)), 0o644)
	if err := img.Unpack(t.TempDir()); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Errorf("corrupt blob: Unpack error = %v", err)
	}
}

// recorder catches AssertStatic's messages.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(f string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(f, args...))
}
func (r *recorder) Fatalf(f string, args ...any) {
	r.Errorf(f, args...)
	runtime.Goexit()
}

func TestDynamicELF(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gcc not installed and CI=true")
		}
		t.Skip("gcc not installed")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.c")
	os.WriteFile(src, []byte("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n"), 0o644)
	bin := filepath.Join(dir, "hello")
	if out, err := exec.Command("gcc", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	info, err := InspectELF(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ELF: %+v", info)
	if info.Static() || info.StaticPIE || !info.HasInterp || !strings.Contains(info.Interp, "ld-") || !strings.Contains(strings.Join(info.Needed, " "), "libc.so") || !info.HasSymtab {
		t.Errorf("dynamic C binary: %+v", info)
	}
	if info.GOARCH() != runtime.GOARCH {
		t.Errorf("GOARCH() = %q", info.GOARCH())
	}
	r := &recorder{TB: t}
	AssertStatic(r, bin, runtime.GOARCH)
	if len(r.msgs) != 1 || !strings.Contains(r.msgs[0], info.Interp) || !strings.Contains(r.msgs[0], "libc.so") {
		t.Errorf("AssertStatic said %q, want the interpreter and libc named", r.msgs)
	}
	if _, err := InspectELF(src); err == nil {
		t.Error("InspectELF of a C source succeeded")
	}

	// Without section headers (as sstrip leaves a binary), the loader
	// still reads PT_INTERP and PT_DYNAMIC: so must InspectELF.
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if elf.Class(b[elf.EI_CLASS]) != elf.ELFCLASS64 || elf.Data(b[elf.EI_DATA]) != elf.ELFDATA2LSB {
		t.Skipf("the host's gcc does not write little-endian ELF64")
	}
	binary.LittleEndian.PutUint64(b[0x28:], 0) // e_shoff
	binary.LittleEndian.PutUint16(b[0x3c:], 0) // e_shnum
	binary.LittleEndian.PutUint16(b[0x3e:], 0) // e_shstrndx
	noSections := filepath.Join(dir, "hello-nosections")
	if err := os.WriteFile(noSections, b, 0o755); err != nil {
		t.Fatal(err)
	}
	ns, err := InspectELF(noSections)
	if err != nil {
		t.Fatal(err)
	}
	if ns.Static() || ns.Interp != info.Interp || !slices.Equal(ns.Needed, info.Needed) || ns.HasSymtab {
		t.Errorf("without section headers: %+v, want the interpreter %s and libraries %q", ns, info.Interp, info.Needed)
	}
}

func ownerOf(fi os.FileInfo) (uid, gid int) {
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}
