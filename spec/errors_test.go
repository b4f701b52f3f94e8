package spec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Every error of a bad file carries the rule --call check reports: the
// decoder sets it for unknown fields and YAML syntax errors, and every
// other problem is an invalid value.
func TestErrorRules(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // the rule of each error, in order
	}{
		{"unknown top-level field", "build:\n  - main: .\n", []string{RuleUnknownField}},
		{"unknown nested fields", "builds:\n  - mian: ./a\n  - main: ./b\n    tgas: [x]\nimages:\n  - files:\n      - {src: a, dst: /a, mdoe: \"0644\"}\n",
			[]string{RuleUnknownField, RuleUnknownField, RuleUnknownField}},
		{"unknown field and a bad value", "version: 2\ngo:\n  zzz: 1\nbuilds:\n  - strip: no\n",
			[]string{RuleUnknownField, RuleInvalidValue}},
		{"syntax error", "builds:\n  - main: ./a\n   id: b\n", []string{RuleInvalidYAML}},
		{"tab indent", "builds:\n\t- main: ./a\n", []string{RuleInvalidYAML}},
		{"control character", "version: 1\nbuilds: \"\x01\"\n", []string{RuleInvalidYAML}},
		{"two documents", "version: 1\n---\nversion: 1\n", []string{RuleInvalidValue}},
		{"merge key", "builds:\n  - &m {main: ./a, id: a}\n  - <<: *m\n    id: b\n", []string{RuleInvalidValue}},
		{"bad values", "builds:\n  - main: cmd/a\nimages:\n  - user: root\n", []string{RuleInvalidValue, RuleInvalidValue}},
		{"resolve", "builds:\n  - id: x\n    main: ./a\n  - id: x\n    main: ./b\n", []string{RuleInvalidValue}},
		{"too large", "version: 1\n" + strings.Repeat("# padding\n", MaxFileSize/10), []string{RuleInvalidValue}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("gobuild.yaml", []byte(tc.src))
			if err == nil {
				_, err = f.Resolve("gobuild.yaml", hello)
			}
			errs, ok := AsErrors(err)
			if !ok {
				t.Fatalf("not Errors: %v", err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.RuleName())
				// The rule agrees with the words of the message, from
				// which --call check used to derive it.
				wantRule := ""
				switch {
				case strings.HasPrefix(e.Msg, "unknown field"):
					wantRule = RuleUnknownField
				case strings.HasPrefix(e.Msg, "invalid YAML"):
					wantRule = RuleInvalidYAML
				}
				if e.Rule != wantRule {
					t.Errorf("%s: Rule %q, want %q", e, e.Rule, wantRule)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("rules %v, want %v\n%v", got, tc.want, err)
			}
		})
	}
}

// AsErrors finds a file's problems however they are wrapped, and
// FieldError leaves an error that holds them as it is.
func TestAsErrors(t *testing.T) {
	f, err := Parse("custom.yaml", []byte("go:\n  dir: services/api\n"))
	if err != nil {
		t.Fatal(err)
	}
	es := Errors{{File: "custom.yaml", Pos: Pos{2, 3}, Field: "go.dir", Msg: "bad"}}
	wrapped := fmt.Errorf("loading: %w", es)
	if got, ok := AsErrors(wrapped); !ok || len(got) != 1 || got[0] != es[0] {
		t.Errorf("AsErrors(wrapped) = %v, %v", got, ok)
	}
	for _, err := range []error{nil, errors.New("plain"), &Error{File: "go.mod", Msg: "no module directive"}} {
		if got, ok := AsErrors(err); ok || got != nil {
			t.Errorf("AsErrors(%v) = %v, %v", err, got, ok)
		}
	}
	if got := FieldError("custom.yaml", f, "go.dir", wrapped); got != wrapped {
		t.Errorf("FieldError rewrapped %v as %v", wrapped, got)
	}
	got := FieldError("custom.yaml", f, "go.dir", errors.New("no go.mod in services/api/ of the build context"))
	if want := "custom.yaml:2:8: go.dir: no go.mod in services/api/ of the build context"; got.Error() != want {
		t.Errorf("FieldError: %v\nwant %s", got, want)
	}
	if _, ok := AsErrors(got); !ok {
		t.Errorf("FieldError gave %T, not Errors", got)
	}
}
