// Mach-O: the headers of darwin binaries.

package bincheck

import (
	"debug/macho"
	"encoding/binary"
	"fmt"
	"io"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// machoCPUs maps OCI architectures to their Mach-O CPU types.
var machoCPUs = map[string]macho.Cpu{
	"amd64": macho.CpuAmd64,
	"arm64": macho.CpuArm64,
}

// checkMachO checks that r is a 64-bit Mach-O executable for p's CPU.
func checkMachO(r io.ReaderAt, name string, p ocispecs.Platform) error {
	plat := formatPlatform(p)
	want, ok := machoCPUs[p.Architecture]
	if !ok {
		return fmt.Errorf("cannot check binary %q for %s: unknown architecture %q", name, plat, p.Architecture)
	}
	magic, err := readMagic(r, 4)
	if err != nil {
		return fmt.Errorf("reading binary %q: %w", name, err)
	}
	if len(magic) < 4 || binary.LittleEndian.Uint32(magic) != macho.Magic64 {
		return fmt.Errorf("binary %q is not a 64-bit Mach-O file (it starts with %q), as %s binaries are", name, magic, plat)
	}
	f, err := macho.NewFile(r)
	if err != nil {
		return fmt.Errorf("binary %q is a truncated or corrupt Mach-O file: %w", name, err)
	}
	if f.Cpu != want {
		return fmt.Errorf("binary %q is built for %s, not for %s (%s)", name, f.Cpu, plat, want)
	}
	if f.Type != macho.TypeExec {
		return fmt.Errorf("binary %q is a Mach-O file of type %d, not an executable", name, f.Type)
	}
	return nil
}
