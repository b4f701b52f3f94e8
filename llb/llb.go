// The package's output types (Result, Binary, Base), the paths inside the
// builder, and the helpers every step uses; plan.go holds the input types,
// and each other file one step or target.

// Package llb turns a resolved gobuild.yaml into a BuildKit LLB graph for one
// target platform. It is pure construction: states in, states out, no gateway
// client, so it is tested without a daemon.
package llb

import (
	bk "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/gobuild/gobuild/spec"
)

// Paths inside the builder.
const (
	srcDir     = "/src"
	toolDir    = "/gobuild"
	outDir     = "/out"
	modCache   = "/go/pkg/mod"
	buildCache = "/root/.cache/go-build"
	caBundle   = "/etc/ssl/certs/ca-certificates.crt"
	zoneinfo   = "/usr/share/zoneinfo"
)

// Base is a base image: its root file system and its config.
type Base struct {
	State  bk.State
	Config *dockerspec.DockerOCIImage
}

// Result is one platform's image.
type Result struct {
	Rootfs      bk.State
	Config      dockerspec.DockerOCIImage
	Annotations map[string]string // of the manifest
	// Binaries are the compile steps' outputs, for the frontend to check
	// before the image is assembled.
	Binaries []Binary
}

// Binary is one build's compiled binary.
type Binary struct {
	Build *spec.Build
	State bk.State // the compile's output
	File  string   // the binary's path in State: /<Name>, or in a shared compile the name go build gave it
	// Name is the binary's file name in an image or the binaries target:
	// Build.Binary, with .exe on windows (spec.ExeName).
	Name string
	// Shared is set when State is a compile shared with other builds, so
	// that it holds their binaries too.
	Shared bool
}

func ptr[T any](v T) *T { return &v }
