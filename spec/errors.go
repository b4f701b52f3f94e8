package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a problem in gobuild.yaml at a known place.
type Error struct {
	File  string
	Pos   Pos    // zero when the problem has no single place
	Field string // the field's Path, such as builds[0].main; empty for syntax errors
	Msg   string
	Rule  string // the check it breaks, for --call check: RuleUnknownField, RuleInvalidYAML, or empty (see RuleName)
}

// The rules of the checks an Error can break, as --call check names them.
const (
	RuleUnknownField = "UnknownField" // a field gobuild does not know
	RuleInvalidYAML  = "InvalidYAML"  // the file is not valid YAML
	RuleInvalidValue = "InvalidValue" // any other problem: a value gobuild cannot use
)

// RuleName is the rule e breaks: e.Rule, else RuleInvalidValue.
func (e *Error) RuleName() string {
	if e.Rule == "" {
		return RuleInvalidValue
	}
	return e.Rule
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Pos.Line)
		if e.Pos.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Pos.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, in file order.
type Errors []*Error

// maxShownErrors is how many of a file's problems Errors.Error spells out.
const maxShownErrors = 20

func (es Errors) Error() string {
	var msgs []string
	for i, e := range es {
		if i == maxShownErrors {
			msgs = append(msgs, fmt.Sprintf("... and %d more problems in %s", len(es)-i, e.File))
			break
		}
		msgs = append(msgs, e.Error())
	}
	return strings.Join(msgs, "\n")
}

// AsErrors finds the first Errors in err's chain (see errors.As): the
// problems of a file, each with its place, however err wraps them.
func AsErrors(err error) (Errors, bool) {
	var es Errors
	ok := errors.As(err, &es)
	return es, ok
}

// FieldError turns err into an error naming field of f, so that it carries
// the file, line and column. An err that already does (one that holds
// Errors, see AsErrors) is returned as it is.
func FieldError(filename string, f *File, field Path, err error) error {
	if _, ok := AsErrors(err); ok {
		return err
	}
	return Errors{&Error{File: filename, Pos: f.Pos(string(field)), Field: string(field), Msg: err.Error()}}
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlError turns a yaml.v3 syntax error into Errors of one *Error with its line.
// yaml.v3 reports the line where the enclosing construct starts, often one
// off; the first line whose prefix of the file no longer parses is where the
// problem is, so that line is reported when it can be found.
func yamlError(filename string, data []byte, err error) error {
	msg := strings.SplitN(err.Error(), "\n", 2)[0]
	e := &Error{File: filename, Msg: msg, Rule: RuleInvalidYAML}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Msg = m[2]
		if m[1] != "" {
			e.Pos.Line, _ = strconv.Atoi(m[1])
		}
	}
	if line := firstBadLine(data); line > 0 {
		e.Pos.Line = line
	}
	e.Msg = "invalid YAML: " + e.Msg
	return Errors{e}
}

// firstBadLine returns the smallest n such that the first n lines of data
// fail to parse, or 0. It bisects, so it stays cheap on large files.
func firstBadLine(data []byte) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(n int) bool {
		var v yaml.Node
		dec := yaml.NewDecoder(bytes.NewReader(bytes.Join(lines[:n], nil)))
		for {
			if err := dec.Decode(&v); err != nil {
				return !errors.Is(err, io.EOF)
			}
		}
	}
	if !fails(len(lines)) {
		return 0
	}
	lo, hi := 0, len(lines) // fails(hi); assume !fails(lo)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
