// Package version is gobuild's own version: the one a release stamps in with
// -ldflags "-X github.com/gobuild/gobuild/internal/version.Version=v1.2.3"
// (the Dockerfile's VERSION build arg does), else the module version go
// install recorded, else "dev".
package version

import "runtime/debug"

// Version is set by the linker for a release build.
var Version string

// String is gobuild's version, such as v1.2.3, or dev for a build from a
// checkout that did not set one.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Tool is gobuild's name with its version in SPDX's form for a creating
// tool (name-version, as BuildKit writes buildkit-v0.34.2): gobuild-v1.2.3.
func Tool() string { return "gobuild-" + String() }
