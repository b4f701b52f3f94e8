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
}

// Module is what gobuild needs to know from go.mod.
type Module struct {
	Path      string // module path
	Go        string // go line, e.g. 1.26 or 1.26.8
	Toolchain string // toolchain line without "go", e.g. 1.26.8; may be empty
}
