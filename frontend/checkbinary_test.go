package frontend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gobuild/gobuild/internal/bincheck"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// fakeRef is a client.Reference holding one file, that counts the gateway
// calls and the bytes they return.
type fakeRef struct {
	client.Reference
	t       *testing.T
	path    string
	data    []byte
	mode    os.FileMode
	readErr error

	stats, reads int
	bytesRead    int
}

func (f *fakeRef) StatFile(_ context.Context, req client.StatRequest) (*fstypes.Stat, error) {
	f.stats++
	if req.Path != f.path {
		return nil, &os.PathError{Op: "lstat", Path: req.Path, Err: os.ErrNotExist}
	}
	return &fstypes.Stat{Path: filepath.Base(f.path), Mode: uint32(f.mode), Size: int64(len(f.data))}, nil
}

func (f *fakeRef) ReadFile(_ context.Context, req client.ReadRequest) ([]byte, error) {
	f.reads++
	if req.Filename != f.path {
		return nil, &os.PathError{Op: "open", Path: req.Filename, Err: os.ErrNotExist}
	}
	if req.Range == nil {
		f.t.Errorf("ReadFile(%s) without a range reads the whole binary", req.Filename)
		return f.data, nil
	}
	if f.readErr != nil {
		return nil, f.readErr
	}
	// As BuildKit's cache/util.ReadFile: what there is of the range.
	off, n := req.Range.Offset, req.Range.Length
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("invalid range for %s", req.Filename)
	}
	off = min(off, len(f.data))
	dt := f.data[off:min(off+n, len(f.data))]
	f.bytesRead += len(dt)
	return slices.Clone(dt), nil
}

// buildHostBinaries builds a tiny program for the host into a temporary
// directory, in parallel: "static" with CGO_ENABLED=0, "stripped" the same
// with -ldflags=-s -w (as gobuild builds by default) and "dynamic" with cgo,
// which is "" when the host cannot build it.
func buildHostBinaries(t *testing.T) map[string]string {
	if runtime.GOOS != "linux" {
		t.Skip("needs a linux host")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{
		"go.mod":  "module tiny\n\ngo 1.22\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
		"cgo.go":  "//go:build cgo\n\npackage main\n\n// int answer(void) { return 42; }\nimport \"C\"\n\nfunc init() { _ = C.answer() }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	builds := map[string][]string{
		"static":   {"CGO_ENABLED=0"},
		"stripped": {"CGO_ENABLED=0", "-ldflags=-s -w"},
		"dynamic":  {"CGO_ENABLED=1"},
	}
	paths := map[string]string{}
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, b := range builds {
		out := filepath.Join(dir, name)
		paths[name] = out
		wg.Go(func() {
			cmd := exec.Command(goBin, append(append([]string{"build", "-trimpath", "-o", out}, b[1:]...), ".")...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), b[0], "GOOS=linux", "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=")
			if out, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				errs[name] = fmt.Errorf("go build %s: %v\n%s", name, err, out)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for name, err := range errs {
		if name != "dynamic" {
			t.Fatal(err)
		}
		t.Logf("no dynamic binary: %v", err)
		paths[name] = ""
	}
	return paths
}

func TestCheckBinary(t *testing.T) {
	bins := buildHostBinaries(t)
	static, stripped, dynamic := bins["static"], bins["stripped"], bins["dynamic"]
	host := ocispecs.Platform{OS: "linux", Architecture: runtime.GOARCH}
	other := ocispecs.Platform{OS: "linux", Architecture: "s390x"}
	if runtime.GOARCH == "s390x" {
		other.Architecture = "amd64"
	}
	if runtime.GOARCH == "arm" {
		host.Variant = "v7"
	}
	tests := []struct {
		name     string
		path     string
		p        ocispecs.Platform
		static   bool
		wantFail bool
	}{
		{"static", static, host, true, false},
		{"static for another machine", static, other, true, true},
		{"stripped", stripped, host, true, false},
		{"stripped for another machine", stripped, other, true, true},
		{"dynamic", dynamic, host, true, true},
		{"dynamic allowed", dynamic, host, false, false},
		{"dynamic for another machine", dynamic, other, false, true},
	}
	t.Run("errors", func(t *testing.T) { testCheckBinaryErrors(t, static) })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path == "" {
				t.Skip("the host cannot build a dynamic cgo binary")
			}
			data, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()

			ref := &fakeRef{t: t, path: "/out/server", data: data, mode: 0o755}
			got := checkBinary(context.Background(), ref, "/out/server", "server", tt.p, tt.static)
			want := bincheck.Check(f, "server", tt.p, tt.static)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("checkBinary = %v\nbincheck.Check on the file = %v", got, want)
			}
			if (got != nil) != tt.wantFail {
				t.Errorf("checkBinary = %v, want failure %v", got, tt.wantFail)
			}

			// The same Info, read through the gateway.
			r := newRefReaderAt(context.Background(), &fakeRef{t: t, path: "/out/server", data: data}, "/out/server", int64(len(data)))
			gotInfo, err := bincheck.Inspect(r)
			if err != nil {
				t.Fatal(err)
			}
			wantInfo, err := bincheck.Inspect(f)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%+v", gotInfo) != fmt.Sprintf("%+v", wantInfo) {
				t.Errorf("Inspect through the gateway = %+v\non the file = %+v", gotInfo, wantInfo)
			}

			t.Logf("%d-byte binary: %d stat, %d ranged reads, %d bytes read (%.1f%%)",
				len(data), ref.stats, ref.reads, ref.bytesRead, 100*float64(ref.bytesRead)/float64(len(data)))
			if ref.stats != 1 {
				t.Errorf("%d StatFile calls, want 1", ref.stats)
			}
			// debug/elf reads the headers, the section name table and the
			// compression header of each compressed DWARF section; a
			// stripped binary has none of those.
			maxReads := 12
			if tt.path == stripped {
				maxReads = 3
			}
			if ref.bytesRead > len(data)/4 || ref.reads > maxReads {
				t.Errorf("read %d of %d bytes in %d round trips; want at most a quarter of the file in at most %d", ref.bytesRead, len(data), ref.reads, maxReads)
			}
		})
	}
}

func testCheckBinaryErrors(t *testing.T, static string) {
	data, err := os.ReadFile(static)
	if err != nil {
		t.Fatal(err)
	}
	host := ocispecs.Platform{OS: "linux", Architecture: runtime.GOARCH}
	ctx := context.Background()
	boom := errors.New("rpc error: connection reset")
	tests := []struct {
		name string
		ref  *fakeRef
		file string
		want string
		is   error
	}{{
		name: "missing",
		ref:  &fakeRef{path: "/out/server", data: data, mode: 0o755},
		file: "/out/other",
		want: `checking binary "server": lstat /out/other: file does not exist`, is: os.ErrNotExist,
	}, {
		name: "directory",
		ref:  &fakeRef{path: "/out/server", mode: os.ModeDir | 0o755},
		file: "/out/server",
		want: `binary "server" (/out/server) is not a regular file but drwxr-xr-x`,
	}, {
		name: "gateway fails",
		ref:  &fakeRef{path: "/out/server", data: data, mode: 0o755, readErr: boom},
		file: "/out/server",
		want: `reading binary "server" (/out/server): rpc error: connection reset`, is: boom,
	}, {
		name: "shell script",
		ref:  &fakeRef{path: "/out/server", data: []byte("#!/bin/sh\nexec true\n"), mode: 0o755},
		file: "/out/server",
		want: `binary "server" is not an ELF file (it starts with "#!/b")`, is: bincheck.ErrNotELF,
	}, {
		name: "truncated",
		ref:  &fakeRef{path: "/out/server", data: data[:8192], mode: 0o755},
		file: "/out/server",
		is:   bincheck.ErrCorrupt,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ref.t = t
			err := checkBinary(ctx, tt.ref, tt.file, "server", host, true)
			if err == nil {
				t.Fatal("checkBinary = nil, want an error")
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Errorf("checkBinary = %v\nwant %s", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("checkBinary = %v, want an error wrapping %v", err, tt.is)
			}
			if tt.name == "gateway fails" && tt.ref.reads != 1 {
				t.Errorf("%d reads after the gateway failed, want 1", tt.ref.reads)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message spans lines: %q", err)
			}
		})
	}
}

// TestRefReaderAt reads every range of a file through refReaderAt and
// compares with the file.
func TestRefReaderAt(t *testing.T) {
	data := make([]byte, 3*refChunkSize+123)
	for i := range data {
		data[i] = byte(i * 7)
	}
	ref := &fakeRef{t: t, path: "f", data: data}
	r := newRefReaderAt(context.Background(), ref, "f", int64(len(data)))
	for _, c := range []struct{ off, n int }{
		{0, 4}, {0, 64}, {refChunkSize - 3, 10}, {0, len(data)}, {len(data) - 5, 5}, {len(data) - 5, 10}, {len(data), 1}, {len(data) + 100, 1}, {5, 0},
	} {
		p := make([]byte, c.n)
		n, err := r.ReadAt(p, int64(c.off))
		wantN := max(0, min(c.n, len(data)-c.off))
		if n != wantN || (n < c.n) != (err != nil) || !slices.Equal(p[:n], data[min(c.off, len(data)):min(c.off, len(data))+n]) {
			t.Errorf("ReadAt(%d bytes at %d) = %d, %v; want %d bytes of the file", c.n, c.off, n, err, wantN)
		}
	}
	if _, err := r.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at -1 = nil error")
	}
	// 4 chunks, the last one short, each read once while it stays cached.
	if ref.reads != 4 || ref.bytesRead != len(data) {
		t.Errorf("%d reads of %d bytes, want 4 of %d", ref.reads, ref.bytesRead, len(data))
	}
}
