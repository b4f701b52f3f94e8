package bincheck

import (
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func platform(os, arch string) ocispecs.Platform {
	return ocispecs.Platform{OS: os, Architecture: arch}
}

// The binaries target's other OSes: each binary passes for its own
// platform and fails, by name, for a platform one step away (another
// architecture of the same OS, or the same architecture on another OS).
func TestOtherOSes(t *testing.T) {
	tests := []struct {
		binary string
		ok     ocispecs.Platform
		wrong  ocispecs.Platform
		want   string
	}{{
		binary: "darwin-amd64", ok: platform("darwin", "amd64"), wrong: platform("darwin", "arm64"),
		want: `binary "server" is built for CpuAmd64, not for darwin/arm64 (CpuArm64)`,
	}, {
		binary: "darwin-arm64", ok: platform("darwin", "arm64"), wrong: platform("linux", "arm64"),
		want: `binary "server" is not an ELF file (it starts with "\xcf\xfa\xed\xfe")`,
	}, {
		binary: "windows-amd64", ok: platform("windows", "amd64"), wrong: platform("windows", "arm64"),
		want: `binary "server" is built for x86-64, not for windows/arm64 (64-bit ARM)`,
	}, {
		binary: "windows-arm64", ok: platform("windows", "arm64"), wrong: platform("darwin", "arm64"),
		want: `binary "server" is not a 64-bit Mach-O file (it starts with "MZ\x90\x00"), as darwin/arm64 binaries are`,
	}, {
		binary: "freebsd-amd64", ok: platform("freebsd", "amd64"), wrong: platform("linux", "amd64"),
		want: `binary "server" has the ELF OS ABI ELFOSABI_FREEBSD, not that of linux/amd64 (ELFOSABI_NONE)`,
	}, {
		binary: "openbsd-arm64", ok: platform("openbsd", "arm64"), wrong: platform("netbsd", "arm64"),
		want: `binary "server" has the ELF OS ABI ELFOSABI_OPENBSD, not that of netbsd/arm64 (ELFOSABI_NETBSD)`,
	}, {
		binary: "amd64", ok: platform("linux", "amd64"), wrong: platform("freebsd", "amd64"),
		want: `binary "server" has the ELF OS ABI ELFOSABI_NONE, not that of freebsd/amd64 (ELFOSABI_FREEBSD)`,
	}}
	var names []string
	for _, tt := range tests {
		names = append(names, tt.binary)
	}
	prebuild(names...)
	for _, tt := range tests {
		t.Run(tt.binary, func(t *testing.T) {
			f := open(t, tt.binary)
			// static asks nothing of Mach-O and PE; openbsd's binaries
			// ask for its loader, so they are checked as not static.
			static := tt.ok.OS != "openbsd"
			if err := Check(f, "server", tt.ok, static); err != nil {
				t.Errorf("Check(%s) = %v", formatPlatform(tt.ok), err)
			}
			err := Check(f, "server", tt.wrong, false)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Check(%s) = %v\nwant %s", formatPlatform(tt.wrong), err, tt.want)
			}
		})
	}
	// openbsd's Go binaries are dynamically linked: static catches it.
	if err := Check(open(t, "openbsd-arm64"), "server", platform("openbsd", "arm64"), true); err == nil {
		t.Error("Check(openbsd, static) = nil, want dynamically linked")
	}
}
