package imagetest

import (
	"debug/elf"
	"fmt"
	"os"
	"testing"

	"github.com/gobuild/gobuild/internal/bincheck"
)

// ELFInfo describes an ELF file.
type ELFInfo struct {
	Path      string
	Class     elf.Class
	Data      elf.Data // byte order
	Machine   elf.Machine
	Type      elf.Type
	HasInterp bool
	Interp    string   // PT_INTERP, e.g. "/lib64/ld-linux-x86-64.so.2"
	Needed    []string // DT_NEEDED libraries
	HasSymtab bool     // has a .symtab section (not stripped)
	StaticPIE bool     // ET_DYN without interpreter nor needed libraries
}

// InspectELF reads the ELF headers of path. The loader and the libraries
// are read as the loader reads them, from the PT_INTERP and PT_DYNAMIC
// program headers (internal/bincheck, the reader the frontend's check
// uses), so a binary whose section headers were removed still shows them.
func InspectELF(path string) (*ELFInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	i, err := bincheck.Inspect(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	info := &ELFInfo{Path: path, Class: i.Class, Data: i.Data, Machine: i.Machine, Type: i.Type,
		HasInterp: i.Interp != "", Interp: i.Interp, Needed: i.Needed, HasSymtab: i.HasSymtab}
	info.StaticPIE = i.Type == elf.ET_DYN && !info.HasInterp && len(info.Needed) == 0
	return info, nil
}

// Static reports whether the file needs no dynamic loader nor library.
func (i *ELFInfo) Static() bool { return !i.HasInterp && len(i.Needed) == 0 }

// GOARCH returns the Go architecture name of the file's machine, or "".
func (i *ELFInfo) GOARCH() string {
	is64, le := i.Class == elf.ELFCLASS64, i.Data == elf.ELFDATA2LSB
	switch i.Machine {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_386:
		return "386"
	case elf.EM_PPC64:
		if le {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_S390:
		if is64 {
			return "s390x"
		}
	case elf.EM_RISCV:
		if is64 {
			return "riscv64"
		}
	case elf.EM_LOONGARCH:
		if is64 {
			return "loong64"
		}
	case elf.EM_MIPS:
		arch := "mips"
		if is64 {
			arch += "64"
		}
		if le {
			arch += "le"
		}
		return arch
	}
	return ""
}

// AssertStatic fails the test unless path is a statically linked ELF file
// for goarch ("" accepts any architecture). It returns what it found.
func AssertStatic(t testing.TB, path, goarch string) *ELFInfo {
	t.Helper()
	info, err := InspectELF(path)
	if err != nil {
		t.Fatalf("AssertStatic: %v", err)
	}
	if !info.Static() {
		t.Errorf("%s is dynamically linked: interpreter %q, libraries %q", path, info.Interp, info.Needed)
	}
	if goarch != "" && info.GOARCH() != goarch {
		t.Errorf("%s is for %s (%s), want %s", path, info.GOARCH(), info.Machine, goarch)
	}
	return info
}
