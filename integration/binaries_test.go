package integration

import (
	"bufio"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/gobuild/gobuild/integration/imagetest"
)

// The binaries target exports just the binaries, with a checksums.txt:
// DIR/<binary> for one platform, DIR/<os>_<arch>/<binary> for several, for
// every OS Go builds without cgo (.exe on windows), each binary of the
// right format and machine, read here with the standard library's
// debug/elf, debug/macho and debug/pe (not gobuild's own check). An image
// asked for a platform other than linux fails naming it.
func TestServiceBinaries(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, example("service"), "docker", "buildx", "build", "-f", "gobuild.yaml", "--target", "binaries",
		"--platform", "darwin/arm64,darwin/amd64,windows/amd64,linux/amd64,linux/arm64,freebsd/amd64",
		"-o", "type=local,dest="+dir, ".")
	for _, tc := range []struct {
		os, arch string
		check    func(t *testing.T, file string)
	}{
		{"linux", "amd64", func(t *testing.T, f string) { imagetest.AssertStatic(t, f, "amd64") }},
		{"linux", "arm64", func(t *testing.T, f string) { imagetest.AssertStatic(t, f, "arm64") }},
		{"freebsd", "amd64", elfCheck(elf.EM_X86_64, elf.ELFOSABI_FREEBSD)},
		{"darwin", "arm64", machoCheck(macho.CpuArm64)},
		{"darwin", "amd64", machoCheck(macho.CpuAmd64)},
		{"windows", "amd64", peCheck(pe.IMAGE_FILE_MACHINE_AMD64)},
	} {
		t.Run(tc.os+"_"+tc.arch, func(t *testing.T) {
			sub := filepath.Join(dir, tc.os+"_"+tc.arch)
			var names []string
			for _, bin := range []string{"server", "migrate"} {
				if tc.os == "windows" {
					bin += ".exe"
				}
				names = append(names, bin)
				file := filepath.Join(sub, bin)
				tc.check(t, file)
				info, err := buildinfo.ReadFile(file)
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				for _, want := range []string{"GOOS=" + tc.os, "GOARCH=" + tc.arch, "CGO_ENABLED=0"} {
					k, v, _ := strings.Cut(want, "=")
					if !slices.ContainsFunc(info.Settings, func(s debug.BuildSetting) bool { return s.Key == k && s.Value == v }) {
						t.Errorf("%s: build info lacks %s: %v", bin, want, info.Settings)
					}
				}
			}
			checkSums(t, sub, names)
		})
	}
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" {
		out, err := exec.Command(filepath.Join(dir, "linux_"+runtime.GOARCH, "migrate")).CombinedOutput()
		if err != nil || string(out) != "migrate dev\n" {
			t.Errorf("running the exported migrate: %v: %q, want %q", err, out, "migrate dev\n")
		}
	}

	one := t.TempDir()
	mustRun(t, example("service"), "docker", "buildx", "build", "-f", "gobuild.yaml", "--target", "binaries",
		"--platform", hostPlatform, "-o", "type=local,dest="+one, ".")
	for _, bin := range []string{"server", "migrate"} {
		imagetest.AssertStatic(t, filepath.Join(one, bin), runtime.GOARCH)
	}
	checkSums(t, one, []string{"migrate", "server"})

	out, err := run(context.Background(), example("service"), "docker", "buildx", "build", "-f", "gobuild.yaml",
		"--platform", "linux/amd64,darwin/arm64", "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "oci.tar"), ".")
	if want := "platform darwin/arm64: image service is built for linux only; --target binaries builds binaries for darwin/arm64"; err == nil || !strings.Contains(string(out), want) {
		t.Errorf("an image for darwin/arm64: %v, want an error with %q:\n%s", err, want, tail(out, 20))
	}
}

// checkSums checks that dir's checksums.txt lists exactly names, sorted,
// each with the sha256 of the file beside it.
func checkSums(t *testing.T, dir string, names []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var listed []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("checksums.txt line %q is not <sha256>  <name>", sc.Text())
		}
		dt, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if h := sha256.Sum256(dt); hex.EncodeToString(h[:]) != sum {
			t.Errorf("checksums.txt: %s has sha256 %x, the file says %s", name, h, sum)
		}
		listed = append(listed, name)
	}
	if want := slices.Sorted(slices.Values(names)); !slices.Equal(listed, want) {
		t.Errorf("checksums.txt lists %v, want %v", listed, want)
	}
}

func elfCheck(machine elf.Machine, abi elf.OSABI) func(*testing.T, string) {
	return func(t *testing.T, file string) {
		f, err := elf.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Machine != machine || f.OSABI != abi {
			t.Errorf("%s: ELF %s %s, want %s %s", file, f.Machine, f.OSABI, machine, abi)
		}
	}
}

func machoCheck(cpu macho.Cpu) func(*testing.T, string) {
	return func(t *testing.T, file string) {
		f, err := macho.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Cpu != cpu || f.Type != macho.TypeExec {
			t.Errorf("%s: Mach-O %s type %d, want an executable for %s", file, f.Cpu, f.Type, cpu)
		}
	}
}

func peCheck(machine uint16) func(*testing.T, string) {
	return func(t *testing.T, file string) {
		f, err := pe.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Machine != machine || f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 {
			t.Errorf("%s: PE machine %#x characteristics %#x, want an executable for %#x", file, f.Machine, f.Characteristics, machine)
		}
	}
}
