package bincheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The test binaries are built from one tiny main package; cgo.go adds a C
// function when cgo is on, so the host's cgo builds link libc.
const (
	mainGo = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"
	cgoGo  = "//go:build cgo\n\npackage main\n\n// int answer(void) { return 42; }\nimport \"C\"\n\nfunc init() { _ = C.answer() }\n"
)

// A buildSpec is one test binary: the environment and flags of its go build.
type buildSpec struct {
	env      []string
	args     []string
	optional bool // skip its cases when the host cannot build it

	once sync.Once
	path string
	err  error
}

var stripped = []string{"-ldflags=-s -w"}

var builds = map[string]*buildSpec{
	"amd64":   {env: []string{"CGO_ENABLED=0", "GOARCH=amd64"}, args: stripped},
	"arm64":   {env: []string{"CGO_ENABLED=0", "GOARCH=arm64"}, args: stripped},
	"armv7":   {env: []string{"CGO_ENABLED=0", "GOARCH=arm", "GOARM=7"}, args: stripped},
	"386":     {env: []string{"CGO_ENABLED=0", "GOARCH=386"}, args: stripped},
	"ppc64le": {env: []string{"CGO_ENABLED=0", "GOARCH=ppc64le"}, args: stripped},
	"s390x":   {env: []string{"CGO_ENABLED=0", "GOARCH=s390x"}, args: stripped},
	"riscv64": {env: []string{"CGO_ENABLED=0", "GOARCH=riscv64"}, args: stripped},
	// Other OSes: what the binaries target builds besides linux.
	"darwin-amd64":  {env: []string{"CGO_ENABLED=0", "GOOS=darwin", "GOARCH=amd64"}, args: stripped},
	"darwin-arm64":  {env: []string{"CGO_ENABLED=0", "GOOS=darwin", "GOARCH=arm64"}, args: stripped},
	"windows-amd64": {env: []string{"CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64"}, args: stripped},
	"windows-arm64": {env: []string{"CGO_ENABLED=0", "GOOS=windows", "GOARCH=arm64"}, args: stripped},
	"freebsd-amd64": {env: []string{"CGO_ENABLED=0", "GOOS=freebsd", "GOARCH=amd64"}, args: stripped},
	"openbsd-arm64": {env: []string{"CGO_ENABLED=0", "GOOS=openbsd", "GOARCH=arm64"}, args: stripped},
	// host: a static binary for the host, with its symbol table.
	"host": {env: []string{"CGO_ENABLED=0"}},
	// cgo-dynamic: the host's default cgo build, which asks for the host's
	// loader and libc.
	"cgo-dynamic": {env: []string{"CGO_ENABLED=1"}},
	// cgo-static: cgo linked statically by the host's C linker.
	"cgo-static": {env: []string{"CGO_ENABLED=1"}, args: []string{"-ldflags=-linkmode external -extldflags -static"}, optional: true},
	// static-pie: ET_DYN without PT_INTERP nor DT_NEEDED.
	"static-pie": {env: []string{"CGO_ENABLED=1"}, args: []string{"-buildmode=pie", "-ldflags=-linkmode external -extldflags -static-pie"}, optional: true},
}

// buildDir holds the source and the binaries; TestMain makes and removes it,
// so the tests and the fuzz target share one build of each binary.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "elfcheck-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var writeSource = sync.OnceValue(func() error {
	for name, src := range map[string]string{
		"go.mod":  "module tiny\n\ngo 1.22\n",
		"main.go": mainGo,
		"cgo.go":  cgoGo,
	} {
		if err := os.WriteFile(filepath.Join(buildDir, "src", name), []byte(src), 0o644); err != nil {
			return err
		}
	}
	return nil
})

func (b *buildSpec) build(name string) {
	b.once.Do(func() {
		if err := os.MkdirAll(filepath.Join(buildDir, "src"), 0o755); err != nil {
			b.err = err
			return
		}
		if b.err = writeSource(); b.err != nil {
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(buildDir, name)
		cmd := exec.Command(goBin, append(append([]string{"build", "-trimpath", "-o", b.path}, b.args...), ".")...)
		cmd.Dir = filepath.Join(buildDir, "src")
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=")
		cmd.Env = append(cmd.Env, b.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s (%s): %v\n%s", name, strings.Join(b.env, " "), err, out)
		}
	})
}

// prebuild builds the named binaries in parallel.
func prebuild(names ...string) {
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Go(func() { builds[name].build(name) })
	}
	wg.Wait()
}

// testBinary returns the path of the named test binary, building it if needed.
func testBinary(tb testing.TB, name string) string {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skip("the test binaries are built with the host's C toolchain for linux")
	}
	b := builds[name]
	b.build(name)
	if b.err != nil {
		if b.optional {
			tb.Skipf("the host cannot build %s: %v", name, b.err)
		}
		tb.Fatal(b.err)
	}
	return b.path
}

func open(tb testing.TB, name string) *os.File {
	tb.Helper()
	f, err := os.Open(testBinary(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

func readPrefix(tb testing.TB, name string, n int) []byte {
	tb.Helper()
	b, err := os.ReadFile(testBinary(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b[:min(n, len(b))]
}

func linux(arch, variant string) ocispecs.Platform {
	return ocispecs.Platform{OS: "linux", Architecture: arch, Variant: variant}
}

func TestCrossCompiled(t *testing.T) {
	names := []string{"amd64", "arm64", "armv7", "386", "ppc64le", "s390x", "riscv64"}
	prebuild(names...)
	tests := []struct {
		binary  string
		machine elf.Machine
		class   elf.Class
		data    elf.Data
		ok      []ocispecs.Platform // Check passes for these
		wrong   ocispecs.Platform   // and fails for this one
		want    string              // with this message
	}{{
		binary: "amd64", machine: elf.EM_X86_64, class: elf.ELFCLASS64, data: elf.ELFDATA2LSB,
		ok: []ocispecs.Platform{linux("amd64", ""), linux("amd64", "v3")}, wrong: linux("arm64", ""),
		want: `binary "server" is built for x86-64 (EM_X86_64), not for linux/arm64 (EM_AARCH64)`,
	}, {
		binary: "arm64", machine: elf.EM_AARCH64, class: elf.ELFCLASS64, data: elf.ELFDATA2LSB,
		ok: []ocispecs.Platform{linux("arm64", ""), linux("arm64", "v8")}, wrong: linux("amd64", ""),
		want: `binary "server" is built for 64-bit ARM (EM_AARCH64), not for linux/amd64 (EM_X86_64)`,
	}, {
		binary: "armv7", machine: elf.EM_ARM, class: elf.ELFCLASS32, data: elf.ELFDATA2LSB,
		ok: []ocispecs.Platform{linux("arm", "v7"), linux("arm", "v6"), linux("arm", "v5")}, wrong: linux("arm64", ""),
		want: `binary "server" is built for 32-bit ARM (EM_ARM), not for linux/arm64 (EM_AARCH64)`,
	}, {
		binary: "386", machine: elf.EM_386, class: elf.ELFCLASS32, data: elf.ELFDATA2LSB,
		ok: []ocispecs.Platform{linux("386", "")}, wrong: linux("amd64", ""),
		want: `binary "server" is built for 32-bit x86 (EM_386), not for linux/amd64 (EM_X86_64)`,
	}, {
		binary: "ppc64le", machine: elf.EM_PPC64, class: elf.ELFCLASS64, data: elf.ELFDATA2LSB,
		ok: []ocispecs.Platform{linux("ppc64le", "")}, wrong: linux("ppc64", ""),
		want: `binary "server" is built for 64-bit PowerPC (EM_PPC64, 64-bit little-endian), not for linux/ppc64 (EM_PPC64, 64-bit big-endian)`,
	}, {
		binary: "s390x", machine: elf.EM_S390, class: elf.ELFCLASS64, data: elf.ELFDATA2MSB,
		ok: []ocispecs.Platform{linux("s390x", "")}, wrong: linux("ppc64le", ""),
		want: `binary "server" is built for IBM Z (EM_S390), not for linux/ppc64le (EM_PPC64)`,
	}, {
		binary: "riscv64", machine: elf.EM_RISCV, class: elf.ELFCLASS64, data: elf.ELFDATA2LSB,
		ok: []ocispecs.Platform{linux("riscv64", "")}, wrong: linux("arm", "v7"),
		want: `binary "server" is built for RISC-V (EM_RISCV), not for linux/arm/v7 (EM_ARM)`,
	}}
	for _, tt := range tests {
		t.Run(tt.binary, func(t *testing.T) {
			f := open(t, tt.binary)
			info, err := Inspect(f)
			if err != nil {
				t.Fatal(err)
			}
			want := Info{Machine: tt.machine, Class: tt.class, Data: tt.data, Type: elf.ET_EXEC}
			if !equalInfo(info, &want) {
				t.Errorf("Inspect = %+v, want %+v", info, want)
			}
			for _, p := range tt.ok {
				if err := Check(f, "server", p, true); err != nil {
					t.Errorf("Check(%s) = %v", formatPlatform(p), err)
				}
			}
			err = Check(f, "server", tt.wrong, true)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Check(%s) = %v\nwant %s", formatPlatform(tt.wrong), err, tt.want)
			}
		})
	}
}

func equalInfo(a, b *Info) bool {
	return a.Machine == b.Machine && a.Class == b.Class && a.Data == b.Data && a.Type == b.Type &&
		a.Interp == b.Interp && slices.Equal(a.Needed, b.Needed) && a.HasSymtab == b.HasSymtab
}

// hostPlatform is the platform the host's builds are for.
func hostPlatform(t *testing.T) ocispecs.Platform {
	p := linux(runtime.GOARCH, "")
	if _, ok := elfTargets[p.Architecture]; !ok {
		t.Skipf("no ELF target for host architecture %s", p.Architecture)
	}
	if p.Architecture == "arm" {
		p.Variant = "v7"
	}
	return p
}

// stdlibView is what debug/elf's own accessors say of a file: the PT_INTERP
// contents and the DT_NEEDED entries of the SHT_DYNAMIC section.
func stdlibView(t *testing.T, path string) (interp string, needed []string) {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				t.Fatal(err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if needed, err = f.DynString(elf.DT_NEEDED); err != nil && f.SectionByType(elf.SHT_DYNAMIC) != nil {
		t.Fatal(err)
	}
	return interp, needed
}

func TestHostBuilds(t *testing.T) {
	prebuild("host", "cgo-dynamic", "cgo-static", "static-pie")
	host := hostPlatform(t)
	t.Run("static", func(t *testing.T) {
		f := open(t, "host")
		info, err := Inspect(f)
		if err != nil {
			t.Fatal(err)
		}
		if !info.Static() || !info.HasSymtab || info.Type != elf.ET_EXEC {
			t.Errorf("Inspect = %+v, want a static ET_EXEC with a symbol table", info)
		}
		if err := Check(f, "server", host, true); err != nil {
			t.Error(err)
		}
	})
	t.Run("cgo-dynamic", func(t *testing.T) {
		f := open(t, "cgo-dynamic")
		interp, needed := stdlibView(t, f.Name())
		if interp == "" || !slices.Contains(needed, "libc.so.6") {
			t.Fatalf("the host's cgo build has interpreter %q and needs %q; want a loader and libc.so.6", interp, needed)
		}
		info, err := Inspect(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.Interp != interp || !slices.Equal(info.Needed, needed) || !info.HasSymtab {
			t.Errorf("Inspect = %+v, want interpreter %q, needed %q and a symbol table", info, interp, needed)
		}
		want := fmt.Sprintf(`binary "server" for %s is dynamically linked (interpreter %s; needs %s); `+
			`gobuild images hold only static binaries: build it with cgo: false, or with cgo: true, which links statically unless ldflags say otherwise`,
			formatPlatform(host), interp, strings.Join(needed, ", "))
		if err := Check(f, "server", host, true); err == nil || err.Error() != want {
			t.Errorf("Check(static) = %v\nwant %s", err, want)
		}
		if err := Check(f, "server", host, false); err != nil {
			t.Errorf("Check(not static) = %v", err)
		}
	})
	t.Run("cgo-static", func(t *testing.T) {
		f := open(t, "cgo-static")
		info, err := Inspect(f)
		if err != nil {
			t.Fatal(err)
		}
		if !info.Static() {
			t.Errorf("Inspect = %+v, want static", info)
		}
		if err := Check(f, "server", host, true); err != nil {
			t.Error(err)
		}
	})
	t.Run("static-pie", func(t *testing.T) {
		f := open(t, "static-pie")
		info, err := Inspect(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.Type != elf.ET_DYN || info.Interp != "" || len(info.Needed) != 0 {
			t.Fatalf("Inspect = %+v, want ET_DYN without interpreter nor needed libraries", info)
		}
		if err := Check(f, "server", host, true); err != nil {
			t.Error(err)
		}
	})
}

func TestBadInput(t *testing.T) {
	amd64 := linux("amd64", "")
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		p    ocispecs.Platform
		want string // the message, or its prefix when it ends in "..."
		is   error  // what Inspect's error wraps
	}{{
		name: "script",
		data: func(*testing.T) []byte { return []byte("#!/bin/sh\necho hello\n") },
		want: `binary "server" is not an ELF file (it starts with "#!/b")`, is: ErrNotELF,
	}, {
		name: "empty",
		data: func(*testing.T) []byte { return nil },
		want: `binary "server" is not an ELF file (it is empty)`, is: ErrNotELF,
	}, {
		name: "magic only",
		data: func(*testing.T) []byte { return []byte("\x7fEL") },
		want: `binary "server" is a truncated or corrupt ELF file: it ends after 3 bytes`, is: ErrCorrupt,
	}, {
		name: "first 4 KiB",
		data: func(t *testing.T) []byte { return readPrefix(t, "amd64", 4096) },
		want: `binary "server" is a truncated or corrupt ELF file: it ends before the data its headers point to`, is: ErrCorrupt,
	}, {
		name: "first 100 bytes",
		data: func(t *testing.T) []byte { return readPrefix(t, "amd64", 100) },
		want: `binary "server" is a truncated or corrupt ELF file: ...`, is: ErrCorrupt,
	}, {
		name: "dynamic segment cut off",
		data: func(*testing.T) []byte {
			b := synthELF("/lib/ld.so", []string{"libc.so.6"})
			return b[:len(b)-20]
		},
		want: `binary "server" is a truncated or corrupt ELF file: reading its PT_DYNAMIC segment: it ends before the data its headers point to`, is: ErrCorrupt,
	}, {
		name: "unknown architecture",
		data: func(t *testing.T) []byte { return readPrefix(t, "amd64", 1<<30) },
		p:    linux("sparc64", ""),
		want: `cannot check binary "server" for linux/sparc64: unknown architecture "sparc64"`,
	}, {
		name: "ELF for windows",
		data: func(t *testing.T) []byte { return readPrefix(t, "amd64", 1<<30) },
		p:    ocispecs.Platform{OS: "windows", Architecture: "amd64"},
		want: `binary "server" is not a PE file (it starts with "\x7fE"), as windows/amd64 binaries are`,
	}, {
		name: "ELF for darwin",
		data: func(t *testing.T) []byte { return readPrefix(t, "arm64", 1<<30) },
		p:    ocispecs.Platform{OS: "darwin", Architecture: "arm64"},
		want: `binary "server" is not a 64-bit Mach-O file (it starts with "\x7fELF"), as darwin/arm64 binaries are`,
	}, {
		name: "unchecked OS",
		data: func(t *testing.T) []byte { return readPrefix(t, "amd64", 1<<30) },
		p:    ocispecs.Platform{OS: "plan9", Architecture: "amd64"},
		want: `cannot check binary "server" for plan9/amd64: gobuild checks binaries for darwin, dragonfly, freebsd, illumos, linux, netbsd, openbsd, solaris, windows`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data(t)
			if tt.is != nil {
				if _, err := Inspect(bytes.NewReader(data)); !errors.Is(err, tt.is) {
					t.Errorf("Inspect = %v, want an error wrapping %q", err, tt.is)
				}
			}
			p := tt.p
			if p.OS == "" {
				p = amd64
			}
			err := Check(bytes.NewReader(data), "server", p, true)
			if err == nil {
				t.Fatalf("Check = nil, want %s", tt.want)
			}
			got := err.Error()
			if prefix, ok := strings.CutSuffix(tt.want, "..."); ok {
				if !strings.HasPrefix(got, prefix) || len(got) == len(prefix) {
					t.Errorf("Check = %s\nwant %s", got, tt.want)
				}
			} else if got != tt.want {
				t.Errorf("Check = %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestReadError: an error of the reader itself is reported as such, not as a
// corrupt file, wherever it happens.
func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	data := readPrefix(t, "amd64", 1<<30)
	for _, failFrom := range []int64{0, 4, 64, 4096} {
		r := failingReader{bytes.NewReader(data), failFrom, boom}
		err := Check(r, "server", linux("amd64", ""), true)
		if !errors.Is(err, boom) || err.Error() != `reading binary "server": connection reset` {
			t.Errorf("failing from byte %d: Check = %v", failFrom, err)
		}
	}
}

// failingReader fails reads that reach byte from.
type failingReader struct {
	r    io.ReaderAt
	from int64
	err  error
}

func (r failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.from {
		return 0, r.err
	}
	return r.r.ReadAt(p, off)
}

// synthELF returns a minimal 64-bit little-endian x86-64 executable without
// section headers: a PT_LOAD segment mapping the whole file at 0x400000, and,
// if interp or needed are set, a PT_INTERP and a PT_DYNAMIC segment whose
// DT_NEEDED names are in a DT_STRTAB found through the PT_LOAD.
func synthELF(interp string, needed []string) []byte {
	const base = 0x400000
	le := binary.LittleEndian
	var strtab bytes.Buffer
	strtab.WriteByte(0)
	var offs []uint64
	for _, n := range needed {
		offs = append(offs, uint64(strtab.Len()))
		strtab.WriteString(n)
		strtab.WriteByte(0)
	}
	nprog := 1
	if interp != "" {
		nprog++
	}
	if len(needed) > 0 {
		nprog++
	}
	phoff := uint64(64)
	dataOff := phoff + uint64(nprog)*56
	interpOff := dataOff
	strtabOff := interpOff + uint64(len(interp)+1)
	dynOff := strtabOff + uint64(strtab.Len())
	dynOff = (dynOff + 7) &^ 7
	var dyn []byte
	for _, o := range offs {
		dyn = le.AppendUint64(dyn, uint64(elf.DT_NEEDED))
		dyn = le.AppendUint64(dyn, o)
	}
	dyn = le.AppendUint64(dyn, uint64(elf.DT_STRTAB))
	dyn = le.AppendUint64(dyn, base+strtabOff)
	dyn = le.AppendUint64(dyn, uint64(elf.DT_STRSZ))
	dyn = le.AppendUint64(dyn, uint64(strtab.Len()))
	dyn = append(dyn, make([]byte, 16)...) // DT_NULL
	size := dynOff
	if len(needed) > 0 {
		size += uint64(len(dyn))
	}

	b := []byte(elf.ELFMAG)
	b = append(b, byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT), byte(elf.ELFOSABI_NONE))
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint16(b, uint16(elf.ET_EXEC))
	b = le.AppendUint16(b, uint16(elf.EM_X86_64))
	b = le.AppendUint32(b, uint32(elf.EV_CURRENT))
	b = le.AppendUint64(b, base)  // entry
	b = le.AppendUint64(b, phoff) // phoff
	b = le.AppendUint64(b, 0)     // shoff
	b = le.AppendUint32(b, 0)     // flags
	b = le.AppendUint16(b, 64)    // ehsize
	b = le.AppendUint16(b, 56)    // phentsize
	b = le.AppendUint16(b, uint16(nprog))
	b = le.AppendUint16(b, 64) // shentsize
	b = le.AppendUint16(b, 0)  // shnum
	b = le.AppendUint16(b, 0)  // shstrndx
	prog := func(typ elf.ProgType, off, n uint64) {
		b = le.AppendUint32(b, uint32(typ))
		b = le.AppendUint32(b, uint32(elf.PF_R))
		b = le.AppendUint64(b, off)
		b = le.AppendUint64(b, base+off)
		b = le.AppendUint64(b, base+off)
		b = le.AppendUint64(b, n)
		b = le.AppendUint64(b, n)
		b = le.AppendUint64(b, 8)
	}
	if interp != "" {
		prog(elf.PT_INTERP, interpOff, uint64(len(interp)+1))
	}
	prog(elf.PT_LOAD, 0, size)
	if len(needed) > 0 {
		prog(elf.PT_DYNAMIC, dynOff, uint64(len(dyn)))
	}
	b = append(b, interp...)
	b = append(b, 0)
	b = append(b, strtab.Bytes()...)
	b = append(b, make([]byte, dynOff-uint64(len(b)))...)
	if len(needed) > 0 {
		b = append(b, dyn...)
	}
	return b
}

// TestNoSectionHeaders: the libraries are read from the program headers, as
// the loader reads them, so a file without section headers is still caught.
func TestNoSectionHeaders(t *testing.T) {
	amd64 := linux("amd64", "")
	tests := []struct {
		name   string
		interp string
		needed []string
		want   string
	}{
		{"static", "", nil, ""},
		{"loader and libraries", "/lib64/ld-linux-x86-64.so.2", []string{"libc.so.6", "libm.so.6"},
			`binary "app" for linux/amd64 is dynamically linked (interpreter /lib64/ld-linux-x86-64.so.2; needs libc.so.6, libm.so.6); ` +
				`gobuild images hold only static binaries: build it with cgo: false, or with cgo: true, which links statically unless ldflags say otherwise`},
		{"libraries only", "", []string{"libfoo.so"},
			`binary "app" for linux/amd64 is dynamically linked (needs libfoo.so); ` +
				`gobuild images hold only static binaries: build it with cgo: false, or with cgo: true, which links statically unless ldflags say otherwise`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := synthELF(tt.interp, tt.needed)
			info, err := Inspect(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if info.Interp != tt.interp || !slices.Equal(info.Needed, tt.needed) {
				t.Errorf("Inspect = %+v, want interpreter %q, needed %q", info, tt.interp, tt.needed)
			}
			err = Check(bytes.NewReader(data), "app", amd64, true)
			if got := fmt.Sprint(err); (err == nil) != (tt.want == "") || err != nil && got != tt.want {
				t.Errorf("Check = %v\nwant %s", err, tt.want)
			}
			if err := Check(bytes.NewReader(data), "app", amd64, false); err != nil {
				t.Errorf("Check(not static) = %v", err)
			}
		})
	}
}

func FuzzInspect(f *testing.F) {
	if runtime.GOOS == "linux" {
		builds["host"].build("host")
		if b := builds["host"]; b.err == nil {
			if data, err := os.ReadFile(b.path); err == nil {
				f.Add(data[:min(4096, len(data))])
			}
		}
	}
	f.Add(synthELF("/lib/ld-linux.so.2", []string{"libc.so.6", "libpthread.so.0"}))
	f.Add(synthELF("", nil))
	f.Add([]byte{})
	f.Add([]byte("\x7fELF"))
	f.Add([]byte("\x7fELF\x02\x01\x01\x00garbage garbage garbage garbage garbage garbage garbage"))
	f.Add([]byte("\x7fELF\x01\x02\x01" + strings.Repeat("\xff", 120)))
	f.Add([]byte("MZ\x90\x00 not an ELF file"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Inspect(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrNotELF) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Inspect = %v, wrapping neither ErrNotELF nor ErrCorrupt", err)
			}
			return
		}
		_ = info.Static()
		_ = Check(bytes.NewReader(data), "fuzz", linux("amd64", ""), true)
	})
}
