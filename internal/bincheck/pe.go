// PE: the headers of windows binaries.

package bincheck

import (
	"debug/pe"
	"fmt"
	"io"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// peMachines maps OCI architectures to their PE machine types.
var peMachines = map[string]uint16{
	"amd64": pe.IMAGE_FILE_MACHINE_AMD64,
	"arm64": pe.IMAGE_FILE_MACHINE_ARM64,
	"386":   pe.IMAGE_FILE_MACHINE_I386,
	"arm":   pe.IMAGE_FILE_MACHINE_ARMNT,
}

var peMachineNames = map[uint16]string{
	pe.IMAGE_FILE_MACHINE_AMD64: "x86-64",
	pe.IMAGE_FILE_MACHINE_ARM64: "64-bit ARM",
	pe.IMAGE_FILE_MACHINE_I386:  "32-bit x86",
	pe.IMAGE_FILE_MACHINE_ARMNT: "32-bit ARM",
}

func peMachineName(m uint16) string {
	if s, ok := peMachineNames[m]; ok {
		return s
	}
	return fmt.Sprintf("PE machine %#x", m)
}

// checkPE checks that r is a PE executable image for p's machine.
func checkPE(r io.ReaderAt, name string, p ocispecs.Platform) error {
	plat := formatPlatform(p)
	want, ok := peMachines[p.Architecture]
	if !ok {
		return fmt.Errorf("cannot check binary %q for %s: unknown architecture %q", name, plat, p.Architecture)
	}
	magic, err := readMagic(r, 2)
	if err != nil {
		return fmt.Errorf("reading binary %q: %w", name, err)
	}
	if string(magic) != "MZ" {
		return fmt.Errorf("binary %q is not a PE file (it starts with %q), as %s binaries are", name, magic, plat)
	}
	f, err := pe.NewFile(r)
	if err != nil {
		return fmt.Errorf("binary %q is a truncated or corrupt PE file: %w", name, err)
	}
	if f.Machine != want {
		return fmt.Errorf("binary %q is built for %s, not for %s (%s)", name, peMachineName(f.Machine), plat, peMachineName(want))
	}
	if f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 || f.Characteristics&pe.IMAGE_FILE_DLL != 0 {
		return fmt.Errorf("binary %q is a PE file but not an executable image (characteristics %#x)", name, f.Characteristics)
	}
	return nil
}
