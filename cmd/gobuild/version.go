package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gobuild/gobuild/internal/version"
)

const versionUsage = `Usage: gobuild version

Prints gobuild's version: the release it was built as (v1.2.3), or dev.
`

func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, versionUsage) }
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitUsage
	}
	fmt.Fprintf(stdout, "gobuild %s\n", version.String())
	return exitOK
}
