package spec

import (
	"bytes"
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
	Field string // dotted path such as builds[0].main; empty for syntax errors
	Msg   string
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

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlError turns a yaml.v3 syntax error into an *Error with its line.
// yaml.v3 reports the line where the enclosing construct starts, often one
// off; the first line whose prefix of the file no longer parses is where the
// problem is, so that line is reported when it can be found.
func yamlError(filename string, data []byte, err error) error {
	msg := strings.SplitN(err.Error(), "\n", 2)[0]
	e := &Error{File: filename, Msg: msg}
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
				return err != io.EOF
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
