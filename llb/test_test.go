package llb

import (
	"slices"
	"strings"
	"testing"
)

// test.coverage and test.junit write their reports into the test target's
// result, junit through gotestsum installed in a step of its own; -race
// builds the tests (and vet's view of them) with cgo, and nothing else.
func TestTestReports(t *testing.T) {
	in := testInput(t, "test:\n  flags: [-race, -count=1]\n  coverage: true\n  junit: true\n", amd64)
	res, err := buildTests(in)
	if err != nil {
		t.Fatal(err)
	}
	ex := execs(t, marshal(t, res, amd64))
	test := ex["[test] go test ./..."]
	if test == nil {
		t.Fatalf("no test step in %v", keys(ex))
	}
	want := []string{"/gobuild/gotestsum", "--format", "standard-quiet", "--junitfile", "/out/junit.xml", "--", "-race", "-count=1", "-coverprofile=/out/coverage.out", "./..."}
	if !slices.Equal(test.Meta.Args, want) {
		t.Errorf("test args %q, want %q", test.Meta.Args, want)
	}
	if m := mountAt(test, "/gobuild/gotestsum"); m == nil || m.Selector != "/gotestsum" || !m.Readonly {
		t.Errorf("gotestsum mount %+v", m)
	}
	if ex["[test] go install gotest.tools/gotestsum@"+"v1.13.0"] == nil {
		t.Errorf("no gotestsum install step in %v", keys(ex))
	}
	for name, e := range ex {
		cgo := env(e, "CGO_ENABLED")
		if wantCgo := strings.HasPrefix(name, "[test] go test") || strings.HasPrefix(name, "[test] go vet"); (cgo == "1") != wantCgo {
			t.Errorf("%s: CGO_ENABLED=%s", name, cgo)
		}
	}

	plain, err := buildTests(testInput(t, "", amd64))
	if err != nil {
		t.Fatal(err)
	}
	args := execs(t, marshal(t, plain, amd64))["[test] go test ./..."].Meta.Args
	if !slices.Equal(args, []string{"go", "test", "./..."}) {
		t.Errorf("plain test args %q", args)
	}
}
