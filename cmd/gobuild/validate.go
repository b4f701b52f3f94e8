package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gobuild/gobuild/spec"
)

const validateUsage = `Usage: gobuild validate [--context DIR] [FILE]

Checks FILE (default gobuild.yaml; a directory means DIR/gobuild.yaml) as a
build does before it runs anything: it parses and validates the file, reads
go.mod (and a go.work, and vendor/modules.txt) in the module's directory
(go.dir) of the build context, and fills in the defaults. Nothing is built
and no daemon is needed.

Errors are printed on stderr as "FILE:LINE:COLUMN: FIELD: message", the same
text a build gives, and the exit code is 1. Lint warnings are printed on
stderr too but do not fail. On success it prints a summary such as
"gobuild.yaml: ok (2 builds, 1 image)".

Flags:
  --context DIR   the build context (default: the directory of FILE)
`

func cmdValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", stderr)
	contextDir := fs.String("context", "", "")
	pos, code, ok := parseArgs(fs, args, validateUsage, stdout, stderr)
	if !ok {
		return code
	}
	file, err := fileArg(pos)
	if err != nil {
		return usageError(stderr, "validate", "%v", err)
	}
	p, err := loadProject(file, *contextDir, nil)
	for _, w := range p.Warnings {
		fmt.Fprintln(stderr, w)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %s)\n", file, plural(len(p.Resolved.Builds), "build"), plural(len(p.Resolved.Images), "image"))
	return exitOK
}

// fileArg is the FILE argument of validate and llb: gobuild.yaml when
// absent, DIR/gobuild.yaml for a directory.
func fileArg(pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return spec.DefaultFilename, nil
	case 1:
		if fi, err := os.Stat(pos[0]); err == nil && fi.IsDir() {
			return filepath.Join(pos[0], spec.DefaultFilename), nil
		}
		return pos[0], nil
	}
	return "", fmt.Errorf("want one FILE, got %d arguments: %q", len(pos), pos)
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
