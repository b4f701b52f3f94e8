// Package buildinfo holds what the build stamps into the binaries with
// -ldflags -X, and reports it.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/Masterminds/semver/v3"
)

// Set with -ldflags "-X example.com/bench/shop/internal/buildinfo.Version=...".
var (
	Version = "dev"
	Commit  = "unknown"
	Date    = ""
)

// Info is the build information served on /version and logged at start.
type Info struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
	Modules   int    `json:"modules"`
}

// Get returns the build information of the running binary.
func Get(name string) Info {
	info := Info{
		Name:      name,
		Version:   Version,
		Commit:    Commit,
		Date:      Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info.Modules = len(bi.Deps)
	}
	return info
}

// String formats the information on one line.
func (i Info) String() string {
	s := fmt.Sprintf("%s %s (commit %s, %s, %s)", i.Name, i.Version, i.Commit, i.GoVersion, i.Platform)
	if i.Date != "" {
		s += " built " + i.Date
	}
	return s
}

// Semver parses Version; "dev" and other non-semver versions give 0.0.0-dev.
func Semver() *semver.Version {
	v, err := semver.NewVersion(Version)
	if err != nil {
		return semver.MustParse("0.0.0-dev")
	}
	return v
}

// Satisfies reports whether the running version meets constraint, such as
// ">= 1.2, < 2". A malformed constraint is an error.
func Satisfies(constraint string) (bool, error) {
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return false, fmt.Errorf("version constraint %q: %w", constraint, err)
	}
	return c.Check(Semver()), nil
}
