// Package spec is the schema of gobuild.yaml: strict decoding with positions,
// validation and defaults. It knows nothing of BuildKit.
package spec

import "strings"

// DefaultFilename is the file the frontend reads when no filename is given.
const DefaultFilename = "gobuild.yaml"

// DefaultUser is the numeric non-root user images run as unless told otherwise.
const DefaultUser = "65532:65532"

// BinDir is where binaries are placed inside images.
const BinDir = "/usr/local/bin"

// File is a whole gobuild.yaml. Every field is optional.
type File struct {
	// Version is the schema version; only 1 exists.
	Version int `yaml:"version"`
	// Go configures the toolchain.
	Go Go `yaml:"go"`
	// Builds are the binaries to compile. Default: one build of the main package ".".
	Builds []Build `yaml:"builds"`
	// Images are the images to assemble; each is a build target. Default: one
	// image holding every build.
	Images []Image `yaml:"images"`
	// Test configures the test target: go vet and go test inside the build.
	Test Test `yaml:"test"`
	// Vulncheck configures the vulncheck target: govulncheck inside the build.
	Vulncheck Vulncheck `yaml:"vulncheck"`

	pos  positions
	name string // the file's name as the user gave it, for messages
}

// Filename is the name of the file f was parsed from, as the user gave it
// (custom.yaml, ci/gobuild.yaml), for messages; gobuild.yaml when f was
// not parsed from a file.
func (f *File) Filename() string {
	if f.name == "" {
		return DefaultFilename
	}
	return f.name
}

// Go configures the Go toolchain used to compile.
type Go struct {
	// Version is the Go version; default: from go.mod (toolchain line, else go line).
	Version string `yaml:"version"`
	// Image is the builder image; default: docker.io/library/golang:<version>.
	Image string `yaml:"image"`
	// Dir is the module root (the directory of go.mod) relative to the build
	// context; default ".". A go.work in it or above it is honoured.
	Dir string `yaml:"dir"`
	// Env is extra environment for every go command (GOFLAGS, GOPROXY,
	// GOEXPERIMENT, ...). Build args of the same name win for GoArgs.
	Env map[string]string `yaml:"env"`
	// Private are GOPRIVATE patterns: modules fetched directly, not through
	// the proxy or the checksum database.
	Private []string `yaml:"private"`
	// Experiment are GOEXPERIMENT settings, such as jsonv2 or noswissmap,
	// for every go command: the compiles, the dependency steps (their
	// cache key), the tests. The binaries record them (go version -m).
	Experiment []string `yaml:"experiment"`
	// FIPS140 is GOFIPS140, the version of the Go Cryptographic Module the
	// binaries are built with: latest, inprocess, certified, off or a
	// frozen version such as v1.0.0 (Go 1.24 or newer).
	FIPS140 string `yaml:"fips140"`
	// SSH fetches the private modules with git over ssh, through the ssh
	// agent given with --ssh default, and checks host keys against the
	// known_hosts secret. Default false: they are fetched over https, with
	// the netrc secret when one is given.
	SSH bool `yaml:"ssh"`
}

// GoArgs are the build args that set the go environment of the same name,
// winning over go.env.
var GoArgs = []string{"GOFLAGS", "GOINSECURE", "GONOPROXY", "GONOSUMDB", "GOPRIVATE", "GOPROXY", "GOSUMDB"}

// PatternPrefix is the fixed part of a GOPRIVATE pattern: its path elements
// before the first one with a wildcard, joined by "/" ("" when the first has one).
func PatternPrefix(p string) string {
	var fixed []string
	for _, e := range strings.Split(strings.Trim(p, "/"), "/") {
		if e == "" || strings.ContainsAny(e, "*?[\\") {
			break
		}
		fixed = append(fixed, e)
	}
	return strings.Join(fixed, "/")
}

// Distroless is the image that base: distroless stands for.
const Distroless = "gcr.io/distroless/static-debian13"

// Test is the test target.
type Test struct {
	// Packages are the packages tested; default ./... .
	Packages []string `yaml:"packages"`
	// Flags are extra go test flags, such as -race or -count=1.
	Flags []string `yaml:"flags"`
	// Vet runs go vet on the packages first; default true.
	Vet *bool `yaml:"vet"`
	// Coverage writes the tests' coverage profile (go test -coverprofile)
	// as coverage.out in the test target's result.
	Coverage bool `yaml:"coverage"`
	// Junit writes a JUnit XML report as junit.xml in the test target's
	// result: the tests run through gotestsum.
	Junit bool `yaml:"junit"`
	// Gotestsum is the version of gotest.tools/gotestsum that junit
	// installs; default DefaultGotestsumVersion.
	Gotestsum string `yaml:"gotestsum"`
}

// DefaultGotestsumVersion is the gotestsum test.junit installs by default.
const DefaultGotestsumVersion = "v1.13.0"

// Race reports whether the tests run with the race detector, which needs
// cgo.
func (t *Test) Race() bool {
	for _, f := range t.Flags {
		if f == "-race" || f == "--race" || f == "-race=true" || f == "--race=true" {
			return true
		}
	}
	return false
}

// Vulncheck is the vulncheck target: govulncheck on the module's source.
type Vulncheck struct {
	// Packages are the packages checked; default ./... .
	Packages []string `yaml:"packages"`
	// DB is the vulnerability database (https://, http:// or file:// URL);
	// default https://vuln.go.dev. The build arg GOVULNDB wins.
	DB string `yaml:"db"`
	// Version is the version of golang.org/x/vuln/cmd/govulncheck; default
	// DefaultVulncheckVersion.
	Version string `yaml:"version"`
}

// DefaultVulnDB is the vulnerability database govulncheck reads by default.
const DefaultVulnDB = "https://vuln.go.dev"

// DefaultVulncheckVersion is the govulncheck the vulncheck target installs
// by default. It needs Go 1.26; set vulncheck.version for an older builder.
const DefaultVulncheckVersion = "v1.9.0"

// Build is one binary.
type Build struct {
	// ID names the build; default: the last element of main (of the module path for ".").
	ID string `yaml:"id"`
	// Main is the main package, relative to the module root; default ".".
	Main string `yaml:"main"`
	// Binary is the file name of the binary; default: ID.
	Binary string `yaml:"binary"`
	// Ldflags are linker flags; each item is a template (see Values).
	Ldflags []string `yaml:"ldflags"`
	// Flags are extra go build flags, such as -race or -mod=vendor.
	Flags []string `yaml:"flags"`
	// Gcflags are compiler flags.
	Gcflags []string `yaml:"gcflags"`
	// Tags are build tags.
	Tags []string `yaml:"tags"`
	// Env is extra environment for go build; values are templates.
	Env map[string]string `yaml:"env"`
	// Strip adds -s -w to the linker flags; default true.
	Strip *bool `yaml:"strip"`
	// Trimpath passes -trimpath; default true.
	Trimpath *bool `yaml:"trimpath"`
	// Cgo compiles with cgo and links statically through the external
	// linker (-linkmode external -extldflags -static, tags netgo and
	// osusergo); a cross C toolchain is installed for other platforms.
	Cgo bool `yaml:"cgo"`
	// Pie gives a static-pie binary (-buildmode=pie, linked with
	// -static-pie by the external linker).
	Pie bool `yaml:"pie"`
	// PGO is the CPU profile for profile-guided optimisation, a path
	// relative to the module, or "off"; default: the main package's
	// default.pgo when there is one, as go build does (-pgo=auto).
	PGO string `yaml:"pgo"`
	// Profile is the profile the build compiles with, relative to the
	// module ("" for none): PGO, or the main package's default.pgo. Load
	// sets it from the build context.
	Profile string `yaml:"-"`
	// Cover builds a coverage-instrumented binary (go build -cover) for
	// integration-coverage runs: run it with GOCOVERDIR set, and it writes
	// coverage data there.
	Cover bool `yaml:"cover"`
	// Platforms restricts the build to these platforms (os/arch[/variant]);
	// default: every platform the build is asked for. Images are linux
	// only; the binaries target also builds for the other OSes of
	// BinaryArches (darwin, windows, the BSDs, illumos, solaris).
	Platforms []string `yaml:"platforms"`

	path Path // builds[i]: where it stands in the file (see Path)
}

// Image is one output image.
type Image struct {
	// Name is the build target name; default: the ID of the first build.
	Name string `yaml:"name"`
	// Base is "scratch" (the default), "distroless" (gcr.io/distroless/static-debian13)
	// or any image reference; a base image's config is kept and extended.
	Base string `yaml:"base"`
	// Builds lists the IDs of the builds copied into the image; default: all.
	Builds []string `yaml:"builds"`
	// Entrypoint; default: the first build's binary.
	Entrypoint []string `yaml:"entrypoint"`
	// Cmd is the default arguments.
	Cmd []string `yaml:"cmd"`
	// User is a numeric uid[:gid]; default 65532:65532.
	User string `yaml:"user"`
	// Workdir is the working directory; default /.
	Workdir string `yaml:"workdir"`
	// Env is the image's environment; values are templates.
	Env map[string]string `yaml:"env"`
	// Expose lists ports such as 8080 or 53/udp.
	Expose []string `yaml:"expose"`
	// Labels are image labels; values are templates. --label wins over them.
	Labels map[string]string `yaml:"labels"`
	// Annotations are OCI annotations of the image manifest (and of the index
	// when there are several platforms); values are templates.
	Annotations map[string]string `yaml:"annotations"`
	// Files are copied from the build context into the image.
	Files []ImageFile `yaml:"files"`
	// Certs puts a CA bundle at /etc/ssl/certs/ca-certificates.crt; default
	// true on scratch, false on other bases (they bring their own).
	Certs *bool `yaml:"certs"`
	// Tzdata puts the time zone database at /usr/share/zoneinfo.
	Tzdata bool `yaml:"tzdata"`
	// Tests makes the image depend on the test target: it is not produced
	// from code whose tests fail.
	Tests bool `yaml:"tests"`

	path Path // images[i]: where it stands in the file (see Path)
}

// ImageFile is a file or directory copied from the build context.
type ImageFile struct {
	// Src is a path in the build context; a directory is copied with its contents.
	Src string `yaml:"src"`
	// Dst is an absolute path in the image; ending in / means "into this directory".
	Dst string `yaml:"dst"`
	// Mode is an octal file mode such as "0444"; directories also get x where r is set.
	Mode string `yaml:"mode"`
	// Owner is a numeric uid:gid; default 0:0.
	Owner string `yaml:"owner"`
}

// Module is what gobuild needs to know from go.mod.
type Module struct {
	Path      string // module path
	Go        string // go line, e.g. 1.26 or 1.26.8
	Toolchain string // toolchain line without "go", e.g. 1.26.8; may be empty
}

// Scratch reports whether the image is built on an empty base.
func (im *Image) Scratch() bool { return im.Base == "" || im.Base == "scratch" }

// BaseRef is the image reference of a non-scratch base ("" for scratch).
func (im *Image) BaseRef() string {
	switch im.Base {
	case "", "scratch":
		return ""
	case "distroless":
		return Distroless
	}
	return im.Base
}
