// Package bincheck checks a built binary before gobuild hands it out: it
// must be an executable of the target platform's format (ELF, Mach-O or PE),
// machine, class and byte order and, when it should be static (a linux
// binary, which images hold), ask for no dynamic loader and no shared
// library.
//
// It reads only headers and a few small tables through an io.ReaderAt, so a
// binary can be checked without reading it whole, and it returns errors, never
// panics, on truncated or hostile input.
package bincheck

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Check reads the headers of r, the binary called name built for p, and
// returns an error naming name when it is not an executable of p's format
// (Mach-O on darwin, PE on windows, ELF elsewhere), is not built for p's
// machine (and for ELF, class, byte order and OS ABI) or, when static is
// true, asks for a dynamic loader or shared libraries. static applies to
// ELF only: Go's darwin and windows binaries always link the system's
// libraries.
func Check(r io.ReaderAt, name string, p ocispecs.Platform, static bool) error {
	switch p.OS {
	case "darwin":
		return checkMachO(r, name, p)
	case "windows":
		return checkPE(r, name, p)
	}
	if _, ok := elfOSABI[p.OS]; !ok {
		return fmt.Errorf("cannot check binary %q for %s: gobuild checks binaries for %s", name, formatPlatform(p), strings.Join(checkedOSes(), ", "))
	}
	return checkELF(r, name, p, static)
}

// elfOSABI are, by OS, the ELF OS ABIs of Go's binaries for it (e_ident's
// EI_OSABI, as go build writes it: freebsd, netbsd and openbsd have their
// own, the others none; an external linker can write GNU's for linux).
var elfOSABI = map[string][]elf.OSABI{
	"linux":     {elf.ELFOSABI_NONE, elf.ELFOSABI_LINUX},
	"freebsd":   {elf.ELFOSABI_FREEBSD},
	"netbsd":    {elf.ELFOSABI_NETBSD},
	"openbsd":   {elf.ELFOSABI_OPENBSD},
	"dragonfly": {elf.ELFOSABI_NONE},
	"illumos":   {elf.ELFOSABI_NONE, elf.ELFOSABI_SOLARIS},
	"solaris":   {elf.ELFOSABI_NONE, elf.ELFOSABI_SOLARIS},
}

func checkedOSes() []string {
	oses := []string{"darwin", "windows"}
	for os := range elfOSABI {
		oses = append(oses, os)
	}
	slices.Sort(oses)
	return oses
}

// elfTarget is what a platform's ELF binaries must be.
type elfTarget struct {
	machine elf.Machine
	class   elf.Class
	data    elf.Data
}

// elfTargets maps OCI architectures to their ELF identification.
var elfTargets = map[string]elfTarget{
	"amd64":    {elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"arm64":    {elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"arm":      {elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"386":      {elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"ppc64le":  {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"ppc64":    {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"s390x":    {elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"riscv64":  {elf.EM_RISCV, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"mips64le": {elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"mips64":   {elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"mipsle":   {elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"mips":     {elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2MSB},
	"loong64":  {elf.EM_LOONGARCH, elf.ELFCLASS64, elf.ELFDATA2LSB},
}

// machineNames are plain names of the ELF machines users meet.
var machineNames = map[elf.Machine]string{
	elf.EM_X86_64:    "x86-64",
	elf.EM_AARCH64:   "64-bit ARM",
	elf.EM_ARM:       "32-bit ARM",
	elf.EM_386:       "32-bit x86",
	elf.EM_PPC64:     "64-bit PowerPC",
	elf.EM_PPC:       "32-bit PowerPC",
	elf.EM_S390:      "IBM Z",
	elf.EM_RISCV:     "RISC-V",
	elf.EM_MIPS:      "MIPS",
	elf.EM_LOONGARCH: "LoongArch",
	elf.EM_SPARCV9:   "SPARC V9",
}

func checkELF(r io.ReaderAt, name string, p ocispecs.Platform, static bool) error {
	plat := formatPlatform(p)
	want, ok := elfTargets[p.Architecture]
	if !ok {
		return fmt.Errorf("cannot check binary %q for %s: unknown architecture %q", name, plat, p.Architecture)
	}
	info, err := Inspect(r)
	if err != nil {
		if errors.Is(err, ErrNotELF) || errors.Is(err, ErrCorrupt) {
			return fmt.Errorf("binary %q is %w", name, err)
		}
		return fmt.Errorf("reading binary %q: %w", name, err)
	}
	if info.Machine != want.machine {
		return fmt.Errorf("binary %q is built for %s (%s), not for %s (%s)",
			name, machineName(info.Machine), info.Machine, plat, want.machine)
	}
	if info.Class != want.class || info.Data != want.data {
		return fmt.Errorf("binary %q is built for %s (%s, %s), not for %s (%s, %s)",
			name, machineName(info.Machine), info.Machine, layout(info.Class, info.Data),
			plat, want.machine, layout(want.class, want.data))
	}
	if abis := elfOSABI[p.OS]; !slices.Contains(abis, info.OSABI) {
		return fmt.Errorf("binary %q has the ELF OS ABI %s, not that of %s (%s)", name, info.OSABI, plat, abis[0])
	}
	if static && !info.Static() {
		var asks []string
		if info.Interp != "" {
			asks = append(asks, "interpreter "+info.Interp)
		}
		if len(info.Needed) > 0 {
			asks = append(asks, "needs "+strings.Join(info.Needed, ", "))
		}
		return fmt.Errorf("binary %q for %s is dynamically linked (%s); gobuild images hold only static binaries: "+
			"build it with cgo: false, or with cgo: true, which links statically unless ldflags say otherwise",
			name, plat, strings.Join(asks, "; "))
	}
	return nil
}

func machineName(m elf.Machine) string {
	if s, ok := machineNames[m]; ok {
		return s
	}
	return "machine " + fmt.Sprint(uint16(m))
}

// layout describes a class and byte order, as in "64-bit big-endian".
func layout(c elf.Class, d elf.Data) string {
	var s string
	switch c {
	case elf.ELFCLASS32:
		s = "32-bit"
	case elf.ELFCLASS64:
		s = "64-bit"
	default:
		s = "unknown-class"
	}
	switch d {
	case elf.ELFDATA2LSB:
		s += " little-endian"
	case elf.ELFDATA2MSB:
		s += " big-endian"
	default:
		s += " unknown-byte-order"
	}
	return s
}

// formatPlatform formats p as os/arch[/variant].
func formatPlatform(p ocispecs.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// readMagic reads the first n bytes of r, fewer for a shorter file; an
// error of r other than the end of input is returned.
func readMagic(r io.ReaderAt, n int) ([]byte, error) {
	b := make([]byte, n)
	m, err := r.ReadAt(b, 0)
	if m < n && err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return b[:m], nil
}
