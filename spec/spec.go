// Package spec is the schema of gobuild.yaml: strict decoding with positions,
// validation and defaults. It knows nothing of BuildKit.
package spec

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

	pos positions
}

// Go configures the Go toolchain used to compile.
type Go struct {
	// Version is the Go version; default: from go.mod (toolchain line, else go line).
	Version string `yaml:"version"`
	// Image is the builder image; default: docker.io/library/golang:<version>.
	Image string `yaml:"image"`
}

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
}

// Image is one output image.
type Image struct {
	// Name is the build target name; default: the ID of the first build.
	Name string `yaml:"name"`
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
	// Files are copied from the build context into the image.
	Files []ImageFile `yaml:"files"`
	// Certs puts a CA bundle at /etc/ssl/certs/ca-certificates.crt; default true.
	Certs *bool `yaml:"certs"`
	// Tzdata puts the time zone database at /usr/share/zoneinfo.
	Tzdata bool `yaml:"tzdata"`
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
