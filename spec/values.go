package spec

import (
	"fmt"
	"maps"
	"strconv"
	"time"
)

// Values are what templates in ldflags, env and labels can use. None comes
// from the wall clock.
type Values struct {
	Version string            // build arg VERSION, default "dev"
	Commit  string            // build arg COMMIT, else the git revision of the context
	Date    string            // SOURCE_DATE_EPOCH as RFC 3339, else empty
	Os      string            // target GOOS
	Arch    string            // target GOARCH
	Variant string            // target variant, e.g. v7
	Args    map[string]string // every build arg
}

// NewValues are the template values of a build with these build args:
// VERSION (default "dev"), COMMIT (default revision, the git revision of the
// context when known) and SOURCE_DATE_EPOCH, whose time it also returns
// (nil when it is not set: see EpochOr). Nothing comes from the clock.
func NewValues(args map[string]string, revision string) (Values, *time.Time, error) {
	v := Values{Version: "dev", Commit: revision, Args: maps.Clone(args)}
	if s := args["VERSION"]; s != "" {
		v.Version = s
	}
	if s := args["COMMIT"]; s != "" {
		v.Commit = s
	}
	var epoch *time.Time
	if s := args["SOURCE_DATE_EPOCH"]; s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return v, nil, fmt.Errorf("build arg SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s)
		}
		t := time.Unix(n, 0).UTC()
		epoch = &t
		v.Date = t.Format(time.RFC3339)
	}
	return v, epoch, nil
}

// EpochOr is the time of every file gobuild writes and of the image:
// epoch (SOURCE_DATE_EPOCH, from NewValues) when it is set, else the Unix
// epoch, 1970-01-01T00:00:00Z. Never the clock, so that builds reproduce.
func EpochOr(epoch *time.Time) time.Time {
	if epoch != nil {
		return *epoch
	}
	return time.Unix(0, 0).UTC()
}
