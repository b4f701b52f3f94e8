package spec

import (
	"bytes"
	"runtime/pprof"
	"strings"
	"testing"
)

func cpuProfile(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Fatal(err)
	}
	pprof.StopCPUProfile()
	return buf.String()
}

func heapProfile(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// Each build's profile: the main package's default.pgo when there is one,
// builds[].pgo when set, none with pgo: off; a file that is not a CPU
// profile fails naming the field and the user's file.
func TestProfiles(t *testing.T) {
	files := map[string]string{
		"svc/go.mod":                  "module example.com/svc\n\ngo 1.26\n",
		"svc/cmd/api/default.pgo":     cpuProfile(t),
		"svc/prof/worker.pprof":       cpuProfile(t),
		"svc/prof/pre.pgo":            "GO PREPROFILE V1\nmain.f\nmain.g\n1 2\n",
		"svc/cmd/bad/default.pgo":     "not a profile",
		"svc/prof/heap.pprof":         heapProfile(t),
		"svc/cmd/nothing/main.go":     "package main\n",
		"svc/cmd/offtoo/default.pgo":  "not a profile either",
		"svc/cmd/worker/default.pgo":  cpuProfile(t),
		"svc/cmd/preworker/README.md": "",
	}
	src := "go:\n  dir: svc\nbuilds:\n  - main: ./cmd/api\n  - main: ./cmd/worker\n    pgo: prof/worker.pprof\n  - main: ./cmd/nothing\n  - main: ./cmd/offtoo\n    pgo: off\n  - main: ./cmd/preworker\n    pgo: ./prof/pre.pgo\n"
	p, err := Load("custom.yaml", []byte(src), mapContext{files: files}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range p.Resolved.Builds {
		got = append(got, b.ID+"="+b.Profile)
	}
	if want := "api=cmd/api/default.pgo worker=prof/worker.pprof nothing= offtoo= preworker=prof/pre.pgo"; strings.Join(got, " ") != want {
		t.Errorf("profiles %s, want %s", strings.Join(got, " "), want)
	}

	for _, tc := range []struct{ src, want string }{
		{"go:\n  dir: svc\nbuilds:\n  - main: ./cmd/bad\n",
			`custom.yaml:4:11: builds[0].main: cmd/bad/default.pgo, which go build uses by default (-pgo=auto), is not a pprof profile (`},
		{"go:\n  dir: svc\nbuilds:\n  - main: ./cmd/api\n    pgo: prof/heap.pprof\n",
			`custom.yaml:5:10: builds[0].pgo: prof/heap.pprof is a pprof profile without CPU samples (samples/count or cpu/nanoseconds): PGO needs a CPU profile`},
		{"go:\n  dir: svc\nbuilds:\n  - main: ./cmd/api\n    pgo: prof/none.pprof\n",
			`custom.yaml:5:10: builds[0].pgo: prof/none.pprof is not in the build context (the path is relative to the module, as main is)`},
		{"go:\n  dir: svc\nbuilds:\n  - main: ./cmd/api\n    pgo: /prof.pprof\n",
			`custom.yaml:5:10: builds[0].pgo: "/prof.pprof" is absolute; write the profile's path relative to the module`},
		{"go:\n  dir: svc\nbuilds:\n  - main: ./cmd/api\n    pgo: ../../x.pprof\n",
			`custom.yaml:5:10: builds[0].pgo: "../../x.pprof" leaves the build context`},
	} {
		_, err := Load("custom.yaml", []byte(tc.src), mapContext{files: files}, nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("error %v\nwant one starting %s", err, tc.want)
		}
	}
}
