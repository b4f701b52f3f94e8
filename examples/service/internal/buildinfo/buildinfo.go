// Package buildinfo describes a binary of the service: the version, commit
// and date its build stamped into it with -ldflags "-X main.version=...".
package buildinfo

import "fmt"

// Info is what a build stamped into a binary.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
}

// New returns the Info of a binary, with "dev" and "unknown" for a version
// and commit the build left empty.
func New(version, commit, date string) Info {
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = "unknown"
	}
	return Info{Version: version, Commit: commit, Date: date}
}

func (i Info) String() string {
	s := fmt.Sprintf("%s (commit %s", i.Version, i.Commit)
	if i.Date != "" {
		s += ", built " + i.Date
	}
	return s + ")"
}
